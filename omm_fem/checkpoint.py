"""Checkpoints of a field sweep: finished chunks of fields survive a killed run.

A sweep is evaluated in fixed chunks of fields (the same chunks whether or
not the run is interrupted, so a resumed run reproduces an uninterrupted one
bit for bit). Each finished chunk is written atomically to
``OUT/.sweep-checkpoint/chunk_NNNN.npz`` together with a hash of the
configuration, the mesh and the omm_fem version; ``--resume`` loads the chunks
of the same run and computes only the rest. The directory is removed once results.json is written.
"""
from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import numpy as np

from .errors import OmmError
from .io import atomic_write
from .steady import FieldSolution

DIRNAME = ".sweep-checkpoint"
_SOL_KEYS = ("B", "n", "phi")


class SweepCheckpoint:
    """Chunk store of one sweep in an output directory.

    Parameters
    ----------
    out_dir : path
        The run's output directory.
    config_hash : str
        SHA-256 of what the chunks depend on (configuration, mesh, version).
    contacts : list of str
        Contact order of the stored voltage/current arrays.
    """

    def __init__(self, out_dir, config_hash, contacts):
        self.dir = Path(out_dir) / DIRNAME
        self.hash = config_hash
        self.contacts = list(contacts)

    def path(self, k):
        return self.dir / f"chunk_{k:04d}.npz"

    def save(self, k, response, kept, info):
        """Store chunk k: the response arrays, the kept full solutions and the solver info."""
        self.dir.mkdir(parents=True, exist_ok=True)
        arrays = {"config_sha256": np.array(self.hash), "info": np.array(json.dumps(info))}
        arrays.update({f"resp_{key}": val for key, val in response.items()})
        for idx, sol in kept.items():
            for key in _SOL_KEYS:
                arrays[f"kept_{idx}_{key}"] = getattr(sol, key)
            for key in ("voltages", "currents", "delta_I_fixed_voltage"):
                arrays[f"kept_{idx}_{key}"] = np.array([getattr(sol, key)[c] for c in self.contacts])
            arrays[f"kept_{idx}_solves"] = np.array(sol.solves)

        def write(tmp):
            with open(tmp, "wb") as fh:
                np.savez(fh, **arrays)

        atomic_write(self.path(k), write, suffix=".npz")

    def load(self, k):
        """Chunk k as (response, kept, info), or None if absent; OmmError if from another config."""
        path = self.path(k)
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as z:
                data = {key: z[key] for key in z.files}
            if "config_sha256" not in data or "info" not in data:
                raise ValueError(f"it has no config hash or info, only {sorted(data)}")
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise OmmError(f"checkpoint {str(path)!r} cannot be read ({exc}); delete "
                           f"{str(self.dir)!r} to start over") from None
        if str(data.get("config_sha256")) != self.hash:
            raise OmmError(f"--resume: the checkpoint in {str(self.dir)!r} belongs to another "
                           "configuration, mesh or omm_fem version; run without --resume (or delete it) "
                           "to start over")
        response = {key[5:]: val for key, val in data.items() if key.startswith("resp_")}
        info = json.loads(str(data["info"]))
        kept = {}
        for idx in sorted({int(key.split("_")[1]) for key in data if key.startswith("kept_")}):
            g = lambda key: data[f"kept_{idx}_{key}"]  # noqa: E731
            kept[idx] = FieldSolution(
                B=g("B"), n=g("n"), phi=g("phi"),
                voltages=dict(zip(self.contacts, g("voltages").tolist())),
                currents=dict(zip(self.contacts, g("currents").tolist())),
                delta_I_fixed_voltage=dict(zip(self.contacts, g("delta_I_fixed_voltage").tolist())),
                solves=int(g("solves")))
        return response, kept, info

    def clear(self):
        shutil.rmtree(self.dir, ignore_errors=True)

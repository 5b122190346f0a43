"""Checkpoints of a transient run: continue a killed run bit for bit.

With an output directory, :func:`~omm_fem.transient.run.run_transient` writes
``OUT/checkpoint.npz`` every ``[transient.output] checkpoint_every`` steps and
once more after the last step, atomically (temporary name + rename: a kill
never leaves a partial file). It holds everything the rest of the run depends
on:

- the stepper's loop state (:meth:`Stepper.state`: time, step counters, n,
  BDF2's previous state, the adaptive step and error scale, the damped-start
  countdown) and the step statistics;
- the keys of the factorisation cache in LRU order and its counters (the
  factors are recomputed on first use and not counted again, so the reported
  counts and later evictions are those of an uninterrupted run);
- the trace rows so far, the states at the VTU snapshots taken (their fields
  are recomputed from them), the GIF frames, and the loop's own counters;
- the elapsed stepping and observing time;
- a fingerprint: a hash of the configuration and the transient settings, a
  hash of the mesh (vertices, triangles, element order, free DOFs), the
  omm_fem version and the file format. A checkpoint with another fingerprint
  is refused with an :class:`~omm_fem.errors.OmmError`.

Scalars are stored as JSON text (floats round-trip exactly), arrays as
arrays; nothing is pickled. :func:`~omm_fem.transient.outputs.write_transient_outputs`
removes the checkpoint once every output file is written.
"""
from __future__ import annotations

import json
import zipfile
from dataclasses import asdict
from pathlib import Path

import numpy as np

from .. import __version__
from ..errors import OmmError
from ..io import atomic_write, ensure_dir
from ..provenance import config_hash, mesh_hash

NAME = "checkpoint.npz"
FORMAT = 1


def fingerprint(config, tspec, system):
    """What a checkpoint must match to be resumed (JSON-serialisable dict).

    Parameters
    ----------
    config : dict
        The run's configuration (``RunSpec.config``).
    tspec : TransientSpec
    system : TransientSystem
    """
    pb = system.problem
    return {"format": FORMAT, "omm_fem": __version__,
            "config_sha256": config_hash({"config": config, "transient": asdict(tspec)}),
            "mesh_sha256": mesh_hash(pb.mesh, system.free, f"P{pb.order} {system.disc.ndofs}")}


def _plain(obj):
    """numpy scalars -> Python scalars; tuples -> lists; complex -> {"complex": [re, im]}."""
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, complex):
        return {"complex": [obj.real, obj.imag]}
    return obj


def _key(obj):
    """Inverse of _plain for factorisation keys (lists were tuples)."""
    if isinstance(obj, list):
        return tuple(_key(v) for v in obj)
    if isinstance(obj, dict):
        return complex(*obj["complex"])
    return obj


class Checkpoint:
    """The checkpoint file of one run.

    Parameters
    ----------
    out_dir : path
        The run's output directory.
    every : int
        Save every ``every`` steps and after the last step (0: never).
    fingerprint : dict
        From :func:`fingerprint`.
    """

    def __init__(self, out_dir, every, fingerprint):
        self.dir = Path(out_dir)
        self.path = self.dir / NAME
        self.every = every
        self.fingerprint = fingerprint

    def due(self, steps, done):
        """Save after ``steps`` steps? (every ``every`` steps and after the last one)."""
        return self.every > 0 and (steps % self.every == 0 or done)

    def remove(self):
        """Delete the checkpoint file if there is one."""
        self.path.unlink(missing_ok=True)

    # ------------------------------------------------------------ save
    def save(self, *, stepper, factors, tracer, recorder):
        """Write the state of a run atomically (see the module docstring)."""
        scalars, arrays = stepper.state()
        st = stepper.stats
        keys, nfact, nsolve = factors.state()
        cols = tracer.columns
        rec = recorder.state()
        meta = {"fingerprint": self.fingerprint, "stepper": scalars,
                "stats": {"steps": st.steps, "rejected": st.rejected, "restarts": st.restarts,
                          "h_min": st.h_min, "h_max": st.h_max, "accepted": st.accepted},
                "factors": {"keys": keys, "factorizations": nfact, "solves": nsolve},
                "columns": list(cols), "recorder": rec["scalars"]}
        data = {"meta": np.array(json.dumps(_plain(meta))),
                "traces": np.array([cols[c] for c in cols], dtype=float)}
        data.update({f"stepper_{k}": v for k, v in arrays.items()})
        data.update({f"recorder_{k}": v for k, v in rec["arrays"].items()})
        ensure_dir(self.dir)

        def write(tmp):
            with open(tmp, "wb") as fh:
                np.savez(fh, **data)

        return atomic_write(self.path, write)

    # ------------------------------------------------------------ load
    def load(self):
        """The saved run as ``(meta, arrays)``, or None when there is no checkpoint.

        Raises
        ------
        OmmError
            The file cannot be read, or it was written for another
            configuration, mesh, omm_fem version or file format.
        """
        if not self.path.exists():
            return None
        where = f"checkpoint {str(self.path)!r}"
        try:
            with np.load(self.path, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
            meta = json.loads(str(arrays.pop("meta")))
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            raise OmmError(f"{where} cannot be read ({exc}); run without --resume to start "
                           "over") from None
        saved = meta.get("fingerprint", {})
        for key, what in (("format", "a checkpoint format"), ("omm_fem", "omm_fem version"),
                          ("config_sha256", "configuration (config hash"),
                          ("mesh_sha256", "mesh (mesh hash")):
            mine, theirs = self.fingerprint[key], saved.get(key)
            if mine != theirs:
                detail = (f"{what} {str(theirs)[:12]}, this run {str(mine)[:12]})"
                          if key.endswith("sha256") else f"{what} {theirs!r}, this run {mine!r}")
                raise OmmError(f"--resume: {where} belongs to another run: it was written with "
                               f"{detail}; resume with the configuration and mesh of the killed "
                               "run, or run without --resume to start over")
        return meta, arrays

    @staticmethod
    def restore(saved, *, stepper, factors, tracer, recorder):
        """Put a loaded checkpoint back into the objects of a new run of the same configuration."""
        meta, arrays = saved
        stepper.restore(meta["stepper"], {k[len("stepper_"):]: v for k, v in arrays.items()
                                          if k.startswith("stepper_")})
        st, sm = stepper.stats, meta["stats"]
        st.steps, st.rejected, st.restarts = sm["steps"], sm["rejected"], sm["restarts"]
        st.h_min, st.h_max = float(sm["h_min"]), float(sm["h_max"])
        st.accepted = [tuple(a) for a in sm["accepted"]]
        fm = meta["factors"]
        factors.restore([_key(k) for k in fm["keys"]], fm["factorizations"], fm["solves"])
        tracer.columns = {c: arrays["traces"][i].tolist() for i, c in enumerate(meta["columns"])}
        recorder.restore(meta["recorder"], {k[len("recorder_"):]: v for k, v in arrays.items()
                                            if k.startswith("recorder_")})

"""Persistence of unfinished runs: fingerprints and atomic ``.npz`` stores.

A killed sweep or transient continues with ``omm-fem run --resume`` from what
it saved. Everything saved goes through :class:`NpzStore`: one ``.npz`` file,
written atomically (temporary name + rename, so a kill never leaves a partial
file), holding JSON metadata (floats round-trip exactly; nothing is pickled),
arrays, and a :func:`fingerprint` of the run: the omm_fem version, the file
format, a hash of the configuration and a hash of the mesh (vertices,
triangles, tags, element order). A store with another fingerprint is refused
with an :class:`~omm_fem.errors.OmmError` that says which part differs.

* sweeps: :func:`checkpointed_sweep` evaluates a field sweep in fixed chunks
  and keeps each finished one in a :class:`SweepCheckpoint`, one store per
  chunk in ``OUT/.sweep-checkpoint/`` (removed once results.json is written);
* transients: :class:`omm_fem.transient.checkpoint.Checkpoint`, one store
  ``OUT/checkpoint.npz`` with the stepper's state.
"""
from __future__ import annotations

import json
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import OmmError
from .io import atomic_write, jsonable
from .provenance import config_hash, mesh_hash

FORMAT = 2
_PARTS = (("format", "checkpoint format"), ("omm_fem", "omm_fem version"),
          ("config_sha256", "configuration (config hash"), ("mesh_sha256", "mesh (mesh hash"))


def fingerprint(config, mesh, order):
    """What a saved run must match to be continued (JSON-serialisable dict).

    Parameters
    ----------
    config : dict
        Everything the results depend on besides the mesh (the configuration,
        and for a transient its resolved settings).
    mesh : skfem.MeshTri
        The run's mesh (vertices, triangles and tags are hashed).
    order : int
        Lagrange element order.
    """
    from . import __version__

    return {"format": FORMAT, "omm_fem": __version__, "config_sha256": config_hash(config),
            "mesh_sha256": mesh_hash(mesh, f"P{order}")}


class NpzStore:
    """One atomically written ``.npz`` file of metadata and arrays, with a fingerprint.

    Parameters
    ----------
    path : path
        The file.
    fingerprint : dict
        From :func:`fingerprint`.
    """

    def __init__(self, path, fingerprint):
        self.path = Path(path)
        self.fingerprint = dict(fingerprint)

    def exists(self):
        return self.path.exists()

    def remove(self):
        self.path.unlink(missing_ok=True)

    def save(self, meta, arrays=None):
        """Write ``meta`` (JSON-serialisable dict) and ``arrays`` (name -> ndarray)."""
        arrays = dict(arrays or {})
        if "meta" in arrays:
            raise ValueError("NpzStore.save: 'meta' is reserved for the metadata")
        data = {"meta": np.array(json.dumps({"fingerprint": self.fingerprint, **meta})), **arrays}
        self.path.parent.mkdir(parents=True, exist_ok=True)

        def write(tmp):
            with open(tmp, "wb") as fh:
                np.savez(fh, **data)

        return atomic_write(self.path, write, suffix=".npz")

    def load(self):
        """``(meta, arrays)`` of the file, or None when there is none.

        Raises
        ------
        OmmError
            The file cannot be read, or it belongs to another run (fingerprint).
        """
        if not self.path.exists():
            return None
        where = f"checkpoint {str(self.path)!r}"
        try:
            with np.load(self.path, allow_pickle=False) as z:
                data = {k: z[k] for k in z.files}
            if "meta" not in data:
                raise ValueError(f"it has no config hash (no metadata), only {sorted(data)}")
            meta = json.loads(str(data.pop("meta")))
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            raise OmmError(f"{where} cannot be read ({exc}); run without --resume to start "
                           "over") from None
        saved = meta.pop("fingerprint", {})
        for key, what in _PARTS:
            mine, theirs = self.fingerprint.get(key), saved.get(key)
            if mine != theirs:
                detail = (f"{what} {str(theirs)[:12]}, this run {str(mine)[:12]})"
                          if key.endswith("sha256") else f"{what} {theirs!r}, this run {mine!r}")
                raise OmmError(f"--resume: {where} belongs to another run: it was written with "
                               f"{detail}; a checkpoint of another configuration, mesh or "
                               "omm_fem version cannot be continued: resume with the "
                               "configuration and mesh of the killed run, or run without "
                               "--resume to start over")
        return meta, data


SWEEP_DIR = ".sweep-checkpoint"


class SweepCheckpoint:
    """Finished chunks of a field sweep, one :class:`NpzStore` each.

    A sweep is evaluated in fixed chunks of fields (the same chunks whether or
    not the run is interrupted, so a resumed run reproduces an uninterrupted
    one bit for bit); each finished chunk is saved as
    ``OUT/.sweep-checkpoint/chunk_NNNN.npz``.

    Parameters
    ----------
    out_dir : path
        The run's output directory.
    fingerprint : dict
        From :func:`fingerprint`.
    contacts : list of str
        Contact order of the stored voltage/current arrays.
    """

    def __init__(self, out_dir, fingerprint, contacts):
        self.dir = Path(out_dir) / SWEEP_DIR
        self.fingerprint = fingerprint
        self.contacts = list(contacts)

    def path(self, k):
        return self.dir / f"chunk_{k:04d}.npz"

    def save(self, k, response, kept, info):
        """Store chunk k: the response arrays, the kept full solutions and the solver info."""
        arrays = {f"resp_{key}": val for key, val in response.items()}
        for idx, sol in kept.items():
            for key in ("B", "n", "phi"):
                arrays[f"kept_{idx}_{key}"] = getattr(sol, key)
            for key in ("voltages", "currents", "delta_I_fixed_voltage"):
                arrays[f"kept_{idx}_{key}"] = np.array([getattr(sol, key)[c] for c in self.contacts])
        meta = {"info": info, "solves": {str(i): int(sol.solves) for i, sol in kept.items()}}
        NpzStore(self.path(k), self.fingerprint).save(meta, arrays)

    def load(self, k):
        """Chunk k as (response, kept, info), or None if absent; OmmError if from another run."""
        from .steady import FieldSolution

        got = NpzStore(self.path(k), self.fingerprint).load()
        if got is None:
            return None
        meta, data = got
        response = {key[5:]: val for key, val in data.items() if key.startswith("resp_")}
        kept = {}
        for idx in sorted({int(key.split("_")[1]) for key in data if key.startswith("kept_")}):
            g = lambda key: data[f"kept_{idx}_{key}"]  # noqa: E731
            named = lambda key: dict(zip(self.contacts, g(key).tolist()))  # noqa: E731
            kept[idx] = FieldSolution(B=g("B"), n=g("n"), phi=g("phi"), voltages=named("voltages"),
                                      currents=named("currents"),
                                      delta_I_fixed_voltage=named("delta_I_fixed_voltage"),
                                      solves=meta["solves"][str(idx)])
        return response, kept, meta["info"]


def clear_sweep_checkpoint(out_dir):
    """Remove the sweep checkpoint of a finished run (nothing if there is none)."""
    shutil.rmtree(Path(out_dir) / SWEEP_DIR, ignore_errors=True)


# --------------------------------------------------------------------- resumable sweeps
DIRECT_CHUNK = 16  # fields per checkpoint of a point-by-point sweep


def sweep_plan(nf, method):
    """How a sweep is split into fixed chunks (independent of interruptions).

    A reduced-order sweep is one chunk (its cost is a handful of full solves
    shared by all fields); a point-by-point sweep is checkpointed every
    DIRECT_CHUNK fields. Returns (method, list of index arrays)."""
    from .sweep import AUTO_REDUCED_MIN_FIELDS

    if method == "reduced" or (method == "auto" and nf >= AUTO_REDUCED_MIN_FIELDS):
        return "reduced", [np.arange(nf)]
    return "direct", [np.arange(a, min(a + DIRECT_CHUNK, nf)) for a in range(0, nf, DIRECT_CHUNK)]


def reproducible_info(info):
    """The part of a sweep's solver info that does not change between reruns (no timings)."""
    keys = ("basis", "snapshots", "factorizations", "fallback", "tol")
    out = {k: info[k] for k in keys if k in info}
    if "error_estimate" in info:
        out["max_error_estimate"] = float(np.max(info["error_estimate"]))
    return jsonable(out)


@dataclass
class ChunkedSweep:
    """Outcome of :func:`checkpointed_sweep`: responses over all fields, the kept full
    solutions (by field index), the method used, its reproducible info and how many
    fields were taken from the checkpoint."""

    response: dict
    kept: dict
    method: str
    info: dict
    reused: int


def checkpointed_sweep(pipeline, fields, *, terminals, measurements=(), keep=(), method="auto",
                       workers=1, checkpoint=None, resume=False, progress=True):
    """:func:`~omm_fem.sweep.sweep_terminals` in fixed chunks (:func:`sweep_plan`), each saved as it finishes.

    Parameters
    ----------
    workers : int
        Point-by-point solves on a process pool of this size (1: serial, which
        keeps reruns bit-identical; pools change the last digits).
    checkpoint : omm_fem.persist.SweepCheckpoint, optional
        Where finished chunks are saved; with ``resume`` the chunks found there
        are reused instead of recomputed.

    Returns
    -------
    ChunkedSweep
    """
    from .sweep import process_pool, sweep_terminals

    fields = np.asarray(fields, float)
    keep = set(int(k) for k in keep)
    method, chunks = sweep_plan(len(fields), method)
    executor = False if workers == 1 else process_pool(workers)
    parts, kept, infos, reused = [], {}, [], 0
    try:
        for k, idx in enumerate(chunks):
            done = checkpoint.load(k) if (checkpoint is not None and resume) else None
            if done is None:
                res = sweep_terminals(pipeline, fields[idx], terminals=terminals,
                                      measurements=measurements,
                                      keep=[i for i, j in enumerate(idx) if j in keep],
                                      method=method, executor=executor, progress=progress)
                done = (res.response, res.kept, reproducible_info(res.info))
                if checkpoint is not None:
                    checkpoint.save(k, *done)
            else:
                reused += len(idx)
            parts.append(done[0])
            kept.update({int(idx[i]): sol for i, sol in done[1].items()})
            infos.append(done[2])
    finally:
        if executor:
            executor.shutdown()
    resp = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    return ChunkedSweep(response=resp, kept=kept, method=method,
                        info=infos[0] if len(infos) == 1 else {"chunks": len(infos)},
                        reused=reused)

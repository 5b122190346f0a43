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
  chunk in ``OUT/.sweep-checkpoint/`` (removed once results.json is written,
  and when a run without ``--resume`` starts);
* transients: :class:`omm_fem.transient.checkpoint.Checkpoint`, one store
  ``OUT/checkpoint.npz`` with the stepper's state.
"""
from __future__ import annotations

import contextlib
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .checks import file_problem
from .chunk_checks import check_drive, check_info
from .errors import OmmError
from .io import SWEEP_DIR, Contents, atomic_write, ensure_dir, jsonable, remove_sweep_chunks
from .provenance import config_hash, mesh_hash

FORMAT = 2
STORE_MAX_BYTES = 2**40  # the largest store read (1 TiB): a bound, checked with the file type
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
        ensure_dir(self.path.parent)

        def write(tmp):
            with open(tmp, "wb") as fh:
                np.savez(fh, **data)

        return atomic_write(self.path, write, suffix=".npz")

    def load(self):
        """``(meta, arrays)`` of the file, or None when there is none.

        Raises
        ------
        OmmError
            The file cannot be read (it is not a regular file: a folder, a FIFO or a
            device, which is never opened), or it belongs to another run (fingerprint).
        """
        if not self.path.exists():
            return None
        where = f"checkpoint {str(self.path)!r}"
        problem = file_problem(self.path, STORE_MAX_BYTES)
        if problem is not None:  # a FIFO would block the read until a writer appears
            raise OmmError(f"{where} cannot be read (it {problem}); run without --resume to "
                           "start over")
        try:
            with open(self.path, "rb") as fh:  # closed even when numpy fails on a damaged zip
                z = np.load(fh, allow_pickle=False)
                if not isinstance(z, np.lib.npyio.NpzFile):  # a bare .npy array
                    raise ValueError("it is a single array, not an .npz archive of metadata "
                                     "and arrays")
                data = {k: z[k] for k in z.files}
            if "meta" not in data:
                raise ValueError(f"it has no config hash (no metadata), only {sorted(data)}")
            meta = json.loads(str(data.pop("meta")))
            if not isinstance(meta, dict) or not isinstance(meta.get("fingerprint", {}), dict):
                raise ValueError("its metadata is not a table with a fingerprint")
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


_KEPT = ("B", "n", "phi", "voltages", "currents", "delta_I_fixed_voltage")


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
    tag : str
        Lower-case letters and digits naming one of several sweeps of a run (a
        measurement's own drive, a parameter-sweep point): its chunks are
        ``chunk_TAG_NNNN.npz``; "" (the run's own sweep): ``chunk_NNNN.npz``.
    """

    def __init__(self, out_dir, fingerprint, contacts, tag=""):
        if tag and not re.fullmatch(r"[a-z0-9]+", tag):
            raise ValueError(f"SweepCheckpoint: tag {tag!r} must be lower-case letters and digits")
        self.dir = Path(out_dir) / SWEEP_DIR
        self.fingerprint = fingerprint
        self.contacts = list(contacts)
        self.tag = tag

    def path(self, k):
        return self.dir / f"chunk_{self.tag + '_' if self.tag else ''}{k:04d}.npz"

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

    def load(self, k, expect=None):
        """Chunk k as (response, kept, info), or None if absent.

        Parameters
        ----------
        expect : dict, optional
            What the chunk must hold: ``rows`` (its number of fields),
            ``response`` ({key: shape of one row}), ``kept`` (the indices in
            the chunk of the full solutions to keep), ``ndofs`` and ``drive``
            (current-driven mask, alpha^0 voltages and currents of the contacts:
            the chunk's contact values must carry that drive); with ``expect``
            the solver info may hold only what :func:`reproducible_info` keeps.

        Raises
        ------
        OmmError
            The chunk belongs to another run, cannot be read, or holds
            something else than ``expect`` (or than any chunk: responses of
            unequal lengths, incomplete kept solutions, non-finite values).
        """
        from .steady import FieldSolution

        got = NpzStore(self.path(k), self.fingerprint).load()
        if got is None:
            return None
        meta, data = got
        chk, exp = Contents(self.path(k)), dict(expect or {})
        info = chk.entry(meta, "info", "dict", "info")
        if expect is not None:  # a run's chunk: its info is echoed into results.json
            check_info(chk, info)
        solves = chk.entry(meta, "solves", "dict", "solves")
        rows, shapes = exp.get("rows"), exp.get("response")
        names = sorted(key[5:] for key in data if key.startswith("resp_"))
        if (shapes is not None and names != sorted(shapes)) or not names:
            raise chk.error(f"its responses are {names}, expected "
                            f"{sorted(shapes) if shapes else 'resp_* arrays'}")
        response = {}
        for name in names:
            shape = None if shapes is None else (rows, *shapes[name])
            response[name] = arr = chk.array(data, f"resp_{name}", shape)
            rows = arr.shape[0] if rows is None and arr.ndim else rows
            if arr.ndim == 0 or arr.shape[0] != rows:
                raise chk.error(f"array 'resp_{name}' has shape {arr.shape}, expected {rows} rows")
        check_drive(chk, response, exp.get("drive"), self.contacts)
        found = set()
        for key in data:
            if key.startswith("kept_"):
                idx = key.split("_")[1]
                if not idx.isdigit() or int(idx) >= rows:
                    raise chk.error(f"array {key!r} names no field of the chunk ({rows} fields)")
                found.add(int(idx))
        if "kept" in exp and found != set(exp["kept"]):
            raise chk.error(f"it keeps the full solutions of fields {sorted(found)} of the chunk, "
                            f"expected {sorted(exp['kept'])}")
        nd, nc = exp.get("ndofs"), len(self.contacts)
        shape = {"B": (3,), "n": (3, nd), "phi": (nd,), "voltages": (nc,), "currents": (nc,),
                 "delta_I_fixed_voltage": (nc,)}
        kept = {}
        for idx in sorted(found):
            g = {key: chk.array(data, f"kept_{idx}_{key}", shape[key]) for key in _KEPT}
            named = {key: dict(zip(self.contacts, g[key].tolist())) for key in _KEPT[3:]}
            kept[idx] = FieldSolution(B=g["B"], n=g["n"], phi=g["phi"], **named,
                                      solves=chk.entry(solves, str(idx), "int",
                                                       f"solves[{idx}]", low=0))
        return response, kept, info

    def clear(self):
        """Remove the chunks of this sweep (its tag), then the folder when empty; the chunks
        of the run's other sweeps and any other file there are left alone."""
        own = re.compile(rf"^chunk_{self.tag + '_' if self.tag else ''}\d{{4,}}\.npz$")
        if self.dir.is_dir():
            for p in self.dir.iterdir():
                if own.match(p.name):
                    p.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                self.dir.rmdir()  # only when empty


def clear_sweep_checkpoint(out_dir):
    """Remove the sweep checkpoint of a finished run: every chunk of every sweep and the
    temporary files (nothing if there is none)."""
    remove_sweep_chunks(Path(out_dir) / SWEEP_DIR)


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
    if checkpoint is not None and not resume:
        checkpoint.clear()  # chunks of an earlier run would block a later --resume
    shapes = drive = None
    if checkpoint is not None and resume:
        zeroth = terminals.zeroth_order()
        shapes = {key: val.shape[1:] for key, val in zeroth.items()}
        drive = ([pipeline.problem.contacts[c].current is not None for c in terminals.contacts],
                 zeroth["V"][0], zeroth["I"][0])
    executor = False if workers == 1 else process_pool(workers)
    parts, kept, infos, reused = [], {}, [], 0
    try:
        for k, idx in enumerate(chunks):
            expect = {"rows": len(idx), "response": shapes, "ndofs": pipeline.disc.ndofs,
                      "kept": [i for i, j in enumerate(idx) if j in keep], "drive": drive}
            done = checkpoint.load(k, expect) if (checkpoint is not None and resume) else None
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

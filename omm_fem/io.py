"""Result files: atomic text/JSON/CSV writes and VTU export of the fields.

Every file is written to a temporary name in the destination directory
(``.NAME.omm-tmp-XXXXXXXX.SUFFIX``) and renamed into place, so an interrupted
run never leaves a truncated file; a write that fails (a full disk, a
vanished directory) is an :class:`~omm_fem.errors.OmmError` naming the file
and, when the output directory holds a checkpoint, saying that ``--resume``
continues from it. A temporary file survives only a kill (SIGKILL, power
loss); :func:`prepare_out_dir`, called at the start of ``omm-fem run``,
removes such leftovers and, for a run without ``--resume``, the files an
earlier run wrote there (:data:`RUN_OUTPUTS`), never other files.
:class:`Contents` checks what a file read back (a checkpoint) holds.
"""
from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import re
import tempfile
from pathlib import Path

import numpy as np

from .checks import is_integer, is_real
from .errors import OmmError, bad_value

# the largest |n| [C/m^2] of a state read back (a final_state.npz, a checkpoint): no drive
# within the contact limits comes near it, and the norms of such a state overflow
MAX_STATE_C_PER_M2 = 1e100


def jsonable(obj):
    """``obj`` with numpy arrays and scalars as plain Python values (non-finite floats -> None,
    negative zero -> 0.0).

    Dict keys become strings, tuples become lists; other objects are returned unchanged.
    """
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, (np.floating, float)):
        v = float(obj) + 0.0  # + 0.0: -0.0 becomes 0.0 (a product with a zero factor)
        return v if math.isfinite(v) else None
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, Path):
        return str(obj)
    return obj


_jsonable = jsonable  # former private name, still imported


def check_out_dir(path, name="--out"):
    """Refuse, before any work, an output directory that cannot be created or written.

    Creates nothing: ``path`` must be a directory or not exist yet, and its
    nearest existing ancestor a writable directory.
    """
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise OmmError(f"{name} {str(path)!r} is an existing file, not a directory; choose a "
                       "directory (it is created if missing)")
    anc = p if p.exists() else next((a for a in p.absolute().parents if a.exists()), None)
    if anc is None or not anc.is_dir():
        raise OmmError(f"{name} {str(path)!r} cannot be created: {str(anc)!r} is a file")
    if not os.access(anc, os.W_OK | os.X_OK):
        raise OmmError(f"{name} {str(path)!r} is not writable ({str(anc)!r} does not allow it)")
    return p


def ensure_dir(path):
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OmmError(f"output directory {str(path)!r} cannot be created: {exc}") from None
    return path


SWEEP_DIR = ".sweep-checkpoint"  # finished chunks of a field sweep (omm_fem.persist)
TRANSIENT_CHECKPOINT = "checkpoint.npz"  # a transient's checkpoint (omm_fem.transient.checkpoint)
TEMP_TAG = ".omm-tmp-"
# a temporary name of atomic_write: ".NAME.omm-tmp-" + mkstemp's 8 characters + suffix
TEMP_NAME = re.compile(r"^\..+\.omm-tmp-[a-z0-9_]{8}(\.[A-Za-z0-9]+)?$")
# the files 'omm-fem run' writes into --out (steady runs, sweeps and transients)
RUN_OUTPUTS = re.compile(r"^(results\.json|fields\.vtu|fields_sweep_\d{4,}\.vtu|fields_\d{4,}\.vtu"
                         r"|fields\.pvd|fields\.xdmf|fields_sweep\.xdmf|sweep\.csv"
                         r"|measurements\.csv|map\.png|profiles\.png|hmr\.png|traces\.csv"
                         r"|traces\.png|nz\.gif|final_state\.npz|checkpoint\.npz)$")
CHUNK_NAME = re.compile(r"^chunk_(?:[a-z0-9]+_)?\d{4,}\.npz$")  # a chunk in SWEEP_DIR (tagged: of a
# measurement's own drive or of a parameter-sweep point, omm_fem.persist.SweepCheckpoint)
# the temporary names of earlier versions, ".NAME.XXXXXXXX.SUFFIX", recognised for NAME in
# RUN_OUTPUTS or a chunk only
_OLD_TEMP = re.compile(r"^\.(?P<name>.+)\.[a-z0-9_]{8}(?P<suffix>\.[A-Za-z0-9]+)?$")


def atomic_write(path, writer, suffix=""):
    """Call ``writer(tmp_path)`` then rename the temporary file to ``path``.

    Raises
    ------
    OmmError
        The file cannot be written (an ``OSError`` of ``writer``, of the
        temporary file or of the rename: a full disk, no permission); the
        temporary file is removed and an older ``path`` is left unchanged.
    """
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}{TEMP_TAG}", suffix=suffix or path.suffix,
                                   dir=path.parent)
    except OSError as exc:
        raise write_error(path, exc) from None
    try:
        os.close(fd)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; results are ordinary files
        writer(tmp)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            if os.path.exists(tmp):
                os.unlink(tmp)
        if isinstance(exc, OSError):
            raise write_error(path, exc) from None
        raise
    return path


def write_error(path, exc):
    """The :class:`OmmError` of a failed write of ``path`` (``exc`` an ``OSError``)."""
    path = Path(path)
    code = errno.errorcode.get(exc.errno)
    why = f"{exc.strerror or exc}" + (f" ({code})" if code else "")
    full = exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))
    fix = "free disk space" if full else "remove the cause"
    out = path.parent.parent if path.parent.name == SWEEP_DIR else path.parent
    ckpt, sweep = out / TRANSIENT_CHECKPOINT, out / SWEEP_DIR
    then = "then run again"
    with contextlib.suppress(OSError):
        if ckpt.is_file():
            then = (f"then 'omm-fem run --resume' continues from the checkpoint {str(ckpt)!r} "
                    "(the last one saved)")
        elif sweep.is_dir() and any(CHUNK_NAME.match(p.name) for p in sweep.iterdir()):
            then = (f"then 'omm-fem run --resume' reuses the finished sweep chunks in "
                    f"{str(sweep)!r}")
    return OmmError(f"could not write {str(path)!r}: {why}; no partial file is left (an earlier "
                    f"file of that name is unchanged); {fix}, {then}")


def _is_temp(name):
    """A temporary name of :func:`atomic_write` (or of an earlier version's, for an output)."""
    if TEMP_NAME.match(name):
        return True
    m = _OLD_TEMP.match(name)
    if m is None or not m["name"].endswith(m["suffix"] or ""):
        return False
    return bool(RUN_OUTPUTS.match(m["name"]) or CHUNK_NAME.match(m["name"]))


def _remove(paths):
    gone = []
    for p in paths:
        with contextlib.suppress(FileNotFoundError):
            if p.is_symlink() or p.is_file():
                try:
                    p.unlink()
                except OSError as exc:
                    raise OmmError(f"--out: cannot remove the stale file {str(p)!r} of an "
                                   f"earlier run: {exc.strerror or exc}") from None
                gone.append(p)
    return gone


def _entries(directory):
    try:
        return list(Path(directory).iterdir())
    except OSError:  # missing, not a folder, not readable: nothing of ours to remove
        return []


def remove_stale_temps(out_dir):
    """Delete the temporary files that killed writes left in ``out_dir`` and its sweep
    checkpoint folder (names of :data:`TEMP_NAME` only); returns the removed paths."""
    out = Path(out_dir)
    found = [p for d in (out, out / SWEEP_DIR) for p in _entries(d) if _is_temp(p.name)]
    gone = _remove(found)
    with contextlib.suppress(OSError):
        (out / SWEEP_DIR).rmdir()  # only when empty
    return gone


def clear_run_outputs(out_dir, keep=()):
    """Delete what an earlier ``omm-fem run`` wrote into ``out_dir``: the files named by
    :data:`RUN_OUTPUTS` and the chunks of its sweep checkpoint (the folder too once
    empty), except the paths in ``keep`` (the new run's inputs). Returns the removed paths."""
    out = Path(out_dir)
    kept = set()
    for k in keep:
        if k is not None:
            with contextlib.suppress(OSError):
                kept.add(Path(k).resolve())
    gone = _remove([p for p in _entries(out) if RUN_OUTPUTS.match(p.name)
                    and p.resolve() not in kept])
    return gone + remove_sweep_chunks(out / SWEEP_DIR)


def remove_sweep_chunks(sweep_dir):
    """Delete the chunks (and temporary files) of a sweep checkpoint folder, then the folder
    when empty (a file of the user's there stays); returns the removed paths."""
    gone = _remove([p for p in _entries(sweep_dir) if CHUNK_NAME.match(p.name)
                    or _is_temp(p.name)])
    with contextlib.suppress(OSError):
        Path(sweep_dir).rmdir()
    return gone


def prepare_out_dir(out_dir, *, resume, keep=()):
    """Start of a run into ``out_dir``: remove stale temporary files, and without
    ``resume`` the outputs and checkpoints of an earlier run (:func:`clear_run_outputs`)."""
    gone = remove_stale_temps(out_dir)
    if not resume:
        gone += clear_run_outputs(out_dir, keep)
    return gone


def _finite(v):
    try:
        return math.isfinite(v)
    except OverflowError:  # an int beyond the float range
        return False


_KINDS = {"int": "an integer", "float": "a finite number", "bool": "true or false",
          "list": "a list", "dict": "a table", "str": "a string"}


class Contents:
    """Checks of what a loaded store holds; a failure is an :class:`OmmError` that names
    the file, the entry and what is wrong, and says to run without ``--resume``.

    Parameters
    ----------
    path : path
        The store's file (for the messages).
    """

    def __init__(self, path):
        self.path = Path(path)

    def error(self, what):
        """The OmmError of a damaged store (``what``: which entry, what is wrong)."""
        return OmmError(f"--resume: checkpoint {str(self.path)!r} is damaged: {what}; it cannot be "
                        "continued: run without --resume to start over")

    def entry(self, tab, key, kind, where, *, low=None, high=None, optional=False):
        """``tab[key]``, of ``kind`` (a key of ``_KINDS``) and for numbers in [low, high].

        ``optional``: None is accepted (and returned).
        """
        if not isinstance(tab, dict) or key not in tab:
            raise self.error(f"it has no {where}")
        v = tab[key]
        if v is None and optional:
            return None
        ok = {"int": is_integer(v), "float": is_real(v) and _finite(v),
              "bool": isinstance(v, bool), "list": isinstance(v, list),
              "dict": isinstance(v, dict), "str": isinstance(v, str)}[kind]
        if ok and kind in ("int", "float"):
            ok = (low is None or v >= low) and (high is None or v <= high)
        if not ok:
            rng = "" if low is None and high is None else (
                f" in [{low}, {high}]" if low is not None and high is not None
                else f" >= {low}" if low is not None else f" <= {high}")
            raise self.error(bad_value(where, v, f"expected {_KINDS[kind]}{rng}"))
        return v

    def array(self, arrays, name, shape=None, *, finite=True, bound=None):
        """``arrays[name]``: numeric, of ``shape`` (None entries: any length; None: any
        shape), with ``finite`` without nan or inf, with ``bound`` of magnitude at most
        ``bound`` (:data:`MAX_STATE_C_PER_M2` for n in C/m^2)."""
        if name not in arrays:
            raise self.error(f"it has no array {name!r}")
        a = arrays[name]
        fits = shape is None or (a.ndim == len(shape) and all(
            want is None or want == got for want, got in zip(shape, a.shape)))
        if a.dtype.kind not in "iuf" or not fits:
            want = "" if shape is None else " of shape " + str(tuple(
                "any" if n is None else n for n in shape)).replace("'", "")
            raise self.error(f"array {name!r} has shape {a.shape} and type {a.dtype}, expected "
                             f"numbers{want}")
        if finite and not np.all(np.isfinite(a)):
            raise self.error(f"array {name!r} holds non-finite values (nan or inf)")
        if bound is not None and a.size and float(np.abs(a).max()) > bound:
            raise self.error(f"array {name!r} holds values up to {float(np.abs(a).max()):.3g}, "
                             f"above {bound:.3g} (n of at most MAX_STATE_C_PER_M2 = "
                             f"{MAX_STATE_C_PER_M2:g} C/m^2)")
        return a


def write_json(path, data):
    """Write ``data`` as indented JSON (numpy types converted, NaN -> null)."""
    text = json.dumps(jsonable(data), indent=2, allow_nan=False)

    def w(tmp):
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")

    return atomic_write(path, w)


def write_text(path, text):
    """Write the string ``text`` to ``path`` atomically (UTF-8, newlines kept as given)."""

    def w(tmp):
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)

    return atomic_write(path, w)


def write_csv(path, header, columns):
    """Write equal-length columns with a header line."""
    arr = np.column_stack([np.asarray(c, float) for c in columns])

    def w(tmp):
        np.savetxt(tmp, arr, delimiter=",", header=",".join(header), comments="")

    return atomic_write(path, w)


def write_vtu(path, pipeline, sol, cell_fields, time=None):
    """VTU of a solution at every DOF (P2: 6-node triangles) with the cell fields:
    :func:`omm_fem.fieldfiles.write_vtu`."""
    from .fieldfiles import write_vtu as _write

    return _write(path, pipeline, sol, cell_fields, time=time)

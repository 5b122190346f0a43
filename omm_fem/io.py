"""Result files: atomic text/JSON/CSV writes and VTU export of the fields.

Every file is written to a temporary name in the destination directory and
renamed into place, so an interrupted run never leaves a truncated file.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np

from .errors import OmmError


def jsonable(obj):
    """``obj`` with numpy arrays and scalars as plain Python values (non-finite floats -> None).

    Dict keys become strings, tuples become lists; other objects are returned unchanged.
    """
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, (np.floating, float)):
        v = float(obj)
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


def atomic_write(path, writer, suffix=""):
    """Call ``writer(tmp_path)`` then rename the temporary file to ``path``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix or path.suffix,
                               dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; results are ordinary files
    try:
        writer(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


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


def write_vtu(path, pipeline, sol, cell_fields):
    """VTU of the vertex fields (n as a 3-vector, phi, phi0) and cell fields.

    Parameters
    ----------
    cell_fields : dict[str, ndarray]
        Element data; (nelems, 2) vectors are padded to 3 components.
    """
    import meshio

    disc = pipeline.disc
    mesh = disc.problem.mesh
    nv = mesh.p.shape[1]  # vertex DOFs come first for P1 and P2
    points = np.column_stack([mesh.p.T, np.zeros(nv)])
    point_data = {"n_C_per_m2": np.ascontiguousarray(sol.n[:, :nv].T),
                  "phi_V": sol.phi[:nv], "phi0_V": pipeline.phi0[:nv]}
    cdata = {}
    for name, val in cell_fields.items():
        val = np.asarray(val, float)
        if val.ndim == 2 and val.shape[1] == 2:
            val = np.column_stack([val, np.zeros(len(val))])
        cdata[name] = [val]
    m = meshio.Mesh(points, [("triangle", mesh.t.T.astype(np.int64))], point_data=point_data,
                    cell_data=cdata)
    return atomic_write(path, lambda tmp: meshio.write(tmp, m, file_format="vtu"), suffix=".vtu")

"""Meshes from files: gmsh ``.msh`` and other meshio formats with named tags.

Physical curves (line cells with a name) become boundary tags, physical
surfaces (named triangle sets) become regions. Coordinates are multiplied by
``scale`` to give metres.
"""
from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np

from ..checks import file_problem, real
from ..errors import MeshError, shorten, show
from .tagged import tagged_mesh

MESH_MAX_BYTES = 2 * 10**9  # the largest mesh file read (2 GB), checked before reading


def load_mesh(path, *, scale=1.0):
    """Read a tagged triangle mesh.

    Parameters
    ----------
    path : str or Path
        Mesh file (any format meshio reads; gmsh 2.2/4.x ``.msh`` with
        physical names is the usual one).
    scale : float
        Factor converting file coordinates to metres (e.g. 1e-6 for um).

    The file must be a regular file (a symbolic link is followed) of at most
    :data:`MESH_MAX_BYTES`; both are checked before it is read.
    """
    import meshio

    path = Path(path)
    problem = file_problem(path, MESH_MAX_BYTES)
    if problem is not None:
        raise MeshError(f"mesh file {show(str(path))} {problem}")
    real("geometry.scale", scale, positive=True, error=MeshError,
         message="must be a finite factor > 0")
    try:
        # meshio prints to stdout/stderr and calls sys.exit() on unknown formats
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            m = meshio.read(path)
    except (Exception, SystemExit) as exc:  # many exception types for damaged files
        raise MeshError(f"mesh file {show(str(path))} cannot be read: {type(exc).__name__}: "
                        f"{shorten(exc)}") from None
    tris = [c.data for c in m.cells if c.type == "triangle"]
    if not tris:
        kinds = sorted({c.type for c in m.cells})
        raise MeshError(f"mesh file {show(str(path))}: no 3-node triangles (cell types: {kinds})")
    offsets, start = {}, 0
    for k, c in enumerate(m.cells):
        offsets[k] = start if c.type == "triangle" else None
        if c.type == "triangle":
            start += len(c.data)
    edges, regions = {}, {}
    for name, blocks in m.cell_sets.items():
        if name.startswith("gmsh:"):
            continue
        for k, idx in enumerate(blocks):
            if idx is None or len(idx) == 0:
                continue
            cell = m.cells[k]
            if cell.type == "line":
                edges.setdefault(name, []).append(cell.data[np.asarray(idx)])
            elif cell.type == "triangle":
                regions.setdefault(name, []).append(offsets[k] + np.asarray(idx))
    edges = {n: np.concatenate(v) for n, v in edges.items()}
    regions = {n: np.concatenate(v) for n, v in regions.items()}
    pts = np.asarray(m.points, dtype=float)[:, :2] * scale
    if np.asarray(m.points).shape[1] == 3 and np.ptp(np.asarray(m.points)[:, 2]) > 0:
        raise MeshError(f"mesh file {show(str(path))}: the mesh is not planar (z varies)")
    return tagged_mesh(pts, np.concatenate(tris), edges, regions,
                       source=f"mesh file {show(path.name)}")

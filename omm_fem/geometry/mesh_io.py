"""Meshes from files: gmsh ``.msh`` and other meshio formats with named tags.

Physical curves (line cells with a name) become boundary tags, physical
surfaces (named triangle sets) become regions. Coordinates are multiplied by
``scale`` to give metres. meshio makes no named sets of a gmsh MSH 2.2 file;
such a file (physical tags, with or without ``$PhysicalNames``) is read with
gmsh's own API instead (a group without a name is called ``DIM_TAG``, e.g. ``1_3``).
"""
from __future__ import annotations

import contextlib
import io
import logging
import time
from pathlib import Path

import numpy as np

from ..checks import file_problem, real
from ..errors import MeshError, shorten, show
from .tagged import tagged_mesh

log = logging.getLogger(__name__)
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

    t0 = time.perf_counter()
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
    named = [n for n in m.cell_sets if not n.startswith("gmsh:")]
    if not named and path.suffix.lower() == ".msh" and "gmsh:physical" in m.cell_data:
        return _read_with_gmsh(path, scale)  # MSH 2.2: tags in gmsh:physical, names aside
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
    mesh = tagged_mesh(pts, np.concatenate(tris), edges, regions,
                       source=f"mesh file {show(path.name)}")
    log.info("mesh file %s read: %d nodes, %d triangles, %.1f s", path.name, mesh.p.shape[1],
             mesh.t.shape[1], time.perf_counter() - t0)
    return mesh


def _read_with_gmsh(path, scale):
    """A gmsh file whose physical groups meshio does not name (MSH 2.2), read by gmsh."""
    from .gmsh_tools import gmsh_session, to_skfem

    source = f"mesh file {show(path.name)}"
    with gmsh_session(path.name) as gmsh:
        try:
            gmsh.open(str(path))
        except Exception as exc:  # gmsh raises plain Exception
            raise MeshError(f"{source}: meshio reads no named physical groups from it and gmsh "
                            f"cannot read it ({shorten(exc)}); write it as MSH 4.1 (gmsh "
                            "-save -format msh41) with named physical groups") from None
        if not gmsh.model.getPhysicalGroups():
            raise MeshError(f"{source}: no physical groups; name the contacts and the sample in "
                            "gmsh (Physical Curve, Physical Surface)")
        return to_skfem(gmsh, source=source, scale=scale)

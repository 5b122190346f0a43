"""Thin helpers around the gmsh API: a session, edge-graded size fields, and
conversion of the generated mesh (with physical groups) to a tagged skfem mesh.

Physical curves become named boundaries, physical surfaces named subdomains.
"""
from __future__ import annotations

import contextlib
import logging
import math
import time

import numpy as np

from ..errors import MeshError, OmmError, shorten
from .tagged import tagged_mesh

log = logging.getLogger(__name__)
EDGE_TARGET = 0.7  # gmsh target / requested maximum edge length in graded bands


@contextlib.contextmanager
def gmsh_session(name="omm_fem"):
    """Initialise gmsh quietly and single-threaded (deterministic), finalise on exit.

    An exception of gmsh inside the session (a failed meshing, memory
    exhausted) becomes a :class:`MeshError` naming the geometry ``name``.
    """
    import gmsh

    if gmsh.isInitialized():
        gmsh.finalize()
    gmsh.initialize(readConfigFiles=False, interruptible=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.option.setNumber("General.Verbosity", 1)
        gmsh.option.setNumber("General.NumThreads", 1)
        gmsh.model.add(name)
        try:
            yield gmsh
        except OmmError:
            raise
        except Exception as exc:  # gmsh raises plain Exception (and MemoryError)
            raise MeshError(f"gmsh could not mesh the {name} geometry: {type(exc).__name__}: "
                            f"{shorten(exc) or 'no message'}; try a larger mesh.edge_size or "
                            "mesh.size") from None
    finally:
        gmsh.finalize()


def mesh_geo_file(geo, out, *, edge_size=None, size=None):
    """Mesh a gmsh ``.geo`` file into the MSH 4.1 (ASCII) file ``out``; returns ``out``.

    ``edge_size`` and ``size`` [m] (None: the file's defaults) reach the .geo
    through ONELAB, where its ``DefineConstant`` reads them.
    """
    from pathlib import Path

    with gmsh_session() as gmsh:
        if edge_size is not None:
            gmsh.onelab.setNumber("edge_size", [edge_size])
        if size is not None:
            gmsh.onelab.setNumber("size", [size])
        gmsh.open(str(geo))
        gmsh.model.mesh.generate(2)
        gmsh.option.setNumber("Mesh.MshFileVersion", 4.1)
        gmsh.option.setNumber("Mesh.Binary", 0)
        gmsh.write(str(out))
    return Path(out)


def graded_size_field(gmsh, curves, *, size, edge_size, layer, growth=0.15):
    """Background size field: elements of at most ``edge_size`` within ``layer``
    of ``curves``, growing linearly with distance (ratio ``1 + growth`` per
    element) up to ``size``.

    gmsh treats sizes as targets and produces edges up to ~1.4x longer, so the
    target is ``EDGE_TARGET * edge_size`` to make ``edge_size`` an upper bound
    (checked by the strip-accuracy tests). Without graded curves the mesh is
    uniform with element size ``size``.
    """
    edge_size = EDGE_TARGET * edge_size
    opt = gmsh.option
    opt.setNumber("Mesh.MeshSizeExtendFromBoundary", 0)
    opt.setNumber("Mesh.MeshSizeFromPoints", 0)
    opt.setNumber("Mesh.MeshSizeFromCurvature", 0)
    opt.setNumber("Mesh.MeshSizeMax", size)
    opt.setNumber("Mesh.MeshSizeMin", min(size, edge_size))
    if not curves or edge_size >= size:
        return
    fld = gmsh.model.mesh.field
    dist = fld.add("Distance")
    fld.setNumbers(dist, "CurvesList", list(curves))
    # the distance is measured to points sampled along each curve: their spacing
    # must stay well below the band width, or the band breaks up between samples on
    # long curves (a 60 um edge had boundary elements of 4.7 edge_size at 200 samples)
    longest = max(_curve_length(gmsh, c) for c in curves)
    fld.setNumber(dist, "Sampling", max(200, math.ceil(8 * longest / layer)))
    thr = fld.add("Threshold")
    fld.setNumber(thr, "InField", dist)
    fld.setNumber(thr, "SizeMin", edge_size)
    fld.setNumber(thr, "SizeMax", size)
    fld.setNumber(thr, "DistMin", layer)
    fld.setNumber(thr, "DistMax", layer + (size - edge_size) / growth)
    fld.setAsBackgroundMesh(thr)


def _curve_length(gmsh, curve, samples=64):
    """Length of a model curve [m] (polyline through ``samples`` parameter values)."""
    lo, hi = gmsh.model.getParametrizationBounds(1, curve)
    t = np.linspace(lo[0], hi[0], samples)
    xyz = np.asarray(gmsh.model.getValue(1, curve, t)).reshape(-1, 3)
    return float(np.sum(np.linalg.norm(np.diff(xyz, axis=0), axis=1)))


def generate(gmsh, algorithm=6):
    """Mesh the 2D model (Frontal-Delaunay by default); logs the sizes and the time."""
    t0 = time.perf_counter()
    gmsh.option.setNumber("Mesh.Algorithm", algorithm)
    gmsh.model.mesh.generate(2)
    log.info("meshing (gmsh): %d nodes, %d triangles, %.1f s",
             gmsh.option.getNumber("Mesh.NbNodes"), gmsh.option.getNumber("Mesh.NbTriangles"),
             time.perf_counter() - t0)


def to_skfem(gmsh, source="generated mesh", scale=1.0):
    """Convert gmsh's current 2D mesh into a MeshTri with named boundaries and subdomains.

    Only linear 3-node triangles are accepted. Physical curves become named
    boundaries, physical surfaces named subdomains (a group without a name is
    called ``DIM_TAG``, e.g. ``1_3``). Coordinates are multiplied by ``scale``
    (file units to metres); a mesh whose z varies is refused.
    """
    tags, coords, _ = gmsh.model.mesh.getNodes()
    coords = np.asarray(coords).reshape(-1, 3)
    if len(coords) and np.ptp(coords[:, 2]) > 0:
        raise MeshError(f"{source}: the mesh is not planar (z varies)")
    coords = coords[:, :2] * scale
    order = np.argsort(tags)
    sorted_tags = np.asarray(tags)[order]

    def index(node_tags):
        return order[np.searchsorted(sorted_tags, np.asarray(node_tags))]

    tri_tags, tri_nodes = [], []
    for dim, ent in gmsh.model.getEntities(2):
        etypes, etags, enodes = gmsh.model.mesh.getElements(dim, ent)
        for et, etg, en in zip(etypes, etags, enodes):
            if et != 2:
                raise MeshError(f"{source}: element type {et} found; only 3-node triangles "
                                "are supported")
            tri_tags.append(np.asarray(etg))
            tri_nodes.append(index(en).reshape(-1, 3))
    if not tri_nodes:
        raise MeshError(f"{source}: no triangles")
    ttags = np.concatenate(tri_tags)
    elem_sorter = np.argsort(ttags)
    edges, regions = {}, {}
    for dim, ptag in gmsh.model.getPhysicalGroups():
        name = gmsh.model.getPhysicalName(dim, ptag) or f"{dim}_{ptag}"
        for ent in gmsh.model.getEntitiesForPhysicalGroup(dim, ptag):
            _, etags, enodes = gmsh.model.mesh.getElements(dim, ent)
            if dim == 1:
                pairs = [index(en).reshape(-1, 2) for en in enodes]
                edges[name] = np.concatenate([edges.get(name, np.zeros((0, 2), np.int64))] + pairs)
            elif dim == 2:
                els = [elem_sorter[np.searchsorted(ttags, np.asarray(etg), sorter=elem_sorter)]
                       for etg in etags]
                regions[name] = np.concatenate([regions.get(name, np.zeros(0, np.int64))] + els)
    return tagged_mesh(coords, np.concatenate(tri_nodes), edges, regions, source=source)

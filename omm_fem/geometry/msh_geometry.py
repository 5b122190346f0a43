"""A planar geometry rebuilt from the elements of a gmsh ``.msh`` file, to re-mesh it.

Every boundary segment of the file's mesh becomes a straight line of a new
built-in (geo) model, so the file's boundary nodes stay where they are and
curved boundaries become the polylines the file already had. The lines of
each curve of the file keep that curve's physical groups (and names), the
plane surfaces rebuilt from the loops keep the physical surfaces. Meshing
this model is as fast as meshing a polygon; gmsh's own reparametrisation of
discrete surfaces (``createGeometry``) is far slower on large meshes.
"""
from __future__ import annotations

import numpy as np

from ..errors import MeshError


def rebuild_from_mesh(gmsh, name):
    """Replace gmsh's current model (read from a .msh) by a geo model of its boundary.

    The boundary of each surface is found from its own elements (edges used by one
    element of it), so interfaces between regions and boundary pieces without line
    elements (in no physical curve) are kept too.

    Returns
    -------
    list of ndarray (n, 2)
        The boundary loops (file units), e.g. for the unknown estimate.

    Raises
    ------
    MeshError
        No surface elements; a surface whose boundary is not a set of closed loops.
    """
    model = gmsh.model
    surfaces = [s for _, s in model.getEntities(2)]
    tags, xyz, _ = model.mesh.getNodes()
    coords = dict(zip(np.asarray(tags).tolist(), np.asarray(xyz).reshape(-1, 3)[:, :2].tolist()))
    edges_of = {s: _boundary_edges(model, s) for s in surfaces}
    edges_of = {s: e for s, e in edges_of.items() if e}
    if not edges_of:
        raise MeshError(f"{name}: no surface elements to re-mesh from")
    curve_of = {}  # sorted node pair -> curve entity with that line element
    for _, c in model.getEntities(1):
        for et, _, en in zip(*model.mesh.getElements(1, c)):
            nodes = np.asarray(en).reshape(-1, model.mesh.getElementProperties(et)[3])[:, :2]
            curve_of.update({tuple(sorted(pq)): c for pq in nodes.tolist()})
    groups = [(d, model.getPhysicalName(d, t), [int(e) for e in model.getEntitiesForPhysicalGroup(d, t)])
              for d, t in model.getPhysicalGroups() if d in (1, 2)]
    model.remove()
    model.add(name)
    geo = model.geo
    point, line = {}, {}

    def pid(node):
        if node not in point:
            x, y = coords[node]
            point[node] = geo.addPoint(x, y, 0.0)
        return point[node]

    def segment(a, b):
        key = (min(a, b), max(a, b))
        if key not in line:
            line[key] = (a, b, geo.addLine(pid(a), pid(b)))
        return line[key]

    new_surface, all_loops = {}, []
    for s, edges in edges_of.items():
        loops = _loops(name, s, [segment(a, b) for a, b in edges])
        areas = [abs(_shoelace(np.array([coords[n] for n in nodes]))) for nodes, _ in loops]
        order = np.argsort(areas)[::-1]  # the outline (largest) first, then the holes
        ids = [geo.addCurveLoop(loops[k][1]) for k in order]
        new_surface[s] = geo.addPlaneSurface(ids)
        all_loops += [np.array([coords[n] for n in loops[k][0]]) for k in order]
    geo.synchronize()
    for d, nm, ents in groups:
        members = ([ln for key, (_, _, ln) in sorted(line.items()) if curve_of.get(key) in ents]
                   if d == 1 else [new_surface[e] for e in ents if e in new_surface])
        if members:
            model.addPhysicalGroup(d, members, name=nm)
    return all_loops


def _boundary_edges(model, surface):
    """Node pairs of the edges used by exactly one element of ``surface``."""
    count = {}
    for et, _, en in zip(*model.mesh.getElements(2, surface)):
        props = model.mesh.getElementProperties(et)
        corners = np.asarray(en).reshape(-1, props[3])[:, :props[5]]  # primary nodes
        for k in range(corners.shape[1]):
            for a, b in zip(corners[:, k].tolist(), corners[:, (k + 1) % corners.shape[1]].tolist()):
                key = (min(a, b), max(a, b))
                count[key] = count.get(key, 0) + 1
    return [key for key, n in count.items() if n == 1]


def _loops(name, surface, segs):
    """Closed loops of (node a, node b, line) segments: [(nodes, signed lines), ...]."""
    at = {}
    for k, (a, b, _) in enumerate(segs):
        at.setdefault(a, []).append(k)
        at.setdefault(b, []).append(k)
    if any(len(v) != 2 for v in at.values()):
        raise MeshError(f"{name}: the boundary of surface {surface} is not a set of closed "
                        "loops (a node on more than two boundary segments); re-mesh from the "
                        ".geo or CAD source")
    used, out = set(), []
    for start in range(len(segs)):
        if start in used:
            continue
        nodes, signed, k, node = [], [], start, segs[start][0]
        while k not in used:
            used.add(k)
            a, b, ln = segs[k]
            nodes.append(node)
            signed.append(ln if node == a else -ln)
            node = b if node == a else a
            k = next(j for j in at[node] if j != k) if len(at[node]) == 2 else k
        out.append((nodes, signed))
    return out


def _shoelace(P):
    Q = np.roll(P, -1, axis=0)
    return 0.5 * float(np.sum(P[:, 0] * Q[:, 1] - Q[:, 0] * P[:, 1]))

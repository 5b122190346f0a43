"""Structured graded meshes of rectangles and Hall bars (rectilinear unions of rectangles).

gmsh's frontal mesher costs about 0.2 ms per node (34 s for 187k nodes, 18 min
for 1M); the boundary layer of n (SPEC §6) only needs a fine spacing *normal*
to the graded boundaries. These meshes are tensor-product grids built in
numpy: along each axis the spacing follows the rule of
:func:`omm_fem.geometry.gmsh_tools.graded_size_field` as a function of the
distance ``d`` to the nearest graded line of that axis,

    h(d) = edge_size                                 for d <= layer,
    h(d) = min(size, edge_size + growth (d - layer)) beyond,

with ``edge_size`` an upper bound of the spacing (the node count along an
interval is rounded up). A Hall bar is meshed on the grid through all its
corner coordinates; grid cells outside the outline are dropped. Every cell is
split into two right triangles along the same diagonal. Elements near a
graded line are anisotropic (the spacing along the line is that of the other
axis), which resolves the one-dimensional boundary layer at a fraction of the
nodes of an isotropic mesh.

Accuracy (tests/test_structured.py, P2 strip limit with ``edge_size = ell/8``
on a representative subset of the table of tests/test_strip_accuracy.py):
Delta I/I0 within 1e-5 relative and n^z within 1e-4 of max|n^z|, as on the
gmsh mesh; n^y within 1e-3 (measured up to 5.5e-4, against 3.5e-5 on gmsh's
isotropic mesh): on cells of aspect ratio size/edge_size the Galerkin
solution of a one-dimensional layer is not one-dimensional. The error falls
with the tangential spacing (2.3e-4 at aspect 4, 9.5e-5 at aspect 1).

Tags and the region are those of :func:`omm_fem.geometry.rectangle` and
:func:`omm_fem.geometry.hall_bar`; the mesh passes the checks of
:func:`omm_fem.geometry.tagged.tagged_mesh`.
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import MeshError
from .polygon import _length, hall_bar_outline
from .tagged import tagged_mesh

__all__ = ["graded_axis", "structured_rectangle", "structured_hall_bar", "hall_bar_grid",
           "node_count"]

MAX_NODES = 5.0e7  # refuse grids beyond this many nodes before allocating them


def _cells(d, h0, size, layer, growth):
    """Number of cells ``F(d) = int_0^d ds / h(s)`` of the grading rule (vectorised)."""
    d = np.asarray(d, dtype=float)
    if size <= h0:
        return d / size
    d1 = layer + (size - h0) / growth  # where h reaches size
    lin = np.clip(d, layer, d1) - layer
    return (np.minimum(d, layer) / h0 + np.log1p(growth * lin / h0) / growth
            + np.maximum(d - d1, 0.0) / size)


def _inverse_cells(u, h0, size, layer, growth):
    """Inverse of :func:`_cells`: the distance holding ``u`` cells."""
    u = np.asarray(u, dtype=float)
    if size <= h0:
        return u * size
    d1 = layer + (size - h0) / growth
    u0 = layer / h0
    u1 = u0 + math.log(size / h0) / growth
    return np.where(u <= u0, u * h0,
                    np.where(u <= u1, layer + h0 * np.expm1(growth * (u - u0)) / growth,
                             d1 + (u - u1) * size))


def graded_axis(a, b, *, graded_a, graded_b, edge_size, size, layer, growth):
    """Node coordinates in ``[a, b]`` graded towards the ends that are graded.

    The spacing is at most ``h(d)`` (module docstring) with ``d`` the distance
    to the nearest graded end (at most ``size`` with neither end graded).

    Returns
    -------
    ndarray
        Increasing coordinates, ``a`` first and ``b`` last.
    """
    length = b - a
    rule = dict(h0=edge_size, size=size, layer=layer, growth=growth)
    if graded_a and graded_b:
        total = 2 * float(_cells(length / 2, **rule))
    elif graded_a or graded_b:
        total = float(_cells(length, **rule))
    else:
        total = length / size
    n = max(1, math.ceil(total * (1 - 1e-12)))
    u = np.arange(n + 1) * (total / n)  # equal shares of the cell count: spacing <= h
    if graded_a and graded_b:
        x = np.where(u <= total / 2, a + _inverse_cells(u, **rule),
                     b - _inverse_cells(total - u, **rule))
    elif graded_a:
        x = a + _inverse_cells(u, **rule)
    elif graded_b:
        x = b - _inverse_cells(total - u, **rule)
    else:
        x = a + u * (length / total)
    x[0], x[-1] = a, b
    return x


def _axis(breaks, graded, rule):
    """Coordinates through every breakpoint, each interval graded at its graded ends."""
    parts = [graded_axis(lo, hi, graded_a=graded[k], graded_b=graded[k + 1], **rule)
             for k, (lo, hi) in enumerate(zip(breaks[:-1], breaks[1:]))]
    return np.concatenate([parts[0]] + [p[1:] for p in parts[1:]])


def _inside(xs, ys, boxes):
    """Cells (nx - 1, ny - 1) of the grid whose centre lies in one of the boxes."""
    cx, cy = 0.5 * (xs[:-1] + xs[1:]), 0.5 * (ys[:-1] + ys[1:])
    inside = np.zeros((len(xs) - 1, len(ys) - 1), dtype=bool)
    for x0, x1, y0, y1 in boxes:
        inside |= ((cx > x0) & (cx < x1))[:, None] & ((cy > y0) & (cy < y1))[None, :]
    return inside


def node_count(xs, ys, boxes):
    """Nodes of the mesh :func:`_grid_mesh` builds (the corners of the kept cells)."""
    inside = _inside(xs, ys, boxes)
    used = np.zeros((len(xs), len(ys)), dtype=bool)
    for di in (0, 1):
        for dj in (0, 1):
            used[di:len(xs) - 1 + di, dj:len(ys) - 1 + dj] |= inside
    return int(used.sum())


def _grid_mesh(xs, ys, boxes, segments, *, source):
    """Triangulated tensor grid restricted to a union of boxes, tagged by outline segments.

    ``boxes`` (k, 4) of (x0, x1, y0, y1); ``segments`` name -> list of
    axis-aligned outline segments ((x0, y0), (x1, y1)); unnamed boundary edges
    are tagged ``edge``.
    """
    nx, ny = len(xs), len(ys)
    if nx * ny > MAX_NODES:
        raise MeshError(f"{source}: a structured grid of {nx} x {ny} nodes exceeds "
                        f"{MAX_NODES:.3g} nodes; give a larger mesh.edge_size or mesh.size")
    inside = _inside(xs, ys, boxes)
    i, j = np.nonzero(inside)
    node = np.arange(nx * ny, dtype=np.int64).reshape(nx, ny)  # node (i, j) at (xs[i], ys[j])
    n00, n10, n01, n11 = node[i, j], node[i + 1, j], node[i, j + 1], node[i + 1, j + 1]
    tri = np.concatenate([np.stack([n00, n10, n11], 1), np.stack([n00, n11, n01], 1)])
    X, Y = np.meshgrid(xs, ys, indexing="ij")
    pts = np.column_stack([X.ravel(), Y.ravel()])
    # boundary edges of the kept cells: a cell side whose neighbour is outside (or absent)
    pad = np.zeros((nx + 1, ny + 1), dtype=bool)
    pad[1:-1, 1:-1] = inside
    edges = []
    for di, dj, a, b in ((-1, 0, n00, n01), (1, 0, n10, n11), (0, -1, n00, n10), (0, 1, n01, n11)):
        outer = ~pad[i + 1 + di, j + 1 + dj]
        edges.append(np.stack([a[outer], b[outer]], 1))
    edges = np.concatenate(edges)
    mids = 0.5 * (pts[edges[:, 0]] + pts[edges[:, 1]])
    scale = max(xs[-1] - xs[0], ys[-1] - ys[0])
    tol = 1e-9 * scale
    named = np.zeros(len(edges), dtype=object)
    named[:] = "edge"
    for name, segs in segments.items():
        for (x0, y0), (x1, y1) in segs:
            on = ((np.abs(mids[:, 0] - 0.5 * (x0 + x1)) <= 0.5 * abs(x1 - x0) + tol)
                  & (np.abs(mids[:, 1] - 0.5 * (y0 + y1)) <= 0.5 * abs(y1 - y0) + tol))
            named[on] = name
    tags = {name: edges[named == name] for name in list(segments) + ["edge"]}
    return tagged_mesh(pts, tri, {k: v for k, v in tags.items() if len(v)},
                       {"channel": np.arange(len(tri))}, source=source)


def _rule(size, edge_size, layer, growth):
    edge_size = min(edge_size, size)
    return dict(edge_size=edge_size, size=size,
                layer=24 * edge_size if layer is None else layer, growth=growth)


def structured_rectangle(*, length, width, size=None, edge_size=None, layer=None,
                         grade_contacts=True, growth=0.15):
    """Structured graded mesh of ``[0, length] x [-width/2, width/2]``.

    The arguments and the tags (``source`` at x = 0, ``drain`` at x = length,
    ``edge``; subdomain ``channel``) are those of :func:`omm_fem.geometry.rectangle`;
    the spacing normal to the edges (and to the contacts with ``grade_contacts``)
    is at most ``edge_size`` within ``layer`` (default 24 edge_size).

    Returns
    -------
    skfem.MeshTri
    """
    length = _length("geometry.length", length)
    width = _length("geometry.width", width)
    size = min(length, width) / 10 if size is None else _length("mesh.size", size)
    edge_size = size if edge_size is None else _length("mesh.edge_size", edge_size)
    rule = _rule(size, edge_size, layer, growth)
    h = width / 2
    xs = graded_axis(0.0, length, graded_a=grade_contacts, graded_b=grade_contacts, **rule)
    ys = graded_axis(-h, h, graded_a=True, graded_b=True, **rule)
    return _grid_mesh(xs, ys, [(0.0, length, -h, h)],
                      {"source": [((0.0, -h), (0.0, h))], "drain": [((length, -h), (length, h))]},
                      source="rectangle mesh")


def structured_hall_bar(*, length, width, arms, arm_width, arm_length, size=None,
                        edge_size=None, layer=None, ungraded=(), growth=0.15):
    """Structured graded mesh of the Hall bar of :func:`omm_fem.geometry.hall_bar`.

    The grid passes through every corner of the outline; along each axis the
    spacing is graded towards every coordinate at which the outline has a
    graded side (all but the tags in ``ungraded``), including where that line
    continues through the interior. Same tags and subdomain as the gmsh mesh.

    Returns
    -------
    skfem.MeshTri
    """
    xs, ys, boxes, segments = hall_bar_grid(length=length, width=width, arms=arms,
                                            arm_width=arm_width, arm_length=arm_length, size=size,
                                            edge_size=edge_size, layer=layer, ungraded=ungraded,
                                            growth=growth)
    return _grid_mesh(xs, ys, boxes, segments, source="hall_bar mesh")


def hall_bar_grid(*, length, width, arms, arm_width, arm_length, size=None, edge_size=None,
                  layer=None, ungraded=(), growth=0.15):
    """(xs, ys, boxes, segments) of :func:`structured_hall_bar` (see :func:`_grid_mesh`)."""
    pts, tags = hall_bar_outline(length=length, width=width, arms=arms, arm_width=arm_width,
                                 arm_length=arm_length)
    pts = np.asarray(pts)
    size = min(length, width) / 10 if size is None else _length("mesh.size", size)
    edge_size = size if edge_size is None else _length("mesh.edge_size", edge_size)
    rule = _rule(size, edge_size, layer, growth)
    seg_name = {k: name for name, ks in tags.items() for k in ks}
    ungraded = set(ungraded)
    xg, yg = {}, {}  # coordinate -> graded (a graded side lies on it)
    for k in range(len(pts)):
        p, q = pts[k], pts[(k + 1) % len(pts)]
        graded = seg_name.get(k, "edge") not in ungraded
        if p[0] == q[0]:
            xg[p[0]] = xg.get(p[0], False) or graded
        else:
            yg[p[1]] = yg.get(p[1], False) or graded
    xb, yb = sorted(xg), sorted(yg)
    xs = _axis(xb, [xg[x] for x in xb], rule)
    ys = _axis(yb, [yg[y] for y in yb], rule)
    h, aw, al = width / 2, arm_width, arm_length
    boxes = [(0.0, length, -h, h)] + [(x - aw / 2, x + aw / 2, y0, y1) for x in map(float, arms)
                                      for y0, y1 in ((-h - al, -h), (h, h + al))]
    segments = {name: [(tuple(pts[k]), tuple(pts[(k + 1) % len(pts)])) for k in ks]
                for name, ks in tags.items()}
    return xs, ys, boxes, segments

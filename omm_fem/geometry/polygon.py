"""Polygonal samples (with holes) and the builders made from them: rectangle,
Hall bar. Named boundary pieces are whole polygon segments; every segment
without a name is tagged ``edge`` (insulating).
"""
from __future__ import annotations

import numpy as np

from ..checks import is_integer, real
from ..errors import OmmError, bad_value
from .gmsh_tools import generate, gmsh_session, graded_size_field, to_skfem

MAX_VERTICES = 5000  # polygon points (outline and holes together) a generated mesh may have


def _length(name, v):
    """A length argument [m], finite and > 0, as ``float``."""
    return real(name, v, positive=True, message="must be a finite length > 0 in metres")


def _loop(name, pts):
    try:
        arr = np.asarray(pts, dtype=float) if isinstance(pts, (list, tuple, np.ndarray)) else None
    except (TypeError, ValueError, OverflowError):
        arr = None
    if arr is None or arr.ndim != 2 or arr.shape[1] != 2 or len(arr) < 3 or not np.all(np.isfinite(arr)):
        raise OmmError(bad_value(name, pts, "expected at least three finite [x, y] points (m)"))
    seg = np.roll(arr, -1, axis=0) - arr
    if np.any(np.hypot(seg[:, 0], seg[:, 1]) == 0):
        raise OmmError(bad_value(name, pts, "consecutive points must differ"))
    area = 0.5 * np.sum(arr[:, 0] * np.roll(arr[:, 1], -1) - np.roll(arr[:, 0], -1) * arr[:, 1])
    if abs(area) <= 1e-12 * np.ptp(arr, axis=0).max() ** 2:
        raise OmmError(bad_value(name, pts, "the polygon has zero area"))
    if _self_intersects(arr):
        raise OmmError(bad_value(name, pts, "the polygon intersects itself"))
    return arr


def _segments_meet(P, Q, skip_adjacent=False):
    """True if a segment of closed loop P meets (crosses or touches) one of loop Q.

    ``skip_adjacent``: P is Q, and segments sharing a vertex are not compared.
    Orientation tests in numpy over all pairs; a touch is within 1e-12 of the
    loops' extent.
    """
    tol = 1e-12 * max(np.ptp(np.vstack([P, Q]), axis=0).max(), 1e-300)
    rows = max(1, 200_000 // len(Q))  # pairs per block: bounded memory for long outlines
    return any(_block_meets(P, Q, i, min(i + rows, len(P)), tol, skip_adjacent)
               for i in range(0, len(P), rows))


def _block_meets(P, Q, i0, i1, tol, skip_adjacent):
    """_segments_meet for the segments i0..i1-1 of P."""
    a, b = P[i0:i1], np.roll(P, -1, axis=0)[i0:i1]
    c, d = Q, np.roll(Q, -1, axis=0)

    def orient(p, q, r):  # sign of the area of (p, q, r) for all pairs (i over P, j over Q)
        return ((q[..., 0] - p[..., 0]) * (r[..., 1] - p[..., 1])
                - (q[..., 1] - p[..., 1]) * (r[..., 0] - p[..., 0]))

    A, B = a[:, None, :], b[:, None, :]
    C, D = c[None, :, :], d[None, :, :]
    d1, d2 = orient(A, B, C), orient(A, B, D)
    d3, d4 = orient(C, D, A), orient(C, D, B)
    lp = np.hypot(*(B - A).T).T
    lq = np.hypot(*(D - C).T).T
    # signed distances (area / length) against the tolerance
    s1, s2, s3, s4 = d1 / lp, d2 / lp, d3 / lq, d4 / lq
    proper = (s1 * s2 < 0) & (s3 * s4 < 0) & (np.abs(s1) > tol) & (np.abs(s2) > tol) \
        & (np.abs(s3) > tol) & (np.abs(s4) > tol)

    def on_segment(s, p, q, r):  # r within tol of the segment p-q
        lo, hi = np.minimum(p, q) - tol, np.maximum(p, q) + tol
        return (np.abs(s) <= tol) & np.all((r >= lo) & (r <= hi), axis=-1)

    touch = (on_segment(s1, A, B, C) | on_segment(s2, A, B, D)
             | on_segment(s3, C, D, A) | on_segment(s4, C, D, B))
    meet = proper | touch
    if skip_adjacent:
        n = len(P)
        i, j = np.arange(i0, i1)[:, None], np.arange(n)[None, :]
        meet &= (np.abs(i - j) > 1) & (np.abs(i - j) != n - 1)
    return bool(meet.any())


def _self_intersects(P):
    return _segments_meet(P, P, skip_adjacent=True)


def _inside(point, P):
    """Point strictly inside the closed loop P (even-odd rule; not on it)."""
    x, y = point
    a, b = P, np.roll(P, -1, axis=0)
    up = (a[:, 1] > y) != (b[:, 1] > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        xc = a[:, 0] + (y - a[:, 1]) * (b[:, 0] - a[:, 0]) / (b[:, 1] - a[:, 1])
    return bool(np.count_nonzero(up & (x < xc)) % 2)


def polygon_loops(outline, holes=()):
    """Validated loops [outline, hole 0, ...] as (n, 2) arrays.

    Raises
    ------
    OmmError
        Naming geometry.outline or geometry.holes[k]: too few or repeated
        points, more than :data:`MAX_VERTICES` points in all, zero area, a
        loop that intersects itself, a hole that meets or lies outside the
        outline, holes that meet or nest.
    """
    if not isinstance(holes, (list, tuple, np.ndarray)):
        raise OmmError(bad_value("geometry.holes", holes, "expected a list of point lists"))
    count = sum(len(p) for p in [outline, *holes] if hasattr(p, "__len__"))
    if count > MAX_VERTICES:  # before the intersection tests, whose cost grows as count^2
        raise OmmError(f"geometry.outline: {count} points (outline and holes) exceed the limit of "
                       f"{MAX_VERTICES} polygon vertices; simplify the outline")
    loops = [_loop("geometry.outline", outline)]
    loops += [_loop(f"geometry.holes[{k}]", h) for k, h in enumerate(holes)]
    _check_holes(loops)
    return loops


def _check_holes(loops):
    """Holes lie inside the outline, apart from it and from each other."""
    outline = loops[0]
    for k, hole in enumerate(loops[1:]):
        name = f"geometry.holes[{k}]"
        if _segments_meet(hole, outline):
            raise OmmError(bad_value(name, hole.tolist(), "crosses or touches the outline; a "
                                     "hole must lie strictly inside it"))
        if not _inside(hole[0], outline):
            raise OmmError(bad_value(name, hole.tolist(), "lies outside the outline; a hole must "
                                     "lie strictly inside it"))
        for j, other in enumerate(loops[1:k + 1]):
            if _segments_meet(hole, other) or _inside(hole[0], other) \
                    or _inside(other[0], hole):
                raise OmmError(bad_value(name, hole.tolist(), f"meets or contains "
                                         f"geometry.holes[{j}]; holes must be apart"))


def polygon(*, outline, holes=(), tags=None, region="sample", size=None, edge_size=None,
            layer=None, ungraded=(), growth=0.15, name="polygon"):
    """Edge-graded triangle mesh of a polygon with polygonal holes.

    Parameters
    ----------
    outline : array_like, shape (n, 2)
        Outer boundary points [m]; segment k joins point k to point k+1 (cyclic).
    holes : sequence of array_like, shape (m, 2)
        Hole boundaries [m].
    tags : dict[str, list]
        Boundary names -> segments. A segment is an int (outline segment) or a
        pair ``[loop, k]`` with loop 0 = outline, 1.. = holes. Untagged
        segments are named ``edge``.
    region : str
        Name of the (single) subdomain.
    size, edge_size, layer, growth : float
        Bulk element size, maximum element edge in the graded bands, width of
        the constant band (default 24 edge_size) and growth ratio beyond [m].
    ungraded : iterable of str
        Tags not to grade towards (e.g. reflecting contacts).
    name : str
        The geometry's name in messages (e.g. of a gmsh failure: :class:`MeshError`).

    Returns
    -------
    skfem.MeshTri
    """
    loops = polygon_loops(outline, holes)
    extent = np.ptp(loops[0], axis=0)
    size = min(extent) / 10 if size is None else _length("mesh.size", size)
    edge_size = size if edge_size is None else min(_length("mesh.edge_size", edge_size), size)
    layer = 24 * edge_size if layer is None else layer
    seg_tag = _segment_tags(loops, tags or {})
    ungraded = set(ungraded)
    with gmsh_session(name) as gmsh:
        geo = gmsh.model.geo
        loop_ids, by_tag = [], {}
        for li, pts in enumerate(loops):
            pids = [geo.addPoint(x, y, 0) for x, y in pts]
            lines = [geo.addLine(pids[k], pids[(k + 1) % len(pids)]) for k in range(len(pids))]
            for k, ln in enumerate(lines):
                by_tag.setdefault(seg_tag[(li, k)], []).append(ln)
            loop_ids.append(geo.addCurveLoop(lines))
        surf = geo.addPlaneSurface(loop_ids)
        geo.synchronize()
        for name, lines in by_tag.items():
            gmsh.model.addPhysicalGroup(1, lines, name=name)
        gmsh.model.addPhysicalGroup(2, [surf], name=region)
        graded = [ln for name, lines in by_tag.items() if name not in ungraded for ln in lines]
        graded_size_field(gmsh, graded, size=size, edge_size=edge_size, layer=layer, growth=growth)
        generate(gmsh)
        return to_skfem(gmsh, source=f"{name} mesh")


def _segment_tags(loops, tags):
    seg_tag = {(li, k): "edge" for li, pts in enumerate(loops) for k in range(len(pts))}
    if not isinstance(tags, dict):
        raise OmmError(bad_value("geometry.tags", tags, "expected a table name -> segments"))
    for name, segs in tags.items():
        if not isinstance(segs, (list, tuple)) or not segs:
            raise OmmError(bad_value(f"geometry.tags.{name}", segs,
                                     "expected a non-empty list of segments (k or [loop, k])"))
        for s in segs:
            key = (0, s) if is_integer(s) else (
                tuple(s) if isinstance(s, (list, tuple)) and len(s) == 2
                and all(is_integer(i) for i in s) else None)
            if key is None or key not in seg_tag:
                raise OmmError(bad_value(f"geometry.tags.{name}", s, "no such segment; segment k "
                                         "joins point k and k+1 of the outline, [loop, k] of hole loop-1"))
            if seg_tag[key] != "edge":
                raise OmmError(bad_value(f"geometry.tags.{name}", s,
                                         f"segment already tagged {seg_tag[key]!r}"))
            seg_tag[key] = name
    return seg_tag


def rectangle(*, length, width, size=None, edge_size=None, layer=None, grade_contacts=True,
              growth=0.15):
    """Edge-graded mesh of ``[0, length] x [-width/2, width/2]``.

    Tags: ``source`` (x = 0), ``drain`` (x = length), ``edge`` (y = ±width/2);
    subdomain ``channel``. ``grade_contacts`` also grades towards the contacts
    (needed where n is pinned there). Default bulk size: ``min(length, width)/10``.
    """
    length = _length("geometry.length", length)
    width = _length("geometry.width", width)
    h = width / 2
    outline = [[0, -h], [length, -h], [length, h], [0, h]]
    return polygon(outline=outline, tags={"drain": [1], "source": [3]}, region="channel",
                   size=size, edge_size=edge_size, layer=layer, growth=growth,
                   ungraded=() if grade_contacts else ("source", "drain"), name="rectangle")


def hall_bar_outline(*, length, width, arms, arm_width, arm_length):
    """Outline points and tags of a Hall bar (see :func:`hall_bar`)."""
    length = _length("geometry.length", length)
    width = _length("geometry.width", width)
    aw = _length("geometry.arm_width", arm_width)
    al = _length("geometry.arm_length", arm_length)
    try:
        xs = sorted(float(x) for x in arms)
    except (TypeError, ValueError, OverflowError):
        raise OmmError(bad_value("geometry.arms", arms, "expected a list of x positions (m)")) from None
    if not xs:
        raise OmmError(bad_value("geometry.arms", arms, "need at least one arm position"))
    if xs[0] - aw / 2 <= 0 or xs[-1] + aw / 2 >= length or any(
            b - a <= aw for a, b in zip(xs, xs[1:])):
        raise OmmError(bad_value("geometry.arms", list(arms), f"arms of width {aw:g} m must lie "
                                 f"inside (0, {length:g}) m and not overlap"))
    h = width / 2
    pts, tags = [[0.0, -h]], {}
    for k, x in enumerate(xs, 1):  # bottom side, left to right
        pts += [[x - aw / 2, -h], [x - aw / 2, -h - al], [x + aw / 2, -h - al], [x + aw / 2, -h]]
        tags[f"probe_{k}_bottom"] = [len(pts) - 3]
    pts += [[length, -h]]
    tags["drain"] = [len(pts) - 1]
    pts += [[length, h]]
    for k in range(len(xs), 0, -1):  # top side, right to left
        x = xs[k - 1]
        pts += [[x + aw / 2, h], [x + aw / 2, h + al], [x - aw / 2, h + al], [x - aw / 2, h]]
        tags[f"probe_{k}_top"] = [len(pts) - 3]
    pts += [[0.0, h]]
    tags["source"] = [len(pts) - 1]
    return pts, tags


def hall_bar(*, length, width, arms, arm_width, arm_length, size=None, edge_size=None,
             layer=None, ungraded=(), growth=0.15):
    """Hall bar: channel [0, length] x [-width/2, width/2] with arm pairs.

    Parameters
    ----------
    arms : sequence of float
        Arm centre positions along x [m] (one top and one bottom arm each).
    arm_width, arm_length : float
        Arm width (along x) and length (beyond the channel edge) [m].

    Tags: ``source`` (x = 0), ``drain`` (x = length), ``probe_K_top`` and
    ``probe_K_bottom`` (arm ends, K = 1.. from the source), ``edge`` (the rest);
    subdomain ``channel``.
    """
    pts, tags = hall_bar_outline(length=length, width=width, arms=arms, arm_width=arm_width,
                                 arm_length=arm_length)
    return polygon(outline=pts, tags=tags, region="channel", size=size, edge_size=edge_size,
                   layer=layer, ungraded=ungraded, growth=growth, name="hall_bar")

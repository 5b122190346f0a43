"""[geometry]: the sample kinds, their tags, cost estimates and mesh building."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..checks import file_problem
from ..errors import ConfigError, bad_value, shorten
from ..geometry import mesh_io
from ..geometry.gmsh_tools import EDGE_TARGET
from ..geometry.polygon import MAX_VERTICES
from .values import check_keys, number, points, string

KINDS = {
    "rectangle": {"kind", "length", "width"},
    "hall_bar": {"kind", "length", "width", "arms", "arm_width", "arm_length"},
    "polygon": {"kind", "outline", "holes", "tags"},
    "annulus": {"kind", "inner_radius", "outer_radius"},
    "mesh": {"kind", "file", "scale"},
}
REGION = {"rectangle": "channel", "hall_bar": "channel", "polygon": "sample", "annulus": "sample"}
GROWTH = 0.15
LAYER = 24  # constant-size band next to graded edges, in units of edge_size


def parse_geometry(tab, base_dir=None):
    """Validate [geometry] -> normalised dict (lengths in m)."""
    kind = string("geometry.kind", tab.get("kind"), allowed=list(KINDS), default="rectangle")
    check_keys("geometry", tab, KINDS[kind])
    g = {"kind": kind}
    if kind in ("rectangle", "hall_bar"):
        g["length"] = number("geometry.length", tab.get("length"), positive=True)
        g["width"] = number("geometry.width", tab.get("width"), positive=True)
    if kind == "hall_bar":
        arms = tab.get("arms")
        if not isinstance(arms, list) or not arms:
            raise ConfigError(bad_value("geometry.arms", arms, "expected a non-empty list of arm "
                                        "positions along x (m)"))
        g["arms"] = [number(f"geometry.arms[{k}]", a) for k, a in enumerate(arms)]
        g["arm_width"] = number("geometry.arm_width", tab.get("arm_width"), positive=True)
        g["arm_length"] = number("geometry.arm_length", tab.get("arm_length"), positive=True)
        from ..geometry import hall_bar_outline

        _, tags = hall_bar_outline(**{k: g[k] for k in ("length", "width", "arms", "arm_width",
                                                        "arm_length")})
        g["tags"] = sorted(tags) + ["edge"]
    elif kind == "rectangle":
        g["tags"] = ["drain", "edge", "source"]
    elif kind == "polygon":
        holes = tab.get("holes", [])
        if not isinstance(holes, list):
            raise ConfigError(bad_value("geometry.holes", holes, "expected a list of point lists"))
        _vertex_count(tab.get("outline"), holes)
        g["outline"] = points("geometry.outline", tab.get("outline"))
        g["holes"] = [points(f"geometry.holes[{k}]", h) for k, h in enumerate(holes)]
        tags = tab.get("tags", {})
        if not isinstance(tags, dict):
            raise ConfigError(bad_value("geometry.tags", tags, "expected a table name -> segments"))
        from ..geometry.polygon import _segment_tags, polygon_loops

        _segment_tags(polygon_loops(g["outline"], g["holes"]), tags)
        g["polygon_tags"] = tags
        g["tags"] = sorted(set(tags) | {"edge"})
    elif kind == "annulus":
        g["inner_radius"] = number("geometry.inner_radius", tab.get("inner_radius"), positive=True)
        g["outer_radius"] = number("geometry.outer_radius", tab.get("outer_radius"), positive=True)
        if not g["inner_radius"] < g["outer_radius"]:
            raise ConfigError(bad_value("geometry.inner_radius", g["inner_radius"],
                                        f"must be < outer_radius = {g['outer_radius']!r}"))
        g["tags"] = ["inner", "outer"]
    elif kind == "mesh":
        f = string("geometry.file", tab.get("file"))
        path = Path(f)
        if not path.is_absolute() and base_dir is not None:
            path = Path(base_dir) / path
        problem = file_problem(path, mesh_io.MESH_MAX_BYTES)
        if problem is not None:
            raise ConfigError(bad_value("geometry.file", f, f"the mesh file {problem} "
                                        f"({shorten(path)})"))
        g["file"] = str(path)
        g["scale"] = number("geometry.scale", tab.get("scale"), positive=True, required=False,
                            default=1.0)
        g["tags"] = None  # known once the file is read
    return g


def _vertex_count(outline, holes):
    """Refuse more than MAX_VERTICES polygon points in all, before they are checked one by one."""
    loops = [outline] + list(holes)
    count = sum(len(p) for p in loops if isinstance(p, list))
    if count > MAX_VERTICES:
        raise ConfigError(f"geometry.outline: {count} points (outline and holes) exceed the limit "
                          f"of {MAX_VERTICES} polygon vertices; simplify the outline (e.g. merge "
                          "points closer than the boundary element size)")


def default_size(g):
    """Default bulk element size [m]."""
    if g["kind"] in ("rectangle", "hall_bar"):
        return min(g["length"], g["width"]) / 10
    if g["kind"] == "annulus":
        return (g["outer_radius"] - g["inner_radius"]) / 10
    if g["kind"] == "polygon":
        return min(np.ptp(np.asarray(g["outline"]), axis=0)) / 10
    return None


def _loops(g):
    """Boundary loops (n, 2) [m] of a polygonal geometry; None for an annulus."""
    if g["kind"] == "rectangle":
        L, W = g["length"], g["width"]
        return [np.array([[0.0, 0.0], [L, 0.0], [L, W], [0.0, W]])]
    if g["kind"] == "hall_bar":
        from ..geometry import hall_bar_outline

        pts, _ = hall_bar_outline(**{k: g[k] for k in ("length", "width", "arms", "arm_width",
                                                       "arm_length")})
        return [np.asarray(pts)]
    if g["kind"] == "polygon":
        return [np.asarray(g["outline"])] + [np.asarray(h) for h in g["holes"]]
    return None


def _segment_lengths(loops):
    with np.errstate(over="ignore", invalid="ignore"):
        return np.concatenate([np.hypot(*(np.roll(P, -1, axis=0) - P).T) for P in loops])


def perimeter_area(g):
    """Total boundary length [m] and area [m^2] of a generated geometry."""
    if g["kind"] == "rectangle":
        L, W = np.float64(g["length"]), np.float64(g["width"])
        return 2 * (L + W), L * W
    if g["kind"] == "annulus":
        ri, ro = np.float64(g["inner_radius"]), np.float64(g["outer_radius"])
        return 2 * math.pi * (ri + ro), math.pi * (ro * ro - ri * ri)
    loops = _loops(g)
    per, area = 0.0, 0.0
    for k, P in enumerate(loops):
        Q = np.roll(P, -1, axis=0)
        per += float(np.sum(np.hypot(*(Q - P).T)))
        a = 0.5 * abs(float(np.sum(P[:, 0] * Q[:, 1] - Q[:, 0] * P[:, 1])))
        area += a if k == 0 else -a
    return per, area


SHORT_SEGMENT_NODES = 1.2  # extra nodes per polygon vertex on a segment much shorter than h_edge


def estimate_dofs(g, size, edge, order):
    """Rough unknown count of the edge-graded mesh (for the max_dofs guard).

    Every polygon vertex is a mesh node: segments shorter than the boundary
    element add about :data:`SHORT_SEGMENT_NODES` (1 - length/h_edge) nodes each
    (an outline of thousands of short segments is meshed at its vertex spacing).
    """
    with np.errstate(over="ignore", invalid="ignore"):
        per, area = (np.float64(v) for v in perimeter_area(g))
    return graded_dofs(per, area, size, edge, order, loops=_loops(g))


def graded_dofs(per, area, size, edge, order, loops=None):
    """Unknowns of an edge-graded mesh of a sample with boundary length ``per`` [m] and
    area [m^2] (:func:`estimate_dofs`; ``loops``: its polygon outlines, if any)."""
    per, area = np.float64(per), np.float64(area)
    size, edge = np.float64(size), np.float64(edge)  # numpy: overflow gives inf, not an exception
    if np.isfinite(per) and per > edge:
        size = min(size, per)  # an element larger than the whole outline meshes like one as large
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        h_edge = EDGE_TARGET * edge
        d_end = LAYER * edge + (size - h_edge) / GROWTH  # inf for a size near the float max
        d = np.linspace(0.0, d_end, 2000)
        h = np.minimum(size, h_edge + GROWTH * np.maximum(0.0, d - LAYER * edge))
        excess = float(np.trapezoid(1.0 / (0.866 * h**2) - 1.0 / (0.866 * size**2), d))
        nodes = min(per * excess, area / (0.866 * h_edge**2)) + area / (0.866 * size**2)
        nodes = max(nodes, per / h_edge)  # the boundary nodes alone (narrow strips)
        if loops is not None:
            short = np.maximum(0.0, 1.0 - _segment_lengths(loops) / h_edge)
            if short.any():
                nodes = nodes + SHORT_SEGMENT_NODES * float(short.sum())
    nodes = nodes if np.isfinite(nodes) else np.inf
    return nodes * (4 if order == 2 else 1)


GENERATORS = ("auto", "structured", "gmsh")
STRUCTURED_KINDS = ("rectangle", "hall_bar")
AUTO_STRUCTURED_NODES = 2.0e5  # "auto": structured from this many (estimated) gmsh nodes on


def mesh_generator(g, value):
    """Validated [mesh] generator of a parsed geometry (default ``"auto"``)."""
    gen = string("mesh.generator", value, allowed=list(GENERATORS), default="auto")
    if gen == "structured" and g["kind"] not in STRUCTURED_KINDS:
        raise ConfigError(bad_value("mesh.generator", gen, f"a structured mesh is built for "
                                    f"geometry.kind {list(STRUCTURED_KINDS)} only, not "
                                    f"{g['kind']!r}; use 'gmsh' or 'auto'"))
    return gen


def chosen_generator(g, generator, nodes):
    """``"structured"`` or ``"gmsh"`` for a geometry meshed with about ``nodes`` gmsh nodes.

    ``"auto"`` takes the structured grid (:mod:`omm_fem.geometry.structured`,
    numpy, about 100x faster than gmsh) for rectangles and Hall bars from
    :data:`AUTO_STRUCTURED_NODES` on, where gmsh would take longer than the
    steady solve (34 s for 187k nodes); gmsh's isotropic mesh below (its n^y
    profile is 10x more accurate per boundary element on the strip).
    """
    if g["kind"] not in STRUCTURED_KINDS:
        return "gmsh"
    if generator == "auto":
        return "structured" if nodes >= AUTO_STRUCTURED_NODES else "gmsh"
    return generator


def build_mesh(g, *, size, edge_size, ungraded, generator="gmsh"):
    """Generate (or read) the tagged mesh of a parsed geometry (``generator``: the
    resolved ``"structured"`` or ``"gmsh"``)."""
    from .. import geometry as geo

    kw = dict(size=size, edge_size=edge_size, growth=GROWTH)
    if generator == "structured" and g["kind"] in STRUCTURED_KINDS:
        from ..geometry import structured

        if g["kind"] == "rectangle":
            return structured.structured_rectangle(
                length=g["length"], width=g["width"],
                grade_contacts=not {"source", "drain"} <= set(ungraded), **kw)
        return structured.structured_hall_bar(
            length=g["length"], width=g["width"], arms=g["arms"], arm_width=g["arm_width"],
            arm_length=g["arm_length"], ungraded=ungraded, **kw)
    if g["kind"] == "rectangle":
        return geo.rectangle(length=g["length"], width=g["width"],
                             grade_contacts=not {"source", "drain"} <= set(ungraded), **kw)
    if g["kind"] == "hall_bar":
        return geo.hall_bar(length=g["length"], width=g["width"], arms=g["arms"],
                            arm_width=g["arm_width"], arm_length=g["arm_length"],
                            ungraded=ungraded, **kw)
    if g["kind"] == "polygon":
        return geo.polygon(outline=g["outline"], holes=g["holes"], tags=g["polygon_tags"],
                           ungraded=ungraded, **kw)
    if g["kind"] == "annulus":
        return geo.annulus(inner_radius=g["inner_radius"], outer_radius=g["outer_radius"],
                           ungraded=ungraded, **kw)
    return geo.load_mesh(g["file"], scale=g["scale"])


def strip_width(g):
    """Channel width for the strip-formula overlay, or None."""
    return g.get("width") if g["kind"] in ("rectangle", "hall_bar") else None

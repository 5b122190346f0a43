"""Rectangle (strip) geometry: channel along x, contacts on the short sides.

Tags
----
boundaries: ``source`` (x = 0), ``drain`` (x = length), ``edge`` (y = ±width/2,
insulating); subdomain: ``channel``.
"""
from __future__ import annotations

import math

from ..errors import OmmError, bad_value
from .gmsh_tools import generate, gmsh_session, graded_size_field, to_skfem


def _length(name, v):
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
        raise OmmError(bad_value(name, v, "must be a finite length > 0 in metres"))
    return float(v)


def rectangle(*, length, width, size=None, edge_size=None, layer=None, grade_contacts=True,
              growth=0.15):
    """Edge-graded triangle mesh of ``[0, length] x [-width/2, width/2]``.

    Parameters
    ----------
    length, width : float
        Channel length along x and width along y [m].
    size : float, optional
        Bulk element size [m]; default ``min(length, width) / 10``.
    edge_size : float, optional
        Element size next to the insulating edges (and graded contacts) [m];
        default ``size``. Elements there are isotropic.
    layer : float, optional
        Width of the band of constant ``edge_size`` [m]; default ``24 * edge_size``.
    grade_contacts : bool
        Also grade towards the contacts (needed where n is pinned there).
    growth : float
        Relative size increase per element beyond the band.

    Returns
    -------
    skfem.MeshTri
        With boundaries ``source``, ``drain``, ``edge`` and subdomain ``channel``.
    """
    length = _length("geometry.length", length)
    width = _length("geometry.width", width)
    size = min(length, width) / 10 if size is None else _length("mesh.size", size)
    edge_size = size if edge_size is None else min(_length("mesh.edge_size", edge_size), size)
    layer = 24 * edge_size if layer is None else layer
    with gmsh_session("rectangle") as gmsh:
        geo = gmsh.model.geo
        h = -width / 2
        p = [geo.addPoint(0, h, 0), geo.addPoint(length, h, 0),
             geo.addPoint(length, -h, 0), geo.addPoint(0, -h, 0)]
        bottom, right = geo.addLine(p[0], p[1]), geo.addLine(p[1], p[2])
        top, left = geo.addLine(p[2], p[3]), geo.addLine(p[3], p[0])
        loop = geo.addCurveLoop([bottom, right, top, left])
        surf = geo.addPlaneSurface([loop])
        geo.synchronize()
        gmsh.model.addPhysicalGroup(1, [left], name="source")
        gmsh.model.addPhysicalGroup(1, [right], name="drain")
        gmsh.model.addPhysicalGroup(1, [bottom, top], name="edge")
        gmsh.model.addPhysicalGroup(2, [surf], name="channel")
        graded = [bottom, top] + ([left, right] if grade_contacts else [])
        graded_size_field(gmsh, graded, size=size, edge_size=edge_size, layer=layer, growth=growth)
        generate(gmsh)
        return to_skfem(gmsh)

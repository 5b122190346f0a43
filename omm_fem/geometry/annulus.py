"""Annulus (Corbino disc): contacts ``inner`` (r = r_in) and ``outer`` (r = r_out)."""
from __future__ import annotations

from ..errors import OmmError, bad_value
from .gmsh_tools import generate, gmsh_session, graded_size_field, to_skfem
from .polygon import _length


def annulus(*, inner_radius, outer_radius, size=None, edge_size=None, layer=None, ungraded=(),
            growth=0.15):
    """Edge-graded mesh of r_in <= r <= r_out centred at the origin [m].

    Tags: ``inner``, ``outer`` (the two circles); subdomain ``sample``.
    """
    ri = _length("geometry.inner_radius", inner_radius)
    ro = _length("geometry.outer_radius", outer_radius)
    if not ri < ro:
        raise OmmError(bad_value("geometry.inner_radius", ri, f"must be < outer_radius = {ro:g} m"))
    size = (ro - ri) / 10 if size is None else _length("mesh.size", size)
    edge_size = size if edge_size is None else min(_length("mesh.edge_size", edge_size), size)
    layer = 24 * edge_size if layer is None else layer
    with gmsh_session("annulus") as gmsh:
        geo = gmsh.model.geo
        c = geo.addPoint(0, 0, 0)
        curves = {}
        for name, r in (("inner", ri), ("outer", ro)):
            p = [geo.addPoint(r, 0, 0), geo.addPoint(0, r, 0), geo.addPoint(-r, 0, 0),
                 geo.addPoint(0, -r, 0)]
            curves[name] = [geo.addCircleArc(p[k], c, p[(k + 1) % 4]) for k in range(4)]
        loops = [geo.addCurveLoop(curves["outer"]), geo.addCurveLoop(curves["inner"])]
        surf = geo.addPlaneSurface(loops)
        geo.synchronize()
        for name, cs in curves.items():
            gmsh.model.addPhysicalGroup(1, cs, name=name)
        gmsh.model.addPhysicalGroup(2, [surf], name="sample")
        graded = [x for name, cs in curves.items() if name not in set(ungraded) for x in cs]
        graded_size_field(gmsh, graded, size=size, edge_size=edge_size, layer=layer, growth=growth)
        generate(gmsh)
        return to_skfem(gmsh, source="annulus mesh")

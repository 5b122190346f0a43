"""Geometry kinds: tags, validation, and current conservation on each (issue: every kind balances)."""
from pathlib import Path

import numpy as np
import pytest

from omm_fem.errors import OmmError
from omm_fem.geometry import annulus, hall_bar, load_mesh, polygon, rectangle
from omm_fem.material import Material
from omm_fem.problem import Contact, Problem
from omm_fem.steady import Pipeline
from omm_fem.units import M_E

MESHES = Path(__file__).resolve().parents[1] / "meshes"
U = 1e-6


def material(L_m=0.3e-6):
    return Material(D=L_m**2 / 1e-12, tau=1e-12, alpha=0.1, sigma=1e-3, mobility=0.5,
                    X=np.diag([1.0, 1.0, 0.3]) / (0.041 * M_E))


def _balance(mesh, contacts, B=(0.3, 0.2, 0.05), order=1, materials=None):
    pb = Problem(mesh=mesh, materials=materials or material(), contacts=contacts, B=B, order=order)
    pipe = Pipeline(pb)
    sol = pipe.at_field(B)
    I = np.array(list(sol.currents.values()))
    return abs(I.sum()) / np.abs(I).max(), pipe, sol


GEOMETRIES = {
    "rectangle": (lambda: rectangle(length=4 * U, width=2 * U, edge_size=0.1 * U, size=0.4 * U),
                  [Contact("source", current=1e-6), Contact("drain", voltage=0.0)]),
    "hall_bar": (lambda: hall_bar(length=8 * U, width=1 * U, arms=[3 * U, 5 * U], arm_width=0.3 * U,
                                  arm_length=0.6 * U, edge_size=0.1 * U, size=0.3 * U),
                 [Contact("source", current=1e-6), Contact("drain", voltage=0.0),
                  Contact("probe_1_top", current=0.0)]),
    "polygon": (lambda: polygon(outline=[[0, 0], [4 * U, 0], [5 * U, 3 * U], [1 * U, 4 * U]],
                                holes=[[[2 * U, 1 * U], [3 * U, 1 * U], [2.5 * U, 2 * U]]],
                                tags={"a": [0], "b": [2], "h": [[1, 1]]}, edge_size=0.1 * U,
                                size=0.4 * U),
                [Contact("a", voltage=1e-3), Contact("b", voltage=0.0), Contact("h", current=0.0)]),
    "annulus": (lambda: annulus(inner_radius=1 * U, outer_radius=3 * U, edge_size=0.1 * U,
                                size=0.4 * U),
                [Contact("inner", current=1e-6), Contact("outer", voltage=0.0)]),
    "hall_bar.msh": (lambda: load_mesh(MESHES / "hall_bar.msh"),
                     [Contact("source", current=1e-6), Contact("drain", voltage=0.0)]),
    "cross.msh": (lambda: load_mesh(MESHES / "cross.msh"),
                  [Contact("c1", current=1e-6), Contact("c3", voltage=0.0),
                   Contact("c2", current=0.0), Contact("c4", current=0.0)]),
    "flake.msh": (lambda: load_mesh(MESHES / "flake.msh"),
                  [Contact("c1", current=1e-6), Contact("c3", voltage=0.0),
                   Contact("c2", current=0.0), Contact("c4", current=0.0)]),
}


@pytest.mark.parametrize("kind", list(GEOMETRIES))
def test_contact_currents_balance_on_every_kind(kind):
    build, contacts = GEOMETRIES[kind]
    rel, pipe, sol = _balance(build(), contacts)
    assert rel <= 1e-10
    driven = [c for c in contacts if c.current]
    for c in driven:  # current-driven contacts keep their current through the correction
        assert sol.currents[c.name] == pytest.approx(c.current, rel=1e-12)


def test_hall_bar_tags():
    m = hall_bar(length=8 * U, width=1 * U, arms=[2 * U, 4 * U, 6 * U], arm_width=0.3 * U,
                 arm_length=0.6 * U, edge_size=0.1 * U, size=0.3 * U)
    expected = {"source", "drain", "edge"} | {f"probe_{k}_{s}" for k in (1, 2, 3)
                                              for s in ("top", "bottom")}
    assert set(m.boundaries) == expected and list(m.subdomains) == ["channel"]
    # arm ends are at y = ±(W/2 + arm_length), probes numbered from the source
    for k, x in ((1, 2 * U), (3, 6 * U)):
        top = m.p[:, m.facets[:, m.boundaries[f"probe_{k}_top"]]]
        assert np.allclose(top[1], 1.1 * U) and np.allclose(top[0].mean(), x, atol=1e-9 * U)
    # the graded mesh has elements <= edge_size along the insulating edges
    seg = m.p[:, m.facets[:, m.boundaries["edge"]]]
    assert np.hypot(*(seg[:, 0] - seg[:, 1])).max() <= 0.1 * U


def test_corbino_disc_has_no_accumulation():
    # radial current: the orbital Hall flux alpha z x J is azimuthal and divergence-free, and
    # has no normal component on the circular contacts, so n = 0 in the continuum (issue 6
    # explains the physics). Discretely too: with uniform sigma and alpha the source
    # int alpha sigma (d_y phi d_x v - d_x phi d_y v) vanishes when phi is constant on every
    # boundary piece, so only rounding is left
    mesh = annulus(inner_radius=1 * U, outer_radius=3 * U, edge_size=0.05 * U, size=0.2 * U)
    rel, pipe, sol = _balance(mesh, [Contact("inner", current=1e-6), Contact("outer", voltage=0.0)],
                              B=(0.5, 0, 0), order=2)
    strip = rectangle(length=2 * U, width=2 * U, edge_size=0.05 * U, size=0.2 * U)
    _, spipe, ssol = _balance(strip, [Contact("source", current=1e-6),
                                      Contact("drain", voltage=0.0)], B=(0.5, 0, 0), order=2)
    assert np.abs(sol.n).max() < 1e-12 * np.abs(ssol.n).max()  # measured 2e-16
    assert abs(pipe.two_terminal(sol)["rho"]) < 1e-12 * abs(spipe.two_terminal(ssol)["rho"])


@pytest.mark.parametrize("kwargs,match", [
    (dict(outline=[[0, 0], [3, 0], [3, 1], [1, -1], [0, 2]]), "intersects itself"),
    (dict(outline=[[0, 0], [1, 0]]), "at least three"),
    (dict(outline=[[0, 0], [1, 0], [2, 0]]), "zero area"),
    (dict(outline=[[0, 0], [1, 0], [1, 1]], tags={"a": [7]}), "no such segment"),
    (dict(outline=[[0, 0], [1, 0], [1, 1]], tags={"a": [0], "b": [0]}), "already tagged"),
])
def test_polygon_validation(kwargs, match):
    with pytest.raises(OmmError, match=match):
        polygon(**kwargs)


SQUARE = [[0, 0], [1, 0], [1, 1], [0, 1]]


@pytest.mark.parametrize("holes,match", [
    ([[[2, 2], [3, 2], [3, 3]]], r"holes\[0\] = .* lies outside the outline"),
    ([[[0.5, 0.5], [1.5, 0.5], [1.5, 0.8]]], r"holes\[0\] = .* crosses or touches the outline"),
    ([[[0.5, 0.0], [0.7, 0.3], [0.3, 0.3]]], r"holes\[0\] = .* crosses or touches the outline"),
    ([[[0.2, 0.2], [0.6, 0.2], [0.6, 0.6]], [[0.5, 0.3], [0.8, 0.3], [0.8, 0.8]]],
     r"holes\[1\] = .* meets or contains geometry.holes\[0\]"),
    ([[[0.1, 0.1], [0.9, 0.1], [0.9, 0.9], [0.1, 0.9]], [[0.4, 0.4], [0.6, 0.4], [0.6, 0.6]]],
     r"holes\[1\] = .* meets or contains geometry.holes\[0\]"),
    ([[[0.4, 0.4], [0.6, 0.4], [0.6, 0.6]], [[0.1, 0.1], [0.9, 0.1], [0.9, 0.9], [0.1, 0.9]]],
     r"holes\[1\] = .* meets or contains geometry.holes\[0\]"),
])
def test_bad_holes_are_config_errors_before_meshing(holes, match, monkeypatch):
    """A hole crossing the outline used to hang the mesher; every bad hole is now a
    ConfigError from the parser, before gmsh starts."""
    import importlib

    from omm_fem.config.geometry import parse_geometry

    poly = importlib.import_module("omm_fem.geometry.polygon")  # the module, not the function

    monkeypatch.setattr(poly, "gmsh_session", lambda *a: pytest.fail("meshing started"))
    scaled = [[[x * U, y * U] for x, y in h] for h in holes]
    tab = {"kind": "polygon", "outline": [[x * U, y * U] for x, y in SQUARE], "holes": scaled,
           "tags": {"source": [0], "drain": [2]}}
    with pytest.raises(OmmError, match=r"geometry\." + match):
        parse_geometry(tab)
    with pytest.raises(OmmError, match=match):
        polygon(outline=tab["outline"], holes=scaled)


def test_polygon_checks_accept_concave_outlines_and_inner_holes():
    from omm_fem.geometry.polygon import polygon_loops

    comb = [[0, 0], [4, 0], [4, 2], [3, 2], [3, 1], [2, 1], [2, 2], [1, 2], [1, 1], [0, 1]]
    loops = polygon_loops(comb, [[[0.2, 0.2], [0.6, 0.2], [0.6, 0.6]],
                                 [[3.2, 0.2], [3.8, 0.2], [3.8, 1.8], [3.2, 1.8]]])
    assert len(loops) == 3
    # a long outline is checked with bounded memory; its error message stays short
    th = np.linspace(0, 2 * np.pi, 2001)[:-1]
    circle = np.c_[np.cos(th), np.sin(th)]
    assert len(polygon_loops(circle, [0.5 * circle])) == 2
    with pytest.raises(OmmError, match=r"holes\[0\] = \[\[.{60,100} \.\.\. .* characters\) "
                                       "is invalid: crosses"):
        polygon_loops(circle, [circle + [0.5, 0.0]])


def test_hall_bar_validation():
    with pytest.raises(OmmError, match="geometry.arms"):
        hall_bar(length=8 * U, width=1 * U, arms=[3 * U, 3.2 * U], arm_width=0.3 * U,
                 arm_length=0.6 * U)
    with pytest.raises(OmmError, match="geometry.arms"):
        hall_bar(length=8 * U, width=1 * U, arms=[0.1 * U], arm_width=0.3 * U, arm_length=0.6 * U)


@pytest.mark.slow
def test_grading_band_holds_along_long_edges():
    """The size field measures the distance to points sampled along each curve; on an
    edge 1000 bands long the samples used to be farther apart than the band is wide,
    and boundary elements grew to several edge_size between them."""
    edge = 1e-9
    mesh = rectangle(length=2000 * edge, width=100 * edge, size=40 * edge, edge_size=edge,
                     layer=2 * edge)
    f = mesh.facets[:, mesh.boundaries["edge"]]
    lengths = np.hypot(*(mesh.p[:, f[0]] - mesh.p[:, f[1]]))
    assert np.isclose(lengths.sum(), 2 * 2000 * edge)
    # edge_size is an upper bound of the element edges in the band (EDGE_TARGET)
    assert lengths.max() <= edge

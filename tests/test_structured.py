"""Structured graded meshes (omm_fem.geometry.structured): spacing rule, tags, the strip limit.

The strip-limit tolerances are those of tests/test_strip_accuracy.py for
Delta I/I0 (1e-5 relative) and n^z (1e-4 of max|n^z|); n^y is held to 1e-3
(measured worst over the whole table of that test: 5.5e-4; the anisotropic
cells of the tensor grid, see the module docstring).
"""
import numpy as np
import pytest
from conftest import LM, ell_of, field_for_phi, strip_material

from omm_fem import analytic
from omm_fem.config import parse_config
from omm_fem.config.geometry import AUTO_STRUCTURED_NODES, chosen_generator, perimeter_area
from omm_fem.errors import ConfigError
from omm_fem.geometry import hall_bar_outline
from omm_fem.geometry.structured import graded_axis, structured_hall_bar, structured_rectangle
from omm_fem.problem import Contact, Problem
from omm_fem.steady import Pipeline

RULE = dict(edge_size=1e-3, size=5e-2, layer=2.4e-2, growth=0.15)


def _h(d):
    """The grading rule's spacing at distance d (module docstring of structured)."""
    return np.minimum(RULE["size"], np.where(d <= RULE["layer"], RULE["edge_size"],
                                             RULE["edge_size"] + RULE["growth"]
                                             * (d - RULE["layer"])))


@pytest.mark.parametrize("ends", [(True, True), (True, False), (False, True), (False, False)])
def test_graded_axis_follows_the_rule(ends):
    x = graded_axis(0.0, 1.0, graded_a=ends[0], graded_b=ends[1], **RULE)
    assert x[0] == 0.0 and x[-1] == 1.0 and np.all(np.diff(x) > 0)
    def dist(y):  # to the nearest graded end
        ds = [np.abs(y - e) for e, g in zip((0.0, 1.0), ends) if g]
        return np.minimum.reduce(ds) if ds else np.full(y.size, np.inf)

    d = np.maximum(dist(x[:-1]), dist(x[1:]))  # the far node of each cell
    # every cell is at most the rule's spacing at its far node (1e-12: rounding of the inverse)
    assert np.all(np.diff(x) <= _h(d) * (1 + 1e-12))
    # and no finer than needed: the cell count is the rule's integral rounded up
    assert np.diff(x).max() >= 0.9 * RULE["size"] or ends != (False, False)


def _areas(m):
    tri = m.p[:, m.t]
    return 0.5 * np.abs((tri[0, 1] - tri[0, 0]) * (tri[1, 2] - tri[1, 0])
                        - (tri[1, 1] - tri[1, 0]) * (tri[0, 2] - tri[0, 0]))


def test_rectangle_tags_and_spacing():
    L, W, e = 4e-6, 2e-6, 1e-8
    m = structured_rectangle(length=L, width=W, size=2e-7, edge_size=e)
    assert set(m.boundaries) == {"source", "drain", "edge"} and set(m.subdomains) == {"channel"}
    lengths = {k: np.hypot(*np.diff(m.p[:, m.facets[:, f]], axis=1)[:, 0]).sum()
               for k, f in m.boundaries.items()}
    assert lengths["source"] == pytest.approx(W, rel=1e-12)
    assert lengths["edge"] == pytest.approx(2 * L, rel=1e-12)
    assert np.all(np.isclose(m.p[0, m.facets[:, m.boundaries["drain"]]], L))
    ys = np.unique(m.p[1])
    assert np.diff(ys)[:24].max() <= e * (1 + 1e-12)  # the edge band: spacing <= edge_size
    assert _areas(m).sum() == pytest.approx(L * W, rel=1e-12)


def test_hall_bar_tags_match_the_gmsh_builder():
    g = dict(length=10e-6, width=2e-6, arms=[3e-6, 7e-6], arm_width=1e-6, arm_length=2e-6)
    m = structured_hall_bar(**g, size=4e-7, edge_size=4e-8, ungraded=["source"])
    _, tags = hall_bar_outline(**g)
    assert set(m.boundaries) == set(tags) | {"edge"}
    for name in tags:  # each tag covers exactly its outline segment
        seg = m.p[:, m.facets[:, m.boundaries[name]]]
        length = np.hypot(*(seg[:, 0] - seg[:, 1])).sum()
        assert length == pytest.approx(g["width"] if name in ("source", "drain")
                                       else g["arm_width"], rel=1e-12)
    per, area = perimeter_area({"kind": "hall_bar", **g})
    assert _areas(m).sum() == pytest.approx(area, rel=1e-12)
    bf = m.p[:, m.facets[:, m.boundary_facets()]]
    assert np.hypot(*(bf[:, 0] - bf[:, 1])).sum() == pytest.approx(per, rel=1e-12)
    xs = np.unique(m.p[0])
    assert np.diff(xs)[0] > 4e-8 * 1.5  # the ungraded source is not graded towards


@pytest.mark.parametrize("Lr,phi,theta", [(1, 0.5, 0.1), (1, 50, 20), (3, 2, 1), (30, 7.5, 0.01),
                                          (30, 50, 20), (10, 0, 1)])
def test_strip_limit_p2(Lr, phi, theta):
    mat = strip_material(theta)
    B = field_for_phi(mat, phi)
    ell = ell_of(mat, [[B, 0, 0]])
    W = Lr * LM
    mesh = structured_rectangle(length=2 * ell, width=W, size=W / 4, edge_size=ell / 8,
                                grade_contacts=False)
    pb = Problem(mesh=mesh, materials=mat, B=[B, 0, 0], order=2, drift=False,
                 contacts=[Contact("source", current=1e-6, omm="reflecting"),
                           Contact("drain", voltage=0.0, omm="reflecting")])
    pipe = Pipeline(pb)
    sol = pipe.at_field(pb.B)
    p = pipe.disc.to_si_points()
    J = pipe.two_terminal(sol)["current0_A"] / W
    nz, ny = analytic.strip_profiles_si(p[1], width=W, J=J, B=B, material=mat)
    scale = np.abs(nz).max()
    assert np.abs(sol.n[2] - nz).max() <= 1e-4 * scale
    assert np.abs(sol.n[1] - ny).max() <= 1e-3 * scale
    ref = analytic.strip_delta_I_over_I0(Lr, phi, theta, mat.alpha)
    assert pipe.two_terminal(sol)["delta_I_over_I0"] == pytest.approx(ref, rel=1e-5)


def _cfg(**mesh):
    return {"geometry": {"kind": "rectangle", "length": 1e-6, "width": 5e-7},
            "mesh": {"order": 1, **mesh},
            "material": {"D": 1e-2, "tau": 1e-12, "alpha": 0.05, "sigma": 1.6e-3,
                         "X": [[24.4, 0, 0], [0, 24.4, 0], [0, 0, 2.44]], "X_unit": "1/m_e"}}


def test_generator_choice_and_config():
    rect, poly = {"kind": "rectangle"}, {"kind": "polygon"}
    assert chosen_generator(rect, "auto", AUTO_STRUCTURED_NODES) == "structured"
    assert chosen_generator(rect, "auto", AUTO_STRUCTURED_NODES / 2) == "gmsh"
    assert chosen_generator(poly, "auto", 1e9) == "gmsh"
    assert chosen_generator(rect, "gmsh", 1e9) == "gmsh"
    spec = parse_config(_cfg(generator="structured"))
    assert spec.resolved["mesh_generator"] == "structured"
    pb = spec.build_problem()
    assert set(pb.mesh.boundaries) == {"source", "drain", "edge"}
    # a tensor grid: every node on one of few x and y lines
    assert np.unique(pb.mesh.p[0]).size * np.unique(pb.mesh.p[1]).size == pb.mesh.p.shape[1]
    assert parse_config(_cfg()).resolved["mesh_generator"] == "gmsh"  # small: gmsh
    with pytest.raises(ConfigError, match="mesh.generator"):
        parse_config(_cfg(generator="delaunay"))
    bad = _cfg(generator="structured")
    bad["geometry"] = {"kind": "annulus", "inner_radius": 1e-7, "outer_radius": 5e-7}
    bad["contacts"] = {"inner": {"current": 1e-6}, "outer": {"voltage": 0.0}}
    with pytest.raises(ConfigError, match="mesh.generator.*annulus"):
        parse_config(bad)

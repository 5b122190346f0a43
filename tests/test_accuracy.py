"""Error estimates and accuracy on demand (omm_fem.accuracy, SPEC §14).

Honesty criterion: est/true in [1/3, 3]. The Richardson estimate 2 |Q_h - Q_h/2|
gives est/true = 2 (2^p - 1)/2^p in [1, 2) for any convergence order p >= 1
and >= 1/3 down to p = log2(6/5) = 0.27, so a ratio outside [1/3, 3] means the
mesh is not in the asymptotic range or the estimate is wrong (a factor of 3 is the usual
acceptance of an a-posteriori estimate's effectivity).
"""
import json

import numpy as np
import pytest
from conftest import strip_material, strip_problem

from omm_fem import analytic
from omm_fem.accuracy import estimate, refine_to_tolerance, sink_rectangle_delta_I_over_I0
from omm_fem.accuracy.estimate import FACTOR, problem_on
from omm_fem.accuracy.meshes import (
    dof_count,
    prolongation,
    refine_marked,
    refine_uniform,
    refined_dof_count,
    uniform_parents,
)
from omm_fem.config import default_config, parse_config
from omm_fem.errors import ConfigError
from omm_fem.problem import boundary_layer_length
from omm_fem.report import summary
from omm_fem.run import run

HONEST = (1 / 3, 3.0)  # est/true (module docstring)
B = np.array([1.0, 0.0, 0.0])


def _ratio(est, value, exact):
    return est / abs(value - exact)


def test_strip_estimate_brackets_the_exact_error():
    # reflecting contacts, no drift: the strip formula is exact at every x (SPEC §6);
    # a coarse P2 mesh (boundary elements ell: error 6e-5) keeps the error far above round-off
    mat = strip_material()
    ell = boundary_layer_length([mat], [B])
    pb = strip_problem(mat, B, width=0.5e-6, length=0.5e-6, edge_size=ell)
    est = estimate(pb)
    exact = -analytic.strip_rho_si(width=0.5e-6, B=1.0, material=mat)
    r = _ratio(est.abs[0]["dI_over_I0"], est.coarse.values[0]["dI_over_I0"], exact)
    assert HONEST[0] <= r <= HONEST[1], r
    assert r >= 1.0  # observed order >= 1: the estimate is an upper bound (module docstring)
    assert est.fine.dofs == refined_dof_count(pb.mesh, 2) > 3.5 * est.coarse.dofs


@pytest.mark.parametrize("order", [1, 2])
def test_sink_rectangle_estimate_brackets_the_series_error(order):
    mat = strip_material()
    ell = boundary_layer_length([mat], [B])
    L, W = 0.8e-6, 0.5e-6
    pb = strip_problem(mat, B, width=W, length=L, edge_size=ell, omm="sink")
    phi, theta = analytic.strip_phi_theta(mat, 1.0)
    exact = sink_rectangle_delta_I_over_I0(L / mat.L_m, W / mat.L_m, phi, theta, mat.alpha)
    est = estimate(pb)
    c, f = est.coarse.values[0]["dI_over_I0"], est.fine.values[0]["dI_over_I0"]
    r = _ratio(est.abs[0]["dI_over_I0"], c, exact)
    assert HONEST[0] <= r <= HONEST[1], r
    # the FEM converges to the series: the refined error is < 1/2 of the coarse one
    # (order >= 1; observed ~2 at the corners), so the series is the right limit
    assert abs(f - exact) < 0.5 * abs(c - exact)
    assert est.rel[0]["dI_over_I0"] == pytest.approx(est.abs[0]["dI_over_I0"] / abs(c))


def test_series_reduces_to_the_strip_for_a_long_rectangle():
    # L >> W: the contact corrections decay like exp(-mu L/2); the remainder is
    # (8/W) sum tanh(mu L/2)/mu^3 ~ W^2/L relative, so compare at 1e-3 for L = 1000 W
    phi, theta = 2.0, 0.1
    s = sink_rectangle_delta_I_over_I0(1000.0, 1.0, phi, theta, 0.05)
    strip = analytic.strip_delta_I_over_I0(1.0, phi, theta, 0.05)
    assert s == pytest.approx(strip, rel=2e-3)
    assert s < strip  # the sinks remove OMM: less Delta I


def test_refine_marked_keeps_every_boundary_tag_and_region():
    mat = strip_material()
    pb = strip_problem(mat, B, width=0.5e-6, length=0.8e-6, edge_size=1e-7, omm="sink")
    m = pb.mesh
    marked = np.flatnonzero(m.p[0, m.t].mean(axis=0) < 1e-7)  # near the source
    new = refine_marked(m, marked)
    assert new.t.shape[1] > m.t.shape[1] + marked.size
    assert sorted(new.boundaries) == sorted(m.boundaries)
    for name in m.boundaries:  # same total length, all facets on the boundary
        def length(mesh, fs):
            seg = mesh.p[:, mesh.facets[:, fs]]
            return np.hypot(*(seg[:, 0] - seg[:, 1])).sum()

        assert length(new, new.boundaries[name]) == pytest.approx(length(m, m.boundaries[name]),
                                                                  rel=1e-12)
        assert np.isin(new.boundaries[name], new.boundary_facets()).all()
    assert len(new.boundaries["source"]) > len(m.boundaries["source"])  # split there
    assert sum(len(v) for v in new.subdomains.values()) == new.t.shape[1]
    problem_on(pb, new)  # a valid Problem (contacts, regions) on the new mesh


def test_prolongation_is_exact_for_the_coarse_space():
    from skfem import Basis, ElementTriP2

    mat = strip_material()
    m = strip_problem(mat, B, width=0.5e-6, length=0.8e-6, edge_size=1e-7).mesh
    m = m.scaled([1e7, 1e7])
    fine = refine_uniform(m)
    bc, bf = Basis(m, ElementTriP2()), Basis(fine, ElementTriP2())
    P = prolongation(bc, bf, uniform_parents(m, fine))

    def quad(x):
        return 1.0 + 2 * x[0] - x[1] + 0.5 * x[0] * x[1] - x[1] ** 2

    assert np.abs(P @ bc.project(quad) - bf.project(quad)).max() < 1e-10
    assert dof_count(fine, 2) == bf.N == refined_dof_count(m, 2)
    rng = np.random.default_rng(0)  # P reproduces any coarse P2 function at the fine dofs
    u = rng.standard_normal(bc.N)
    x = bf.doflocs[:, :50]
    assert np.allclose(P[:50] @ u, bc.interpolator(u)(x), atol=1e-10)


def _rect_config(**mesh):
    cfg = default_config()
    cfg["geometry"] = {"kind": "rectangle", "length": 0.8e-6, "width": 0.5e-6}
    cfg.pop("sweep")
    cfg["contacts"]["source"]["omm"] = "sink"
    cfg["contacts"]["drain"]["omm"] = "sink"
    cfg["mesh"] = {"order": 2, **mesh}
    return cfg


def test_tolerance_on_a_rectangle_reaches_it_and_records_the_history(tmp_path):
    # start coarse (edge elements ell) so that a few steps are needed; sink corners
    ell = parse_config(_rect_config()).resolved["ell_m"]
    tol = 1e-3  # three steps from edge elements of ell (4.3e-3 there, halved per step)
    spec = parse_config(_rect_config(tolerance=tol, edge_size=ell))
    res = run(spec, progress=False)
    r = res.results
    ref = r["refinement"]
    assert ref["met"] and 2 <= len(ref["steps"]) <= 6
    assert ref["steps"][-1]["max_rel"] <= tol < ref["steps"][0]["max_rel"]
    dofs = [s["dofs"] for s in ref["steps"]]
    assert dofs == sorted(dofs) and dofs[-1] == r["mesh"]["dofs"]
    e = r["error_estimate"]
    assert e["max_rel"] == ref["steps"][-1]["max_rel"]
    assert e["dofs"] == r["mesh"]["dofs"]
    # the reported value is the final mesh's value; its estimate is within tolerance
    assert e["dI_over_I0_rel"] <= tol
    assert e["dI_over_I0"] == pytest.approx(FACTOR * abs(
        r["delta_I_over_I0"] - e["refined_values"]["dI_over_I0"]), rel=1e-6)
    from omm_fem.report import write_outputs

    written = {p.name for p in write_outputs(res, tmp_path)}
    assert {"results.json", "refinement.png"} <= written
    assert (tmp_path / "refinement.png").stat().st_size > 10_000  # a drawn figure
    got = json.loads((tmp_path / "results.json").read_text())
    assert got["refinement"]["steps"][0]["estimates_rel"]["dI_over_I0"] > tol
    assert got["error_estimate"]["dofs"] == got["mesh"]["dofs"]
    assert "error estimate" in summary(res) and f"tolerance {tol:g} met" in summary(res)


def test_tolerance_cap_finishes_with_a_warning():
    mat = strip_material()
    pb = strip_problem(mat, B, width=0.5e-6, length=0.8e-6, edge_size=1e-7, omm="sink")
    cap = refined_dof_count(pb.mesh, 2) * 1.5  # a few estimates fit, 1e-9 is out of reach
    ad = refine_to_tolerance(pb, 1e-9, max_dofs=cap)
    assert not ad.met and len(ad.history) >= 1
    assert all(h["refined_dofs"] <= cap for h in ad.history)
    assert refined_dof_count(refine_marked(ad.problem.mesh, [0]), 2) > 0
    assert "not reached" in ad.warnings[0] and "mesh.max_dofs" in ad.warnings[0]
    assert f"{ad.estimate.max_relative():.3g}" in ad.warnings[0]
    assert f"mesh of {ad.history[-1]['dofs']} unknowns" in ad.warnings[0]
    assert ad.estimate.coarse.dofs == ad.history[-1]["dofs"]
    # the notebook view: JSON-ready record and the history plot
    d = json.loads(json.dumps(ad.to_dict()))
    assert d["tolerance"] == 1e-9 and d["met"] is False and d["warnings"] == ad.warnings
    assert [h["dofs"] for h in d["steps"]] == [h["dofs"] for h in ad.history]
    assert d["error_estimate"]["dofs"] == ad.history[-1]["dofs"]
    fig = ad.plot()
    ax = fig.axes[0]
    assert ax.get_xscale() == ax.get_yscale() == "log"
    largest = [ln for ln in ax.get_lines() if ln.get_label() == "largest"][0]
    assert np.allclose(largest.get_ydata(), [h["max_rel"] for h in ad.history])
    assert any(ln.get_label() == "tolerance 1e-09" for ln in ax.get_lines())


@pytest.mark.parametrize("mesh, match", [
    ({"tolerance": 0.5}, "mesh.tolerance.*\\(0, 0.5\\)"),
    ({"tolerance": -1e-4}, "mesh.tolerance"),
    ({"tolerance": "small"}, "mesh.tolerance"),
    ({"error_estimate": "yes"}, "mesh.error_estimate"),
    ({"tolerance": 1e-4, "error_estimate": False}, "mesh.error_estimate.*must be true"),
])
def test_bad_accuracy_keys(mesh, match):
    with pytest.raises(ConfigError, match=match):
        parse_config(_rect_config(**mesh))


def test_accuracy_keys_are_steady_only():
    cfg = _rect_config(error_estimate=True)
    cfg["transient"] = {"t_end": 1e-12, "dt": 1e-13}
    with pytest.raises(ConfigError, match="mesh.error_estimate.*steady runs only"):
        parse_config(cfg)


def test_accuracy_keys_refuse_parameter_sweeps():
    cfg = _rect_config(tolerance=1e-3)
    cfg["sweep"] = {"parameter": "material.tau", "values": [1e-12, 2e-12]}
    with pytest.raises(ConfigError, match="mesh.tolerance.*parameter sweep"):
        parse_config(cfg)


def test_error_estimate_default_off_and_on():
    assert parse_config(_rect_config()).mesh_opts.error_estimate is False
    spec = parse_config(_rect_config(tolerance=1e-3))
    assert spec.mesh_opts.error_estimate is True and spec.mesh_opts.tolerance == 1e-3
    # a tolerance run starts from boundary elements 4x the rule's ell/8 (refinement takes over)
    plain = parse_config(_rect_config()).resolved
    assert spec.resolved["edge_size_m"] == pytest.approx(4 * plain["edge_size_m"], rel=1e-12)
    assert plain["edge_size_m"] == pytest.approx(plain["ell_m"] / 8, rel=1e-12)


def test_run_error_estimate_with_sweep_extremes_brackets_the_strip_error():
    # the built-in strip (reflecting contacts, drift off: exact reference in the results),
    # coarse explicit edge elements (ell of the largest field) to keep the error visible
    cfg = default_config()
    cfg["geometry"] = {"kind": "rectangle", "length": 0.5e-6, "width": 0.5e-6}
    cfg["sweep"] = {"B_T": [0.0, 2.0, 3.0], "direction": [1.0, 0.0, 0.0]}
    ell = parse_config(cfg).resolved["ell_m"]
    cfg["mesh"] = {"order": 2, "edge_size": ell, "error_estimate": True}
    res = run(parse_config(cfg), progress=False)
    r = res.results
    e = r["error_estimate"]
    assert "refinement" not in r and e["dofs"] == r["mesh"]["dofs"]
    true = r["strip_reference"]["delta_I_over_I0_rel_error"]
    assert HONEST[0] <= e["dI_over_I0_rel"] / true <= HONEST[1], (e["dI_over_I0_rel"], true)
    # the sweep's extreme fields (0 T and 3 T) besides the run's 1 T
    assert [f["field_T"] for f in e["other_fields"]] == [[0.0, 0.0, 0.0], [3.0, 0.0, 0.0]]
    for f in e["other_fields"]:
        assert f["dI_over_I0_rel"] > 0 and f["R_ohm_rel"] >= 0
    keys = ("dI_over_I0_rel", "rho_rel", "R_ohm_rel")
    assert e["max_rel"] == max([e[k] for k in keys] + [f[k] for f in e["other_fields"]
                                                       for k in keys])
    assert e["rho"] == pytest.approx(e["dI_over_I0"], rel=1e-6)  # two contacts: rho = -dI/I0
    assert "error estimate (Richardson" in summary(res)


def test_tolerance_run_on_the_iterative_path_ties_the_krylov_tolerance_to_it():
    """[mesh] tolerance with [solver] linear = "iterative": the Krylov solves go to
    krylov.rtol_for(tolerance), reported in results.json, and the refinement reaches the
    tolerance. The element indicators carry the algebraic error, so the marked elements
    (and the final mesh) may differ from the direct path's; the answers agree within the
    tolerance (both are within it of the converged value, by the estimate)."""
    from omm_fem.krylov import rtol_for

    ell = parse_config(_rect_config()).resolved["ell_m"]
    tol = 1e-3
    out = {}
    for lin in ("direct", "iterative"):
        cfg = _rect_config(tolerance=tol, edge_size=ell)
        cfg["solver"]["linear"] = lin
        out[lin] = run(parse_config(cfg), progress=False).results
    it, di = out["iterative"], out["direct"]
    assert it["solver"]["krylov_rtol"] == rtol_for(tol) == pytest.approx(1e-7)
    assert "krylov_rtol" not in di["solver"]
    assert it["refinement"]["met"] and it["error_estimate"]["max_rel"] <= tol
    assert it["refinement"]["steps"][0]["max_rel"] == pytest.approx(
        di["refinement"]["steps"][0]["max_rel"], rel=1e-3)  # the same first estimate
    assert it["delta_I_over_I0"] == pytest.approx(di["delta_I_over_I0"], rel=tol)


def test_notebook_solve_with_an_error_estimate_and_a_tolerance():
    """om.solve(error_estimate=True) reports the same estimate as accuracy.estimate;
    om.solve(tolerance=) refines until it holds and returns the final mesh's solution,
    whose values are the estimate's coarse values; out of reach: a warning."""
    import warnings

    import omm_fem as om
    from omm_fem.errors import OmmError

    mat = strip_material()
    pb = strip_problem(mat, B, width=0.5e-6, length=0.8e-6, edge_size=1e-7, omm="sink")
    sol = om.solve(pb, error_estimate=True)
    e = sol.accuracy["error_estimate"]
    ref = estimate(pb).to_dict()
    assert e["dofs"] == sol.pipeline.disc.ndofs == ref["dofs"]
    assert e["dI_over_I0"] == pytest.approx(ref["dI_over_I0"], rel=1e-9)
    assert e["rho"] == pytest.approx(FACTOR * abs(sol.rho() - e["refined_values"]["rho"]),
                                     rel=1e-6)
    assert json.loads(json.dumps(sol.to_dict()))["accuracy"]["error_estimate"]["max_rel"] > 0
    assert om.solve(pb).accuracy is None and "accuracy" not in om.solve(pb).to_dict()

    tol = 1e-3
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # met: no warning
        fine = om.solve(pb, tolerance=tol)
    ref = fine.accuracy["refinement"]
    assert ref["met"] and ref["steps"][-1]["max_rel"] <= tol < ref["steps"][0]["max_rel"]
    assert fine.problem.mesh.t.shape[1] > pb.mesh.t.shape[1]  # the refined mesh's solution
    assert fine.pipeline.disc.ndofs == ref["steps"][-1]["dofs"]
    e = fine.accuracy["error_estimate"]
    assert e["rho"] == pytest.approx(FACTOR * abs(fine.rho() - e["refined_values"]["rho"]),
                                     rel=1e-6)

    cap = refined_dof_count(pb.mesh, 2) * 1.5
    with pytest.warns(UserWarning, match="not reached"):
        capped = om.solve(pb, tolerance=1e-9, max_dofs=cap)
    assert capped.accuracy["refinement"]["met"] is False
    assert "not reached" in capped.accuracy["warnings"][0]
    for kw, match in [({"tolerance": 0.7}, "tolerance"), ({"tolerance": "small"}, "tolerance"),
                      ({"error_estimate": "yes"}, "error_estimate"),
                      ({"error_estimate": True, "max_dofs": -1}, "max_dofs"),
                      ({"error_estimate": True, "max_dofs": 10}, "max_dofs = 10 is invalid")]:
        with pytest.raises(OmmError, match=match):
            om.solve(pb, **kw)


def test_notebook_sweep_estimates_its_extreme_fields():
    """om.sweep(error_estimate=True) estimates at the smallest and largest |B| (the
    config's rule for a sweep); with a tolerance the whole sweep runs on the refined mesh
    and both extremes meet it."""
    import omm_fem as om

    mat = strip_material()
    pb = strip_problem(mat, B, width=0.5e-6, length=0.8e-6, edge_size=1e-7, omm="sink")
    B_T = [2.0, 0.5, 4.0, 1.0]
    sw = om.sweep(pb, B_T=B_T, method="direct", executor=False, error_estimate=True)
    e = sw.accuracy["error_estimate"]
    assert np.allclose(e["field_T"], [0.5, 0, 0]) and np.allclose(
        e["other_fields"][0]["field_T"], [4.0, 0, 0])
    ref = estimate(pb, fields=[np.array([0.5, 0, 0]), np.array([4.0, 0, 0])]).to_dict()
    assert e["dI_over_I0"] == pytest.approx(ref["dI_over_I0"], rel=1e-9)
    # the estimate is FACTOR |Q_h - Q_h/2| of the sweep's own value at that field
    assert e["rho"] == pytest.approx(FACTOR * abs(sw.rho()[1] - e["refined_values"]["rho"]),
                                     rel=1e-6)
    assert "accuracy" in sw.to_dict() and om.sweep(pb, B_T=B_T, executor=False).accuracy is None

    fine = om.sweep(pb, B_T=B_T, method="direct", executor=False, tolerance=1e-3)
    ref = fine.accuracy["refinement"]
    assert ref["met"] and ref["steps"][-1]["max_rel"] <= 1e-3
    assert fine.pipeline.disc.ndofs == ref["steps"][-1]["dofs"] > sw.pipeline.disc.ndofs
    assert set(ref["steps"][-1]["estimates_rel"]) >= {"dI_over_I0", "field_1:dI_over_I0"}

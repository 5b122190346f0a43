"""The notebook API, used as a notebook would: everything from the top-level
``omm_fem`` namespace, SI in and out, figures drawn into given Axes.

One small Hall bar (2 um x 0.5 um, two arm pairs, L_m = 100 nm, boundary
elements of L_m / 4) is solved once, swept over 20 fields and integrated in
time once; the tests read those results."""
import json
import sys

import numpy as np
import pytest
from matplotlib.figure import Figure

import omm_fem as om

TAU = 1e-12  # s
B_STEADY = 1.5  # T, along x
B_T = 0.3 * np.arange(20)  # T: 0 .. 5.7, B_T[5] is B_STEADY
K_STEADY = 5


def _material():
    return om.Material.from_units(D=1e-2, tau=TAU, alpha=0.05, sigma=1.6e-3,
                                  X=np.diag([24.4, 24.4, 2.44]), X_unit="1/m_e")


@pytest.fixture(scope="module")
def problem():
    mat = _material()
    assert mat.L_m == pytest.approx(100e-9)
    mesh = om.hall_bar(length=2e-6, width=0.5e-6, arms=[0.7e-6, 1.3e-6], arm_width=0.2e-6,
                       arm_length=0.3e-6, edge_size=mat.L_m / 4)
    return om.Problem(mesh=mesh, materials=mat, B=[B_STEADY, 0, 0],
                      contacts=[om.Contact("source", current=1e-6),
                                om.Contact("drain", voltage=0.0)])


R4 = om.Measurement("R4", current=("source", "drain"), voltage=("probe_1_top", "probe_2_top"))
RH = om.Measurement("RH", current=("source", "drain"), voltage=("probe_1_top", "probe_1_bottom"))


@pytest.fixture(scope="module")
def steady(problem):
    return om.solve(problem, measurements=[R4, RH])


@pytest.fixture(scope="module")
def swept(problem):
    return om.sweep(problem, B_T=B_T, measurements=[R4, RH])  # defaults: reduced model


def test_steady_solution(steady):
    ndofs = steady.n.shape[1]
    assert steady.measurement_names == ["two_terminal", "R4", "RH"]
    assert steady.n.shape == (3, ndofs) and steady.points.shape == (2, ndofs)
    assert steady.phi.shape == steady.phi0.shape == (ndofs,)
    np.testing.assert_array_equal(steady.B, [B_STEADY, 0, 0])
    assert steady.currents["source"] == pytest.approx(1e-6, rel=1e-12)
    assert abs(sum(steady.currents.values())) < 1e-9 * 1e-6  # current balance
    assert steady.voltages["drain"] == 0.0
    # the OMM lowers the resistance (negative rho); with a current drive
    # rho = dV/V0 = R/R0 - 1 exactly, for two and four terminals alike
    for name in ("two_terminal", "R4"):
        rho, R, R0 = steady.rho(name), steady.resistance(name), steady.resistance0(name)
        assert -1e-2 < rho < -1e-4
        assert R / R0 - 1 == pytest.approx(rho, rel=1e-9)
    assert steady.resistance("R4") < steady.resistance("two_terminal")  # no contact region
    # the package's own two-terminal rho, from the full correction solve
    tt = steady.pipeline.two_terminal(steady.field_solution)
    assert steady.rho() == pytest.approx(tt["rho"], rel=1e-9)
    # the transverse pair has R0 ~ 0 by symmetry: rho undefined, reported as NaN
    assert np.isnan(steady.rho("RH"))
    with pytest.raises(ValueError):
        steady.n[2, 0] = 1.0  # the arrays are read-only views
    with pytest.raises(om.OmmError, match="allowed: \\['two_terminal', 'R4', 'RH'\\]"):
        steady.rho("R2")


def test_profile_at_dofs_equals_n(steady):
    nv = steady.problem.mesh.p.shape[1]
    n, pts = steady.n, steady.points
    scale = np.abs(n).max()
    assert scale > 0
    idx = [0, nv // 2, nv + 7, n.shape[1] - 1]  # vertices and P2 edge DOFs
    for k in idx:
        np.testing.assert_allclose(steady.profile(pts[:, k]), n[:, k], rtol=0,
                                   atol=1e-10 * scale)
    many = steady.profile(pts[:, idx])
    assert many.shape == (3, len(idx))
    np.testing.assert_allclose(many, n[:, idx], rtol=0, atol=1e-10 * scale)
    with pytest.raises(om.OmmError, match="outside the sample"):
        steady.profile([[5e-6], [0.0]])


def test_sweep_matches_steady_solution(steady, swept):
    assert swept.fields.shape == (20, 3)
    np.testing.assert_array_equal(swept.B_T, B_T)
    np.testing.assert_array_equal(swept.fields[K_STEADY], steady.B)
    for name in ("two_terminal", "R4"):
        rho = swept.rho(name)
        assert rho.shape == (20,)
        # the 20-field sweep is the reduced model: rho certified to its tol = 1e-8 relative
        assert rho[K_STEADY] == pytest.approx(steady.rho(name), rel=1e-8)
        R0 = swept.resistance0(name)
        assert np.ptp(R0) <= 1e-12 * R0[0]  # alpha^0 does not see the field
        assert R0[0] == pytest.approx(steady.resistance0(name), rel=1e-12)
        np.testing.assert_allclose(swept.resistance(name) / R0 - 1, rho, rtol=1e-9)
    assert np.all(np.isnan(swept.rho("RH")))


def test_rho_star(swept):
    for name in ("two_terminal", "R4"):
        rs = swept.rho_star(name)
        assert rs[0] == 0.0  # the B = 0 point of the sweep is rho(0)
        assert np.all(np.diff(rs) > 0) and np.all((rs[1:] > 0) & (rs[1:] < 1))
        assert np.all(np.diff(np.abs(swept.rho(name))) < 0)  # Hanle dephasing: |rho| falls
    with pytest.raises(om.OmmError, match="'RH'.*undefined"):
        swept.rho_star("RH")


def test_rho_star_from_an_extra_zero_field_solve(problem, swept):
    pick = [K_STEADY, 2 * K_STEADY]
    two = om.sweep(problem, fields=swept.fields[pick], measurements=[R4])  # no B = 0 point
    assert two.method == "direct"
    np.testing.assert_allclose(two.direction(), [1, 0, 0])
    # direct solves against the reduced model (rho to its tol 1e-8); rho* = (rho - rho0) /
    # (rho_inf - rho0) magnifies that by rho / (rho - rho0) <= ~30 at these fields
    np.testing.assert_allclose(two.rho("R4"), swept.rho("R4")[pick], rtol=1e-8)
    np.testing.assert_allclose(two.rho_star("R4"), swept.rho_star("R4")[pick], rtol=3e-7)
    turned = om.sweep(problem, fields=[[1.0, 0, 0], [0, 1.0, 0]])
    with pytest.raises(om.OmmError, match="along one direction"):
        turned.rho_star()


def test_plots_draw_into_the_given_axes(steady, swept):
    fig = Figure()
    ax = fig.subplots()
    assert swept.plot(ax=ax) is fig
    assert [ln.get_label() for ln in ax.lines] == ["two_terminal", "R4", "RH"]
    assert ax.get_xlabel() == "|B| (T)"
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), swept.rho("R4"))
    fig2 = Figure()
    axes = fig2.subplots(1, 2)
    assert swept.plot(ax=axes[1], star=True, names=["R4"]) is fig2
    np.testing.assert_array_equal(axes[1].lines[0].get_ydata(), swept.rho_star("R4"))
    assert not axes[0].lines
    assert steady.plot_map(ax=axes[0], component="y") is fig2
    assert axes[0].collections  # the tripcolor and the outline
    own = steady.plot_map()
    assert isinstance(own, Figure) and own.canvas.manager is None  # bare, not pyplot's
    with pytest.raises(om.OmmError, match="component"):
        steady.plot_map(component="w")


def test_to_dict_is_json(steady, swept, tmp_path):
    d = steady.to_dict()
    assert json.loads(json.dumps(d, allow_nan=False)) == d
    assert d["field_T"] == [B_STEADY, 0.0, 0.0]
    assert d["measurements"]["R4"]["rho"] == steady.rho("R4")
    assert d["measurements"]["R4"]["voltage"] == ["probe_1_top", "probe_2_top"]
    assert d["measurements"]["RH"]["rho"] is None  # NaN -> null
    assert d["contacts"]["source"]["current_A"] == steady.currents["source"]
    assert "n_C_per_m2" not in d
    full = steady.to_dict(fields=True)
    assert np.array_equal(np.array(full["n_C_per_m2"]), steady.n)
    s = swept.to_dict(star=True)
    assert json.loads(json.dumps(s, allow_nan=False)) == s
    assert s["measurements"]["R4"]["rho_star"] == swept.rho_star("R4").tolist()
    assert s["measurements"]["RH"]["rho_star"] is None and "undefined" in \
        s["measurements"]["RH"]["rho_star_note"]
    path = steady.write_vtu(tmp_path / "fields.vtu")
    assert path.stat().st_size > 1000 and path.read_bytes().startswith(b"<?xml")


def test_to_dataframe(swept, monkeypatch):
    try:
        import pandas  # noqa: F401
    except ImportError:
        pass
    else:
        df = swept.to_dataframe()
        assert list(df.columns[:4]) == ["B_x_T", "B_y_T", "B_z_T", "B_T"]
        assert list(df.columns[4:7]) == ["two_terminal.R_ohm", "two_terminal.R0_ohm",
                                         "two_terminal.rho"]
        assert len(df.columns) == 4 + 3 * 3 and len(df) == 20
        np.testing.assert_array_equal(df["R4.rho"].to_numpy(), swept.rho("R4"))
    monkeypatch.setitem(sys.modules, "pandas", None)  # as if pandas were not installed
    with pytest.raises(om.OmmError, match="pip install pandas"):
        swept.to_dataframe()


def test_transient_current_step_reaches_the_steady_state(problem, steady):
    # Tolerance: every mode of n decays at least like exp(-t/tau) (precession only
    # rotates n; diffusion and the sink contacts add decay), so at t_end = 10 tau the
    # remaining transient is below e^-10 ~ 4.5e-5 of the step; the steady state is
    # the exact fixed point of Crank-Nicolson, so the step size adds no late-time bias.
    # 1e-4 covers both with margin (measured: ~1e-6).
    tr = om.simulate(problem, t_end=10 * TAU, dt=TAU / 2, measurements=[R4],
                     waveforms=[{"target": "contacts.source", "kind": "step",
                                 "amplitude": 1e-6}])
    assert tr.measurement_names == ["two_terminal", "R4"]
    assert tr.t[0] == 0.0 and tr.t[-1] == pytest.approx(10 * TAU, rel=1e-12)
    assert tr.t.shape == tr.rho("R4").shape == (21,)
    for name in ("two_terminal", "R4"):
        rho = tr.rho(name)
        assert abs(rho[1]) < 0.9 * abs(steady.rho(name))  # it starts from n = 0
        assert rho[-1] == pytest.approx(steady.rho(name), rel=1e-4)
    assert tr.resistance0("R4")[-1] == pytest.approx(steady.resistance0("R4"), rel=1e-12)
    dn = np.linalg.norm(tr.final_n - steady.n) / np.linalg.norm(steady.n)
    assert tr.final_n.shape == steady.n.shape and dn < 1e-3
    np.testing.assert_array_equal(tr.rho(), tr.trace("rho"))
    d = tr.to_dict()
    assert json.loads(json.dumps(d, allow_nan=False)) == d
    assert len(d["traces"]["R4.rho"]) == 21 and d["final"]["R4.rho"] == tr.rho("R4")[-1]
    fig = Figure()
    ax = fig.subplots()
    assert tr.plot(ax=ax, columns=("rho", "R4.rho")) is fig
    assert [ln.get_label() for ln in ax.lines] == ["rho", "R4.rho"]
    with pytest.raises(om.OmmError, match="column = 'R4.R'"):
        tr.trace("R4.R")


def test_bad_input_names_the_argument(problem):
    reserved = om.Measurement("two_terminal", current=("source", "drain"),
                              voltage=("probe_1_top", "probe_2_top"))
    for call in (lambda: om.solve(problem, measurements=[reserved]),
                 lambda: om.sweep(problem, B_T=[0.0, 1.0], measurements=[reserved]),
                 lambda: om.simulate(problem, t_end=1e-12, dt=1e-13, measurements=[reserved])):
        with pytest.raises(om.OmmError, match="'two_terminal' is reserved"):
            call()
    cases = [
        (lambda: om.solve("problem.toml"), "problem = 'problem.toml' is invalid"),
        (lambda: om.solve(problem, measurements=[R4, R4]), "unique"),
        (lambda: om.solve(problem, measurements=R4), "measurements = "),
        (lambda: om.solve(problem, measurements=[om.Measurement(
            "X", current=("source", "drain"), voltage=("probe_9_top", "drain"))]),
         "'probe_9_top' is neither a contact nor a tagged boundary"),
        (lambda: om.solve(problem, measurements=[om.Measurement(
            "X", current=("probe_1_top", "drain"), voltage=("source", "drain"))]),
         "'probe_1_top' is not a contact"),
        (lambda: om.sweep(problem), "exactly one of 'fields'"),
        (lambda: om.sweep(problem, [[1, 0, 0]], B_T=[1.0]), "exactly one of 'fields'"),
        (lambda: om.sweep(problem, [[1, 0]]), "fields = "),
        (lambda: om.sweep(problem, B_T=[[1.0, 2.0]]), "B_T = "),
        (lambda: om.sweep(problem, B_T=[1.0], direction=(0, 0, 0)), "direction = "),
        (lambda: om.sweep(problem, B_T=[1.0], method="fast"), "method = 'fast'.*'reduced'"),
        (lambda: om.sweep(problem, B_T=[1.0], executor=4), "executor = 4"),
        (lambda: om.simulate(problem, t_end=1e-12, dt=1e-13, scheme="rk4"),
         "scheme = 'rk4'.*'cn'"),
        (lambda: om.simulate(problem, t_end=1e-12, dt=1e-11), "dt = 1e-11.*t_end"),
        (lambda: om.simulate(problem, t_end=-1.0, dt=1e-13), "t_end = -1.0"),
        (lambda: om.simulate(problem, t_end=1e-12, dt=1e-13, scheme="bdf2", adaptive=True),
         "adaptive"),
        (lambda: om.simulate(problem, t_end=1e-12, dt=1e-13, initial="file"), "initial = 'file'"),
        (lambda: om.simulate(problem, t_end=1e-12, dt=1e-13,
                             waveforms=[{"target": "contacts.gate", "kind": "step",
                                         "amplitude": 1.0}]), "contacts.gate"),
        (lambda: om.simulate(problem, t_end=1e-12, dt=1e-13, waveforms=[{"kind": "step"}]),
         "waveforms\\[0\\].target"),
    ]
    for call, match in cases:
        with pytest.raises(om.OmmError, match=match):
            call()


def test_top_level_namespace():
    for name in ("solve", "sweep", "simulate", "SteadySolution", "SweepSolution",
                 "TransientSolution", "Pipeline", "Terminals", "Measurement", "sweep_terminals",
                 "SweepResult", "make_waveform", "hall_bar", "rectangle", "polygon", "annulus",
                 "load_mesh", "analytic", "OmmError", "ConfigError", "MeshError", "M_E",
                 "__version__"):
        assert name in om.__all__ and hasattr(om, name), name
    assert om.solve.__module__ == "omm_fem.api"
    w = om.make_waveform({"target": "B.x", "kind": "step", "amplitude": 2.0, "t0": 1e-12})
    assert w.value(0.0) == 0.0 and w.value(2e-12) == 2.0

"""The iterative linear path (AMG-preconditioned CG/GMRES, omm_fem.krylov) gives the
direct solver's numbers, and its preconditioner is robust in the precession."""
import numpy as np
import pytest

import omm_fem as om
from omm_fem import krylov
from omm_fem.errors import OmmError
from omm_fem.krylov import IterativeSolve
from omm_fem.linalg import AUTO_ITERATIVE_DOFS, linear_method
from omm_fem.measure import Terminals
from omm_fem.steady import Pipeline


@pytest.fixture(scope="module")
def problem():
    mat = om.Material.from_units(D=1e-2, tau=1e-12, alpha=0.05, sigma=1.6e-3,
                                 X=np.diag([24.4, 24.4, 2.44]), X_unit="1/m_e")
    bar = om.hall_bar(length=1.2e-6, width=0.4e-6, arms=[0.4e-6, 0.8e-6], arm_width=0.1e-6,
                      arm_length=0.15e-6, edge_size=2e-8)
    return om.Problem(mesh=bar, materials=mat, B=[2.0, 0, 0], order=1, drift=False,
                      contacts=[om.Contact("source", current=1e-6), om.Contact("drain", voltage=0.0)])


def test_iterative_pipeline_equals_direct(problem):
    m = om.Measurement("Rxx", current=("source", "drain"), voltage=("probe_1_top", "probe_2_top"))
    rho = {}
    for lin in ("direct", "iterative"):
        pipe = Pipeline(problem, linear=lin)
        assert pipe.linear == lin and pipe.omm.factors.method == lin
        T = Terminals(pipe, probes=["probe_1_top", "probe_2_top"])
        sol = pipe.at_field([3.0, 0.0, 0.0])
        rho[lin] = T.resistance(T.response_of(sol), T.zeroth_order(), m)[2][0]
        assert pipe.current_balance(sol) < 1e-8  # the Krylov residual, 1e-10, not rounding
    # residual 1e-10 per solve; rho is a normalised difference of O(1) potentials
    assert abs(rho["iterative"] - rho["direct"]) <= 1e-8 * abs(rho["direct"])


def test_shifted_preconditioner_is_robust_in_the_precession(problem):
    """AMG of S + |lam| M for S + lam M: the spectrum of the preconditioned operator
    lies on the chord from 1 to lam/|lam| whatever Im lam, so GMRES needs about as many
    iterations at phi = 200 as at phi = 2."""
    omm = Pipeline(problem, linear="direct").omm
    S, M, f = omm.S, omm.M, omm.f_free.astype(complex)
    counts = {}
    for phi in (2.0, 200.0):
        lam = 1.0 + 1j * phi
        it = IterativeSolve(S + lam * M, precond_matrix=S + abs(lam) * M)
        x = it.solve(f)
        assert np.linalg.norm((S + lam * M) @ x - f) <= 1e-10 * np.linalg.norm(f) * 1.01
        counts[phi] = it.iterations[0]
    assert counts[200.0] <= counts[2.0] + 10 and counts[200.0] < 60, counts


def test_auto_and_bad_values():
    assert linear_method("auto", AUTO_ITERATIVE_DOFS - 1) == "direct"
    assert linear_method("auto", AUTO_ITERATIVE_DOFS) == "iterative"
    with pytest.raises(OmmError, match="solver.linear = 'fast' is invalid"):
        linear_method("fast", 10)


def test_configured_run_with_iterative_solves(tmp_path):
    """[solver] linear = "iterative" reaches the pipeline and gives the direct numbers."""
    from omm_fem.config import default_config, parse_config
    from omm_fem.errors import ConfigError
    from omm_fem.run import run

    rho = {}
    for lin in ("direct", "iterative"):
        cfg = default_config()
        cfg.pop("sweep")
        cfg["mesh"] = {"order": 1, "edge_size": 2e-8}
        cfg["solver"]["linear"] = lin
        res = run(parse_config(cfg), progress=False).results
        assert res["solver"]["linear"] == lin
        # the Krylov tolerance is reported where it applies (no [mesh] tolerance: RTOL)
        assert res["solver"].get("krylov_rtol") == (krylov.RTOL if lin == "iterative" else None)
        rho[lin] = res["rho"]
    assert abs(rho["iterative"] - rho["direct"]) <= 1e-8 * abs(rho["direct"])
    cfg["solver"]["linear"] = "fast"
    with pytest.raises(ConfigError, match="solver.linear"):
        parse_config(cfg)


def test_notebook_api_takes_the_linear_path(problem, monkeypatch):
    """om.solve / om.sweep choose the path like a configured run: "auto" by default
    (direct on this small mesh; iterative once the threshold is below its size), or
    forced; the numbers agree; a bad value names the argument."""
    from omm_fem import linalg

    m = om.Measurement("Rxx", current=("source", "drain"), voltage=("probe_1_top", "probe_2_top"))
    auto = om.solve(problem, measurements=[m])
    assert auto.pipeline.linear == "direct"
    it = om.solve(problem, measurements=[m], linear="iterative")
    assert it.pipeline.linear == "iterative"
    # the Krylov residual (1e-10 per solve) bounds the difference, as in the pipeline test
    assert abs(it.rho("Rxx") - auto.rho("Rxx")) <= 1e-8 * abs(auto.rho("Rxx"))
    monkeypatch.setattr(linalg, "AUTO_ITERATIVE_DOFS", problem.mesh.p.shape[1])
    sw = om.sweep(problem, B_T=[1.0, 3.0], measurements=[m], executor=False)
    assert sw.pipeline.linear == "iterative"
    direct = om.sweep(problem, B_T=[1.0, 3.0], measurements=[m], executor=False,
                      linear="direct")
    assert direct.pipeline.linear == "direct"
    assert np.allclose(sw.rho("Rxx"), direct.rho("Rxx"), rtol=1e-8, atol=0)
    for fn in (lambda: om.solve(problem, linear="fast"),
               lambda: om.sweep(problem, B_T=[1.0], linear=None)):
        with pytest.raises(OmmError, match="linear = .* is invalid: allowed"):
            fn()


def test_configured_default_is_auto():
    from omm_fem.config import default_config, parse_config

    cfg = default_config()
    cfg["solver"].pop("linear", None)
    assert parse_config(cfg).linear == "auto"

"""Time stepping (SPEC §7): convergence orders against exact solutions, the
approach to the steady solver, energy decay, adaptive step control, reuse of
factorisations.

Exact references:
- a spatially uniform state with zero-flux boundaries and no drive stays
  uniform (constants are in the element space and S 1 = 0), so the FEM
  solution is the exact ODE solution n(t) = exp(-A t) n(0) and the only error
  is that of the time stepping;
- a rotating in-plane field with X_xx = X_yy is constant in the co-rotating
  frame: n(t) = R(w t) exp(-(A0 + w [e_z]x) t) n(0);
- a pulse along x commutes with itself: n(t) = exp(-t/tau) exp(-Om_x int B) n(0).
"""
import math

import numpy as np
import pytest
import scipy.linalg as sla

from omm_fem.geometry import rectangle
from omm_fem.material import Material, cross_matrix
from omm_fem.problem import Contact, Problem
from omm_fem.steady import Pipeline
from omm_fem.transient import (
    Integrator,
    Schedule,
    StepStats,
    TransientSystem,
    evolve,
    make_waveform,
    two_terminal,
)
from omm_fem.units import E_CHARGE, M_E

LM, TAU = 100e-9, 1e-12  # L_m and tau of the test material
ORDER_TOL = 0.1  # the tolerance on observed orders


def material(theta=0.3):
    return Material(D=1e-2, tau=TAU, alpha=0.05, sigma=1.6e-3, mobility=1.0,
                    X=np.diag([1.0, 1.0, theta]) / (0.041 * M_E))


def omegas(mat):
    """(omega_y, omega_z) per tesla [1/(T s)]: (e/2) X_yy, (e/2) X_zz."""
    return 0.5 * E_CHARGE * mat.X[1, 1], 0.5 * E_CHARGE * mat.X[2, 2]


def make_system(mat, B, *, length, width, size, edge_size=None, order=2, source="reflecting",
                drain="reflecting", drift=False, current=0.0, waves=()):
    grade = edge_size is not None and "sink" in (source, drain)
    mesh = rectangle(length=length, width=width, size=size, edge_size=edge_size,
                     grade_contacts=grade)
    pb = Problem(mesh=mesh, materials=mat, B=B, order=order, drift=drift,
                 contacts=[Contact("source", current=current, omm=source),
                           Contact("drain", voltage=0.0, omm=drain)])
    pipe = Pipeline(pb)
    sched = Schedule([make_waveform(w) for w in waves], B=pb.B, contacts=pb.contacts)
    return TransientSystem(pipe, sched)


def final(system, n0, **kw):
    for t, n in evolve(system, n0, **kw):
        pass
    return t, n


def order_of(errors):
    """Least-squares slope of log(error) against log(1/dt) for dt halving."""
    e = np.asarray(errors)
    return np.polyfit(np.log(0.5 ** np.arange(len(e))), np.log(e), 1)[0]


# --------------------------------------------------------------- uniform state
N0 = np.array([0.2, -0.4, 1.0])  # arbitrary initial OMM direction (scaled units)


@pytest.fixture(scope="module")
def uniform():
    mat = material(0.3)
    wy, wz = omegas(mat)
    Bx = 2.0 / (wy * TAU)  # phi = omega_y tau = 2
    sysm = make_system(mat, [Bx, 0, 0], length=2 * LM, width=LM, size=LM / 2)

    def exact(t):
        """Damped precession at omega* = sqrt(omega_y omega_z) B (B along x, SPEC §7)."""
        w = math.sqrt(wy * wz) * Bx
        c, s, a = math.cos(w * t), math.sin(w * t), math.exp(-t / TAU)
        nx, ny, nz = N0
        return a * np.array([nx, ny * c + math.sqrt(wz / wy) * nz * s,
                             nz * c - math.sqrt(wy / wz) * ny * s])

    return sysm, exact


@pytest.mark.parametrize("scheme", ["be", "cn", "bdf2", "strang"])
def test_uniform_state_convergence_order(uniform, scheme):
    sysm, exact = uniform
    n0 = np.outer(N0, np.ones(sysm.nfree))
    T = 2 * TAU
    errs = []
    for k in range(4):
        t, n = final(sysm, n0, t_end=T, dt=T / (20 * 2**k), scheme=scheme)
        assert t == T
        # the state stays uniform: spread over the DOFs is rounding only
        assert np.ptp(n, axis=1).max() <= 1e-12
        errs.append(np.abs(n[:, 0] - exact(T)).max())
    expected = 1 if scheme == "be" else 2
    assert abs(order_of(errs) - expected) <= ORDER_TOL, errs


def test_exact_reference_is_damped_precession_at_omega_star(uniform):
    """The system's own A~ has eigenvalues tau0/tau +- i omega* tau0 (SPEC §7)."""
    sysm, exact = uniform
    mat = sysm.materials[0]
    wy, wz = omegas(mat)
    Bx = sysm.problem.B[0]
    lam = np.sort_complex(np.linalg.eigvals(sysm.relaxation(sysm.problem.B)[0]))
    w = math.sqrt(wy * wz) * Bx * TAU
    np.testing.assert_allclose(lam, [1 - 1j * w, 1, 1 + 1j * w], rtol=1e-12)
    t = 0.37 * TAU
    np.testing.assert_allclose(sla.expm(-sysm.relaxation(sysm.problem.B)[0] * t / TAU) @ N0,
                               exact(t), rtol=1e-12)


def test_small_matrix_exponential_matches_scipy():
    from omm_fem.transient.system import expm_small

    rng = np.random.default_rng(3)
    for angle in (1e-3, 0.3, 3.0, 10.0):
        b = rng.standard_normal(3)
        A = -angle * cross_matrix(b / np.linalg.norm(b)) @ np.diag([1.0, 0.7, 0.2])
        A -= 0.1 * np.eye(3)
        # rounding of the squarings grows with the angle: 1e-13 covers 10 rad
        np.testing.assert_allclose(expm_small(A), sla.expm(A), rtol=0, atol=1e-13)
    batch = rng.standard_normal((5, 3, 3))
    np.testing.assert_allclose(expm_small(batch), [sla.expm(m) for m in batch], rtol=0, atol=1e-13)


def test_strang_splitting_second_order_for_a_rotating_field():
    mat = material(0.3)  # X_xx = X_yy: the rotation about z commutes with X
    wy, _ = omegas(mat)
    b = 1.5 / (wy * TAU)
    f = 0.4 / TAU  # one turn in 2.5 tau
    waves = [{"target": "B.x", "kind": "sine", "amplitude": b, "frequency": f,
              "phase": math.pi / 2},
             {"target": "B.y", "kind": "sine", "amplitude": b, "frequency": f}]
    sysm = make_system(mat, [0, 0, 0], length=2 * LM, width=LM, size=LM / 2, waves=waves)
    A0 = sysm.relaxation(np.array([b, 0, 0]))[0]  # scaled
    E = cross_matrix([0, 0, 1.0])
    w = 2 * math.pi * f * TAU  # scaled angular velocity

    def exact(t):
        s = t / TAU
        return sla.expm(w * s * E) @ sla.expm(-(A0 + w * E) * s) @ N0

    n0 = np.outer(N0, np.ones(sysm.nfree))
    T = 2 * TAU
    errs = []
    for k in range(4):
        f0 = sysm.factors.factorizations
        _, n = final(sysm, n0, t_end=T, dt=T / (16 * 2**k), scheme="strang")
        assert sysm.factors.factorizations - f0 <= 1  # one factorisation although B(t) varies
        errs.append(np.abs(n[:, 0] - exact(T)).max())
    assert abs(order_of(errs) - 2) <= ORDER_TOL, errs


# --------------------------------------------------------------- strip switched on
@pytest.fixture(scope="module")
def strip():
    mat = material(0.1)
    sysm = make_system(mat, [0, 0, 0], length=5 * LM, width=5 * LM, size=LM / 2,
                       edge_size=LM / 5, drain="sink", current=1e-6,
                       waves=[{"target": "contacts.source", "kind": "step", "amplitude": 1e-6}])
    pipe = sysm.pipeline
    steady = pipe.two_terminal(pipe.at_field([0, 0, 0]))["delta_I_over_I0"]
    return sysm, steady


def strip_trace(sysm, scheme, damped_steps=2):
    out = []
    for t, n in evolve(sysm, np.zeros((3, sysm.nfree)), t_end=25 * TAU, dt=0.25 * TAU,
                       scheme=scheme, damped_steps=damped_steps):
        if t > 0:
            sol, V0, I0, _ = sysm.observe(t, n, field=False)
            out.append(two_terminal(sysm.pipeline, sol, V0, I0)["delta_I_over_I0"])
    return np.array(out)


def excess_variation(tr):
    """Total variation of the trace from 0 beyond |end value|, relative: 0 iff monotone."""
    tv = abs(tr[0]) + np.abs(np.diff(tr)).sum()
    return (tv - abs(tr[-1])) / abs(tr[-1])


# The semi-discrete trace is monotone for B = 0: source and observable are the
# same functional (reciprocity), so Delta I(t) = sum_k c_k (1 - exp(-lam_k t))
# with c_k >= 0. Backward Euler and BDF2 keep that to rounding (1e-12); the
# damped Crank-Nicolson start leaves stiff modes of relative size ~4e-8 (CN's
# amplification -> -1), kept below the 1e-6 asked of the end value.
MONOTONE_TOL = {"bdf2": 1e-12, "cn": 1e-6}


@pytest.mark.parametrize("scheme", ["cn", "bdf2"])
def test_switch_on_tends_to_steady_without_oscillation(strip, scheme):
    sysm, steady = strip
    tr = strip_trace(sysm, scheme)
    # the slowest sourced mode decays like exp(-1.4 t/tau) (0.25 tau steps): gone by 25 tau
    assert abs(tr[-1] / steady - 1) <= 1e-6
    assert excess_variation(tr) <= MONOTONE_TOL[scheme]


def test_undamped_crank_nicolson_oscillates(strip):
    """The monotonicity check has teeth: plain CN rings after the switch."""
    sysm, steady = strip
    tr = strip_trace(sysm, "cn", damped_steps=0)
    assert excess_variation(tr) > 1.0


def test_observables_match_the_steady_solver_with_drift_and_field():
    """Steady state of the transient operator == Pipeline.at_field (drift on, B on, sinks);
    reciprocity currents == ChargeSolver.correction currents."""
    mat = material(0.3)
    wy, _ = omegas(mat)
    B = [1.3 / (wy * TAU), 0.4 / (wy * TAU), 0.2 / (wy * TAU)]
    sysm = make_system(mat, B, length=4 * LM, width=3 * LM, size=LM / 2, source="sink",
                       drain="sink", drift=True, current=3e-4)
    pipe = sysm.pipeline
    ref = pipe.at_field(B)
    n = sysm.steady(0.0)
    scale = np.abs(ref.n).max()
    sol, V0, I0, _ = sysm.observe(0.0, n, field=True)
    assert np.abs(sol.n - ref.n).max() <= 1e-10 * scale
    fast, _, _, _ = sysm.observe(0.0, n, field=False)
    for c in pipe.disc.contact_names:
        assert fast.currents[c] == pytest.approx(ref.currents[c], rel=1e-10)
        assert fast.voltages[c] == pytest.approx(ref.voltages[c], rel=1e-10, abs=1e-15)
    a, b = two_terminal(pipe, sol, V0, I0), pipe.two_terminal(ref)
    assert a["rho"] == pytest.approx(b["rho"], rel=1e-9)
    assert a["delta_I_over_I0"] == pytest.approx(b["delta_I_over_I0"], rel=1e-9)


def test_driven_run_tends_to_steady_with_drift_and_field():
    mat = material(0.3)
    wy, _ = omegas(mat)
    B = [1.0 / (wy * TAU), 0, 0]
    sysm = make_system(mat, B, length=4 * LM, width=3 * LM, size=LM / 2, source="sink",
                       drain="sink", drift=True, current=3e-4,
                       waves=[{"target": "contacts.source", "kind": "step", "amplitude": 3e-4}])
    ref = sysm.pipeline.at_field(B)
    for scheme in ("cn", "bdf2"):
        _, n = final(sysm, np.zeros((3, sysm.nfree)), t_end=30 * TAU, dt=0.5 * TAU, scheme=scheme)
        nf = ref.n[:, sysm.free] / sysm.units.density
        assert sysm.norm(n - nf) <= 1e-6 * sysm.norm(nf)


# --------------------------------------------------------------- energy
@pytest.mark.parametrize("scheme", ["be", "cn", "bdf2", "strang"])
def test_energy_never_increases_without_field_and_drive(scheme):
    mat = material(0.3)
    sysm = make_system(mat, [0, 0, 0], length=4 * LM, width=3 * LM, size=LM / 3, source="sink",
                       drain="relaxing", drift=True)
    n0 = np.random.default_rng(7).standard_normal((3, sysm.nfree))  # rough data: all modes
    for dt in (0.05 * TAU, 0.5 * TAU):
        states = [n for _, n in evolve(sysm, n0, t_end=4 * TAU, dt=dt, scheme=scheme)]
        e = np.array([sysm.norm(n) for n in states])
        assert np.all(np.diff(e) <= 1e-14 * e[:-1]), scheme
        if scheme == "bdf2":  # the norm BDF2 provably does not increase (G-stability)
            g = [math.hypot(sysm.norm(states[k]), sysm.norm(2 * states[k] - states[k - 1]))
                 for k in range(2, len(states))]
            assert np.all(np.diff(g) <= 1e-14 * np.array(g[:-1]))


# --------------------------------------------------------------- adaptive
@pytest.mark.parametrize("scheme,tol", [("cn", 1e-3), ("cn", 1e-5), ("be", 1e-4), ("strang", 1e-5)])
def test_adaptive_meets_its_local_tolerance(uniform, scheme, tol):
    """Every accepted step, redone from the exact state, errs by <= tol * scale (L2)."""
    sysm, exact = uniform
    ones = np.ones(sysm.nfree)
    stats = StepStats()
    final(sysm, np.outer(N0, ones), t_end=4 * TAU, dt=0.01 * TAU, scheme=scheme, adaptive=True,
          tol=tol, stats=stats)
    assert stats.steps > 5
    integ = Integrator(sysm)
    for t0, t1, err, scale, damped in stats.accepted:
        small, _ = integ.doubled_step(scheme, t0, t1, t1 - t0, np.outer(exact(t0), ones), damped)
        assert sysm.norm(small - np.outer(exact(t1), ones)) <= tol * scale


def test_adaptive_takes_fewer_steps_on_a_pulse():
    mat = material(0.3)
    wy, _ = omegas(mat)
    amp, sig, tc = 20 / (wy * TAU), 0.05 * TAU, 1.0 * TAU  # 20 rad of precession in ~0.2 tau
    wave = {"target": "B.x", "kind": "pulse", "shape": "gaussian", "amplitude": amp, "t0": tc,
            "sigma": sig}
    sysm = make_system(mat, [0, 0, 0], length=2 * LM, width=LM, size=LM, waves=[wave])
    wy, wz = omegas(mat)

    def exact(t):
        """A field along x of any time dependence: precession angle sqrt(wy wz) int B dt."""
        q = amp * sig * math.sqrt(math.pi / 2) * (math.erf((t - tc) / (math.sqrt(2) * sig))
                                                   - math.erf(-tc / (math.sqrt(2) * sig)))
        th = math.sqrt(wy * wz) * q
        c, s = math.cos(th), math.sin(th)
        nx, ny, nz = N0
        return math.exp(-t / TAU) * np.array([nx, ny * c + math.sqrt(wz / wy) * nz * s,
                                              nz * c - math.sqrt(wy / wz) * ny * s])

    n0 = np.outer(N0, np.ones(sysm.nfree))
    T = 3 * TAU

    def run(**kw):
        s0 = sysm.factors.solves
        err = max(np.abs(n[:, 0] - exact(t)).max() for t, n in evolve(sysm, n0, t_end=T, **kw))
        return err, sysm.factors.solves - s0

    stats = StepStats()
    err_a, solves_a = run(dt=0.01 * TAU, scheme="cn", adaptive=True, tol=1e-4, stats=stats)
    N = 8
    while True:
        err_f, solves_f = run(dt=T / N, scheme="cn")
        if err_f <= err_a:
            break
        N *= 2
    assert stats.steps + stats.rejected < N
    assert solves_a < solves_f  # also less work, counting the doubled steps


# --------------------------------------------------------------- cost
def test_unchanged_operator_is_factored_once(strip):
    sysm, _ = strip
    for scheme, expected in (("cn", 1), ("bdf2", 2), ("strang", 1), ("be", 1)):
        f0, s0 = sysm.factors.factorizations, sysm.factors.solves
        sysm.factors.clear()
        stats = StepStats()
        final(sysm, np.zeros((3, sysm.nfree)), t_end=5 * TAU, dt=0.25 * TAU, scheme=scheme,
              stats=stats)
        # B = 0: one real scalar factorisation (BDF2: plus its backward Euler start)
        assert sysm.factors.factorizations - f0 == expected, scheme
        extra = 2 if scheme in ("cn", "strang") else 0  # damped start: 4 half steps for 2 steps
        assert sysm.factors.solves - s0 == stats.steps + extra, scheme


def test_drift_operator_refactored_only_when_the_drive_changes():
    """With drift, S depends on the drive: a rectangular current pulse has two drive
    values (on, off), hence two factorisations however many steps are taken."""
    mat = material(0.3)
    waves = [{"target": "contacts.source", "kind": "pulse", "amplitude": 3e-4, "t0": 0.5 * TAU,
              "width": 1.0 * TAU}]
    sysm = make_system(mat, [0, 0, 0], length=4 * LM, width=3 * LM, size=LM / 2, source="sink",
                       drain="sink", drift=True, current=3e-4, waves=waves)
    for scheme in ("strang", "cn"):
        f0 = sysm.factors.factorizations
        stats = StepStats()
        final(sysm, np.zeros((3, sysm.nfree)), t_end=3 * TAU, dt=0.1 * TAU, scheme=scheme,
              stats=stats)
        assert stats.steps == 30 and stats.restarts == 3  # t = 0 and the two switches
        assert sysm.factors.factorizations - f0 == 2, scheme


# --------------------------------------------------------------- region-wise materials
def two_regions(mat_right):
    mesh = rectangle(length=4 * LM, width=2 * LM, size=LM / 3)
    cx = mesh.p[0, mesh.t].mean(axis=0)
    mesh = mesh.with_subdomains({"left": np.flatnonzero(cx < 2 * LM),
                                 "right": np.flatnonzero(cx >= 2 * LM)})
    mat = material(0.3)
    wy, _ = omegas(mat)
    B = [1.0 / (wy * TAU), 0, 0]
    pb = Problem(mesh=mesh, materials={"left": mat, "right": mat_right}, B=B, order=2,
                 drift=False, contacts=[Contact("source", current=1e-6, omm="sink"),
                                        Contact("drain", voltage=0.0, omm="sink")])
    pipe = Pipeline(pb)
    step = make_waveform({"target": "contacts.source", "kind": "step", "amplitude": 1e-6})
    return TransientSystem(pipe, Schedule([step], B=pb.B, contacts=pb.contacts)), B


def test_region_wise_materials():
    """Different tau and D per region (same X): the implicit path is the coupled 3N
    system and tends to the coupled steady solve; the split scheme keeps the
    region-wise relaxation exact (implicit part) and the precession exact (same
    Omega), so it converges in time at order 2 to the same semi-discrete solution."""
    right = Material(D=2e-2, tau=0.5 * TAU, alpha=0.03, sigma=1.6e-3, mobility=1.0,
                     X=np.diag([1.0, 1.0, 0.3]) / (0.041 * M_E))
    sysm, B = two_regions(right)
    assert not sysm.uniform
    ref = sysm.pipeline.at_field(B).n[:, sysm.free] / sysm.units.density
    _, n = final(sysm, np.zeros((3, sysm.nfree)), t_end=30 * TAU, dt=0.25 * TAU, scheme="cn")
    assert sysm.norm(n - ref) <= 1e-6 * sysm.norm(ref)
    T = 1 * TAU
    n0 = np.zeros((3, sysm.nfree))
    fine = final(sysm, n0, t_end=T, dt=T / 640, scheme="cn")[1]
    errs = [sysm.norm(final(sysm, n0, t_end=T, dt=T / (40 * 2**k), scheme="strang")[1] - fine)
            for k in range(3)]
    assert abs(order_of(errs) - 2) <= ORDER_TOL, errs
    w = sysm.node_region_weights  # area shares of each DOF's support: a partition of unity
    assert np.abs(w.sum(axis=0) - 1).max() <= 1e-14
    assert np.mean(w.max(axis=0) == 1.0) > 0.9  # all but the interface DOFs are pure

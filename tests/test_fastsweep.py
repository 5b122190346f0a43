"""Fast field sweeps: the reduced model against point-by-point solves, executors, B = 0.

Tolerances
----------
RHO_RTOL = 1e-6   the requirement: every rho of a reduced sweep within 1e-6 relative
                  of the point-by-point result.
OUT_RTOL = 1e-7   first-order terminal changes (dI at fixed voltage, probe potential
                  changes) per field, relative to their size at that field: the greedy
                  stops at an *estimated* 1e-8 (tol); the 10x margin is what an
                  estimate (not a bound) is allowed.
NZ_RTOL = 1e-7    max |n^z_red - n^z_direct| / max |n^z_direct| per field: n^z is
                  resolved as well as the outputs (relative residuals end near 1e-10,
                  with effectivities ~1-3).
EXEC_RTOL = 1e-12 workers run the same code on the same problem: only rounding differs.
"""
import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest
from conftest import LM, field_for_phi, strip_material, strip_problem

from omm_fem.material import Material
from omm_fem.measure import Measurement, Terminals
from omm_fem.problem import Problem
from omm_fem.steady import Pipeline
from omm_fem.sweep import sweep_terminals

RHO_RTOL = 1e-6
OUT_RTOL = 1e-7
NZ_RTOL = 1e-7
EXEC_RTOL = 1e-12
TWO = Measurement("two", ("source", "drain"), ("source", "drain"))
OBLIQUE_X = np.array([[1.0, 0.2, 0.1], [0.2, 0.7, 0.0], [0.1, 0.0, 0.4]])


def device(mat, *, order=2, regions=None, current=1e-4):
    """6 x 3 L_m rectangle, sink contacts, drift on: n is genuinely 2D."""
    pb = strip_problem(mat, [0, 0, 0], width=3 * LM, length=6 * LM, edge_size=LM / 6,
                       size=LM / 2, order=order, omm="sink", drift=True, current=current)
    if regions is not None:
        mesh = pb.mesh
        left = mesh.p[0, mesh.t].mean(axis=0) < 3 * LM
        mesh = mesh.with_subdomains({"left": np.flatnonzero(left), "right": np.flatnonzero(~left)})
        pb = Problem(mesh=mesh, materials=regions, contacts=pb.contacts.values(), order=order,
                     drift=True)
    pipe = Pipeline(pb)
    return pipe, Terminals(pipe, probes=["edge"])


def compare(pipe, terms, fields, *, keep=(), measurements=(TWO,)):
    red = sweep_terminals(pipe, fields, terminals=terms, method="reduced", progress=False,
                          keep=keep, measurements=measurements)
    nz = np.array([pipe.omm.solve(B)[2] for B in fields])
    ref = terms.response(nz)
    assert red.method == "reduced" and red.info["fallback"] == []
    for m in measurements:
        rho_r = terms.resistance(red.response, red.zeroth, m)[2]
        rho_d = terms.resistance(ref, red.zeroth, m)[2]
        assert np.all(np.abs(rho_d) > 0)
        assert np.abs(rho_r / rho_d - 1).max() <= RHO_RTOL
    for key in ("dI_fixed", "P"):
        first = ref[key] - red.zeroth[key] if key == "P" else ref[key]
        err = np.abs(red.response[key] - ref[key])
        assert np.all(err <= OUT_RTOL * np.abs(first) + 1e-15 * np.abs(ref[key]).max())
    # n^z itself, from the kept full solutions and from the estimates
    for k, sol in red.kept.items():
        nz_k = sol.n[2] / pipe.disc.units.density
        assert np.abs(nz_k - nz[k]).max() <= NZ_RTOL * np.abs(nz[k]).max()
    return red, ref


def test_magnitude_sweep_along_x_matches_direct():
    pipe, terms = device(strip_material(0.3))
    Bm = field_for_phi(strip_material(0.3), 20.0)
    fields = np.linspace(0, Bm, 41)[:, None] * [1.0, 0, 0]
    red, ref = compare(pipe, terms, fields, keep=range(0, 41, 5))
    assert red.info["basis"] < 30 and len(red.info["snapshots"]) <= 6  # few full solves
    assert red.info["verified"]["true"] <= red.info["tol"]
    assert red.info["error_estimate"].max() <= red.info["tol"]


@pytest.fixture(scope="module")
def oblique():
    mat = strip_material(X=None) if False else Material(D=1e-2, tau=1e-12, alpha=0.05,
                                                         sigma=1.6e-3, mobility=1.0,
                                                         X=OBLIQUE_X / (0.041 * 9.1093837015e-31))
    return mat, device(mat)


def test_oblique_direction_with_anisotropic_X(oblique):
    mat, (pipe, terms) = oblique
    Bm = field_for_phi(mat, 15.0)
    u = np.array([0.6, -0.3, 0.74])
    fields = np.linspace(-Bm, Bm, 31)[:, None] * (u / np.linalg.norm(u))
    compare(pipe, terms, fields, keep=[3])


def test_angle_sweep_with_anisotropic_X(oblique):
    mat, (pipe, terms) = oblique
    B = field_for_phi(mat, 10.0)
    a = np.linspace(0, 2 * np.pi, 37)
    in_plane = B * np.c_[np.cos(a), np.sin(a), 0 * a]
    tilted = B * np.c_[np.cos(a), 0 * a, np.sin(a)]
    red, ref = compare(pipe, terms, np.vstack([in_plane, tilted]))
    # X_xx != X_yy: the in-plane angle really changes rho (the sweep is not trivial)
    rho = terms.resistance(ref, red.zeroth, TWO)[2][:37]
    assert np.ptp(rho) > 1e-2 * np.abs(rho).max()


def test_defective_A_with_Xzz_zero():
    mat = strip_material(0.0)  # X = diag(1, 1, 0): A(B) = I + N with N nilpotent
    pipe, terms = device(mat)
    B = field_for_phi(mat, 8.0)
    fields = np.vstack([np.linspace(0, B, 9)[:, None] * [1.0, 0, 0],
                        np.linspace(0, B, 9)[1:, None] * [0.6, 0.0, 0.8]])
    red, ref = compare(pipe, terms, fields)
    # n^z does not feel the field when X_zz = 0 (SPEC §5): the sweep is flat, and reduced
    # and direct agree on that
    dI = ref["dI_fixed"]
    assert np.abs(dI - dI[0]).max() <= 1e-10 * np.abs(dI).max()


def test_two_regions_with_different_X_use_the_coupled_path():
    left = strip_material(0.3)
    right = Material(D=left.D, tau=2 * left.tau, alpha=left.alpha, sigma=left.sigma,
                     mobility=left.mobility, X=OBLIQUE_X / (0.041 * 9.1093837015e-31),
                     name="right")
    pipe, terms = device(left, order=1, regions={"left": left, "right": right})
    assert pipe.omm.coupled
    Bm = field_for_phi(left, 15.0)
    fields = np.vstack([np.linspace(0, Bm, 21)[:, None] * [1.0, 0, 0],
                        np.linspace(0, Bm, 21)[1:, None] * [0.0, 0.6, 0.8]])
    red, _ = compare(pipe, terms, fields, keep=[20])
    assert red.info["factorizations"] < 10  # a 3N factorisation per snapshot, not per field


def test_field_list_with_zero_unordered_and_reversed():
    mat = strip_material(0.3)
    pipe, terms = device(mat, order=1)
    B = field_for_phi(mat, 12.0)
    mags = np.array([0.7, 0.0, -0.2, 1.0, -1.0, 0.35, 0.0, 0.5, -0.7, 0.1])
    fields = mags[:, None] * [B, 0, 0]
    red, ref = compare(pipe, terms, fields, keep=[1])
    sol = pipe.at_field([0, 0, 0])
    assert np.abs(red.kept[1].phi - sol.phi).max() <= 1e-12 * np.abs(sol.phi).max()
    np.testing.assert_array_equal(red.response["dI_fixed"][1], red.response["dI_fixed"][6])
    # +B and -B give the same rho (n^z is even in B)
    rho = terms.resistance(red.response, red.zeroth, TWO)[2]
    assert rho[3] == pytest.approx(rho[4], rel=RHO_RTOL)


def test_direct_sweep_on_a_process_pool_equals_serial():
    mat = strip_material(0.3)
    pipe, terms = device(mat, order=1)
    fields = np.linspace(0, field_for_phi(mat, 10.0), 6)[:, None] * [1.0, 0.2, 0]
    serial = sweep_terminals(pipe, fields, terminals=terms, method="direct", executor=False,
                             progress=False, keep=[2])
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as ex:
        pooled = sweep_terminals(pipe, fields, terminals=terms, method="direct", executor=ex,
                                 progress=False, keep=[2])
    with ThreadPoolExecutor(max_workers=2) as ex:  # threads: one pipeline per thread
        threaded = sweep_terminals(pipe, fields, terminals=terms, method="direct", executor=ex,
                                   progress=False)
    assert pooled.info["workers"] == 2
    for other in (pooled, threaded):
        for key, val in serial.response.items():
            np.testing.assert_allclose(other.response[key], val, rtol=EXEC_RTOL,
                                       atol=EXEC_RTOL * np.abs(val).max())
    np.testing.assert_array_equal(pooled.kept[2].phi, serial.kept[2].phi)  # kept: solved here


@pytest.mark.slow
def test_sweep_benchmark_accuracy_on_a_smaller_mesh(tmp_path):
    """The study of validation/bench_sweep.py (the >= 150k-node run is in bench_sweep.md)."""
    from omm_fem.studies import bench_sweep

    res = bench_sweep.run(nodes=20000, points=41, repeat=1)
    rows = res["rows"]
    assert res["passed"] and not res["bad"]
    (tmp_path / "bench.md").write_text(bench_sweep.table(res))
    for r in rows:
        assert r["worst_rho_rel_error"] <= RHO_RTOL
        assert r["worst_dI_rel_error"] <= OUT_RTOL
        assert r["fallback"] == 0 and r["snapshots"] <= 41 // 4
    assert (tmp_path / "bench.md").read_text().count("|") > 20


def test_worker_count_is_asked_from_the_executor():
    """A Dask ClientExecutor has no _max_workers: the chunking asks its cluster."""
    from types import SimpleNamespace

    from omm_fem.sweep import executor_workers

    class Client:
        def nthreads(self):
            return {"tcp://a": 16, "tcp://b": 16}

    assert executor_workers(SimpleNamespace(_client=Client())) == 32
    assert executor_workers(SimpleNamespace(_max_workers=3)) == 3
    assert executor_workers(SimpleNamespace(num_workers=5)) == 5  # mpi4py.futures
    assert executor_workers(object()) >= 1

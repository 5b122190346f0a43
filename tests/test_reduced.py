"""The reduced OMM model: residual norms, exact snapshots, excited poles, error estimates,
fallbacks and bad input.

Tolerances
----------
RES_RTOL = 1e-8   QR-based residual norms against explicit sparse residuals, relative,
RES_ATOL = 1e-12  plus absolute: the QR factors drop generator directions below 1e-13 of
                  the largest one, which moves norms by ~1e-13 (measured 1.3e-13 where the
                  explicit residual is 3e-15).
SNAP_RTOL = 1e-10 a snapshot field is reproduced exactly by the reduced model: the
                  direct solution is in the basis, only solver rounding remains.
"""
import os

import numpy as np
import pytest
from conftest import LM, field_for_phi, strip_material, strip_problem

from omm_fem.errors import OmmError
from omm_fem.material import Material, cross_matrix
from omm_fem.measure import Measurement, Terminals
from omm_fem.problem import Problem
from omm_fem.reduced import greedy_reduced
from omm_fem.reduced.snapshots import _excited_clusters
from omm_fem.steady import Pipeline
from omm_fem.sweep import _default_pool, _output_functionals, sweep_terminals

RES_RTOL = 1e-8
RES_ATOL = 1e-12
SNAP_RTOL = 1e-10
TWO = Measurement("two", ("source", "drain"), ("source", "drain"))


@pytest.fixture(scope="module")
def strip():
    mat = strip_material(0.3)
    pb = strip_problem(mat, [0, 0, 0], width=3 * LM, length=6 * LM, edge_size=LM / 6,
                       size=LM / 2, order=1, omm="sink", drift=True, current=1e-4)
    pipe = Pipeline(pb)
    fields = np.linspace(0, field_for_phi(mat, 20.0), 21)[:, None] * [1.0, 0, 0]
    As = np.array([pipe.omm.relaxation(B) for B in fields])
    n = np.array([pipe.omm.solve(B)[:, pipe.omm.free] for B in fields])
    return mat, pipe, Terminals(pipe, probes=["edge"]), fields, As, n


def explicit_residuals(omm, V, C, As):
    """||diag(M)^(-1/2) r|| / ||diag(M)^(-1/2) f|| from sparse products with the full matrices."""
    w = 1 / np.sqrt(omm.M.diagonal())
    out = []
    for c, A in zip(C, As):
        n = V @ c  # (N, 3)
        r = omm.S @ n + sum(Mr @ (n @ Ar.T) for Mr, Ar in zip(omm.region_mass, A))
        r[:, 2] -= omm.f_free
        out.append(np.linalg.norm(w[:, None] * r) / np.linalg.norm(w * omm.f_free))
    return np.array(out)


@pytest.fixture(scope="module")
def two_regions(strip):
    mat, pipe, terms, fields, As, n = strip
    mesh = pipe.problem.mesh
    left = mesh.p[0, mesh.t].mean(axis=0) < 3 * LM
    mesh = mesh.with_subdomains({"left": np.flatnonzero(left), "right": np.flatnonzero(~left)})
    right = Material(D=mat.D, tau=mat.tau, alpha=mat.alpha, sigma=mat.sigma,
                     mobility=mat.mobility, X=mat.X @ np.diag([1.0, 0.5, 2.0]), name="right")
    pb = Problem(mesh=mesh, materials={"left": mat, "right": right},
                 contacts=pipe.problem.contacts.values(), order=1, drift=True)
    pipe2 = Pipeline(pb)
    assert pipe2.omm.coupled
    return pipe2, np.array([pipe2.omm.relaxation(B) for B in fields])


def test_qr_residual_norms_equal_explicit_residuals(strip, two_regions):
    mat, pipe, terms, fields, As, n = strip
    for omm, As_ in ((pipe.omm, As), (two_regions[0].omm, two_regions[1])):
        for steps in (1, 2, 3):
            red = greedy_reduced(omm, As_, tol=1e-14, max_steps=steps)
            exp = explicit_residuals(omm, red.basis.V, red.coeffs, As_)
            if steps == 1:
                assert exp.max() > 1e-3  # the first basis leaves real residuals
            np.testing.assert_allclose(red.residual, exp, rtol=RES_RTOL, atol=RES_ATOL)


def test_snapshot_fields_are_reproduced_exactly(strip):
    mat, pipe, terms, fields, As, n = strip
    red = greedy_reduced(pipe.omm, As, tol=1e-14, max_steps=3)
    for j in red.snapshots:
        nr = red.basis.V @ red.coeffs[j]
        assert np.abs(nr.T - n[j]).max() <= SNAP_RTOL * np.abs(n[j]).max()


def test_estimates_bound_the_true_output_errors_of_unconverged_bases(strip):
    """The error estimate is what decides convergence: it must not be optimistic."""
    mat, pipe, terms, fields, As, n = strip
    L, _ = _output_functionals(pipe, Terminals(pipe), [TWO])  # contacts and rho: no cancellation
    g = n[:, 2] @ L.T
    for steps in (1, 2, 3):
        red = greedy_reduced(pipe.omm, As, outputs=L, tol=1e-14, max_steps=steps)
        gr = np.einsum("ki,fi->fk", L @ red.basis.V, red.coeffs[:, :, 2])
        true = (np.abs(gr - g) / np.abs(g)).max(axis=1)
        assert red.error.max() > 1e-12  # still unconverged somewhere
        assert np.all(true <= red.error + 1e-13)


def test_excited_poles():
    u = np.array([1.0, 0, 0])
    X = np.diag([1.0, 1.0, 0.3])
    A = np.eye(3) + 2.0 * cross_matrix(u) @ X  # scaled A = I + B [u]x X with B = 2
    # B along x, diagonal X: the real eigenvalue 1 (along x) is not excited by e_z
    poles = _excited_clusters(A)
    assert len(poles) == 1 and poles[0][1] == 1
    assert poles[0][0] == pytest.approx(1 + 2.0 * np.sqrt(0.3) * 1j, rel=1e-12)
    assert _excited_clusters(np.eye(3)) == [(1.0, 3)]  # B = 0: one pole of multiplicity 3
    flat = np.diag([1.0, 1.0, 0.0])
    Aflat = np.eye(3) + 2.0 * cross_matrix(u) @ flat  # X_zz = 0: I + nilpotent (Jordan block)
    assert np.linalg.matrix_rank(Aflat - np.eye(3)) == 1
    assert _excited_clusters(Aflat) == [(1.0, 3)]
    Xg = np.array([[1.0, 0.2, 0.1], [0.2, 0.7, 0.0], [0.1, 0.0, 0.4]])
    w = np.array([0.6, -0.3, 0.74])
    Ag = np.eye(3) + 1.5 * cross_matrix(w / np.linalg.norm(w)) @ Xg
    lams = sorted(p[0].imag for p in _excited_clusters(Ag))
    assert len(lams) == 2 and lams[0] == 0.0 and lams[1] > 0  # oblique: the real pole counts


def test_unconverged_fields_fall_back_to_direct_solves(strip):
    mat, pipe, terms, fields, As, n = strip
    res = sweep_terminals(pipe, fields, terminals=terms, method="reduced", max_snapshots=1,
                          progress=False, keep=[20])
    bad = res.info["fallback"]
    assert len(bad) > 0 and 0 not in bad  # the B = 0 snapshot itself is exact
    assert np.all(res.info["error_estimate"][bad] > res.info["tol"])
    ref = terms.response(_full(pipe, n[:, 2]))
    np.testing.assert_allclose(res.response["dI_fixed"][bad], ref["dI_fixed"][bad], rtol=1e-12)
    assert np.abs(res.kept[20].n[2] / pipe.disc.units.density
                  - _full(pipe, n[20:21, 2])[0]).max() <= 1e-12 * np.abs(n[20, 2]).max()


def _full(pipe, nz_free):
    out = np.zeros((nz_free.shape[0], pipe.disc.ndofs))
    out[:, pipe.omm.free] = nz_free
    return out


def test_zero_source_gives_the_zeroth_order_response():
    mat = Material(D=1e-2, tau=1e-12, alpha=0.0, sigma=1.6e-3, mobility=1.0,
                   X=strip_material(0.3).X)
    pb = strip_problem(mat, [0, 0, 0], width=3 * LM, length=6 * LM, edge_size=LM / 4,
                       size=LM / 2, order=1, omm="sink")
    pipe = Pipeline(pb)
    terms = Terminals(pipe)
    res = sweep_terminals(pipe, np.eye(3), terminals=terms, method="reduced", progress=False,
                          keep=[1])
    np.testing.assert_array_equal(res.response["V"], np.repeat(res.zeroth["V"], 3, axis=0))
    assert res.info["basis"] == 0 and np.all(res.kept[1].n == 0)


def test_default_pool_only_when_it_pays_off():
    assert _default_pool(3, 0.01) is None  # a few fast fields: spawning costs more
    pool = _default_pool(200, 2.0)
    if (os.cpu_count() or 1) >= 2:
        assert pool is not None and pool._max_workers >= 2
        pool.shutdown()
    else:
        assert pool is None


@pytest.mark.parametrize("kwargs, match", [
    ({"method": "fast"}, "sweep.method"),
    ({"tol": 0.0}, "sweep.tol"),
    ({"tol": "1e-8"}, "sweep.tol"),
    ({"max_snapshots": 0}, "sweep.max_snapshots"),
    ({"keep": [99]}, "sweep.keep"),
])
def test_bad_sweep_arguments(strip, kwargs, match):
    mat, pipe, terms, fields, As, n = strip
    args = {"terminals": terms, "method": "reduced", "progress": False, **kwargs}
    with pytest.raises(OmmError, match=match):
        sweep_terminals(pipe, fields, **args)


def test_bad_fields_and_terminals(strip):
    mat, pipe, terms, fields, As, n = strip
    with pytest.raises(OmmError, match="sweep.fields"):
        sweep_terminals(pipe, fields[:, :2], terminals=terms)
    with pytest.raises(OmmError, match="sweep.fields"):
        sweep_terminals(pipe, [[0, 0, np.nan]], terminals=terms)
    # X_zz < 0: A(B) has a negative eigenvalue once (e/2) B tau sqrt(-X_yy X_zz) > 1
    indef = strip_material(-0.3)
    bad = Pipeline(strip_problem(indef, [0, 0, 0], width=3 * LM, length=6 * LM,
                                 size=LM / 2, order=1, omm="sink"))
    B = field_for_phi(indef, 5.0)
    with pytest.raises(OmmError, match=r"sweep.fields\[1\]"):
        sweep_terminals(bad, [[0, 0, 0], [B, 0, 0]], terminals=Terminals(bad))
    with pytest.raises(OmmError, match="sweep.terminals"):
        sweep_terminals(bad, [[0, 0, 0]], terminals=terms)

"""The cheap wins of the direct path: Cholesky for the charge problem, UMFPACK back-solves
without iterative refinement, the mesh topology built once, index sets by sorting."""
import numpy as np
import pytest
import scipy.sparse as sp
from skfem import MeshTri

from omm_fem import intsets, linalg
from omm_fem.discretization import scaled_mesh
from omm_fem.geometry.tagged import with_topology


def _laplacian(n):
    K = sp.diags([-np.ones(n - 1), 2 * np.ones(n), -np.ones(n - 1)], [-1, 0, 1])
    return (sp.kron(K, sp.identity(n)) + sp.kron(sp.identity(n), K)).tocsc()


@pytest.mark.parametrize("shift", [0.0, 1.0 + 30j])
def test_umfpack_without_refinement_solves_as_well(shift):
    A = (_laplacian(30) + shift * sp.identity(900)).tocsc()
    b = np.random.default_rng(1).standard_normal((900, 2))
    plain, refined = linalg._Umfpack(A), linalg._Umfpack(A, refine=True)
    assert plain._direct is not None  # the library cvxopt loaded was found (Linux)
    x, y = plain.solve(b), refined.solve(b)
    # both backward stable: residual at rounding level (1e-12 of |b| for cond ~ 400)
    assert np.abs(A @ x - b).max() <= 1e-12 * np.abs(b).max()
    assert np.abs(x - y).max() <= 1e-12 * np.abs(y).max()
    assert plain.solve(b[:, 0]).shape == (900,)


@pytest.mark.parametrize("supernodal", [False, True])
def test_cholesky_supernodal_and_refined(supernodal):
    A = _laplacian(30) + 1e-3 * sp.identity(900)
    b = np.linspace(-1.0, 2.0, 900)
    F = linalg.factor(A.tocsc(), spd=True, supernodal=supernodal, refine=1)
    assert isinstance(F, linalg._Cholesky)
    x = F.solve(b)
    assert np.abs(A @ x - b).max() <= 1e-12 * np.abs(b).max()
    # complex right-hand sides: real and imaginary parts solved separately
    z = F.solve(b + 2j * b)
    assert np.allclose(z, x + 2j * x, rtol=1e-12, atol=0)


def test_not_positive_definite_falls_back_to_lu():
    A = (_laplacian(10) - 3.0 * sp.identity(100)).tocsc()  # symmetric indefinite
    F = linalg.factor(A, spd=True, supernodal=True, refine=1)
    assert not isinstance(F, linalg._Cholesky)
    b = np.ones(100)
    assert np.abs(A @ F.solve(b) - b).max() <= 1e-10


def test_charge_problem_uses_cholesky(make_strip):
    from conftest import strip_material

    from omm_fem.charge import ChargeSolver
    from omm_fem.discretization import Discretization

    pb = make_strip(strip_material(), [0, 0, 0], width=4e-7, length=8e-7, size=1e-7, order=1)
    ch = ChargeSolver(Discretization(pb))
    assert isinstance(ch.lu, linalg._Cholesky)
    G = ch.G  # scaled conductance of the rectangle: W / L (P1 is exact for linear phi)
    assert G[0, 0] == pytest.approx(0.5, rel=1e-9)
    assert np.abs(G.sum(axis=0)).max() <= 1e-12 * np.abs(G).max()  # currents balance


def test_topology_equals_skfem_and_is_shared_by_the_scaled_mesh():
    m = MeshTri.init_tensor(np.linspace(0, 1, 13), np.linspace(0, 2, 7) ** 1.5)
    ours = with_topology(MeshTri(m.p, m.t))
    for name in ("facets", "t2f", "f2t"):
        assert np.array_equal(getattr(ours, name), getattr(m, name))
        assert getattr(ours, name).dtype == getattr(m, name).dtype
    s = scaled_mesh(ours, 1e7)
    assert s.facets is ours.facets and s.t2f is ours.t2f and s.f2t is ours.f2t
    assert np.array_equal(s.p, ours.p * 1e7)
    assert np.array_equal(s.p, ours.scaled([1e7, 1e7]).p)  # as skfem's scaled, bit for bit


def test_intsets():
    a = np.array([[5, 3, 3], [9, 0, 5]])
    assert np.array_equal(intsets.unique(a), np.unique(a))
    assert intsets.unique(np.zeros(0, dtype=int)).size == 0
    assert np.array_equal(intsets.complement(10, [3, 0, 3, 9]), np.setdiff1d(np.arange(10),
                                                                             [3, 0, 9]))

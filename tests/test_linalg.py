"""Both sparse back-ends solve the same systems (real and complex, one or many right-hand sides)."""
import numpy as np
import pytest
import scipy.sparse as sp

from omm_fem.errors import OmmError
from omm_fem.linalg import FactorStore, factor, factorize


@pytest.mark.parametrize("backend", ["umfpack", "superlu"])
@pytest.mark.parametrize("shift", [1.0, 1.0 + 30j])
def test_backends_solve(backend, shift):
    n = 400
    K = sp.diags([-np.ones(n - 1), 2 * np.ones(n), -np.ones(n - 1)], [-1, 0, 1]).tocsc() * n**2
    A = (K + shift * sp.identity(n)).tocsc()
    rng = np.random.default_rng(0)
    b = rng.standard_normal((n, 3)) + 1j * rng.standard_normal((n, 3))
    lu = factorize(A, backend=backend)
    x = lu.solve(b)
    assert np.abs(A @ x - b).max() <= 1e-10 * np.abs(b).max()
    x1 = lu.solve(b[:, 0])
    assert x1.shape == (n,) and np.allclose(x1, x[:, 0], rtol=1e-12, atol=0)


@pytest.mark.parametrize("backend", ["umfpack", "superlu"])
def test_singular_matrix_is_reported(backend):
    A = sp.csc_matrix(np.array([[1.0, 1.0], [1.0, 1.0]]))
    with pytest.raises(OmmError, match="singular"):
        factorize(A, backend=backend).solve(np.ones(2))


def test_unknown_backend_and_cache():
    A = sp.identity(3, format="csc")
    with pytest.raises(OmmError, match="backend"):
        factorize(A, backend="pardiso")
    built = []
    store = FactorStore(maxsize=2)
    for s in (1.0, 2.0, 1.0, 3.0, 1.0, 2.0):
        store.get(("shift", s), lambda s=s: (built.append(s), A * s)[1].tocsc())
    assert built == [1.0, 2.0, 3.0, 2.0]  # LRU of size 2
    assert store.factorizations == 4


def test_cholesky_for_spd_and_lu_otherwise():
    n = 200
    K = sp.diags([-np.ones(n - 1), 2 * np.ones(n), -np.ones(n - 1)], [-1, 0, 1]).tocsc()
    b = np.arange(n, dtype=float)
    for A in (K + sp.identity(n), K - 2.5 * sp.identity(n)):  # SPD; symmetric indefinite
        x = factor(A.tocsc(), spd=True).solve(b)  # the indefinite one falls back to LU
        assert np.abs(A @ x - b).max() <= 1e-9 * np.abs(b).max()

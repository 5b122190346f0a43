"""Assembly through one pattern and scatter map (omm_fem.assembly) equals scikit-fem's."""
import numpy as np
import pytest
from skfem import Basis, ElementTriP1, ElementTriP2, MeshTri

from omm_fem import forms
from omm_fem.assembly import Pattern, assemble


@pytest.fixture(scope="module", params=[1, 2], ids=["P1", "P2"])
def basis(request):
    m = MeshTri.init_sqsymmetric().refined(3)  # right triangles: exact zero couplings
    p = m.p.copy()
    inner = np.setdiff1d(np.arange(p.shape[1]), m.boundary_nodes())
    p[:, inner[::3]] += 0.01  # and a few distorted cells
    elem = ElementTriP1() if request.param == 1 else ElementTriP2()
    return Basis(MeshTri(p, m.t), elem)


def _coefficients(basis, seed):
    rng = np.random.default_rng(seed)
    shape = (basis.nelems, basis.X.shape[1])
    return {"c": rng.uniform(0.5, 2.0, shape), "vx": rng.standard_normal(shape),
            "vy": rng.standard_normal(shape), "aD": rng.uniform(0, 1, shape),
            "amu": rng.uniform(0, 1, shape), "ex": rng.standard_normal(shape),
            "ey": rng.standard_normal(shape)}


FORMS = {"diffusion": ("c",), "mass": ("c",), "drift": ("vx", "vy"),
         "curl_current": ("aD", "amu", "ex", "ey")}


@pytest.mark.parametrize("name", sorted(FORMS))
def test_every_form_equals_scikit_fem(basis, name):
    pattern = Pattern(basis)
    w = _coefficients(basis, 3)
    kw = {k: w[k] for k in FORMS[name]}
    form = getattr(forms, name)
    ref = form.assemble(basis, **kw).tocsr()
    A = assemble(form, basis, pattern, **kw)
    # the same sums in another order: rounding of the largest entry
    assert abs(A - ref).max() <= 1e-14 * abs(ref).max()
    assert A.nnz == ref.nnz  # exact zeros dropped as scikit-fem drops them
    A.sort_indices()
    assert A.has_canonical_format


def test_pattern_map_and_fallback(basis):
    pattern = Pattern(basis)
    nb, nel = basis.element_dofs.shape
    assert pattern.map.shape == (nb * nb * nel,) and pattern.map.max() == pattern.nnz - 1
    assert pattern.map.dtype == np.int32  # 4 bytes per element entry
    ones = np.ones((basis.nelems, basis.X.shape[1]))
    # without a pattern: scikit-fem's assembly
    np.testing.assert_array_equal(assemble(forms.mass, basis, None, c=ones).toarray(),
                                  forms.mass.assemble(basis, c=ones).toarray())
    other = Basis(basis.mesh.refined(), basis.elem)
    with pytest.raises(ValueError, match="another basis"):
        assemble(forms.mass, other, pattern, c=np.ones((other.nelems, other.X.shape[1])))


@pytest.mark.parametrize("density", [0.0, 0.02, 0.3])
def test_restrict_equals_two_step_indexing(density):
    import scipy.sparse as sp

    from omm_fem.assembly import restrict

    rng = np.random.default_rng(4)
    for n in (1, 7, 300):
        A = sp.random(n, n, density=density, random_state=n, format="csr")
        keep = np.sort(rng.choice(n, size=max(1, n // 2), replace=False))
        R = restrict(A, keep)
        ref = A[keep][:, keep]
        assert R.format == "csr" and R.shape == ref.shape
        assert (R != ref).nnz == 0  # the same entries, exactly


def test_gradient_at_quadrature_is_scikit_fems_bit_for_bit(basis):
    """Discretization.grad_at_quadrature (the pipeline's grad phi0) is the same sum in the
    same order as basis.interpolate(w).grad: equal to the last bit, so the recorded
    golden numbers stand."""
    from types import SimpleNamespace

    from omm_fem.discretization import Discretization

    w = np.random.default_rng(5).standard_normal(basis.N)
    disc = SimpleNamespace(basis=basis)
    got = Discretization.grad_at_quadrature(disc, w)
    assert got.shape == (2, basis.nelems, basis.X.shape[1])
    assert np.array_equal(got, basis.interpolate(w).grad)


@pytest.mark.parametrize("empty", ["leading", "middle", "trailing", "all"])
def test_restrict_equals_fancy_indexing_with_empty_rows(empty):
    """restrict(A, keep) == A[keep][:, keep] exactly, also when rows of A are empty at the
    start, in the middle or at the end (a region's mass matrix: the DOFs of the other
    regions have no entries; trailing empty rows once cut the last entry of the row
    before them)."""
    import scipy.sparse as sp

    from omm_fem.assembly import restrict, row_counts

    rng = np.random.default_rng(7)
    n = 60
    A = sp.random(n, n, density=0.15, random_state=rng, format="csr")
    A = (A + A.T + sp.identity(n)).tocsr()
    rows = {"leading": slice(0, 12), "middle": slice(20, 35), "trailing": slice(45, n),
            "all": slice(0, n)}[empty]
    d = np.ones(n)
    d[rows] = 0.0
    B = (sp.diags(d) @ A @ sp.diags(d)).tocsr()
    B.eliminate_zeros()
    assert all(B.indptr[i] == B.indptr[i + 1] for i in range(n)[rows])
    for keep in (np.arange(n), np.setdiff1d(np.arange(n), [3, 17, 30, 50, 59])):
        R = restrict(B, keep)
        ref = B[keep][:, keep].tocsr()
        assert np.array_equal(R.indptr, ref.indptr) and np.array_equal(R.indices, ref.indices)
        assert np.array_equal(R.data, ref.data)
    mask = np.ones(B.nnz, dtype=bool)
    assert np.array_equal(row_counts(mask, B.indptr), np.diff(B.indptr))

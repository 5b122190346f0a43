"""The P1-iso-P2 stiffness (omm_fem.isop2) and the P2 iterative path it preconditions."""
import numpy as np
import pytest
from skfem import Basis, ElementTriP1, ElementTriP2, MeshTri

import omm_fem as om
from omm_fem import forms
from omm_fem.isop2 import children, iso_stiffness, p1_stiffness
from omm_fem.steady import Pipeline


def _areas(p, t):
    x, y = p[0][t], p[1][t]
    return 0.5 * ((x[1] - x[0]) * (y[2] - y[0]) - (x[2] - x[0]) * (y[1] - y[0]))


@pytest.fixture(scope="module")
def mesh():
    m = MeshTri.init_circle(3)  # unstructured, curved boundary, no right angles only
    rng = np.random.default_rng(1)
    interior = np.setdiff1d(np.arange(m.p.shape[1]), m.boundary_nodes())
    p = m.p.copy()
    p[:, interior] += 0.01 * rng.standard_normal((2, interior.size))
    return MeshTri(p, m.t)


def test_children_tile_each_parent_at_its_edge_midpoints(mesh):
    basis = Basis(mesh, ElementTriP2())
    e = basis.element_dofs
    x = basis.doflocs
    for a, b, m in ((0, 1, 3), (1, 2, 4), (0, 2, 5)):  # scikit-fem's P2 edge DOF order
        assert np.allclose(x[:, e[m]], 0.5 * (x[:, e[a]] + x[:, e[b]]), atol=1e-15)
    tri = children(e, basis.N)
    parent = np.abs(_areas(mesh.p, mesh.t))
    child = np.abs(_areas(x, tri)).reshape(4, -1)
    # every child is a quarter of its parent (midpoint subdivision), to rounding
    assert np.allclose(child, parent / 4, rtol=1e-12, atol=0)
    with pytest.raises(ValueError, match=r"\(6, nel\) P2 element DOFs"):
        children(e[:3], basis.N)


def test_p1_stiffness_equals_scikit_fem(mesh):
    c = np.random.default_rng(2).uniform(0.5, 2.0, mesh.t.shape[1])
    basis = Basis(mesh, ElementTriP1())
    ref = forms.diffusion.assemble(basis, c=np.repeat(c[:, None], basis.X.shape[1], axis=1))
    K = p1_stiffness(mesh.p, mesh.t, c)
    assert abs(K - ref).max() <= 1e-13 * abs(ref).max()


def test_iso_stiffness_is_a_symmetric_stiffness_spectrally_close_to_p2(mesh):
    basis = Basis(mesh, ElementTriP2())
    c = np.ones((basis.nelems, basis.X.shape[1]))
    Kiso = iso_stiffness(basis, c)
    K2 = forms.diffusion.assemble(basis, c=c)
    assert Kiso.shape == K2.shape
    assert abs(Kiso - Kiso.T).max() <= 1e-14 * abs(Kiso).max()
    assert np.abs(Kiso @ np.ones(basis.N)).max() <= 1e-12 * abs(Kiso).max()  # constants
    # generalised eigenvalues of (K2, Kiso) on the interior DOFs: bounded above and below
    # by mesh-independent constants (spectral equivalence); dense check on a small mesh
    free = basis.complement_dofs(basis.get_dofs())
    A = K2[free][:, free].toarray()
    B = Kiso[free][:, free].toarray()
    from scipy.linalg import eigh

    w = eigh(A, B, eigvals_only=True)
    assert 0.5 < w.min() and w.max() < 3.0, (w.min(), w.max())


def small_graded_bar(order, size_over_W, edge_size, mobility=None):
    """A 2 um x 0.5 um Hall bar on the structured graded mesh (long thin cells at the
    edges), drift on, sink contacts (also used by test_krylov_tolerance.py)."""
    from omm_fem.geometry.structured import structured_hall_bar

    extra = {} if mobility is None else {"mobility": mobility}
    mat = om.Material.from_units(D=1e-2, tau=1e-12, alpha=0.05, sigma=1.6e-3,
                                 X=np.diag([24.4, 24.4, 2.44]), X_unit="1/m_e", **extra)
    L, W = 2e-6, 0.5e-6
    bar = structured_hall_bar(length=L, width=W, arms=[L / 3, 2 * L / 3], arm_width=W / 4,
                              arm_length=W / 2, size=W * size_over_W, edge_size=edge_size,
                              growth=0.15)
    return om.Problem(mesh=bar, materials=mat, B=[2.0, 0, 0], order=order, drift=True,
                      contacts=[om.Contact("source", current=1e-6, omm="sink"),
                                om.Contact("drain", voltage=0.0, omm="sink")])


def test_p2_iterative_pipeline_equals_direct():
    """P2 with [solver] linear = "iterative" on a structured graded Hall bar: the charge
    CG with the AMG of the P1-iso-P2 stiffness converges in few iterations, the AMG of
    the P2 matrix itself in many times more, and the numbers are the direct ones."""
    from omm_fem.krylov import IterativeSolve

    pb = small_graded_bar(2, 1 / 8, 1e-7 / 8)
    out = {}
    for lin in ("direct", "iterative"):
        pipe = Pipeline(pb, linear=lin)
        out[lin] = pipe.two_terminal(pipe.at_field(pb.B))
    charge = pipe.charge
    # one psi solve (the drain's is 1 - psi_source) and the correction
    assert len(charge.lu.iterations) == 2
    assert max(charge.lu.iterations) <= 25, charge.lu.iterations  # 11 and 12 measured
    plain = IterativeSolve(charge.lu.A, spd=True)  # AMG of the P2 matrix: 175 measured
    plain.solve(-charge.K_chi[charge.free, 0])  # the source contact's psi problem
    assert plain.iterations[0] > 5 * max(charge.lu.iterations), plain.iterations
    for key in ("rho", "delta_I_over_I0"):
        # residual 1e-10 per solve; both are normalised differences of O(1) numbers
        assert abs(out["iterative"][key] - out["direct"][key]) <= 1e-8 * abs(out["direct"][key])

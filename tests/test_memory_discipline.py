"""Memory discipline of the iterative path: what is freed after set-up is rebuilt equal."""
import numpy as np
import pytest

import omm_fem as om
from omm_fem import krylov
from omm_fem.steady import Pipeline


@pytest.fixture(scope="module")
def small():
    mat = om.Material.from_units(D=1e-2, tau=1e-12, alpha=0.05, sigma=1.6e-3, mobility=1.0,
                                 X=np.diag([24.4, 24.4, 2.44]), X_unit="1/m_e")
    bar = om.hall_bar(length=1.2e-6, width=0.4e-6, arms=[0.4e-6, 0.8e-6], arm_width=0.1e-6,
                      arm_length=0.15e-6, edge_size=2e-8)
    return om.Problem(mesh=bar, materials=mat, B=[2.0, 0, 0], order=1, drift=True,
                      contacts=[om.Contact("source", current=1e-6, omm="sink"),
                                om.Contact("drain", voltage=0.0, omm="sink")])


def test_iterative_pipeline_releases_and_rebuilds_the_basis(small):
    direct = Pipeline(small, linear="direct")
    pipe = Pipeline(small, linear="iterative")
    assert pipe.disc._basis is None and direct.disc._basis is not None
    # rebuilt on use: the same basis (DOFs, values at the quadrature points) as never freed
    b, ref = pipe.disc.basis, direct.disc.basis
    assert b.N == ref.N
    np.testing.assert_array_equal(b.basis[1][0].grad, ref.basis[1][0].grad)
    np.testing.assert_array_equal(pipe.omm.grad_phi.shape, direct.omm.grad_phi.shape)
    # the field solve does not need it; the result agrees within the Krylov tolerance
    # (relative residual 1e-10 per solve; 1e-7 leaves room for the conditioning)
    d_it = pipe.two_terminal(pipe.at_field(small.B))["delta_I_over_I0"]
    d_dir = direct.two_terminal(direct.at_field(small.B))["delta_I_over_I0"]
    assert d_it == pytest.approx(d_dir, rel=1e-7)


def test_iterative_pipeline_keeps_no_full_stiffness_or_complex_matrix(small):
    """The iterative path assembles through one pattern, frees the full charge stiffness
    (the currents use K chi) and applies the complex OMM matrix S + s M without forming it."""
    direct = Pipeline(small, linear="direct")
    pipe = Pipeline(small, linear="iterative")
    assert pipe.charge.K is None and direct.charge.K is not None
    # assembled through one pattern (omm_fem.assembly), released with the basis
    assert pipe.disc.lean_assembly and not direct.disc.lean_assembly
    assert pipe.disc._pattern is None
    # with drift S = S_static + drift(phi0) is kept, S_static rebuilt on use
    assert pipe.omm._S_static is None and direct.omm._S_static is not None
    S0, ref = pipe.omm.S_static, direct.omm.S_static
    assert abs(S0 - ref).max() <= 1e-14 * abs(ref).max()  # (S0 + D) - D: rounding of D
    # W holds E0 = -grad phi0 (drift), here from a Krylov solve to a residual of 1e-10
    assert abs(pipe.W - direct.W).max() <= 1e-9 * abs(direct.W).max()
    rng = np.random.default_rng(0)
    phi, load = rng.standard_normal((2, pipe.disc.ndofs))
    # chi^T (K phi - load) either way: K chi is K's contact columns, K symmetric
    np.testing.assert_allclose(pipe.charge.currents(phi, load), direct.charge.currents(phi, load),
                               rtol=1e-12, atol=1e-12 * np.abs(direct.charge.K @ phi).max())
    pipe.at_field(small.B)
    shifted = [f.A for f in pipe.omm.factors._store.values()]
    assert shifted and all(isinstance(A, krylov.ShiftedOperator) for A in shifted)
    A = shifted[0]
    x = rng.standard_normal(A.shape[0]) + 1j * rng.standard_normal(A.shape[0])
    ref = (A.S + A.shift * A.M) @ x
    np.testing.assert_allclose(A @ x, ref, rtol=0, atol=1e-13 * np.abs(ref).max())


def test_element_coefficients_are_read_only_views(small):
    disc = Pipeline(small, linear="direct").disc
    assert disc.sigma.shape == (disc.basis.nelems, disc.nqp)
    assert disc.sigma.strides[1] == 0 and not disc.sigma.flags.writeable
    w = disc.delta_J_coefficients(np.ones((2, disc.basis.nelems, disc.nqp)), drift=True)
    np.testing.assert_array_equal(w["aD"], np.asarray(disc.alpha) * np.asarray(disc.D))
    np.testing.assert_array_equal(w["amu"], np.asarray(disc.alpha) * np.asarray(disc.mobility))


def test_release_free_heap_is_harmless():
    krylov.release_free_heap()  # a no-op without glibc; never raises
    assert krylov.RESTART >= 10

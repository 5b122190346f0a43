"""The strip-limit closed forms (SPEC §6) checked against their own ODE and integrals."""
import numpy as np
import pytest

from omm_fem import analytic
from omm_fem.errors import OmmError


@pytest.mark.parametrize("L,phi,theta", [(3.0, 0.0, 1.0), (10.0, 2.0, 0.1), (1.0, 7.5, 20.0)])
def test_profiles_solve_the_strip_equations(L, phi, theta):
    # Eq. (1) in steady state for B along +x, X diagonal:
    #   D n_y'' = n_y/tau - omega_z n_z ,  D n_z'' = n_z/tau + omega_y n_y
    # with omega_y tau = phi, omega_z tau = theta phi; units L_m = tau = 1, checked by finite differences.
    y = np.linspace(-L / 2, L / 2, 4001)
    h = y[1] - y[0]
    nz = analytic.strip_nz(y, L, phi, theta)
    ny = analytic.strip_ny(y, L, phi, theta)
    d2 = lambda f: (f[2:] - 2 * f[1:-1] + f[:-2]) / h**2  # noqa: E731
    scale = np.abs(nz).max()
    # second-order finite differences: residual ~ h^2 |n''''| / 12, far below 1e-4 here
    assert np.abs(d2(nz) - nz[1:-1] - phi * ny[1:-1]).max() < 1e-4 * scale * max(1, phi)
    assert np.abs(d2(ny) - ny[1:-1] + theta * phi * nz[1:-1]).max() < 1e-4 * scale * max(1, phi * theta)
    # zero total flux at the edges: n_z'(±L/2) = 1 (units alpha J / D), n_y'(±L/2) = 0
    dz = np.gradient(nz, h, edge_order=2)
    dy = np.gradient(ny, h, edge_order=2)
    assert abs(dz[0] - 1) < 1e-5 and abs(dz[-1] - 1) < 1e-5
    assert abs(dy[0]) < 1e-5 * max(1, np.abs(dy).max()) and abs(dy[-1]) < 1e-5 * max(1, np.abs(dy).max())


@pytest.mark.parametrize("L,phi,theta", [(3.0, 0.5, 1.0), (10.0, 50.0, 0.01), (30.0, 2.0, 20.0)])
def test_delta_I_is_the_integral_of_the_curl_current(L, phi, theta):
    # Delta J_x = alpha D d_y n_z ; Delta I / I0 = (alpha^2/L) * [n_z(L/2) - n_z(-L/2)] in these units
    alpha = 0.1
    nz_edge = analytic.strip_nz(np.array([-L / 2, L / 2]), L, phi, theta)
    from_profile = alpha**2 * (nz_edge[1] - nz_edge[0]) / L
    assert analytic.strip_delta_I_over_I0(L, phi, theta, alpha) == pytest.approx(from_profile, rel=1e-12)
    assert analytic.strip_rho(L, phi, theta, alpha) == pytest.approx(-from_profile, rel=1e-12)


def test_limits_and_vectorisation():
    L = np.array([1.0, 3.0, 10.0])
    # B = 0: Delta I/I0 = alpha^2 (2/L) tanh(L/2) (Eq. 21 with lambda = 1/L_m)
    np.testing.assert_allclose(analytic.strip_delta_I_over_I0(L, 0.0, 1.0, 1.0),
                               2 / L * np.tanh(L / 2), rtol=1e-14)
    phi = np.linspace(0, 100, 7)
    rs = analytic.strip_rho_star(10.0, phi, 0.1)
    assert rs.shape == phi.shape and rs[0] == 0.0 and np.all(np.diff(rs) > 0) and rs[-1] < 1
    # very wide strips do not overflow
    assert np.isfinite(analytic.strip_nz(np.array([-1500.0, 0.0, 1500.0]), 3000.0, 50.0, 20.0)).all()


def test_rho_star_undefined_without_out_of_plane_mass():
    with pytest.raises(OmmError, match="theta"):
        analytic.strip_rho_star(3.0, 1.0, 0.0)

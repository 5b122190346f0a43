"""Closed-form strip-limit solution (SPEC §6; paper Eqs. 19, 21-23).

Strip ``|y| <= L/2``, uniform current density ``J x̂`` (J > 0), field ``B x̂``,
diagonal inverse-mass tensor, no OMM flux through the edges. Dimensionless
inputs: ``y/L_m``, ``L/L_m``, ``phi = (e/2) B X_yy tau`` and
``theta = X_zz / X_yy`` (SPEC §9 item 1: the paper's ``Omega tau`` is our phi).
Densities are returned in units of ``alpha J L_m / D``. All functions broadcast
over numpy arrays.
"""
from __future__ import annotations

import numpy as np

from .errors import OmmError, bad_value
from .units import E_CHARGE

__all__ = [
    "strip_lambda", "strip_u", "strip_nz", "strip_ny", "strip_delta_I_over_I0",
    "strip_rho", "strip_rho_star", "strip_phi_theta", "strip_profiles_si", "strip_rho_si",
]


def strip_lambda(phi, theta):
    """lambda_- L_m = sqrt(1 - i sqrt(theta) phi) (principal root), complex array."""
    sq = np.sqrt(np.asarray(theta, dtype=complex))
    return np.sqrt(1.0 - 1j * sq * np.asarray(phi, dtype=float))


def strip_u(y, L, phi, theta):
    """u(y) / (alpha J L_m / D) = sinh(lam y) / (lam cosh(lam L/2)) (SPEC §6).

    Evaluated as exponentials of non-positive real part so that wide strips
    (``Re(lam) L`` up to thousands) do not overflow.
    """
    lam = strip_lambda(phi, theta)
    y = np.asarray(y, dtype=float)
    L = np.asarray(L, dtype=float)
    num = np.exp(lam * (y - L / 2)) - np.exp(-lam * (y + L / 2))
    return num / (lam * (1.0 + np.exp(-lam * L)))


def strip_nz(y, L, phi, theta):
    """n^z(y) in units of alpha J L_m / D (Eq. 19 with SPEC's sign convention)."""
    return strip_u(y, L, phi, theta).real


def strip_ny(y, L, phi, theta):
    """n^y(y) in units of alpha J L_m / D for B along +x; odd in B (SPEC §6)."""
    return (np.sqrt(np.asarray(theta, dtype=complex)) * strip_u(y, L, phi, theta).imag).real


def strip_delta_I_over_I0(L, phi, theta, alpha):
    """Delta I / I_0 = alpha^2 Re{(2/(lam L)) tanh(lam L / 2)} (Eq. 21)."""
    lamL = strip_lambda(phi, theta) * np.asarray(L, dtype=float)
    return (np.asarray(alpha, float) ** 2 * (2.0 / lamL * np.tanh(lamL / 2))).real


def strip_rho(L, phi, theta, alpha):
    """rho(B) = (R(B) - R_0)/R(B) = -Delta I / I_0 (Eq. 22)."""
    return -strip_delta_I_over_I0(L, phi, theta, alpha)


def strip_rho_star(L, phi, theta):
    """rho*(B) = (rho(B) - rho(0)) / (rho(inf) - rho(0)) with rho(inf) = 0 (Eq. 23).

    Independent of alpha. Undefined (raises OmmError) for theta == 0, where
    the field cannot dephase n^z and rho(inf) = rho(0).
    """
    theta = np.asarray(theta, dtype=float)
    if np.any(theta == 0):
        raise OmmError(bad_value("theta", theta.tolist(), "rho* is undefined for theta = 0 "
                                 "(an in-plane field cannot dephase n^z, so rho(inf) = rho(0))"))
    r = strip_rho(L, phi, theta, 1.0)
    r0 = strip_rho(L, 0.0, theta, 1.0)
    return 1.0 - r / r0


def strip_phi_theta(material, B):
    """(phi, theta) of a material in a field B along x [T] (SPEC §6)."""
    X = np.asarray(material.X)
    if X[1, 1] <= 0:
        raise OmmError(bad_value("material.X[1][1]", X[1, 1], "the strip formula needs X_yy > 0"))
    phi = 0.5 * E_CHARGE * np.asarray(B, float) * X[1, 1] * material.tau
    return phi, X[2, 2] / X[1, 1]


def strip_profiles_si(y, *, width, J, B, material):
    """Exact (n^z, n^y) [C/m^2] at positions y [m] (strip centred on y = 0).

    Parameters
    ----------
    y : array_like
        Positions across the strip [m], ``|y| <= width/2``.
    width : float
        Strip width L [m].
    J : float
        Sheet current density along x [A/m].
    B : float
        Field along +x [T].
    material : Material
        Uses D, tau, alpha and X (diagonal part).
    """
    phi, theta = strip_phi_theta(material, B)
    Lm = material.L_m
    unit = material.alpha * J * Lm / material.D
    yy = np.asarray(y, float) / Lm
    return (unit * strip_nz(yy, width / Lm, phi, theta),
            unit * strip_ny(yy, width / Lm, phi, theta))


def strip_rho_si(*, width, B, material):
    """rho(B) of Eq. (22) for a strip of width [m] in a field B along x [T]."""
    phi, theta = strip_phi_theta(material, B)
    return strip_rho(width / material.L_m, phi, theta, material.alpha)

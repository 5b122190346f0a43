"""Material parameters (SPEC §1) and the relaxation-precession matrix (SPEC §3).

All quantities are SI. The inverse-mass tensor ``X`` is stored in 1/kg; use
:func:`Material.from_units` (or ``X_unit="1/m_e"`` in a config file) to give it
in units of the inverse electron mass.
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from .checks import finite
from .errors import OmmError, bad_value
from .units import E_CHARGE, M_E

X_UNITS = {"1/kg": 1.0, "1/m_e": 1.0 / M_E}
ALPHA_MAX = 1.0  # |alpha| < ALPHA_MAX: the model is first order in the orbital Hall angle
ALPHA_WARN = 0.3  # above this |alpha| a run warns: the neglected O(alpha^4) terms grow
NORMAL_MIN = sys.float_info.min  # smallest normal float, 2.2e-308
MOBILITY_MAX = 1.0e6  # mu_e [m^2/(V s)] accepted: 300 times the best 2D electron gases (3e3)


def _scales(D, tau, sigma):
    """The derived scales of the internal units (SPEC §8) as (label, value) pairs."""
    L = math.sqrt(D * tau)
    diff = L * L / tau
    return [("the OMM diffusion length L_m = sqrt(D tau) [m]", L),
            ("the inverse length 1/L_m [1/m]", 1.0 / L if L > 0 else math.inf),
            ("the diffusion unit L_m^2/tau [m^2/s]", diff),
            ("the density unit sigma/(L_m^2/tau) [C/m^2 per V]",
             sigma / diff if diff > 0 else math.inf),
            ("the current-density unit sigma/L_m [A/m per V]", sigma / L if L > 0 else math.inf)]


def cross_matrix(b):
    """Matrix ``[b]x`` with ``[b]x @ v == cross(b, v)``; shape (3, 3)."""
    bx, by, bz = b
    return np.array([[0.0, -bz, by], [bz, 0.0, -bx], [-by, bx, 0.0]])


def as_field_vector(B, name="field.B"):
    """Validate a magnetic field given as a 3-vector in tesla."""
    try:
        arr = np.asarray(B, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise OmmError(bad_value(name, B, "expected three numbers [Bx, By, Bz] in tesla")) from None
    if arr.shape != (3,) or not np.all(np.isfinite(arr)):
        raise OmmError(bad_value(name, B, "expected three finite numbers [Bx, By, Bz] in tesla"))
    return arr


@dataclass(frozen=True)
class Material:
    """Piecewise-constant material of one region.

    Parameters
    ----------
    D : float
        OMM diffusion constant [m^2/s], > 0.
    tau : float
        OMM relaxation time [s], > 0.
    alpha : float
        Orbital Hall angle (dimensionless), ``|alpha| < 1`` (may be 0 or
        negative): the model is first order in alpha, rho is O(alpha^2).
    sigma : float
        Sheet conductance [S], > 0.
    mobility : float
        Electron mobility mu_e [m^2/(V s)], in [0, MOBILITY_MAX = 1e6] (enters the drift
        term only).
    X : array_like, shape (3, 3)
        Symmetric inverse-mass tensor [1/kg].
    """

    D: float
    tau: float
    alpha: float
    sigma: float
    mobility: float = 0.0
    X: np.ndarray = field(default_factory=lambda: np.zeros((3, 3)))
    name: str = "material"

    def __post_init__(self):
        p = f"material.{self.name}" if self.name != "material" else "material"
        for key in ("D", "tau", "sigma"):
            v = finite(f"{p}.{key}", getattr(self, key), positive=True)
            if v < NORMAL_MIN:
                raise OmmError(bad_value(f"{p}.{key}", v, f"must be >= {NORMAL_MIN:.3g} (a "
                                         "subnormal number has no physical meaning here)"))
            object.__setattr__(self, key, v)
        for label, v in _scales(self.D, self.tau, self.sigma):
            if not (math.isfinite(v) and v >= NORMAL_MIN):
                raise OmmError(f"{p}.D = {self.D!r}, {p}.tau = {self.tau!r}, {p}.sigma = "
                               f"{self.sigma!r} are invalid together: {label} is {v:.3g}, "
                               "outside the floating-point range; the parameters are far "
                               "outside any physical range")
        alpha = finite(f"{p}.alpha", self.alpha)
        if not abs(alpha) < ALPHA_MAX:
            raise OmmError(bad_value(f"{p}.alpha", alpha, f"|alpha| must be < {ALPHA_MAX:g}: the "
                                     "model is first order in the orbital Hall angle (rho is "
                                     "its O(alpha^2) correction)"))
        object.__setattr__(self, "alpha", alpha)
        mob = finite(f"{p}.mobility", self.mobility)
        if not 0 <= mob <= MOBILITY_MAX:
            raise OmmError(bad_value(f"{p}.mobility", mob, f"must be in [0, {MOBILITY_MAX:g}] "
                                     "m^2/(V s) (MOBILITY_MAX: 300 times the mobility of the "
                                     "cleanest 2D electron gases; beyond it the drift term "
                                     "overflows)"))
        object.__setattr__(self, "mobility", mob)
        try:
            X = np.array(self.X, dtype=float)
        except (TypeError, ValueError, OverflowError):
            raise OmmError(bad_value(f"{p}.X", self.X, "expected a 3x3 array of numbers")) from None
        if X.shape != (3, 3):
            raise OmmError(bad_value(f"{p}.X", self.X, "expected a 3x3 array [[..],[..],[..]]"))
        if not np.all(np.isfinite(X)):
            raise OmmError(bad_value(f"{p}.X", X.tolist(), "all entries must be finite"))
        scale = max(np.abs(X).max(), 1e-300)
        if np.abs(X - X.T).max() > 1e-12 * scale:
            raise OmmError(bad_value(f"{p}.X", X.tolist(), "must be symmetric (X_ab = X_ba)"))
        X = 0.5 * (X + X.T)
        X.setflags(write=False)
        object.__setattr__(self, "X", X)

    @classmethod
    def from_units(cls, *, X_unit: str = "1/kg", X: ArrayLike, **kwargs) -> Material:
        """Build a material with ``X`` given in ``X_unit`` ("1/kg" or "1/m_e")."""
        if X_unit not in X_UNITS:
            raise OmmError(bad_value("material.X_unit", X_unit, f"allowed: {sorted(X_UNITS)}"))
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                Xs = np.asarray(X, dtype=float) * X_UNITS[X_unit]
        except (TypeError, ValueError, OverflowError):
            raise OmmError(bad_value("material.X", X, "expected a 3x3 array of numbers")) from None
        return cls(X=Xs, **kwargs)

    @property
    def L_m(self):
        """OMM diffusion length sqrt(D tau) [m]."""
        return math.sqrt(self.D * self.tau)

    def precession_matrix(self, B: ArrayLike) -> np.ndarray:
        """Omega_B = (e/2) [B]x X [1/s], shape (3, 3) (SPEC §3, Eq. 1).

        The one definition of the precession term; every A(B) in the package
        is built from it (:meth:`relaxation_matrix`, :meth:`precession_generators`).
        """
        return 0.5 * E_CHARGE * cross_matrix(np.asarray(B, float)) @ self.X

    def precession_generators(self) -> np.ndarray:
        """G_k = Omega_{e_k} [1/(s T)], shape (3, 3, 3): Omega_B = sum_k B_k G_k (linear in B)."""
        return np.array([self.precession_matrix(e) for e in np.eye(3)])

    def relaxation_matrix(self, B: ArrayLike) -> np.ndarray:
        """A = I/tau + Omega_B [1/s], shape (3, 3)."""
        return np.eye(3) / self.tau + self.precession_matrix(B)

    def check_stable(self, B: ArrayLike, where: str = "field.B") -> None:
        """Raise OmmError unless every eigenvalue of A(B) has a positive real part."""
        with np.errstate(over="ignore", invalid="ignore"):
            A = self.relaxation_matrix(B)
        if not np.all(np.isfinite(A)):
            raise OmmError(f"{where} = {np.asarray(B).tolist()} T with material {self.name!r}: "
                           "the precession rate (e/2) B X overflows; the field or X is far "
                           "outside any physical range")
        lam = np.linalg.eigvals(A)
        worst = lam.real.min()
        if worst <= 1e-9 / self.tau:
            raise OmmError(
                f"{where} = {np.asarray(B).tolist()} T with material {self.name!r}: the "
                f"relaxation-precession matrix A = I/tau + (e/2) B x X has an eigenvalue "
                f"with real part {worst:.3e} 1/s <= 0, so the OMM dynamics is unstable; "
                "X must be positive semi-definite along this field (check its sign and units)"
            )

    def to_dict(self) -> dict:
        """JSON-friendly SI echo of the parameters."""
        return {
            "D": self.D, "tau": self.tau, "alpha": self.alpha, "sigma": self.sigma,
            "mobility": self.mobility, "X_per_kg": self.X.tolist(),
            "X_per_m_e": (self.X * M_E).tolist(), "L_m": self.L_m,
        }

"""Terminals and measurements (SPEC §5): contact voltages/currents, probe
potentials, two- and four-terminal resistances, their O(alpha^2) change rho
and the normalised rho* — the one place where R, R0, rho, rho* are defined,
for steady solutions, sweeps and transients alike.

A *contact* is an equipotential metal contact (voltage- or current-driven, a
floating contact is ``current = 0``); a *probe* is an insulating boundary
piece (e.g. a Hall-bar arm end) whose potential is the mean of phi over it.

Everything the correction adds is linear in n^z, so this module precomputes
the first-order response of every terminal to n^z with a few adjoint
back-substitutions of the charge factorisation. Evaluating the observables of
a field then costs one small matrix-vector product, which is what makes long
field sweeps cheap once n^z is known.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from skfem import LinearForm

from .errors import OmmError, bad_value

RHO_MIN_V0 = 1e-4  # see Terminals.resistance


def rho_infinity_factor(materials, direction: ArrayLike) -> float | None:
    """kappa with rho(inf) = kappa * rho(0) for a field growing along ``direction``.

    As |B| -> inf, n is projected onto the kernel of the precession matrix
    [u]x X. That kernel is spanned by adj(X) u when u.adj(X).u > 0, and the
    z-source survives with weight kappa = u_z (adj(X) u)_z / (u . adj(X) u);
    kappa = 0 for every in-plane direction (the dephasing of SPEC §5).

    Returns
    -------
    float or None
        None when the limit is not a multiple of rho(0) (regions with different
        kappa, or u.adj(X).u = 0 such as X_zz = 0 with an in-plane field).
    """
    u = np.asarray(direction, float)
    u = u / np.linalg.norm(u)
    kappas = []
    for mat in materials:
        X = np.asarray(mat.X, float)
        adj = np.linalg.det(X) * np.linalg.inv(X) if np.linalg.matrix_rank(X) == 3 else _adjugate(X)
        q = u @ adj @ u
        if not q > 1e-12 * np.abs(adj).max(initial=0.0):
            return None
        kappas.append(u[2] * (adj @ u)[2] / q)
    if not np.allclose(kappas, kappas[0], rtol=0, atol=1e-12):
        return None
    return float(kappas[0])


def _adjugate(X):
    C = np.empty((3, 3))
    for i in range(3):
        for j in range(3):
            minor = np.delete(np.delete(X, i, axis=0), j, axis=1)
            C[i, j] = (-1) ** (i + j) * np.linalg.det(minor)
    return C.T


def rho_star(rho: ArrayLike, rho0: float, kappa: float | None):
    """rho* = (rho - rho0) / (rho_inf - rho0) with rho_inf = kappa rho0, or (None, reason)."""
    if kappa is None:
        return None, ("rho* is undefined: the field direction cannot fully dephase n^z "
                      "(e.g. X_zz = 0, or regions whose large-field limits differ)")
    denom = (kappa - 1.0) * rho0
    if abs(kappa - 1.0) < 1e-12:
        return None, ("rho* is undefined: a field along this direction does not precess n^z "
                      "(rho(inf) = rho(0))")
    if denom == 0.0:
        return None, "rho* is undefined: rho(0) = 0 (no orbital Hall effect, alpha = 0)"
    return (np.asarray(rho) - rho0) / denom, None


@dataclass(frozen=True)
class Measurement:
    """R = (phi(voltage[0]) - phi(voltage[1])) / I(current[0]).

    ``current`` names two contacts (the current enters the sample through the
    first); ``voltage`` names two terminals (contacts or probes).
    """

    name: str
    current: tuple
    voltage: tuple

    def __post_init__(self):
        for key in ("current", "voltage"):
            val = getattr(self, key)
            if (not isinstance(val, (list, tuple)) or len(val) != 2
                    or not all(isinstance(v, str) for v in val) or val[0] == val[1]):
                raise OmmError(bad_value(f"measure.{self.name}.{key}", val,
                                         "expected two different terminal names"))
            object.__setattr__(self, key, tuple(val))


@LinearForm
def _unit(v, w):
    return v


def ratios(V: ArrayLike, V0: ArrayLike, I: ArrayLike, I0: ArrayLike):
    """R = V/I, R0 = V0/I0 [Ohm] and rho = dV/V0 - dI/I0: the one definition (SPEC §5).

    rho is the relative change of R to first order in the O(alpha^2)
    correction, the order of the theory: it equals (R - R0)/R = -Delta I/I0 of
    Eq. (22) exactly for a voltage drive and (R - R0)/R0 exactly for a current
    drive; (R - R0)/R differs from it only at O(alpha^4). Arrays or scalars;
    the caller guarantees I0 != 0 and V0 != 0.
    """
    return V / I, V0 / I0, (V - V0) / V0 - (I - I0) / I0


TWO_TERMINAL_KEYS = ("current_A", "current0_A", "voltage_V", "voltage0_V", "resistance_ohm",
                     "resistance0_ohm", "rho", "delta_I_over_I0")


def two_terminal(pair: tuple, sol, V0: dict, I0: dict) -> dict:
    """Two-terminal observables of a contact pair (SI), steady or at one time of a transient.

    Parameters
    ----------
    pair : (str, str)
        The current enters through ``pair[0]``; V = phi(pair[0]) - phi(pair[1]).
    sol : FieldSolution
        Contact ``voltages`` [V], ``currents`` [A], ``delta_I_fixed_voltage`` [A].
    V0, I0 : dict
        alpha^0 contact voltages [V] and currents [A].

    Returns
    -------
    dict
        ``pair``, ``current_A``, ``current0_A``, ``voltage_V``, ``voltage0_V``,
        ``resistance_ohm`` = V/I, ``resistance0_ohm``, ``rho`` (:func:`ratios`)
        and ``delta_I_over_I0`` (current change at fixed contact voltages over
        I0). Without a drive (I0 = 0 or V0 = 0) every ratio is NaN.
    """
    a, b = pair
    out = {"pair": [a, b], "current_A": sol.currents[a], "current0_A": I0[a],
           "voltage_V": sol.voltages[a] - sol.voltages[b], "voltage0_V": V0[a] - V0[b]}
    if out["current0_A"] == 0.0 or out["voltage0_V"] == 0.0:
        nan = float("nan")
        return {**out, "resistance_ohm": nan, "resistance0_ohm": nan, "rho": nan,
                "delta_I_over_I0": nan}
    R, R0, rho = ratios(out["voltage_V"], out["voltage0_V"], out["current_A"], I0[a])
    return {**out, "resistance_ohm": R, "resistance0_ohm": R0, "rho": rho,
            "delta_I_over_I0": sol.delta_I_fixed_voltage[a] / I0[a]}


class Terminals:
    """First-order response of contacts and probes to n^z.

    Parameters
    ----------
    pipeline : Pipeline
    probes : sequence of str
        Boundary tags (not contacts) whose mean potential is reported.
    """

    def __init__(self, pipeline, probes: tuple | list = ()):
        self.pipe = pipeline
        disc = pipeline.disc
        ch = pipeline.charge
        self.contacts = list(disc.contact_names)
        self.probes = list(probes)
        tags = disc.mesh.boundaries or {}
        wp = np.zeros((disc.ndofs, len(self.probes)))
        for k, name in enumerate(self.probes):
            if name in self.contacts:
                raise OmmError(bad_value("probe", name, "is a contact; use it as a contact"))
            if name not in tags or len(tags[name]) == 0:
                raise OmmError(bad_value("probe", name, f"no boundary facets with this tag; the "
                                         f"mesh has {sorted(tags)}"))
            w = _unit.assemble(disc.facet_basis(name))
            wp[:, k] = w / w.sum()  # mean over the edge: wp . phi
        self.wp = wp
        fr = ch.free
        W = pipeline.W
        # adjoint solves: contacts (K chi restricted to free rows) and probes
        rhs = np.hstack([ch.K_chi[fr], wp[fr]])
        adj = ch.lu.solve(rhs) if rhs.shape[1] else np.zeros((fr.size, 0))
        nc = len(self.contacts)
        Wf = W[fr]
        # dI_fixed = (chi^T K)_f K_ff^-1 W_f n - chi^T W n
        self.A_I = (Wf.T @ adj[:, :nc]).T - (W.T @ disc.chi).T
        # probe potential of phi1 with all contacts at 0
        self.A_P = (Wf.T @ adj[:, nc:]).T
        self.psi_probe = wp.T @ ch.psi  # (nprobes, ncontacts): probe potential per unit contact voltage
        self.P0 = wp.T @ pipeline.phi0
        self.imask = np.array([pipeline.problem.contacts[c].current is not None
                               for c in self.contacts])

    def response(self, nz: np.ndarray) -> dict:
        """Terminal values for n^z (scaled DOF vectors), one row per field.

        Parameters
        ----------
        nz : ndarray, shape (ndofs,) or (nfields, ndofs)

        Returns
        -------
        dict of ndarray, each with leading dimension nfields:
        ``V`` contact voltages [V], ``I`` contact currents [A], ``dI_fixed``
        current change at fixed contact voltages [A], ``P`` probe potentials [V].
        """
        nz = np.atleast_2d(nz)
        pipe = self.pipe
        sig = pipe.disc.units.sigma
        G = pipe.charge.G
        dI = nz @ self.A_I.T  # (nf, nc) scaled
        dV = np.zeros_like(dI)
        if self.imask.any():
            Gii = G[np.ix_(self.imask, self.imask)]
            dV[:, self.imask] = np.linalg.solve(Gii, -dI[:, self.imask].T).T
        V0 = np.array([pipe.V0[c] for c in self.contacts])
        I0 = np.array([pipe.I0[c] for c in self.contacts])
        P = self.P0 + nz @ self.A_P.T + dV @ self.psi_probe.T
        return {"V": V0 + dV, "I": I0 + sig * (dI + dV @ G.T), "dI_fixed": sig * dI, "P": P}

    def response_of(self, sol) -> dict:
        """:meth:`response` of a :class:`~omm_fem.steady.FieldSolution` (n in SI), one row."""
        return self.response(sol.n[2] / self.pipe.disc.units.density)

    def response_at(self, B: ArrayLike) -> dict:
        """:meth:`response` at field ``B`` [T] (one OMM solve, no corrected potential)."""
        return self.response(self.pipe.omm.solve(np.asarray(B, float))[2])

    def zeroth_order(self) -> dict:
        """Terminal values of the alpha^0 solution (same keys, one row)."""
        return self.response(np.zeros(self.pipe.disc.ndofs))

    # ------------------------------------------------------------------
    def potential(self, values: dict, name: str) -> np.ndarray:
        """Potential of a terminal (contact or probe) from a response dict."""
        if name in self.contacts:
            return values["V"][:, self.contacts.index(name)]
        if name in self.probes:
            return values["P"][:, self.probes.index(name)]
        raise OmmError(bad_value("terminal", name, f"allowed: {self.contacts + self.probes}"))

    def current(self, values: dict, name: str) -> np.ndarray:
        if name not in self.contacts:
            raise OmmError(bad_value("current terminal", name, f"must be a contact: {self.contacts}"))
        return values["I"][:, self.contacts.index(name)]

    def resistance(self, values: dict, zeroth: dict, meas: Measurement):
        """R, R0 [Ohm] and rho (:func:`ratios`) of a measurement, one entry per field.

        Parameters
        ----------
        values, zeroth : dict
            :meth:`response` of the fields and :meth:`zeroth_order`.
        meas : Measurement
        """
        a = meas.current[0]
        p, q = meas.voltage
        V = self.potential(values, p) - self.potential(values, q)
        V0 = self.potential(zeroth, p) - self.potential(zeroth, q)
        I = self.current(values, a)
        I0 = self.current(zeroth, a)
        if np.any(np.abs(I0) == 0):
            raise OmmError(f"measure.{meas.name}: no current flows through contact {a!r}")
        # rho is not reported (NaN) when |V0| is below RHO_MIN_V0 of the contact voltage
        # span: a transverse pair whose R0 vanishes by symmetry then only sees the
        # asymmetry of an unstructured mesh (measured ~6e-6), and a ratio of that is noise
        span = np.ptp(zeroth["V"]) or np.abs(zeroth["V"]).max() or 1.0
        defined = np.abs(V0) > RHO_MIN_V0 * span
        with np.errstate(divide="ignore", invalid="ignore"):
            R, R0, rho = ratios(V, np.where(defined, V0, 1.0), I, I0)
        R0 = V0 / I0
        return R, R0 * np.ones_like(R), np.where(defined, rho, np.nan)

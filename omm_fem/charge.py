"""Charge transport (SPEC §2, §5): potential, contact currents, correction solve.

All contacts are equipotentials. One factorisation of the conductance
stiffness on the non-contact DOFs serves every solve: the unit-voltage
solutions psi_c of each contact (the "characteristic potentials"), the drive,
and the O(alpha^2) correction for every field of a sweep.

Contact currents are the variationally consistent fluxes
``I_c = chi_c . (K phi - b)`` (current *into* the sample through contact c),
where ``chi_c`` is the contact's indicator function and ``b`` the load of the
Delta J term; they balance exactly up to the linear-solver residual.
"""
from __future__ import annotations

import numpy as np

from . import forms, intsets
from .assembly import restrict
from .errors import OmmError
from .isop2 import iso_stiffness
from .linalg import factor
from .problem import VOLTAGE_MAX


def _check_voltages(names, dV, driven):
    """The voltage (relative to the ground) a current drive needs must be within the
    contact-voltage cap."""
    over = driven & ~(np.abs(dV) <= VOLTAGE_MAX)
    if over.any():
        k = int(np.flatnonzero(over)[0])
        raise OmmError(f"contacts.{names[k]}: its current needs a voltage of {dV[k]:.3g} V across "
                       f"the sample, beyond |V| <= {VOLTAGE_MAX:g} V; the current or the sheet "
                       "conductance sigma is far outside any physical range")


class ChargeSolver:
    """Scaled charge problem on a :class:`Discretization`.

    Potentials are in volts, currents in units of ``units.sigma`` (A per V of
    scaled sheet conductance), i.e. ``I_SI = units.sigma * I``.
    """

    def __init__(self, disc, linear="direct", rtol=None):
        self.disc = disc
        self.K = disc.assemble(forms.diffusion, c=disc.sigma)
        fixed = intsets.unique(np.concatenate(list(disc.contact_dofs.values())))
        self.fixed = fixed
        self.free = free = intsets.complement(disc.ndofs, fixed)
        Kf = self.K[free]  # the free rows: K_ff and the contact columns K_fc
        Kff, Kfc = Kf[:, free], Kf[:, fixed]
        del Kf
        # iterative: AMG-preconditioned CG (omm_fem.krylov), at P2 with the AMG of the
        # P1-iso-P2 stiffness (omm_fem.isop2); direct: Cholesky (CHOLMOD), LU where the
        # matrix is not positive definite after all (linalg.factor)
        self.iterative = iterative = linear == "iterative"
        precond = None
        if iterative and disc.problem.order == 2:
            def precond():
                return restrict(iso_stiffness(disc.basis, disc.sigma), free)
        self.lu = factor(Kff, spd=True, method="iterative" if iterative else "direct",
                         supernodal=True, refine=1, precond=precond, rtol=rtol)
        self.psi = self._characteristic(disc.chi, Kfc)
        del Kff, Kfc
        # K chi (ndofs, ncontacts): the contact currents chi^T K phi = (K chi)^T phi (K is
        # symmetric) without K itself, which the iterative path releases (release_stiffness)
        self.K_chi = np.asarray(self.K @ disc.chi)
        self.G = disc.chi.T @ (self.K @ self.psi)  # conductance matrix (scaled), symmetric
        self.names = disc.contact_names

    def _characteristic(self, chi, Kfc):
        """Characteristic potentials psi_c (columns): 1 V on contact c, 0 on the others
        (``Kfc``: the free rows, contact columns of K).

        The potentials sum to 1 everywhere (the constant solves the problem with 1 V on
        every contact, as ``K 1 = 0``), so on the iterative path the last one is
        ``1 - sum`` of the others: one Krylov solve fewer (a CG solve is the dearest step
        of that path after its set-up). A direct back-solve is cheap, and solving every
        column keeps the contact fluxes at the rounding of the refined solve."""
        free, fixed = self.free, self.fixed
        psi = chi.copy()
        k = chi.shape[1]
        if k >= 2 and self.iterative:
            k -= 1
        rhs = -(Kfc @ chi[fixed, :k])
        psi[free, :k] = self.lu.solve(rhs).reshape(free.size, k)
        if k < chi.shape[1]:
            psi[free, k] = 1.0 - psi[free, :k].sum(axis=1)
        return psi

    def release_stiffness(self):
        """Free the full stiffness matrix once the OMM operator has been built from it (the
        iterative path: 135 MB per 1e6 P2 unknowns); the solves keep the free block, the
        currents use ``K_chi``."""
        self.K = None

    def currents(self, phi, load=None):
        """Consistent contact currents (scaled) of a potential, shape (ncontacts,)."""
        if self.K is None:  # released (iterative path)
            r = self.K_chi.T @ phi
            return r if load is None else r - self.disc.chi.T @ load
        r = self.K @ phi
        if load is not None:
            r = r - load
        return self.disc.chi.T @ r

    def drive(self, contacts):
        """Zeroth-order solution for the contacts' voltages/currents.

        Gauge-invariant: the solve works with voltages relative to the
        reference (the ground: the voltage contact of smallest |V|, the first
        of equals) and adds the reference back to the potential and the
        voltages, so currents and voltage differences do not depend on the
        ground's value (beyond the rounding of the returned absolute voltages).

        Returns
        -------
        phi0 : ndarray (ndofs,)
            Potential [V].
        V : ndarray (ncontacts,)
            Contact voltages [V].
        I : ndarray (ncontacts,)
            Contact currents (scaled).
        """
        sig = self.disc.units.sigma
        vmask = np.array([contacts[c].voltage is not None for c in self.names])
        V = np.array([contacts[c].voltage if vmask[k] else 0.0 for k, c in enumerate(self.names)])
        ref = min(V[vmask], key=abs) if vmask.any() else 0.0  # the ground: smallest |V|
        dV = np.where(vmask, V - ref, 0.0)  # voltages relative to the reference
        if not vmask.all():
            imask = ~vmask
            target = np.array([contacts[c].current / sig for c in self.names
                               if contacts[c].current is not None])
            dV[imask] = self._solve_floating(imask,
                                             target - self.G[np.ix_(imask, vmask)] @ dV[vmask])
        phi0 = self.psi @ dV + ref
        V = np.where(vmask, V, dV + ref)  # the voltage contacts keep their exact values
        _check_voltages(self.names, dV, ~vmask)
        return phi0, V, self.G @ dV

    def correction(self, load, contacts):
        """O(alpha^2) potential phi1 driven by the Delta J load ``b`` (scaled).

        Voltage contacts keep their voltage; current contacts keep their
        current, so their voltage shifts by dV.

        Returns
        -------
        phi1 : ndarray (ndofs,)
        dI_fixed_voltage : ndarray (ncontacts,)
            Current change at fixed contact voltages (scaled).
        dV : ndarray (ncontacts,)
            Voltage change of current-driven contacts [V] (0 for voltage contacts).
        """
        phi1 = np.zeros(self.disc.ndofs)
        phi1[self.free] = self.lu.solve(load[self.free])
        dI = self.currents(phi1, load)
        dV = np.zeros(len(self.names))
        imask = np.array([contacts[c].current is not None for c in self.names])
        if imask.any():
            dV[imask] = self._solve_floating(imask, -dI[imask])
            phi1 = phi1 + self.psi @ dV
        return phi1, dI, dV

    def _solve_floating(self, imask, rhs):
        Gii = self.G[np.ix_(imask, imask)]
        cond = np.linalg.cond(Gii)
        if not np.isfinite(cond) or cond > 1e12:
            names = [n for n, m in zip(self.names, imask) if m]
            raise OmmError(f"contacts {names}: the current-driven contacts are not connected "
                           "to a voltage contact through the sample (singular conductance matrix)")
        return np.linalg.solve(Gii, rhs)


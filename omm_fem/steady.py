"""The steady pipeline: charge -> OMM -> Delta J -> corrected potential -> observables.

:class:`Pipeline` holds everything that does not depend on the magnetic field
(mesh, charge factorisation, drive, OMM operator pieces, the Delta J coupling
matrix), so a field sweep only repeats the field-dependent part.
"""
from __future__ import annotations

import copy
import logging
import time
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from . import forms
from .charge import ChargeSolver
from .discretization import Discretization
from .errors import OmmError
from .linalg import linear_method
from .material import as_field_vector
from .measure import two_terminal
from .omm import OmmOperator
from .problem import Problem

log = logging.getLogger(__name__)


@dataclass
class FieldSolution:
    """Result of the pipeline at one field (SI).

    Attributes
    ----------
    B : ndarray (3,)
        Field [T].
    n : ndarray (3, ndofs)
        OMM density [C/m^2] at the DOFs.
    phi : ndarray (ndofs,)
        Corrected potential phi0 + phi1 [V].
    voltages, currents : dict[str, float]
        Contact voltages [V] and currents into the sample [A], O(alpha^2) included.
    delta_I_fixed_voltage : dict[str, float]
        Current change of each contact at fixed contact voltages [A].
    """

    B: np.ndarray
    n: np.ndarray
    phi: np.ndarray
    voltages: dict
    currents: dict
    delta_I_fixed_voltage: dict
    solves: int = 0
    extra: dict = field(default_factory=dict)


class Pipeline:
    """Field-independent part of a steady problem, reusable across fields.

    Parameters
    ----------
    problem : Problem
    force_coupled : bool
        Use the 3N coupled block solve even for a uniform material (testing).
    linear : {"direct", "iterative", "auto"}
        Sparse direct factorisations, or AMG-preconditioned Krylov solves
        (:mod:`omm_fem.krylov`: memory linear in the mesh, for ~1e6 unknowns and
        more); ``"auto"`` is iterative from ``linalg.AUTO_ITERATIVE_DOFS`` unknowns.
        The coupled 3N path of region-wise materials is always direct.
    krylov_rtol : float, optional
        Relative residual of every Krylov solve of the iterative path (default
        :data:`omm_fem.krylov.RTOL`; :func:`omm_fem.krylov.rtol_for` ties it to a
        requested accuracy of the observables).
    reuse : Pipeline, optional
        A pipeline on the same mesh whose problem differs in its materials only
        (a parameter sweep, :mod:`omm_fem.paramsweep`): its discretisation and,
        when sigma is unchanged, its charge factorisation are shared.
    """

    def __init__(self, problem: Problem, *, force_coupled: bool = False, linear: str = "auto",
                 reuse: Pipeline | None = None, krylov_rtol: float | None = None):
        t0 = time.perf_counter()
        self.problem = problem
        # reuse: a pipeline on the same mesh whose problem differs in its materials only
        # (omm_fem.paramsweep): its discretisation (Discretization.with_materials) and, when
        # sigma is the same, its charge factorisation serve this one
        self.disc = disc = (Discretization(problem) if reuse is None
                            else reuse.disc.with_materials(problem))
        self.linear = linear_method(linear, disc.ndofs)
        disc.lean_assembly = self.linear == "iterative"
        t1 = time.perf_counter()
        log.info("discretization: P%d, %d unknowns per field component, %.1f s", problem.order,
                 disc.ndofs, t1 - t0)
        self.krylov_rtol = krylov_rtol
        same = (reuse is not None and reuse.linear == self.linear
                and reuse.krylov_rtol == krylov_rtol
                and np.array_equal(disc.sigma, reuse.disc.sigma))
        self.charge = reuse.charge if same else ChargeSolver(disc, linear=self.linear,
                                                             rtol=krylov_rtol)
        self.phi0, V0, I0 = self.charge.drive(problem.contacts)
        t2 = time.perf_counter()
        log.info("charge problem (%s solver): assembled, factorised and solved, %.1f s",
                 self.linear, t2 - t1)
        names = disc.contact_names
        sig = disc.units.sigma
        self.V0 = dict(zip(names, V0))
        self.I0 = dict(zip(names, I0 * sig))
        self.omm = OmmOperator(disc, self.phi0, force_coupled=force_coupled,
                               charge_stiffness=self.charge.K, linear=self.linear,
                               rtol=krylov_rtol)
        # the Delta J coefficients (four (nel, nqp) arrays) are not kept: W is all a field needs
        self.W = disc.assemble(forms.curl_current,
                               **disc.delta_J_coefficients(self.omm.grad_phi, drift=problem.drift))
        self.pair = self._primary_pair()
        if self.linear == "iterative":  # large meshes: a field needs the matrices only
            disc.release_basis()
            if not same:  # a parameter sweep's pipelines share the charge solver
                self.charge.release_stiffness()
        t3 = time.perf_counter()
        log.info("OMM operator (%s, %d free unknowns per component) and Delta J coupling "
                 "assembled, %.1f s", "coupled 3N" if self.omm.coupled else "decoupled",
                 self.omm.free.size, t3 - t2)
        # wall seconds of the set-up phases (results.json timing.phases)
        self.timing = {"discretization_s": t1 - t0, "charge_s": t2 - t1,
                       "omm_operator_s": t3 - t2}

    def with_drive(self, contacts, pair=None) -> Pipeline:
        """The same device with other contact conditions (the same contact names and OMM
        conditions): shares the discretisation, the charge factorisation and, without
        drift, the OMM factorisations (:meth:`OmmOperator.for_drive`)."""
        pb = copy.copy(self.problem)
        pb.contacts = Problem._check_contacts(pb.mesh, contacts)
        old = {n: (c.omm, c.s) for n, c in self.problem.contacts.items()}
        if {n: (c.omm, c.s) for n, c in pb.contacts.items()} != old:
            raise OmmError("with_drive: the contacts must keep their names and OMM conditions")
        new = copy.copy(self)
        new.problem = pb
        new.phi0, V0, I0 = self.charge.drive(pb.contacts)
        names = self.disc.contact_names
        new.V0 = dict(zip(names, V0))
        new.I0 = dict(zip(names, I0 * self.disc.units.sigma))
        new.omm = self.omm.for_drive(new.phi0)
        if pb.drift:  # the drift part of Delta J depends on the drive's field
            coeffs = self.disc.delta_J_coefficients(new.omm.grad_phi, drift=True)
            new.W = self.disc.assemble(forms.curl_current, **coeffs)
        new.pair = tuple(pair) if pair is not None else new._primary_pair()
        return new

    def _primary_pair(self):
        names = self.disc.contact_names
        if "source" in names and "drain" in names:
            return "source", "drain"
        return names[0], names[1]

    # ------------------------------------------------------------------
    def at_field(self, B: ArrayLike) -> FieldSolution:
        """Run the field-dependent part for field ``B`` [T] -> :class:`FieldSolution`."""
        t0 = time.perf_counter()
        B = as_field_vector(B)
        for mat in self.problem.materials.values():
            mat.check_stable(B)
        sol = self.solution_from_n(B, self.omm.solve(B))
        sol.solves = self.omm.last_solve_count
        log.debug("field solve at B = %s T: %d scalar solves, %.2f s", B.tolist(), sol.solves,
                  time.perf_counter() - t0)
        return sol

    def solution_from_n(self, B: ArrayLike, n: np.ndarray) -> FieldSolution:
        """:class:`FieldSolution` for a given scaled OMM density ``n`` (3, ndofs):
        Delta J, the corrected potential and the contact values (SI)."""
        disc = self.disc
        u = disc.units
        load = self.W @ n[2]
        phi1, dI, dV = self.charge.correction(load, self.problem.contacts)
        names = disc.contact_names
        V = np.array([self.V0[c] for c in names]) + dV
        I_total = np.array([self.I0[c] for c in names]) + u.sigma * (dI + self.charge.G @ dV)
        return FieldSolution(
            B=B, n=n * u.density, phi=self.phi0 + phi1,
            voltages=dict(zip(names, V)), currents=dict(zip(names, I_total)),
            delta_I_fixed_voltage=dict(zip(names, u.sigma * dI)),
        )

    # ------------------------------------------------------------------
    def two_terminal(self, sol: FieldSolution) -> dict:
        """Two-terminal observables of the primary contact pair: see
        :func:`omm_fem.measure.two_terminal` (R, R0, rho = dV/V0 - dI/I0, Delta I/I0)."""
        return two_terminal(self.pair, sol, self.V0, self.I0)

    def current_balance(self, sol: FieldSolution) -> float:
        """|sum of contact currents| / max |contact current| (should be ~1e-15)."""
        I = np.array(list(sol.currents.values()))
        return abs(I.sum()) / np.abs(I).max()

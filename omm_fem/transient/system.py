"""The semi-discrete time-dependent OMM equation (SPEC §3, §4, §7) in scaled units.

On the free (non-sink) DOFs, with n of shape (3, nfree) and time in units of
the reference tau:

    M dn/dt + S(V) n + sum_r M_r n A~_r(B)^T = f(V) e_z            (*)

``S(V) = D~K + Robin + drift(V)`` is the scalar operator, ``A~_r(B) =
tau0 (I/tau_r + (e/2)[B]x X_r)`` the relaxation-precession matrix of region r,
``V`` the contact voltages of the alpha^0 charge solution. The charge problem
is quasi-static: everything that depends on the drive is linear in V, so the
source ``f = F V``, the drift operator ``sum_c V_c S_c`` and the Delta J
coupling ``W = W_D + sum_c V_c W_c`` are assembled once per contact from the
characteristic potentials psi_c (no re-assembly while stepping). Without drift
the operator does not depend on the drive at all; with drift it changes
whenever the drive does, and a new factorisation is needed for each distinct
drive value (cached).

Observables of a state are computed in traces.py.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from skfem import LinearForm

from .. import forms
from ..errors import OmmError
from ..linalg import FactorStore, is_symmetric
from ..omm import small_matmul
from .traces import TerminalMaps, observe


@LinearForm
def _unit_integral(v, w):
    return v


def _mm(A, B):
    """Batched product of small matrices by einsum loops (no BLAS, see small_matmul)."""
    return np.einsum("...ij,...jk->...ik", A, B)


def expm_small(A):
    """exp(A) for small real matrices, batched over leading axes, without BLAS.

    Scaling and squaring with a degree-18 Taylor polynomial of A / 2^s,
    ||A / 2^s||_1 <= 1/2: truncation error < 0.5^19 / 19! ~ 1e-23 relative;
    rounding grows with the squarings (measured against scipy.linalg.expm on
    precession matrices: 1e-13 at 10 rad per step, 1e-12 at 100 rad).
    scipy.linalg.expm calls the threaded BLAS even for 3x3 matrices and was
    measured at 15 ms per call on a shared machine.
    """
    A = np.asarray(A, dtype=float)
    norm = np.abs(A).sum(axis=-2).max() if A.size else 0.0
    s = max(0, int(np.ceil(np.log2(norm))) + 1) if norm > 0 else 0
    X = A / 2.0**s
    eye = np.broadcast_to(np.eye(A.shape[-1]), A.shape)
    term, out = eye.copy(), eye.copy()
    for k in range(1, 19):
        term = _mm(term, X) / k
        out = out + term
    for _ in range(s):
        out = _mm(out, out)
    return out


@dataclass
class DriveState:
    """Quasi-static charge state at one time (scaled units, see discretization.py)."""

    t: float
    contacts: dict
    V: np.ndarray  # contact voltages [V], (ncontacts,)
    I: np.ndarray  # contact currents (scaled), (ncontacts,)
    key: tuple | None  # identifies the drift operator (None without drift)


class TransientSystem:
    """Operators of (*) for a :class:`~omm_fem.steady.Pipeline` under a schedule.

    Parameters
    ----------
    pipeline : Pipeline
        Supplies the discretisation, the charge factorisation and the mass
        matrices (reused, never rebuilt).
    schedule : Schedule
        Field B(t) and contact drive.
    probes : sequence of str
        Boundary tags (not contacts) whose potential is observed ([[measure]]).
    cache_size : int
        Factorisations kept (LRU).
    """

    def __init__(self, pipeline, schedule, *, probes=(), cache_size=8):
        self.pipeline = pipeline
        self.disc = disc = pipeline.disc
        self.problem = pb = disc.problem
        self.charge = pipeline.charge
        self.schedule = schedule
        self.units = disc.units
        om = pipeline.omm
        self.free = fr = om.free
        self.nfree = fr.size
        self.M = om.M
        self.region_mass = om.region_mass
        self.materials = list(pb.materials.values())
        self.uniform = not om.coupled
        basis = disc.basis
        self.omm = om
        self.S0 = om.S_static
        self.R = om.relaxation_mass()
        no_field = np.zeros((2,) + disc.alpha.shape)
        self.W_D = forms.curl_current.assemble(
            basis, **disc.delta_J_coefficients(no_field, drift=False)).tocsr()
        nc = len(disc.contact_names)
        self.F = np.zeros((self.nfree, nc))
        self.S_drift, self.W_mu = [], []
        for k in range(nc):  # everything linear in the drive, per characteristic potential
            g = basis.interpolate(self.charge.psi[:, k]).grad
            self.F[:, k] = om.source(g)[fr]
            if pb.drift:
                self.S_drift.append(om.drift(g))
                self.W_mu.append(forms.curl_current.assemble(
                    basis, **disc.delta_J_coefficients(g, drift=True, diffusion=False)).tocsr())
        self.symmetric = is_symmetric(self.S0)
        # precession generators: Omega~_r(B) = sum_k B_k * Om[r, k], scaled by tau0
        self.Om = om.precession_generators()
        self.node_region_weights = w = self._node_weights()
        # DOFs sharing a weight pattern share their precession exponential
        pats, inv = np.unique(np.round(w.T, 14), axis=0, return_inverse=True)
        self._weight_patterns, self._pattern_of = pats, inv.ravel()
        self.integral = _unit_integral.assemble(basis)[fr]  # int phi_i (scaled area)
        self.factors = FactorStore(maxsize=cache_size)
        self.maps = TerminalMaps(self, probes)
        self._ops = {}
        self._stable = set()

    # ------------------------------------------------------------ drive
    def drive(self, t, left=False):
        """Charge state at time ``t`` [s] (``left``: left limit at a switch)."""
        contacts = self.schedule.contacts_at(t, left)
        _, V, I = self.charge.drive(contacts)
        key = tuple(V.tolist()) if self.problem.drift else None
        return DriveState(t=t, contacts=contacts, V=V, I=I, key=key)

    def source(self, d):
        """f(V) on the free DOFs, shape (nfree,) (feeds n^z only)."""
        f = np.zeros(self.nfree)
        for c, v in enumerate(d.V):  # not F @ V: see small_matmul
            if v != 0.0:
                f += v * self.F[:, c]
        return f

    def scalar_operator(self, d):
        """S(V) on the free DOFs (diffusion + Robin + drift of this drive)."""
        if d.key is None:
            return self.S0
        if d.key not in self._ops:
            if len(self._ops) > 16:
                self._ops.clear()
            self._ops[d.key] = (self.S0 + sum(v * Sc for v, Sc in zip(d.V, self.S_drift))).tocsc()
        return self._ops[d.key]

    def delta_J_matrix(self, d):
        """W(V) with load = W @ n^z (full DOF vectors)."""
        if not self.W_mu:
            return self.W_D
        return self.W_D + sum(v * Wc for v, Wc in zip(d.V, self.W_mu))

    # ------------------------------------------------------------ field
    def check_field(self, B, t=None):
        """Refuse a field for which some region's A(B) is unstable (SPEC §3)."""
        key = tuple(np.asarray(B, float).tolist())
        if key in self._stable:
            return
        where = "field.B" if t is None else f"field B(t = {t:.6g} s)"
        for m in self.materials:
            m.check_stable(B, where=where)
        if len(self._stable) > 10000:
            self._stable.clear()
        self._stable.add(key)

    def relaxation(self, B):
        """A~_r(B) per region (scaled), shape (nregions, 3, 3)."""
        return self.omm.relaxation(B)

    def _node_weights(self):
        """Share of each free DOF's support (by area) in each region, (nregions, nfree)."""
        basis = self.disc.basis
        area = basis.dx.sum(axis=1)
        reg = self.problem.element_region
        w = np.zeros((len(self.materials), self.disc.ndofs))
        for row in basis.element_dofs:
            np.add.at(w, (reg, row), area)
        w = w[:, self.free]
        return w / w.sum(axis=0, keepdims=True)

    def precess(self, n, B, h):
        """Exact precession over scaled time ``h`` in the mean field ``B`` [T].

        Solves dn_i/dt = -Omega~_i n_i node by node: Omega~_i = Omega~(B) for a
        uniform X (then the consistent-mass term M (x) Omega~ reduces to this
        exactly), else the area-weighted mean of the regions' Omega~ over the
        DOF's support (the lumped-mass precession: exact for DOFs inside a
        region, an O(h) blend on interface DOFs).
        """
        self.check_field(B)
        Oms = np.tensordot(self.Om, B, axes=([1], [0]))  # (nregions, 3, 3)
        if len(self.materials) == 1 or np.allclose(Oms, Oms[0], rtol=0, atol=1e-300):
            return small_matmul(expm_small(-h * Oms[0]), n)
        E = expm_small(-h * np.einsum("pr,rab->pab", self._weight_patterns, Oms))
        return np.einsum("iab,bi->ai", E[self._pattern_of], n)

    # ------------------------------------------------------------ solves
    def mass(self, n):
        """(M (x) I3) n for n of shape (k, nfree)."""
        return (self.M @ n.T).T

    def solve_scalar(self, alpha, d, rhs):
        """(alpha M + S(V) + R) x = rhs row by row; rhs shape (k, nfree), real."""
        rows = [k for k in range(rhs.shape[0]) if np.any(rhs[k])]
        out = np.zeros_like(rhs)
        if rows:
            def build():
                return (alpha * self.M + self.scalar_operator(d) + self.R).tocsc()

            sol = self.factors.solve(("scalar", alpha, d.key), build, rhs[rows].T,
                                     spd=self._symmetric_at(d))
            out[rows] = sol.T
        return out

    def solve_full(self, alpha, B, d, rhs):
        """(alpha M (x) I3 + S(V) (x) I3 + sum_r M_r (x) A~_r(B)) x = rhs, rhs (3, nfree).

        The OMM operator's own solver (:meth:`omm_fem.omm.OmmOperator.solve_free`)
        with this drive's scalar operator; factorisations are kept in
        :attr:`factors` under the drive's key.
        """
        self.check_field(B)
        return self.omm.solve_free(B, rhs, shift=alpha, S=self.scalar_operator(d), skey=d.key,
                                   factors=self.factors, spd=None)

    def _symmetric_at(self, d):
        """S(V) is symmetric: no drift, or no drive at this time."""
        return self.symmetric and (d.key is None or not np.any(d.V))

    def steady(self, t, B=None):
        """Steady state of (*) for the drive and field of time ``t`` [s], shape (3, nfree)."""
        d = self.drive(t)
        B = self.schedule.field(t) if B is None else B
        rhs = np.zeros((3, self.nfree))
        rhs[2] = self.source(d)
        return self.solve_full(0.0, B, d, rhs)

    # ------------------------------------------------------------ observables
    def norm(self, n):
        """L2(sample) norm sqrt(sum_a n_a . M n_a) in scaled units."""
        return float(np.sqrt(max(np.sum(n * self.mass(n)), 0.0)))

    def observe(self, t, n, *, field=True):
        """Observables at time ``t`` [s]: see :func:`omm_fem.transient.traces.observe`."""
        return observe(self, t, n, field=field)


def check_state(system, n, where):
    """Validate a state array (3, nfree) (shape and finiteness)."""
    n = np.asarray(n, dtype=float)
    if n.shape != (3, system.nfree) or not np.all(np.isfinite(n)):
        raise OmmError(f"{where}: expected a finite array of shape (3, {system.nfree}) "
                       f"(n on the free DOFs, scaled), got shape {n.shape}")
    return n

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

Observables of a state are computed in observe.py.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
from skfem import LinearForm

from .. import forms
from ..errors import OmmError
from ..material import cross_matrix
from ..omm import schur_blocks
from ..units import E_CHARGE
from .linsolve import FactorStore, is_symmetric
from .observe import TerminalMaps, observe



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


def small_matmul(A, X):
    """A @ X for a small (k, 3) matrix and a (3, n) array, without BLAS.

    A threaded BLAS call for such a thin product was measured 100x slower
    than this loop when another process occupies a core (thread spin-waits).
    """
    out = A[:, 0, None] * X[0]
    for j in range(1, A.shape[1]):
        out = out + A[:, j, None] * X[j]
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
        self.uniform = pb.uniform_relaxation and not om.coupled
        basis = disc.basis
        S = forms.diffusion.assemble(basis, c=disc.D)
        for name, c in pb.contacts.items():
            if c.omm == "relaxing" and c.s > 0:
                s_scaled = c.s * disc.units.time / disc.units.length
                S = S + forms.surface_relaxation.assemble(disc.facet_basis(name), s=s_scaled)
        self.S0 = S.tocsr()[fr][:, fr].tocsc()
        t0 = self.units.time
        self.R = sum((t0 / m.tau * Mr for m, Mr in zip(self.materials[1:], self.region_mass[1:])),
                     t0 / self.materials[0].tau * self.region_mass[0]).tocsc()
        zero = np.zeros_like(disc.alpha)
        self.W_D = forms.curl_current.assemble(basis, aD=disc.alpha * disc.D, amu=zero,
                                               ex=zero, ey=zero).tocsr()
        nc = len(disc.contact_names)
        self.F = np.zeros((self.nfree, nc))
        self.S_drift, self.W_mu = [], []
        for k in range(nc):
            g = basis.interpolate(self.charge.psi[:, k]).grad
            self.F[:, k] = forms.orbital_hall_source.assemble(
                basis, alpha=disc.alpha, jx=-disc.sigma * g[0], jy=-disc.sigma * g[1])[fr]
            if pb.drift:
                Sd = forms.drift.assemble(basis, vx=disc.mobility * g[0], vy=disc.mobility * g[1])
                self.S_drift.append(Sd.tocsr()[fr][:, fr].tocsc())
                self.W_mu.append(forms.curl_current.assemble(
                    basis, aD=zero, amu=disc.alpha * disc.mobility, ex=-g[0], ey=-g[1]).tocsr())
        self.symmetric = is_symmetric(self.S0)
        # precession generators: Omega~_r(B) = sum_k B_k * Om[r, k], scaled by tau0
        self.Om = np.array([[t0 * 0.5 * E_CHARGE * cross_matrix(e) @ m.X for e in np.eye(3)]
                            for m in self.materials])
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
        t0 = self.units.time
        return np.array([t0 / m.tau * np.eye(3) + np.tensordot(B, Om, axes=1)
                         for m, Om in zip(self.materials, self.Om)])

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

        Uniform relaxation: real Schur form A~ = Z T Z^T and back-substitution
        over T's blocks with scalar factorisations of ``S(V) + shift M``
        (complex for a precessing pair), as the steady solver does. Otherwise
        the coupled 3N block system (node-major).
        """
        self.check_field(B)
        As = self.relaxation(B)
        if not self.uniform:
            return self._solve_coupled(alpha, B, As, d, rhs)
        T, Z, blocks = schur_blocks(As[0])
        T = T + alpha * np.eye(3)
        g = small_matmul(Z.T, rhs)
        m = np.zeros_like(g)
        Mm = np.zeros_like(g)
        for blk in reversed(blocks):
            r = g[blk].copy()
            for i, kk in enumerate(blk):
                for j in range(blk[-1] + 1, 3):
                    if T[kk, j] != 0.0:
                        r[i] -= T[kk, j] * Mm[j]
            if not np.any(np.abs(r) > 0):
                continue
            if len(blk) == 1:
                m[blk[0]] = self._shifted(T[blk[0], blk[0]], d, r[0])
            else:
                m[blk] = self._pair(T[np.ix_(blk, blk)], d, r)
            Mm[blk] = self.mass(m[blk])
        return small_matmul(Z, m)

    def _symmetric_at(self, d):
        """S(V) is symmetric: no drift, or no drive at this time."""
        return self.symmetric and (d.key is None or not np.any(d.V))

    def _shifted(self, shift, d, rhs):
        """(S(V) + shift M) x = rhs, real or complex shift."""
        shift = complex(shift)
        real = shift.imag == 0.0
        key = ("shift", shift.real if real else shift, d.key)

        def build():
            return (self.scalar_operator(d) + (shift.real if real else shift) * self.M).tocsc()

        spd = real and shift.real > 0 and self._symmetric_at(d)
        x = self.factors.solve(key, build, rhs if real else np.asarray(rhs, complex), spd=spd)
        return x

    def _pair(self, T2, d, rhs):
        """(S (x) I2 + M (x) T2) m = rhs for a 2x2 block with complex eigenvalues."""
        w, V = np.linalg.eig(T2)
        if np.linalg.cond(V) < 1e6:
            c = small_matmul(np.linalg.inv(V), rhs.astype(complex))
            u = self._shifted(w[0], d, c[0])
            return 2.0 * np.real(np.outer(V[:, 0], u))
        Tc, Zc = sla.schur(T2.astype(complex), output="complex")
        g = small_matmul(Zc.conj().T, rhs)
        m1 = self._shifted(Tc[1, 1], d, g[1])
        m0 = self._shifted(Tc[0, 0], d, g[0] - Tc[0, 1] * (self.M @ m1))
        return np.real(small_matmul(Zc, np.vstack([m0, m1])))

    def _solve_coupled(self, alpha, B, As, d, rhs):
        key = ("coupled", alpha, tuple(np.asarray(B, float).tolist()), d.key)

        def build():
            big = sp.kron(self.scalar_operator(d) + alpha * self.M, sp.identity(3), format="csr")
            for Mr, Ar in zip(self.region_mass, As):
                big = big + sp.kron(Mr, sp.csr_matrix(Ar), format="csr")
            return big.tocsc()

        x = self.factors.solve(key, build, rhs.T.ravel())
        return x.reshape(-1, 3).T

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
        """Observables at time ``t`` [s]: see :func:`omm_fem.transient.observe.observe`."""
        return observe(self, t, n, field=field)


def check_state(system, n, where):
    """Validate a state array (3, nfree) (shape and finiteness)."""
    n = np.asarray(n, dtype=float)
    if n.shape != (3, system.nfree) or not np.all(np.isfinite(n)):
        raise OmmError(f"{where}: expected a finite array of shape (3, {system.nfree}) "
                       f"(n on the free DOFs, scaled), got shape {n.shape}")
    return n

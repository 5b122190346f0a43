"""Steady OMM transport (SPEC §3, §4, §8).

Scaled weak form, for each component a:

    int D~ grad n_a . grad v - int n_a v~_d . grad v + sum_contacts int s~ n_a v
      + int (A~ n)_a v = int alpha eps_{i a k} J~_k d_i v

with A~ = tau0 (I/tau + (e/2) [B]x X). Sink contacts pin n = 0.

Decoupled path (A the same in every region): the operator is
``S (x) I3 + M (x) A~`` with the scalar ``S = D~ K + drift + Robin``. With the
real Schur form ``A~ = Z T Z^T`` the unknowns ``m = Z^T n`` satisfy a block
upper-triangular system solved by back-substitution over T's 1x1 and 2x2
blocks: a real eigenvalue costs one real scalar solve, a complex pair one
complex scalar solve (the pair's second member is the complex conjugate).
The Schur form stays exact when A is defective (X_zz = 0 gives a Jordan
block). Only n^z is sourced, so blocks with neither source nor coupling are
skipped: B along x costs a single complex solve.

Coupled path (A differs between regions): the 3N block system, node-major.
"""
from __future__ import annotations

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

from . import forms
from .linalg import FactorCache, factorize

_ZERO = 1e-13  # relative size below which Schur couplings are treated as exact zeros


def schur_blocks(A):
    """Real Schur form ``A = Z T Z^T`` of a 3x3 matrix and T's diagonal blocks.

    Entries of T below ``_ZERO * max|T|`` are set to exact zeros so that
    couplings that vanish analytically (e.g. the n^x mode for B along x) do
    not cost solves. Returns ``(T, Z, blocks)`` with blocks a list of index
    lists, ``[k]`` for a real eigenvalue and ``[k, k+1]`` for a complex pair.
    """
    T, Z = sla.schur(A, output="real")
    T = np.where(np.abs(T) <= _ZERO * np.abs(T).max(), 0.0, T)
    blocks, k = [], 0
    while k < 3:
        if k < 2 and T[k + 1, k] != 0.0:
            blocks.append([k, k + 1])
            k += 2
        else:
            blocks.append([k])
            k += 1
    return T, Z, blocks


class OmmOperator:
    """Assembled OMM operator of a problem for a given zeroth-order potential.

    Parameters
    ----------
    disc : Discretization
    phi0 : ndarray (ndofs,)
        Zeroth-order potential [V] (sets J0 and the drift velocity).
    charge_stiffness : sparse matrix, optional
        The charge problem's sigma-weighted stiffness; reused instead of a new
        assembly when D/sigma is the same everywhere.
    """

    def __init__(self, disc, phi0, *, force_coupled=False, cache_size=3, charge_stiffness=None):
        self.disc = disc
        pb = disc.problem
        basis = disc.basis
        grad_phi = basis.interpolate(phi0).grad  # (2, nel, nqp), V per l0
        self.grad_phi = grad_phi
        jx = -disc.sigma * grad_phi[0]
        jy = -disc.sigma * grad_phi[1]
        self.J0 = (jx, jy)
        self.f = forms.orbital_hall_source.assemble(basis, alpha=disc.alpha, jx=jx, jy=jy)
        ratio = disc.D / disc.sigma
        if charge_stiffness is not None and np.all(ratio == ratio.flat[0]):
            # D/sigma uniform: the diffusion matrix is a multiple of the charge stiffness
            S = ratio.flat[0] * charge_stiffness
        else:
            S = forms.diffusion.assemble(basis, c=disc.D)
        if pb.drift:
            vx = disc.mobility * grad_phi[0]
            vy = disc.mobility * grad_phi[1]
            S = S + forms.drift.assemble(basis, vx=vx, vy=vy)
        for name, c in pb.contacts.items():
            if c.omm == "relaxing" and c.s > 0:
                s_scaled = c.s * disc.units.time / disc.units.length
                S = S + forms.surface_relaxation.assemble(disc.facet_basis(name), s=s_scaled)
        sink = [disc.contact_dofs[n] for n, c in pb.contacts.items() if c.omm == "sink"]
        fixed = np.unique(np.concatenate(sink)) if sink else np.zeros(0, dtype=np.int64)
        self.free = np.setdiff1d(np.arange(disc.ndofs), fixed)
        fr = self.free
        self.S = S.tocsr()[fr][:, fr].tocsc()
        self.region_mass = [forms.mass.assemble(basis, c=ind).tocsr()[fr][:, fr].tocsc()
                            for ind in disc.region_indicator]
        self.M = sum(self.region_mass[1:], self.region_mass[0])
        self.f_free = self.f[fr]
        self.coupled = force_coupled or not pb.uniform_relaxation
        self._factor = FactorCache(lambda shift: self.S + shift * self.M, maxsize=cache_size)
        self.last_solve_count = 0

    # ------------------------------------------------------------------
    def scaled_relaxation(self, B):
        """A~ per region: tau0 * A(B), shape (nregions, 3, 3)."""
        t0 = self.disc.units.time
        return [t0 * m.relaxation_matrix(B) for m in self.disc.problem.materials.values()]

    def solve(self, B):
        """n (scaled), shape (3, ndofs), for field B [T]."""
        self.last_solve_count = 0
        if self.coupled:
            nf = self._solve_coupled(self.scaled_relaxation(B))
        else:
            nf = self._solve_decoupled(self.scaled_relaxation(B)[0])
        n = np.zeros((3, self.disc.ndofs))
        n[:, self.free] = nf
        return n

    # ------------------------------------------------------------------
    def _scalar_solve(self, shift, rhs):
        self.last_solve_count += 1
        if shift.imag == 0:
            shift = shift.real
            return self._factor(float(shift)).solve(rhs)
        return self._factor(complex(shift)).solve(np.asarray(rhs, dtype=complex))

    def _solve_decoupled(self, A):
        T, Z, blocks = schur_blocks(A)
        zc = np.where(np.abs(Z[2]) <= _ZERO, 0.0, Z[2])  # rows of Z^T e_z
        nfree = self.f_free.size
        m = np.zeros((3, nfree))
        Mm = np.zeros((3, nfree))  # M @ m_k, filled as blocks are solved
        for blk in reversed(blocks):
            later = list(range(blk[-1] + 1, 3))
            rhs = np.zeros((len(blk), nfree))
            for i, kk in enumerate(blk):
                rhs[i] = zc[kk] * self.f_free
                for j in later:
                    if T[kk, j] != 0.0:
                        rhs[i] -= T[kk, j] * Mm[j]
            if not np.any(rhs):
                continue
            if len(blk) == 1:
                m[blk[0]] = self._scalar_solve(complex(T[blk[0], blk[0]]), rhs[0]).real
            else:
                m[blk] = self._solve_pair(T[np.ix_(blk, blk)], rhs)
            for kk in blk:
                Mm[kk] = self.M @ m[kk]
        return Z @ m

    def _solve_pair(self, T2, rhs):
        """(S (x) I2 + M (x) T2) m = rhs for a 2x2 block with complex eigenvalues."""
        w, V = np.linalg.eig(T2)
        if np.linalg.cond(V) < 1e6:
            c = np.linalg.solve(V, rhs.astype(complex))  # rows: c0 and conj(c0)
            u = self._scalar_solve(complex(w[0]), c[0])
            return 2.0 * np.real(np.outer(V[:, 0], u))
        # nearly defective pair: complex Schur back-substitution, two solves
        Tc, Zc = sla.schur(T2.astype(complex), output="complex")
        g = Zc.conj().T @ rhs
        m1 = self._scalar_solve(complex(Tc[1, 1]), g[1])
        m0 = self._scalar_solve(complex(Tc[0, 0]), g[0] - Tc[0, 1] * (self.M @ m1))
        return np.real(Zc @ np.vstack([m0, m1]))

    def _solve_coupled(self, As):
        self.last_solve_count += 1
        big = sp.kron(self.S, sp.identity(3), format="csr")
        for Mr, Ar in zip(self.region_mass, As):
            big = big + sp.kron(Mr, sp.csr_matrix(Ar), format="csr")
        rhs = np.zeros((self.f_free.size, 3))
        rhs[:, 2] = self.f_free
        sol = factorize(big).solve(rhs.ravel())
        return sol.reshape(-1, 3).T

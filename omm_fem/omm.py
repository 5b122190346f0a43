"""The OMM operator (SPEC §3, §4, §8): one assembly, one solve path.

Scaled weak form on the free (non-sink) DOFs, for each component a:

    shift int n_a v + int D~ grad n_a . grad v - int n_a v~_d . grad v
      + sum_contacts int s~ n_a v + int (A~ n)_a v = rhs_a

with A~_r = tau0 A_r(B) the relaxation-precession matrix of region r
(:meth:`omm_fem.material.Material.relaxation_matrix`). In matrix form, with
the scalar operator ``S = D~ K + Robin (+ drift)``:

    L(shift, B) = (S + shift M) (x) I3 + sum_r M_r (x) A~_r(B)

The steady pipeline solves ``L(0, B) n = f e_z``; an implicit time step
solves ``L(shift, B(t)) n = rhs`` with ``shift = tau0 / (time step)`` and
the drive's S; the reduced sweep model takes its snapshots from the same
factorisations. :meth:`OmmOperator.solve_free` is the one solver for all:

* decoupled (A the same in every region): with the real Schur form
  ``A~ = Z T Z^T`` the unknowns ``m = Z^T n`` satisfy a block upper-triangular
  system, solved by back-substitution over T's 1x1 and 2x2 blocks: a real
  eigenvalue costs one real scalar solve, a complex pair one complex scalar
  solve (the pair's second member is the complex conjugate). The Schur form
  stays exact when A is defective (X_zz = 0 gives a Jordan block). Blocks with
  neither right-hand side nor coupling are skipped: a steady field along x
  costs a single complex solve;
* coupled (A differs between regions): the 3N block system, node-major.
"""
from __future__ import annotations

import copy

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

from . import forms
from .assembly import restrict
from .intsets import complement, unique
from .krylov import ShiftedOperator
from .linalg import FactorStore, factorize, is_symmetric

_ZERO = 1e-13  # relative size below which Schur couplings are treated as exact zeros


def schur_blocks(A):
    """Real Schur form ``A = Z T Z^T`` of a 3x3 matrix and T's diagonal blocks.

    Entries of T below ``_ZERO * max|T|`` are set to exact zeros so that
    couplings that vanish analytically (e.g. the n^x mode for B along x) do
    not cost solves. Returns ``(T, Z, blocks)`` with blocks a
    list of index lists, ``[k]`` for a real eigenvalue and ``[k, k+1]`` for a
    complex pair.
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


def small_matmul(A, X):
    """A @ X for a small (k, 3) matrix and a (3, n) array, without BLAS.

    A threaded BLAS call for such a thin product was measured 100x slower
    than this loop when another process occupies a core (thread spin-waits).
    """
    out = A[:, 0, None] * X[0]
    for j in range(1, A.shape[1]):
        out = out + A[:, j, None] * X[j]
    return out


def solve2(V, R):
    """Solve the 2x2 system ``V C = R`` for R of shape (2, n) without BLAS.

    Gaussian elimination with partial pivoting, as LAPACK's gesv does: its
    error grows like cond(V) eps, like gesv's, while ``inv(V) @ R`` was
    measured 20x less accurate for the nearly defective pairs of theta -> 0.
    """
    if abs(V[1, 0]) > abs(V[0, 0]):
        V, R = V[::-1], R[::-1]
    lo = V[1, 0] / V[0, 0]
    c1 = (R[1] - lo * R[0]) / (V[1, 1] - lo * V[0, 1])
    c0 = (R[0] - V[0, 1] * c1) / V[0, 0]
    return np.vstack([c0, c1])


class OmmOperator:
    """Assembled OMM operator of a problem, for the drive of a zeroth-order potential.

    Parameters
    ----------
    disc : Discretization
    phi0 : ndarray (ndofs,)
        Zeroth-order potential [V]: sets J0 (the orbital Hall source ``f``) and
        the drift velocity in ``S``.
    force_coupled : bool
        Use the 3N coupled block solve even for a uniform material (testing).
    cache_size : int
        Factorisations kept by the operator's own :class:`FactorStore`.
    charge_stiffness : sparse matrix, optional
        The charge problem's sigma-weighted stiffness; reused instead of a new
        assembly when D/sigma is the same everywhere.

    Attributes
    ----------
    free : ndarray of int
        DOFs not pinned by a sink contact; every matrix below is restricted to them.
    S_static : sparse (nfree, nfree)
        Diffusion + Robin contacts (no drift).
    S : sparse (nfree, nfree)
        ``S_static`` + the drift of ``phi0`` (when the problem has drift).
    region_mass, M : sparse (nfree, nfree)
        Mass matrices of each region and their sum.
    f_free : ndarray (nfree,)
        Orbital Hall source of n^z for ``phi0``.
    coupled : bool
        The 3N block path is used.
    """

    def __init__(self, disc, phi0, *, force_coupled=False, cache_size=3, charge_stiffness=None,
                 linear="direct", rtol=None):
        self.disc = disc
        pb = disc.problem
        self.materials = list(pb.materials.values())
        self.phi0 = phi0
        grad_phi = disc.grad_at_quadrature(phi0)  # (2, nel, nqp), V per l0
        sink = [disc.contact_dofs[n] for n, c in pb.contacts.items() if c.omm == "sink"]
        fixed = unique(np.concatenate(sink)) if sink else np.zeros(0, dtype=np.int64)
        self.free = fr = complement(disc.ndofs, fixed)  # by sorting: np.unique is slow here
        ratio = disc.D / disc.sigma
        if charge_stiffness is not None and np.all(ratio == ratio.flat[0]):
            # D/sigma uniform: the diffusion matrix is a multiple of the charge stiffness
            S = ratio.flat[0] * charge_stiffness
        else:
            S = disc.assemble(forms.diffusion, c=disc.D)
        for name, c in pb.contacts.items():
            if c.omm == "relaxing" and c.s > 0:
                s_scaled = c.s * disc.units.time / disc.units.length
                S = S + forms.surface_relaxation.assemble(disc.facet_basis(name), s=s_scaled)
        if pb.drift and disc.lean_assembly:
            # the iterative path (large meshes) keeps S only, restricted once (S_static is
            # rebuilt on use)
            self._S_static = None
            S = S + self.drift(grad_phi, restricted=False)
            self.S = self._restrict(S)
        else:
            self._S_static = self._restrict(S)
            self.S = self._format(self._S_static + self.drift(grad_phi)) if pb.drift \
                else self._S_static
        del S
        self.f = self.source(grad_phi)
        del grad_phi  # not kept (2 x 48 MB at 1e6 P1 nodes): see the grad_phi property
        self.f_free = self.f[fr]
        self.region_mass = [self._restrict(disc.assemble(forms.mass, c=ind))
                            for ind in disc.region_indicator]
        self.M = sum(self.region_mass[1:], self.region_mass[0])
        self.coupled = force_coupled or not pb.uniform_relaxation
        self.linear = linear  # "direct" or "iterative": the scalar solves (coupled: direct)
        self.factors = FactorStore(maxsize=cache_size, method=linear, rtol=rtol)
        self._symmetric = {}
        self.last_solve_count = 0

    @property
    def S_static(self):
        """Diffusion and Robin part of S, without the drift (rebuilt from S on the
        iterative path, which does not keep it)."""
        if self._S_static is None:
            return self._format(self.S - self.drift(self.grad_phi))
        return self._S_static

    @property
    def grad_phi(self):
        """Gradient of ``phi0`` at the quadrature points, (2, nel, nqp) [V per length unit],
        computed on use."""
        return self.disc.grad_at_quadrature(self.phi0)

    @property
    def J0(self):
        """Zeroth-order sheet current density (scaled), two (nel, nqp) arrays (computed on
        use, not kept: 2 x 48 MB at 1e6 P1 nodes)."""
        grad_phi = self.grad_phi
        return (-self.disc.sigma * grad_phi[0], -self.disc.sigma * grad_phi[1])

    def _restrict(self, A):
        """``A`` on the free DOFs, in one pass (:func:`omm_fem.assembly.restrict`): CSR on
        the iterative path, CSC for the direct factorisations."""
        R = restrict(A, self.free)
        return R if self.disc.lean_assembly else R.tocsc()

    def _format(self, A):
        return A.tocsr() if self.disc.lean_assembly else A.tocsc()

    def for_drive(self, phi0):
        """The operator of the same device for another zeroth-order potential ``phi0``.

        Diffusion, Robin and mass matrices are shared. Without drift the scalar
        operator does not depend on the drive, so the factorisations are shared
        too (a second drive costs back-solves only); with drift S changes and the
        new operator keeps its own.
        """
        new = copy.copy(self)
        new.phi0 = phi0
        grad_phi = self.disc.grad_at_quadrature(phi0)
        drift = self.disc.problem.drift
        static = self.S_static
        new.S = self._format(static + self.drift(grad_phi)) if drift else static
        if drift and self._S_static is None:  # kept for the drives to come: one rebuild
            self._S_static = new._S_static = static
        new.f = self.source(grad_phi)
        new.f_free = new.f[self.free]
        if drift:
            new.factors = FactorStore(maxsize=self.factors.maxsize, method=self.linear,
                                      rtol=self.factors.rtol)
            new._symmetric = {}
        new.last_solve_count = 0
        return new

    # ------------------------------------------------------------ drive-dependent pieces
    def drift(self, grad_phi, restricted=True):
        """Drift operator ``-int n v~_d . grad v`` of a potential gradient (free DOFs, or
        all with ``restricted=False``).

        ``grad_phi`` (2, nel, nqp) in V per length unit; v_d = -mu_e E = mu_e grad phi.
        """
        d = self.disc
        A = d.assemble(forms.drift, vx=d.mobility * grad_phi[0], vy=d.mobility * grad_phi[1])
        return self._restrict(A) if restricted else A

    def source(self, grad_phi):
        """Orbital Hall source of n^z, ``int alpha (J_x d_y v - J_y d_x v)``, all DOFs."""
        d = self.disc
        return forms.orbital_hall_source.assemble(d.basis, alpha=d.alpha,
                                                  jx=-d.sigma * grad_phi[0],
                                                  jy=-d.sigma * grad_phi[1])

    # ------------------------------------------------------------ relaxation-precession
    def relaxation(self, B):
        """A~_r(B) = tau0 A_r(B) per region, shape (nregions, 3, 3) (from Material)."""
        t0 = self.disc.units.time
        return np.array([t0 * m.relaxation_matrix(B) for m in self.materials])

    def precession_generators(self):
        """tau0 G_k per region, shape (nregions, 3, 3, 3): Omega~_r(B) = sum_k B_k G~_rk."""
        t0 = self.disc.units.time
        return np.array([t0 * m.precession_generators() for m in self.materials])

    def relaxation_mass(self):
        """``sum_r (tau0 / tau_r) M_r``: the relaxation part of ``sum_r M_r (x) A~_r``."""
        t0 = self.disc.units.time
        return sum((t0 / m.tau * Mr for m, Mr in zip(self.materials[1:], self.region_mass[1:])),
                   t0 / self.materials[0].tau * self.region_mass[0]).tocsc()

    def coupled_matrix(self, As, *, S=None, shift=0.0, scalar=True):
        """``(S + shift M) (x) I3 + sum_r M_r (x) As[r]``, node-major (3 nfree square).

        ``scalar=False`` leaves out the first term (a derivative along the field).
        """
        out = None
        if scalar:
            S = self.S if S is None else S
            out = sp.kron(S + shift * self.M if shift else S, sp.identity(3), format="csr")
        for Mr, Ar in zip(self.region_mass, As):
            term = sp.kron(Mr, sp.csr_matrix(Ar), format="csr")
            out = term if out is None else out + term
        return out

    # ------------------------------------------------------------ factorisations
    def symmetric(self, S=None, skey=None):
        """``S`` (default: the operator's own) equals its transpose (cached per ``skey``)."""
        if S is None:
            S, skey = self.S, "own"
        if skey not in self._symmetric:
            if len(self._symmetric) > 64:  # one entry per drive of a transient: keep it small
                self._symmetric.clear()
            self._symmetric[skey] = is_symmetric(S)
        return self._symmetric[skey]

    def shifted(self, shift, *, S=None, skey=None, factors=None, spd=False):
        """Factorisation of ``S + shift M`` (real or complex shift), from the cache.

        ``spd``: False for LU (the steady default), True for Cholesky, None to
        choose Cholesky when the shift is real and positive and S symmetric
        (the transient steppers). The key ``("shift", shift, skey)`` identifies
        the matrix in ``factors``.
        """
        factors = self.factors if factors is None else factors
        shift = complex(shift)
        s = shift.real if shift.imag == 0.0 else shift
        own = S is None
        S = self.S if own else S
        if spd is None:
            spd = isinstance(s, float) and s > 0 and self.symmetric(None if own else S, skey)
        precond = None
        build = lambda: (S + s * self.M).tocsc()  # noqa: E731
        if factors.method == "iterative" and isinstance(s, complex):
            # AMG of the real SPD S + |s| M (symmetric part of S): robust for any precession;
            # the complex matrix is applied, not formed (krylov.ShiftedOperator)
            def precond():
                if self.symmetric(None if own else S, skey):
                    return (S + abs(s) * self.M).tocsr()
                P = (S + S.T).tocsr()  # 2 x the symmetric part, one temporary matrix at a time
                P = P + (2.0 * abs(s)) * self.M
                P.data *= 0.5
                return P

            def build():
                return ShiftedOperator(S, self.M, s)
        return factors.get(("shift", s, skey), build, spd=spd, precond=precond)

    # ------------------------------------------------------------ solves
    def solve(self, B):
        """Steady n (scaled), shape (3, ndofs), for field B [T]: ``L(0, B) n = f e_z``."""
        self.last_solve_count = 0
        rhs = np.zeros((3, self.free.size))
        rhs[2] = self.f_free
        n = np.zeros((3, self.disc.ndofs))
        n[:, self.free] = self.solve_free(B, rhs)
        return n

    def solve_free(self, B, rhs, *, shift=0.0, S=None, skey=None, factors=None, spd=False):
        """Solve ``L(shift, B) n = rhs`` on the free DOFs; rhs and result (3, nfree), real.

        Parameters
        ----------
        B : array_like (3,)
            Field [T].
        shift : float
            Multiple of M added to the scalar operator (tau0/h for a time step).
        S, skey : sparse matrix and hashable, optional
            Another scalar operator (e.g. the drift of a transient drive) and
            the key under which its factorisations are cached.
        factors : FactorStore, optional
            Where the factorisations are kept (default: the operator's own).
        spd : bool or None
            Factorisation of the scalar matrices: False (LU, default), True
            (Cholesky), None (Cholesky where real, positive and symmetric).
        """
        As = self.relaxation(B)
        kw = dict(S=S, skey=skey, factors=factors, spd=spd)
        if self.coupled:
            return self._solve_coupled(As, B, shift, rhs, **kw)
        T, Z, blocks = schur_blocks(As[0])
        T = T + shift * np.eye(3)
        # projections below _ZERO are exact zeros: a mode the source does not reach costs nothing
        g = small_matmul(np.where(np.abs(Z) <= _ZERO, 0.0, Z).T, rhs)
        m, Mm = np.zeros_like(g), np.zeros_like(g)  # Mm: M @ m_k, filled as blocks are solved
        for blk in reversed(blocks):
            r = g[blk].copy()
            for i, kk in enumerate(blk):
                for j in range(blk[-1] + 1, 3):
                    if T[kk, j] != 0.0:
                        r[i] -= T[kk, j] * Mm[j]
            if not np.any(r):
                continue
            if len(blk) == 1:
                m[blk[0]] = self._scalar(T[blk[0], blk[0]], r[0], kw).real
            else:
                m[blk] = self._pair(T[np.ix_(blk, blk)], r, kw)
            Mm[blk] = (self.M @ m[blk].T).T
        return small_matmul(Z, m)

    def _scalar(self, shift, rhs, kw):
        """(S + shift M) x = rhs."""
        self.last_solve_count += 1
        factors = self.factors if kw["factors"] is None else kw["factors"]
        factors.solves += 1
        lu = self.shifted(shift, **kw)
        return lu.solve(rhs if complex(shift).imag == 0.0 else np.asarray(rhs, complex))

    def _pair(self, T2, rhs, kw):
        """(S (x) I2 + M (x) T2) m = rhs for a 2x2 block with complex eigenvalues."""
        w, V = np.linalg.eig(T2)
        if np.linalg.cond(V) < 1e6:
            c = solve2(V, rhs.astype(complex))  # rows: c0 and conj(c0)
            u = self._scalar(w[0], c[0], kw)
            return 2.0 * np.real(np.outer(V[:, 0], u))
        # nearly defective pair: complex Schur back-substitution, two solves
        Tc, Zc = sla.schur(T2.astype(complex), output="complex")
        g = small_matmul(Zc.conj().T, rhs)
        m1 = self._scalar(Tc[1, 1], g[1], kw)
        m0 = self._scalar(Tc[0, 0], g[0] - Tc[0, 1] * (self.M @ m1), kw)
        return np.real(small_matmul(Zc, np.vstack([m0, m1])))

    def _solve_coupled(self, As, B, shift, rhs, *, S, skey, factors, spd):
        self.last_solve_count += 1
        build = lambda: self.coupled_matrix(As, S=S, shift=shift).tocsc()  # noqa: E731
        if factors is None:  # a steady field: the 3N factor is not kept (memory)
            return factorize(build()).solve(rhs.T.ravel()).reshape(-1, 3).T
        key = ("coupled", shift, tuple(np.asarray(B, float).tolist()), skey)
        factors.solves += 1
        return factors.get(key, build).solve(rhs.T.ravel()).reshape(-1, 3).T

"""Reduced-order OMM solves for many fields (SPEC §3, §4, §8).

Every field solves the same scaled system on the N free DOFs,

    S n_a + sum_r M_r sum_b A_r(B)[a, b] n_b = f delta_{a z},   a = x, y, z,

whose only field dependence is the 3x3 ``A_r(B) = tau0 (I/tau_r + (e/2) [B]x X_r)``
per region. For a uniform material each component of n(B) is a combination
of scalar resolvents ``(S + lam M)^-1 f`` at the eigenvalues lam of A(B), which
move on smooth curves away from the spectrum of the pencil; with region-wise
A the 3N system is still affine in B. So one real basis V (N x k), shared by
the three components and all regions, is built greedily over the requested
fields (Galerkin projection: a dense 3k x 3k system per field):

* snapshot at field B*: for a uniform A, factorise ``S + lam M`` for each
  eigenvalue cluster of A(B*) that the n^z source excites and add the rational
  Krylov chain ``u_0 = (S + lam M)^-1 f, u_{j+1} = (S + lam M)^-1 M u_j``
  (real and imaginary parts; the chain spans Jordan vectors, so a defective A,
  X_zz = 0, needs no special case). With region-wise A, factorise the 3N block
  operator K(B*) and add n(B*) and Taylor vectors ``(K^-1 dK)^j n`` along the
  field list. Either way n(B*) is then in V to the direct solver's precision.
* error control: the full-dimensional residual of every field's reduced
  solution, ``eta = ||r||_* / ||f||_*`` with ``||r||_* = ||diag(M)^(-1/2) r||``,
  is evaluated exactly through a QR factorisation of the residual generators
  (cost independent of N). Since n(B*) enters V with each snapshot, the true
  error of the previous reduced solution there is known for free: the largest
  observed ratio true error / eta (the effectivity kappa, at least 1) is the
  stability estimate. The estimated relative error of an output ``g = l . n^z``
  (contact currents, probe potentials, rho) is the Cauchy-Schwarz bound
  ``||l||_{M^-1} kappa eta ||n||_M / |g|``. The worst field gets the next
  snapshot until every estimate is below tol; then one more snapshot at the
  worst field must confirm a true error below tol. Fields that never get there
  are reported and solved directly by the caller.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.linalg as sla
import scipy.sparse.linalg as spla

from ..checks import integer, real
from ..errors import OmmError
from .snapshots import CoupledSnapshots, PoleSnapshots, field_tangent

_RANK = 1e-13  # relative singular value below which a residual generator direction is dropped
_FLOOR = 1e-13  # relative residual at the rounding level of the direct solve
_CANCEL = 1e-3  # outputs below this fraction of their Cauchy-Schwarz scale: absolute control


def _orth_append(Q, X, drop):
    """Orthonormal directions of X beyond the span of Q (Euclidean; Q orthonormal).

    Returns ``(Qn, H, Rn)`` with ``X = Q H + Qn Rn`` up to the dropped part:
    two block Gram-Schmidt passes against Q, then QR and an SVD of the small
    triangle keep the directions with singular value above ``drop``, and one
    more pass makes them orthogonal to Q to rounding (a direction barely above
    ``drop`` carries the rounding error of the passes, relative 1e-16/drop).
    """
    H = np.zeros((Q.shape[1], X.shape[1]))
    for _ in range(2):
        h = Q.T @ X
        X = X - Q @ h
        H += h
    Qx, Rx = np.linalg.qr(X)
    U, sig, Wt = np.linalg.svd(Rx)
    keep = sig > drop
    Qn, Rn = Qx @ U[:, keep], sig[keep, None] * Wt[keep]
    h = Q.T @ Qn
    Qn = Qn - Q @ h
    H += h @ Rn
    # Qn is orthonormal up to O(1e-16 / drop): a Cholesky QR restores it cheaply
    L = np.linalg.cholesky(Qn.T @ Qn)
    Qn = sla.solve_triangular(L, Qn.T, lower=True).T
    return Qn, H, L.T @ Rn


class ReducedBasis:
    """A real basis V of the free-DOF space (N x k) and the projected operators.

    ``D^(1/2) V`` is orthonormal, D = diag(M). A thin QR factorisation ``Q R``
    of the weighted residual generators ``D^(-1/2) [f, S V, M_1 V, ..., M_R V]``
    (extended as the basis grows) gives the full N-dimensional residual norm of
    any reduced solution as ``||R z||``: exact up to rounding, without the
    cancellation of Gram-matrix formulas, at a cost independent of N.

    Parameters
    ----------
    omm : OmmOperator
        Provides ``S`` (N x N), ``region_mass`` (one N x N per region), ``M``
        and ``f_free`` (N,), all scaled.
    """

    def __init__(self, omm):
        self.S = omm.S.tocsr()
        self.masses = [Mr.tocsr() for Mr in omm.region_mass]
        self.M = omm.M.tocsr()
        self.f = np.asarray(omm.f_free, dtype=float)
        n = self.f.size
        dm = self.M.diagonal()
        self._sd, self._isd = np.sqrt(dm), 1.0 / np.sqrt(dm)
        fw = self._isd * self.f  # residual norm ||r||_* = ||D^(-1/2) r||, an L2-dual norm
        self.fnorm = float(np.linalg.norm(fw))
        if not self.fnorm > 0:
            raise OmmError("sweep: the n^z source is zero (alpha = 0 or no current); "
                           "nothing to reduce")
        self.V, self._Vh = np.zeros((n, 0)), np.zeros((n, 0))
        self.Q, self.R = (fw / self.fnorm)[:, None], np.array([[self.fnorm]])
        self._cols = [np.zeros(0, dtype=np.int64) for _ in range(1 + len(self.masses))]
        self.Sr, self.Mtot, self.fr = np.zeros((0, 0)), np.zeros((0, 0)), np.zeros(0)
        self.Mr = [np.zeros((0, 0)) for _ in self.masses]

    @property
    def size(self):
        """Number of basis vectors k."""
        return self.V.shape[1]

    def extend(self, Y, drop=1e-10):
        """Add the span of the columns of ``Y`` (N x p, real); returns the number added.

        Columns are normalised first; directions below ``drop`` after the
        projection are already in the span to that precision and skipped.
        """
        Yh = self._sd[:, None] * np.array(Y, dtype=float, ndmin=2)
        nrm = np.linalg.norm(Yh, axis=0)
        Yh = Yh[:, nrm > 0] / nrm[nrm > 0]
        new_h = _orth_append(self._Vh, Yh, drop)[0]
        p = new_h.shape[1]
        if not p:
            return 0
        new = self._isd[:, None] * new_h
        V, k = self.V, self.size
        SY = self.S @ new
        MYs = [Mr @ new for Mr in self.masses]

        def grow(old, left, right, sym):
            out = np.empty((k + p, k + p))
            out[:k, :k], out[:k, k:], out[k:, k:] = old, V.T @ right, new.T @ right
            out[k:, :k] = out[:k, k:].T if sym else left.T @ V
            return out

        self.Sr = grow(self.Sr, self.S.T @ new, SY, False)
        self.Mr = [grow(Mo, None, MY, True) for Mo, MY in zip(self.Mr, MYs)]
        self.Mtot = sum(self.Mr[1:], self.Mr[0])
        self._append_residual_columns([SY] + MYs)
        self.V, self._Vh = np.hstack([V, new]), np.hstack([self._Vh, new_h])
        self.fr = self.V.T @ self.f
        return p

    def _append_residual_columns(self, blocks):
        X = np.hstack([self._isd[:, None] * b for b in blocks])
        scale = np.linalg.norm(X, axis=0).max()
        Qn, H, Rn = _orth_append(self.Q, X, _RANK * scale)
        m, q, c = self.Q.shape[1], Qn.shape[1], self.R.shape[1]
        R = np.zeros((m + q, c + X.shape[1]))
        R[:m, :c], R[:m, c:], R[m:, c:] = self.R, H, Rn
        p = X.shape[1] // len(blocks)
        for b in range(len(blocks)):
            self._cols[b] = np.concatenate([self._cols[b], c + b * p + np.arange(p)])
        self.Q, self.R = np.hstack([self.Q, Qn]), R

    def solve(self, As):
        """Galerkin coefficients for every field.

        Parameters
        ----------
        As : ndarray, shape (nfields, nregions, 3, 3)
            Scaled relaxation matrices tau0 A_r(B) per field and region.

        Returns
        -------
        ndarray, shape (nfields, k, 3)
            ``n_a(B_j) ~ V @ C[j, :, a]`` on the free DOFs (scaled).
        """
        k, nf = self.size, As.shape[0]
        K = np.kron(self.Sr, np.eye(3))[None] + sum(
            np.einsum("ij,fab->fiajb", Mr, As[:, r]).reshape(nf, 3 * k, 3 * k)
            for r, Mr in enumerate(self.Mr))
        rhs = np.zeros((nf, 3 * k, 1))
        rhs[:, 2::3, 0] = self.fr
        try:
            c = np.linalg.solve(K, rhs)[..., 0]
        except np.linalg.LinAlgError:  # a singular Galerkin matrix (rare; non-coercive A):
            # least squares there; its residual then sends the field to a direct solve
            c = np.array([np.linalg.lstsq(Kf, bf[:, 0], rcond=None)[0] for Kf, bf in zip(K, rhs)])
        return c.reshape(nf, k, 3)

    def residuals(self, C, As):
        """Relative residuals ``||r||_* / ||f||_*`` of reduced solutions, shape (nfields,).

        ``r_a = f delta_az - S V c_a - sum_r M_r V (A_r c)_a`` is the residual
        of the full N-dimensional system, its norm taken through ``R``.
        """
        z = np.einsum("mk,fka->fma", self.R[:, self._cols[0]], C)
        for r in range(len(self.masses)):
            z += np.einsum("mk,fkb,fab->fma", self.R[:, self._cols[r + 1]], C, As[:, r])
        z[:, :, 2] -= self.R[:, 0]
        return np.sqrt(np.einsum("fma,fma->f", z, z)) / self.fnorm

    def m_norms(self, C):
        """``||V C[j]||_M`` (all three components) per field; C of shape (nf, k, 3)."""
        return np.sqrt(np.einsum("fka,kl,fla->f", C, self.Mtot, C))


# ------------------------------------------------------------------------ greedy
@dataclass
class ReducedSweep:
    """Outcome of :func:`greedy_reduced` (arrays have a leading dimension nfields).

    ``coeffs`` (nfields, k, 3): ``n_a(B_j) = basis.V @ coeffs[j, :, a]`` (free
    DOFs, scaled). ``residual``: relative residuals eta; ``error``: estimated
    relative errors; ``converged``: ``error <= tol`` or eta at the rounding
    floor. ``snapshots``: field indices of the full solves, in order.
    ``effectivity``: kappa. ``verified``: field, estimated and true error of
    the confirming snapshot. ``history``: per snapshot the basis size, field,
    residual and estimate before it and the true errors it revealed.
    """

    basis: ReducedBasis
    coeffs: np.ndarray
    residual: np.ndarray
    error: np.ndarray
    converged: np.ndarray
    snapshots: list
    effectivity: float
    verified: dict | None = None
    history: list = field(default_factory=list)
    factorizations: int = 0
    backsolves: int = 0


def _dual_norms(M, L):
    """``sqrt(l^T M^-1 l)`` for the rows of L (CG on the well-conditioned mass matrix)."""
    d, dm = np.empty(L.shape[0]), M.diagonal()
    pre = spla.LinearOperator(M.shape, matvec=lambda x: x / dm)
    for k, row in enumerate(L):
        x, _ = spla.cg(M, row, rtol=1e-10, maxiter=1000, M=pre)
        d[k] = np.sqrt(max(row @ x, 0.0))
    return d


class _ErrorModel:
    """Estimated relative errors of outputs ``g = L n_z`` (or of n when L is None)."""

    def __init__(self, rb, L):
        self.L = L
        if L is not None:
            self.d = _dual_norms(rb.M, L)

    def __call__(self, rb, C, eta, kappa):
        nrm = rb.m_norms(C)
        if self.L is None:
            return kappa * eta, None
        g = self.values(rb, C)
        scale = np.maximum(np.abs(g), _CANCEL * self.d * nrm[:, None])
        bound = self.d * (kappa * eta * nrm)[:, None]
        return (bound / scale).max(axis=1), scale

    def values(self, rb, C):
        return np.einsum("ki,fi->fk", self.L @ rb.V, C[:, :, 2])


def greedy_reduced(omm, As, *, outputs=None, tol=1e-8, max_steps=30, extra=None, bar=None):
    """Greedy reduced basis for the fields with scaled relaxation matrices ``As``.

    Parameters
    ----------
    omm : OmmOperator
    As : ndarray, shape (nfields, nregions, 3, 3)
        ``omm.relaxation(B)`` of every field.
    outputs : ndarray (nout, N), optional
        Linear functionals l of n^z (free DOFs) whose relative error is
        controlled; outputs below 1e-3 of ``||l||_{M^-1} ||n||_M`` (cancelling
        by symmetry) are controlled relative to that floor. Without outputs the
        estimate is the relative M-norm error of n, ``kappa * eta``.
    tol : float
        Target estimated relative error.
    max_steps : int
        At most this many snapshots (full solves).
    extra : int, optional
        Krylov / Taylor vectors per snapshot beyond the minimum: default 2 for
        a uniform A, 8 for region-wise A (measured optima: a back-substitution
        costs ~0.3 resp. ~0.2 of a factorisation; bench_sweep.md).
    bar : omm_fem.logs.Progress or tqdm, optional
        Progress over fields, set to the number of converged fields.

    Returns
    -------
    ReducedSweep
    """
    As = np.asarray(As, dtype=float)
    real("sweep.tol", tol, low=0, high=1, low_open=True, high_open=True,
         message="must be a number in (0, 1)")
    integer("sweep.max_snapshots", max_steps, low=1, message="must be an integer >= 1")
    nf = As.shape[0]
    rb = ReducedBasis(omm)
    model = _ErrorModel(rb, None if outputs is None else np.asarray(outputs, float))
    if omm.coupled:
        snap = CoupledSnapshots(omm, 8 if extra is None else extra)
    else:
        snap = PoleSnapshots(omm, 2 if extra is None else extra)
    # start where the precession is weakest (the smallest field)
    offdiag = As - np.eye(3) * np.diagonal(As, axis1=2, axis2=3)[..., None]
    j = int(np.argmin(np.abs(offdiag).sum(axis=(1, 2, 3))))
    snaps, history, kappa, verified, checking = [], [], 1.0, None, False
    C = None
    while True:
        snaps.append(j)
        Y = snap(As[j], field_tangent(As, j)) if omm.coupled else snap(As[j])
        old = None if C is None else C[j]
        added = rb.extend(Y)
        C = rb.solve(As)
        if old is not None:
            # n(B_j) is now in V (exactly, up to the solver): the change is the true error
            diff = C[j].copy()
            diff[:old.shape[0]] -= old
            h = history[-1]
            nrm = rb.m_norms(np.array([diff, C[j]]))
            h["true_error_n"] = float(nrm[0] / max(nrm[1], 1e-300))
            h["true_error"] = h["true_error_n"]
            if model.L is not None:
                dg = np.abs(model.values(rb, diff[None])[0])
                h["true_error"] = float((dg / h["scale"]).max())
            if h["residual"] > 100 * _FLOOR:
                kappa = max(kappa, h["true_error_n"] / h["residual"])
        eta = rb.residuals(C, As)
        err, scale = model(rb, C, eta, kappa)
        ok = (err <= tol) | (eta <= _FLOOR)
        if bar is not None:
            bar.n = int(ok.sum())
            bar.set_postfix(basis=rb.size, refresh=False)
            bar.refresh()
        if checking:
            verified = {"field": j, "estimated": history[-1]["error"],
                        "true": history[-1]["true_error"]}
            checking = False
            if verified["true"] <= tol and ok.all():
                break
        if added == 0 or len(snaps) >= max_steps:
            break
        fresh = ~np.isin(np.arange(nf), snaps)
        if ok.all():
            if not fresh.any():
                break
            checking = True
        j = int(np.argmax(np.where(fresh, err, -np.inf)))
        history.append({"basis": rb.size, "field": j, "residual": float(eta[j]),
                        "error": float(err[j]), "scale": None if scale is None else scale[j]})
    for h in history:
        h.pop("scale", None)
    return ReducedSweep(basis=rb, coeffs=C, residual=eta, error=err, converged=ok,
                        snapshots=snaps, effectivity=kappa, verified=verified, history=history,
                        factorizations=snap.factorizations, backsolves=snap.backsolves)

"""Full-order snapshots for the reduced sweep model (:mod:`omm_fem.reduced.basis`).

Each snapshot factorises one operator at a chosen field and returns the
vectors that the reduced basis is extended with: for a uniform material
(:class:`PoleSnapshots`) rational Krylov chains at the poles of A(B) that the
n^z source excites; for region-wise materials (:class:`CoupledSnapshots`)
the 3N solution and its Taylor vectors along the field list.
"""
from __future__ import annotations

import numpy as np

from ..linalg import factorize

_CLUSTER = 1e-8  # eigenvalues of A closer than this (relative) share one pole
_EXCITED = 1e-12  # |P e_z| below this: the source does not excite the cluster


def _excited_clusters(A):
    """Eigenvalue clusters of a 3x3 A that the e_z source excites.

    Returns a list of (lam, multiplicity) with Im lam >= 0 (the conjugate
    cluster gives the conjugate vectors). The excitation of a cluster is the
    spectral projector applied to e_z, from a trapezoidal contour integral of
    the resolvent (exact to rounding for this rational function; works for
    defective A).
    """
    lam = np.linalg.eigvals(A)
    scale = max(1.0, np.abs(lam).max())
    close = np.abs(lam[:, None] - lam[None, :]) <= _CLUSTER * scale
    out, seen = [], set()
    z0 = np.exp(2j * np.pi * (np.arange(64) + 0.5) / 64)
    for i in range(3):
        grp = tuple(np.flatnonzero(close[i]))
        if grp in seen:
            continue
        seen.add(grp)
        c = lam[list(grp)].mean()
        others = np.abs(np.delete(lam, grp) - c)
        if c.imag < -_CLUSTER * scale:
            continue
        z = c + 0.5 * (others.min() if others.size else scale) * z0
        res = np.linalg.solve(z[:, None, None] * np.eye(3) - A, np.eye(3)[2][None, :, None])[..., 0]
        if np.abs((res * (z - c)[:, None]).mean(axis=0)).max() > _EXCITED:
            out.append((complex(c.real, max(c.imag, 0.0)), len(grp)))
    return out


class PoleSnapshots:
    """Rational Krylov snapshots of the decoupled (uniform-A) problem.

    Parameters
    ----------
    omm : OmmOperator
    extra : int
        Krylov vectors beyond the multiplicity of each pole.
    """

    def __init__(self, omm, extra=2):
        self.omm, self.M, self.f = omm, omm.M, omm.f_free
        self.extra, self.done = int(extra), []  # done: poles already in the basis
        self.factorizations = self.backsolves = 0

    def __call__(self, As):
        A = As[0]
        vecs = []
        for lam, mult in _excited_clusters(A):
            tol = _CLUSTER * max(1.0, abs(lam))
            if any(abs(lam - p) <= tol for p in self.done):
                continue
            self.done.append(lam)
            shift = lam.real if lam.imag == 0 else lam  # real poles: real factorisation
            lu = self.omm.shifted(shift)  # the operator's own (cached) factorisation
            self.factorizations += 1
            chain = [lu.solve(self.f.astype(type(shift)))]
            for _ in range(mult - 1 + self.extra):
                chain.append(lu.solve(self.M @ chain[-1]))
            self.backsolves += len(chain)
            for u in chain:
                vecs.append(u.real)
                if lam.imag != 0:
                    vecs.append(u.imag)
        return np.array(vecs).T if vecs else np.zeros((self.f.size, 0))


class CoupledSnapshots:
    """Snapshots of the coupled 3N block system (region-wise A).

    The operator ``K(B) = S (x) I3 + sum_r M_r (x) A_r(B)`` (node-major, as in
    :class:`~omm_fem.omm.OmmOperator`) is factorised at B*; the solution and
    ``extra`` Taylor vectors ``(K^-1 dK)^j n`` along the local direction dK of
    the field list cost one back-substitution each. Every 3N vector gives
    three scalar vectors (its components).
    """

    def __init__(self, omm, extra=8):
        self.omm, self.f = omm, omm.f_free
        self.extra = int(extra)
        self.factorizations = self.backsolves = 0

    def __call__(self, As, dAs=None):
        lu = factorize(self.omm.coupled_matrix(As).tocsc())
        self.factorizations += 1
        rhs = np.zeros((self.f.size, 3))
        rhs[:, 2] = self.f
        out = [lu.solve(rhs.ravel())]
        if dAs is not None and self.extra:
            dK = self.omm.coupled_matrix(dAs, scalar=False)
            for _ in range(self.extra):
                out.append(lu.solve(dK @ out[-1]))
        self.backsolves += len(out)
        return np.hstack([v.reshape(-1, 3) for v in out])


def field_tangent(As, j):
    """Direction of the field list at index j (central difference), normalised; or None."""
    lo, hi = max(j - 1, 0), min(j + 1, As.shape[0] - 1)
    d = As[hi] - As[lo]
    nrm = np.abs(d).max()
    return None if hi == lo or nrm == 0 else d / nrm

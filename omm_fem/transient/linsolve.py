"""Factorisations for the time steppers: a keyed cache that counts its work.

Real symmetric positive definite matrices (the scalar diffusion-relaxation
operator ``alpha M + S + R`` without drift) are factored by CHOLMOD, whose
back-solve was measured 6x faster than UMFPACK's LU solve on a 48k-DOF P2
mesh (2.8 ms against 17 ms; validation/transient_benchmark.md). Everything
else (complex shifts, drift, the coupled 3N block) goes through
:func:`omm_fem.linalg.factorize`.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
import scipy.sparse as sp

from ..linalg import factorize

try:  # pragma: no cover - cvxopt is a hard dependency; keep the fallback honest
    import cvxopt
    import cvxopt.cholmod as _cholmod

    HAVE_CHOLMOD = True
except ImportError:  # pragma: no cover
    HAVE_CHOLMOD = False


class _Cholesky:
    """CHOLMOD factor of a real SPD sparse matrix; ``solve`` takes (n,) or (n, k)."""

    def __init__(self, A):
        low = sp.tril(A, format="coo")
        self._A = cvxopt.spmatrix(low.data.astype(float), low.row.astype(np.int64),
                                  low.col.astype(np.int64), size=A.shape)
        saved = dict(_cholmod.options)
        # simplicial factor: its triangular solves do not call the threaded BLAS,
        # which was measured 5x slower when another process shares the cores
        _cholmod.options["supernodal"] = 0
        try:
            self._F = _cholmod.symbolic(self._A, uplo="L")
            _cholmod.numeric(self._A, self._F)  # ArithmeticError if not positive definite
        finally:
            _cholmod.options.clear()
            _cholmod.options.update(saved)

    def solve(self, b):
        b = np.asarray(b)
        if np.iscomplexobj(b):
            return self.solve(b.real) + 1j * self.solve(b.imag)
        B = cvxopt.matrix(np.array(b, dtype=float, order="F").reshape(b.shape[0], -1))
        _cholmod.solve(self._F, B)
        return np.array(B).reshape(b.shape)


def is_symmetric(A, rtol=1e-13):
    """True when the sparse matrix equals its transpose to ``rtol`` of its largest entry."""
    d = (A - A.T).tocoo()
    return d.nnz == 0 or np.abs(d.data).max() <= rtol * np.abs(A).max()


def factor(A, spd=False):
    """Factorise ``A``; ``spd=True`` promises a real symmetric positive definite matrix."""
    if spd and HAVE_CHOLMOD:
        try:
            return _Cholesky(A)
        except ArithmeticError:  # not positive definite after all: LU is always safe
            pass
    return factorize(A.tocsc())


class FactorStore:
    """LRU cache of factorisations keyed by hashable tuples, with counters.

    Attributes
    ----------
    factorizations : int
        Number of factorisations computed so far.
    solves : int
        Number of back-solves (one per right-hand-side block).
    refactored : int
        Factorisations recomputed after :meth:`restore` for keys that the saved
        run held (not counted in ``factorizations``).
    """

    def __init__(self, maxsize=8):
        self.maxsize = maxsize
        self._store = OrderedDict()
        self.factorizations = 0
        self.solves = 0
        self.refactored = 0

    def clear(self):
        """Drop every stored factorisation (the counters keep counting)."""
        self._store.clear()

    def get(self, key, build, spd=False):
        """Factor of ``build()`` under ``key`` (built and factored on a miss)."""
        if key in self._store:
            if self._store[key] is _PENDING:  # held by the saved run: rebuild, do not count
                self._store[key] = factor(build(), spd=spd)
                self.refactored += 1
            self._store.move_to_end(key)
            return self._store[key]
        lu = factor(build(), spd=spd)
        self.factorizations += 1
        self._store[key] = lu
        if len(self._store) > self.maxsize:
            self._store.popitem(last=False)
        return lu

    def solve(self, key, build, rhs, spd=False):
        """Solve ``build() x = rhs`` with the cached factor of ``key``."""
        self.solves += 1
        return self.get(key, build, spd).solve(rhs)

    def state(self):
        """(keys in LRU order, factorizations, solves): what :meth:`restore` needs."""
        return list(self._store), self.factorizations, self.solves

    def restore(self, keys, factorizations, solves):
        """Continue the counting of a saved store: its keys are held in the same LRU
        order and factored again on first use without counting, so that the counters
        and later evictions are those of the uninterrupted run."""
        self._store = OrderedDict((key, _PENDING) for key in keys)
        self.factorizations, self.solves = factorizations, solves


_PENDING = object()  # placeholder of a restored key whose factor is not rebuilt yet

"""Sparse direct factorisations used by every solve, and the cache that keeps them.

UMFPACK (through cvxopt, which ships SuiteSparse with an optimised BLAS) is the
backend: on 2D FEM matrices of ~1e5 unknowns it factors a complex matrix in
about the time of a real one. scipy's SuperLU is the fallback when cvxopt is
missing; its complex factorisation was measured 3-25x slower than the real one
on graded meshes (the supernodal kernels hit subnormal numbers), so the
fallback is correct but slow for fields that precess the OMM.

Real symmetric positive definite matrices (the scalar OMM operator without
drift at a real shift) are factored by CHOLMOD, whose back-solve was measured
6x faster than UMFPACK's LU solve on a 48k-DOF P2 mesh (2.8 ms against 17 ms;
validation/transient_benchmark.md). :class:`FactorStore` keeps the
factorisations of one family of matrices (keyed by shift, drive, field) and
counts the work.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .errors import OmmError

try:  # pragma: no cover - exercised implicitly by the whole test-suite
    import cvxopt
    import cvxopt.cholmod as _cholmod
    import cvxopt.umfpack as _umfpack

    HAVE_UMFPACK = HAVE_CHOLMOD = True
except ImportError:  # pragma: no cover
    HAVE_UMFPACK = HAVE_CHOLMOD = False

_SINGULAR = ("the discrete operator is singular; is a region of the mesh disconnected "
             "from every contact, or is every unknown fixed?")


_SYMBOLIC = OrderedDict()  # sparsity pattern -> UMFPACK symbolic analysis (few entries)


def _symbolic(A, coo):
    """Symbolic analysis, shared by matrices with the same pattern and type.

    A field sweep factorises S + s M for many shifts s: the pattern never
    changes, so the column ordering is computed once (UMFPACK allows reusing a
    symbolic object for any matrix with the same pattern).
    """
    key = (A.typecode, A.size, coo.nnz, hash(coo.row.tobytes()), hash(coo.col.tobytes()))
    if key not in _SYMBOLIC:
        _SYMBOLIC[key] = _umfpack.symbolic(A)
        if len(_SYMBOLIC) > 4:
            _SYMBOLIC.popitem(last=False)
    return _SYMBOLIC[key]


class _Umfpack:
    """LU factors of a sparse matrix; ``solve`` accepts (n,) or (n, k), real or complex."""

    def __init__(self, A):
        A = A.tocsc().tocoo()  # canonical (column-sorted) order so equal patterns hash equal
        self.complex = np.iscomplexobj(A.data)
        self.shape = A.shape
        V = cvxopt.matrix(A.data.astype(complex if self.complex else float))
        rows = cvxopt.matrix(A.row.astype(np.int64))
        cols = cvxopt.matrix(A.col.astype(np.int64))
        self._A = cvxopt.spmatrix(V, rows, cols, size=A.shape)
        try:
            self._F = _umfpack.numeric(self._A, _symbolic(self._A, A))
        except ArithmeticError:
            raise OmmError(_SINGULAR) from None

    def solve(self, b):
        b = np.asarray(b)
        if not self.complex and np.iscomplexobj(b):
            return self.solve(b.real) + 1j * self.solve(b.imag)
        dtype = complex if self.complex else float
        B = cvxopt.matrix(np.array(b, dtype=dtype, order="F").reshape(b.shape[0], -1))
        _umfpack.solve(self._A, self._F, B)
        return np.array(B).reshape(b.shape)


class _SuperLU:
    def __init__(self, A):
        try:
            # COLAMD: the MMD orderings of SuperLU stalled for minutes on P2 meshes
            self._lu = spla.splu(A.tocsc(), permc_spec="COLAMD")
        except RuntimeError:
            raise OmmError(_SINGULAR) from None
        self.complex = self._lu.L.dtype.kind == "c"

    def solve(self, b):
        b = np.asarray(b)
        if not self.complex and np.iscomplexobj(b):
            return self.solve(b.real) + 1j * self.solve(b.imag)
        return self._lu.solve(np.ascontiguousarray(b))


def factorize(A, backend=None):
    """Factorise a square sparse matrix; the result has ``.solve(b)``.

    Parameters
    ----------
    A : scipy.sparse matrix, shape (n, n), real or complex
    backend : {"umfpack", "superlu"}, optional
        Default: UMFPACK when cvxopt is installed, else SuperLU.
    """
    if A.shape[0] == 0:
        raise OmmError("linear system has no unknowns: every DOF is fixed by a contact")
    backend = backend or ("umfpack" if HAVE_UMFPACK else "superlu")
    if backend == "umfpack":
        return _Umfpack(A)
    if backend == "superlu":
        return _SuperLU(A)
    raise OmmError(f"linear-solver backend = {backend!r} is invalid: allowed 'umfpack', 'superlu'")


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


LINEAR = ("direct", "iterative", "auto")
AUTO_ITERATIVE_DOFS = 1_000_000  # "auto": Krylov solves from this many unknowns on


def linear_method(linear, ndofs, where="solver.linear"):
    """``"direct"`` or ``"iterative"`` for a requested ``linear`` and a problem size."""
    if linear not in LINEAR:
        raise OmmError(f"{where} = {linear!r} is invalid: allowed {list(LINEAR)}")
    if linear == "auto":
        return "iterative" if ndofs >= AUTO_ITERATIVE_DOFS else "direct"
    return linear


def factor(A, spd=False, method="direct", precond=None):
    """Factorise ``A``; ``spd=True`` promises a real symmetric positive definite matrix.

    ``method="iterative"`` returns an AMG-preconditioned Krylov solver with the
    same ``.solve`` (:mod:`omm_fem.krylov`); ``precond`` (a matrix or a callable
    returning one) is the real SPD matrix whose AMG preconditions it.
    """
    if method == "iterative":
        from .krylov import IterativeSolve

        return IterativeSolve(A, spd=spd, precond_matrix=precond() if callable(precond)
                              else precond)
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

    def __init__(self, maxsize=8, method="direct"):
        self.maxsize = maxsize
        self.method = method  # "direct" or "iterative" (see :func:`factor`)
        self._store = OrderedDict()
        self.factorizations = 0
        self.solves = 0
        self.refactored = 0

    def clear(self):
        """Drop every stored factorisation (the counters keep counting)."""
        self._store.clear()

    def get(self, key, build, spd=False, precond=None):
        """Factor of ``build()`` under ``key`` (built and factored on a miss)."""
        if key in self._store:
            if self._store[key] is _PENDING:  # held by the saved run: rebuild, do not count
                self._store[key] = factor(build(), spd=spd, method=self.method, precond=precond)
                self.refactored += 1
            self._store.move_to_end(key)
            return self._store[key]
        lu = factor(build(), spd=spd, method=self.method, precond=precond)
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

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

import functools
import logging
import time
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

log = logging.getLogger(__name__)
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
    """LU factors of a sparse matrix; ``solve`` accepts (n,) or (n, k), real or complex.

    ``refine=False`` (the default where :func:`_umfpack_solver` finds the library)
    back-solves without UMFPACK's iterative refinement, which cvxopt always
    runs (each refinement step costs a residual and another pair of triangular
    solves); the LU solve with partial pivoting is backward stable without it.
    """

    def __init__(self, A, refine=False):
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
        self._direct = None if refine else _umfpack_solver(self._A, self._F, self.complex)

    def solve(self, b):
        b = np.asarray(b)
        if not self.complex and np.iscomplexobj(b):
            return self.solve(b.real) + 1j * self.solve(b.imag)
        dtype = complex if self.complex else float
        if self._direct is not None:
            B = np.array(b, dtype=dtype, order="F").reshape(b.shape[0], -1)
            return np.column_stack([self._direct(B[:, k]) for k in range(B.shape[1])]
                                   ).reshape(b.shape)
        B = cvxopt.matrix(np.array(b, dtype=dtype, order="F").reshape(b.shape[0], -1))
        _umfpack.solve(self._A, self._F, B)
        return np.array(B).reshape(b.shape)


_UMF_CONTROL, _UMF_INFO, _UMF_IRSTEP = 20, 90, 7  # umfpack.h (UMFPACK 5.x)
_UMF_LIB = []  # [ctypes library or None], looked up once


def _umfpack_library():
    """The UMFPACK library cvxopt has loaded (from /proc/self/maps), or None.

    Only the very library whose numeric objects cvxopt creates may solve with
    them; anywhere that cannot be established the cvxopt solve is used.
    """
    if not _UMF_LIB:
        lib = None
        try:
            import ctypes

            with open("/proc/self/maps") as fh:
                paths = {line.split()[-1] for line in fh if "libumfpack" in line}
            if len(paths) == 1:
                lib = ctypes.CDLL(paths.pop())
                for name in ("umfpack_dl_solve", "umfpack_zl_solve"):
                    getattr(lib, name).restype = ctypes.c_long
        except (OSError, AttributeError):  # pragma: no cover - not Linux, or another build
            lib = None
        _UMF_LIB.append(lib)
    return _UMF_LIB[0]


def _umfpack_solver(A, F, is_complex):
    """``x = solve(b)`` (one column) by UMFPACK without iterative refinement, or None."""
    import ctypes

    lib = _umfpack_library()
    if lib is None:
        return None
    api = ctypes.pythonapi
    api.PyCapsule_GetName.restype = ctypes.c_char_p
    api.PyCapsule_GetName.argtypes = [ctypes.py_object]
    api.PyCapsule_GetPointer.restype = ctypes.c_void_p
    api.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
    numeric = api.PyCapsule_GetPointer(F, api.PyCapsule_GetName(F))
    # the CCS arrays of A (used by UMFPACK only for refinement, passed for completeness)
    ap = np.array(A.CCS[0], dtype=np.int64).ravel()
    ai = np.array(A.CCS[1], dtype=np.int64).ravel()
    ax = np.array(A.CCS[2], dtype=complex if is_complex else float).ravel()
    control = np.zeros(_UMF_CONTROL)
    info = np.zeros(_UMF_INFO)
    (lib.umfpack_zl_defaults if is_complex else lib.umfpack_dl_defaults)(
        control.ctypes.data_as(ctypes.c_void_p))
    control[_UMF_IRSTEP] = 0
    ptr = [a.ctypes.data_as(ctypes.c_void_p) for a in (ap, ai, ax, control, info)]
    dtype = complex if is_complex else float

    def solve(b):
        b = np.ascontiguousarray(b, dtype=dtype)
        x = np.empty_like(b)
        xb = [x.ctypes.data_as(ctypes.c_void_p), b.ctypes.data_as(ctypes.c_void_p)]
        if is_complex:  # packed complex arrays: the imaginary-part pointers are NULL
            status = lib.umfpack_zl_solve(ctypes.c_long(0), ptr[0], ptr[1], ptr[2], None, xb[0],
                                          None, xb[1], None, ctypes.c_void_p(numeric), ptr[3],
                                          ptr[4])
        else:
            status = lib.umfpack_dl_solve(ctypes.c_long(0), ptr[0], ptr[1], ptr[2], xb[0], xb[1],
                                          ctypes.c_void_p(numeric), ptr[3], ptr[4])
        if status != 0:  # 1: singular (factored already, so not expected); < 0: an error
            raise OmmError(f"UMFPACK back-solve failed (status {status}); " + _SINGULAR)
        return x

    solve.keep = (A, F, ap, ai, ax, control, info)  # alive as long as the solver
    return solve


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
    """CHOLMOD factor of a real SPD sparse matrix; ``solve`` takes (n,) or (n, k).

    ``supernodal=False`` (many back-solves, e.g. a transient): a simplicial
    factor, whose triangular solves do not call the threaded BLAS, which was
    measured 5x slower when another process shares the cores. ``True`` (few
    back-solves, the charge problem): the supernodal factor, measured 2x faster
    to compute than the simplicial one at 250k nodes and 2.6x faster than
    UMFPACK's LU (symbolic and numeric) at 293k (validation/bench_cheap.md).

    ``refine`` steps of iterative refinement (``x += A^-1 (b - A x)``) follow
    each solve: the contact currents are fluxes ``K phi`` of the solution, whose
    rounding the refinement keeps at the level of UMFPACK's refined solve.
    """

    def __init__(self, A, supernodal=False, refine=0):
        self._refine = int(refine)
        self._Ar = A.tocsr() if refine else None
        low = sp.tril(A, format="coo")
        self._A = cvxopt.spmatrix(low.data.astype(float), low.row.astype(np.int64),
                                  low.col.astype(np.int64), size=A.shape)
        saved = dict(_cholmod.options)
        _cholmod.options["supernodal"] = 2 if supernodal else 0
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
        x = self._solve(b)
        for _ in range(self._refine):
            x = x + self._solve(b - self._Ar @ x)
        return x

    def _solve(self, b):
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


def _logged(fn):
    """Log (DEBUG) the size, kind and time of each factorisation ``fn`` makes."""
    @functools.wraps(fn)
    def timed(A, *args, **kwargs):
        t0 = time.perf_counter()
        out = fn(A, *args, **kwargs)
        log.debug("factorised %d x %d, %d nonzeros (%s), %.2f s", *A.shape, A.nnz,
                  type(out).__name__.lstrip("_"), time.perf_counter() - t0)
        return out

    return timed


@_logged
def factor(A, spd=False, method="direct", precond=None, supernodal=False, refine=0, rtol=None):
    """Factorise ``A``; ``spd=True`` promises a real symmetric positive definite matrix.

    A promised SPD matrix is factored by CHOLMOD (``supernodal``, ``refine``: see
    :class:`_Cholesky`), and by LU where it turns out not to be positive definite.

    ``method="iterative"`` returns an AMG-preconditioned Krylov solver with the
    same ``.solve`` (:mod:`omm_fem.krylov`); ``precond`` (a matrix or a callable
    returning one) is the real SPD matrix whose AMG preconditions it, ``rtol`` the
    relative residual of each of its solves (default :data:`omm_fem.krylov.RTOL`).
    """
    if method == "iterative":
        from .krylov import IterativeSolve

        kw = {} if rtol is None else {"rtol": rtol}
        return IterativeSolve(A, spd=spd, precond_matrix=precond() if callable(precond)
                              else precond, **kw)
    if spd and HAVE_CHOLMOD:
        try:
            return _Cholesky(A, supernodal=supernodal, refine=refine)
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

    def __init__(self, maxsize=8, method="direct", rtol=None):
        self.maxsize = maxsize
        self.method = method  # "direct" or "iterative" (see :func:`factor`)
        self.rtol = rtol  # Krylov tolerance of the iterative method (None: krylov.RTOL)
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
                self._store[key] = factor(build(), spd=spd, method=self.method, precond=precond,
                                          rtol=self.rtol)
                self.refactored += 1
            self._store.move_to_end(key)
            return self._store[key]
        lu = factor(build(), spd=spd, method=self.method, precond=precond, rtol=self.rtol)
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

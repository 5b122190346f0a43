"""Sparse direct factorisations used by every solve.

UMFPACK (through cvxopt, which ships SuiteSparse with an optimised BLAS) is the
backend: on 2D FEM matrices of ~1e5 unknowns it factors a complex matrix in
about the time of a real one. scipy's SuperLU is the fallback when cvxopt is
missing; its complex factorisation was measured 3-25x slower than the real one
on graded meshes (the supernodal kernels hit subnormal numbers), so the
fallback is correct but slow for fields that precess the OMM.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
import scipy.sparse.linalg as spla

from .errors import OmmError

try:  # pragma: no cover - exercised implicitly by the whole test-suite
    import cvxopt
    import cvxopt.umfpack as _umfpack

    HAVE_UMFPACK = True
except ImportError:  # pragma: no cover
    HAVE_UMFPACK = False

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


class FactorCache:
    """Keep the last few factorisations of a family of matrices keyed by a shift."""

    def __init__(self, build, maxsize=3):
        self._build = build
        self._maxsize = maxsize
        self._store = OrderedDict()

    def __call__(self, key):
        if key in self._store:
            self._store.move_to_end(key)
            return self._store[key]
        lu = factorize(self._build(key))
        self._store[key] = lu
        if len(self._store) > self._maxsize:
            self._store.popitem(last=False)
        return lu

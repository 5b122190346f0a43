"""Iterative solves for large meshes: algebraic-multigrid-preconditioned Krylov methods.

The direct factorisations of :mod:`omm_fem.linalg` need memory that grows
faster than the mesh (fill-in: ~10 GB at 1e6 P1 nodes). The objects here have
the same ``.solve(b)`` interface and keep only the matrix, an AMG hierarchy
(pyamg: pure Python/C++ wheels on PyPI, no MPI or compilers, unlike PETSc) and
a few Krylov vectors. The hierarchy is classical (Ruge--Stueben) AMG, not
smoothed aggregation: on the structured graded meshes of large devices, whose
cells near the edges are long and thin, smoothed aggregation needed 45 CG
iterations for the charge problem and 89 GMRES iterations for the OMM problem
(250k-node Hall bar, relative residual 1e-10), Ruge--Stueben 17 and 19, at
the same set-up cost; on an unstructured gmsh mesh the two were alike (19 and
15 CG iterations, 176k nodes). The P2 charge problem is preconditioned
through its P1-iso-P2 stiffness (:mod:`omm_fem.isop2`). Kinds of matrix:

* real symmetric positive definite matrices (the charge stiffness, the OMM
  operator at a real shift without drift): conjugate gradients preconditioned
  by one AMG V-cycle;
* complex shifted matrices ``S + lam M`` (a precessing OMM mode, Re lam > 0):
  GMRES preconditioned by the AMG of the real SPD matrix ``S + |lam| M``. For
  symmetric S and M every generalised eigenvalue of the preconditioned
  operator is ``(s + lam m) / (s + |lam| m)``, a point of the chord from 1 to
  ``lam / |lam|``; since ``|arg lam| < pi / 2`` the chord stays away from 0 and
  the iteration count does not grow with the precession (the field);
* anything else (drift: a non-symmetric S) the same GMRES with the AMG of the
  symmetric part.

Tolerance: the relative residual ``||b - A x|| / ||b||`` of every solve is at
most ``rtol`` (default :data:`RTOL`); a solve that does not reach it within
``maxiter`` iterations raises OmmError (never a silent inaccurate number).
"""
from __future__ import annotations

import ctypes
import ctypes.util

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .errors import OmmError

RTOL = 1e-10  # relative residual of every Krylov solve (without a requested accuracy)
RTOL_LOOSEST = 1e-7  # the loosest tolerance rtol_for gives
# bound on the observables' relative error per unit of relative residual: the largest
# ratio measured was 360 (P2 Hall bar, 375k unknowns, rtol = 1e-6; validation/
# krylov_tolerance.md), and the ratio grows with the mesh's conditioning
OBSERVABLE_PER_RESIDUAL = 1000.0
MAXITER = 400
# GMRES keeps RESTART + 1 basis vectors (16 MB each per 1e6 complex unknowns); on the
# 250k-node graded Hall bar 10 took as many iterations as 40 at phi = 1.4 (19) and two
# more at phi = 10 (29 vs 27)
RESTART = 10


def _libc_trim():
    """glibc's ``malloc_trim`` (or None): returns freed heap pages to the system."""
    try:
        fn = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError, TypeError):  # not glibc (macOS, Windows, musl)
        return None
    fn.argtypes, fn.restype = [ctypes.c_size_t], ctypes.c_int
    return fn


_TRIM = _libc_trim()


def release_free_heap():
    """Give the heap memory freed by earlier steps (assembly temporaries) back to the
    system before a large allocation (an AMG hierarchy, the Krylov vectors), so that the
    process's peak resident memory is what is live, not what the allocator kept: -4 %
    peak RSS measured on the 250k-node Hall bar. A no-op without glibc."""
    if _TRIM is not None:
        _TRIM(0)


def _amg(A):
    try:
        import pyamg
    except ImportError:  # pragma: no cover - pyamg is a dependency
        raise OmmError("solver.linear = 'iterative' needs pyamg (pip install pyamg)") from None
    return pyamg.ruge_stuben_solver(sp.csr_matrix(A), max_coarse=500)


def rtol_for(tolerance):
    """Krylov tolerance for observables wanted to a relative accuracy ``tolerance``.

    The algebraic error of ``Delta I / I0`` and of each rho is kept 10 x below the
    requested accuracy (it must not disturb the discretisation error estimates, whose
    differences it enters): ``rtol = tolerance / (10 C)`` with C =
    :data:`OBSERVABLE_PER_RESIDUAL` the largest ratio of observable error to
    relative residual measured (validation/krylov_tolerance.md), between
    :data:`RTOL` and :data:`RTOL_LOOSEST`. ``None`` gives :data:`RTOL`.
    """
    if tolerance is None:
        return RTOL
    return float(min(RTOL_LOOSEST, max(RTOL, tolerance / (10.0 * OBSERVABLE_PER_RESIDUAL))))


class ShiftedOperator:
    """``S + s M`` for real sparse S, M and a complex shift s, applied without forming it.

    The complex matrix would hold 16 bytes per nonzero beside S and M (1.2 GB at 4e6 P2
    unknowns); its product is ``S x + s (M x)``, each real matrix applied to the real
    and imaginary parts of x separately (a real matrix times a complex vector would
    convert the matrix to complex on every product)."""

    def __init__(self, S, M, shift):
        self.S, self.M, self.shift = S, M, complex(shift)  # as given (no converted copies)
        self.shape = S.shape
        self.dtype = np.dtype(complex)
        self.nnz = self.S.nnz + self.M.nnz

    def _real(self, A, x):
        return A @ x if not np.iscomplexobj(x) else (A @ x.real) + 1j * (A @ x.imag)

    def __matmul__(self, x):
        return self._real(self.S, x) + self.shift * self._real(self.M, x)

    def operator(self):
        """The scipy LinearOperator (for the Krylov solvers)."""
        return spla.LinearOperator(self.shape, matvec=self.__matmul__, dtype=complex)


class IterativeSolve:
    """``solve(b)`` for a sparse matrix by AMG-preconditioned CG (SPD) or GMRES.

    Parameters
    ----------
    A : sparse matrix (n, n), real or complex, or :class:`ShiftedOperator`
    spd : bool
        A is real symmetric positive definite (CG).
    precond_matrix : sparse matrix, optional
        Real SPD matrix whose AMG hierarchy preconditions A (default: A itself,
        or its symmetric real part ``(A + A^T) / 2`` taken in modulus for a
        complex shift, see the module docstring).
    rtol : float
    """

    def __init__(self, A, *, spd=False, precond_matrix=None, rtol=RTOL):
        self.shape = A.shape
        if isinstance(A, ShiftedOperator):
            self.A, self.spd, self.complex = A, False, True
            if precond_matrix is None:
                raise ValueError("IterativeSolve: a ShiftedOperator needs precond_matrix")
        else:
            self.A = A.tocsr()
            self.complex = np.iscomplexobj(self.A.data)
            self.spd = bool(spd) and not self.complex
        P = precond_matrix
        if P is None:
            P = self.A if self.spd else 0.5 * (self.A + self.A.T).real
        release_free_heap()
        self.ml = _amg(sp.csr_matrix(P, dtype=float))
        self.rtol = rtol
        self.iterations = []  # per solved column

    def _precond(self):
        cycle = self.ml.aspreconditioner(cycle="V")

        def apply(x):
            if np.iscomplexobj(x):
                return cycle.matvec(x.real) + 1j * cycle.matvec(x.imag)
            return cycle.matvec(x)

        dtype = complex if self.complex else float
        return spla.LinearOperator(self.shape, matvec=apply, dtype=dtype)

    def _one(self, b):
        nb = np.linalg.norm(b)
        if nb == 0:
            return np.zeros_like(b)
        count = [0]

        def cb(_):
            count[0] += 1

        M = self._precond()
        release_free_heap()
        if self.spd and not np.iscomplexobj(b):
            x, info = spla.cg(self.A, b, rtol=self.rtol, atol=0.0, maxiter=MAXITER, M=M,
                              callback=cb)
        else:
            A = self.A.operator() if isinstance(self.A, ShiftedOperator) else self.A
            x, info = spla.gmres(A, b, rtol=self.rtol, atol=0.0, restart=RESTART,
                                 maxiter=MAXITER, M=M, callback=cb, callback_type="pr_norm")
        res = np.linalg.norm(b - self.A @ x) / nb
        if info != 0 and res > 10 * self.rtol:
            raise OmmError(f"iterative solve: relative residual {res:.2e} after {count[0]} "
                           f"iterations, above the tolerance {self.rtol:g}; use "
                           "solver.linear = 'direct' for this problem")
        self.iterations.append(count[0])
        return x

    def solve(self, b):
        b = np.asarray(b)
        if self.spd and np.iscomplexobj(b):
            return self.solve(b.real) + 1j * self.solve(b.imag)
        dtype = complex if (self.complex or np.iscomplexobj(b)) else float
        cols = b.reshape(b.shape[0], -1).astype(dtype)
        out = np.column_stack([self._one(cols[:, k]) for k in range(cols.shape[1])])
        return out.reshape(b.shape)

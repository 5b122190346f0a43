"""Assembly of bilinear forms through one sparsity pattern and scatter map per basis.

``BilinearForm.assemble`` of scikit-fem builds, for every form, the COO triplets
of all element matrices (row and column indices and values: 24 bytes per
entry, 36 entries per P2 triangle) and converts them to CSR, summing the
duplicates; the conversion's temporaries bring the peak to ~1 GB for one P2
form at 1e6 unknowns, 8 x the finished matrix. Every form of the pipeline has
the same element DOFs, so the CSR pattern and the position of each element
entry in it are computed once (:class:`Pattern`); a form is then its element
values (scikit-fem's own kernel, one (nel,) array per pair of local basis
functions) added into the pattern's values pair by pair (``numpy.add.at``):
the transient memory is one such array and the finished matrix. The
iterative path (large meshes) assembles this way; the direct path keeps
scikit-fem's assembly (its numbers, recorded in the golden files, are those
of its summation order).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["Pattern", "assemble", "restrict", "row_counts"]


class Pattern:
    """CSR pattern of the element-DOF couplings of a basis and the scatter map into it.

    Entry ``(j, i, e)`` of the element values (local test function i, trial
    function j, element e) lands at CSR position ``map[(j * nb + i) * nel + e]``
    of row ``element_dofs[i, e]``, column ``element_dofs[j, e]``.
    """

    def __init__(self, basis):
        e = np.asarray(basis.element_dofs)
        nb, nel = e.shape
        n = int(basis.N)
        key = (e[None, :, :].astype(np.int64) * n + e[:, None, :]).ravel()
        order = np.argsort(key, kind="stable")
        sorted_keys = key[order]
        del key
        first = np.empty(sorted_keys.size, dtype=bool)
        first[:1] = True
        np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=first[1:])
        unique = sorted_keys[first]
        del sorted_keys
        index = np.int32 if unique.size < 2**31 else np.int64
        self.map = np.empty(order.size, dtype=index)
        self.map[order] = np.cumsum(first, dtype=np.int64) - 1
        del order, first
        rows = unique // n
        self.indptr = np.zeros(n + 1, dtype=index)
        np.cumsum(np.bincount(rows, minlength=n), out=self.indptr[1:])
        self.indices = (unique - rows * n).astype(index)
        self.shape = (n, n)
        self.nbfun, self.nelems = nb, nel

    @property
    def nnz(self):
        return self.indices.size

    def csr(self, data):
        """CSR matrix of the pattern's values ``data`` (nnz,); exact zeros (e.g. the
        diagonal couplings of right triangles) are dropped, as scikit-fem drops them."""
        keep = data != 0.0
        counts = row_counts(keep, self.indptr)
        indptr = np.zeros_like(self.indptr)
        np.cumsum(counts, out=indptr[1:])
        return sp.csr_matrix((data[keep], self.indices[keep], indptr), shape=self.shape)


def row_counts(mask, indptr):
    """Number of True entries of ``mask`` (one per stored entry of a CSR matrix) in each
    row of ``indptr``, shape (nrows,) int64.

    One ``np.add.reduceat`` over the starts of the rows that start before the end of
    the mask (a prefix: trailing empty rows start at nnz, which reduceat does not
    accept, and clipping their start to nnz - 1 cut the last entry off the row before
    them); the last of those rows runs to the end. An empty row inside the prefix gets
    the single element at its start from reduceat and is set to 0. No copy of the mask.
    """
    n = indptr.size - 1
    counts = np.zeros(n, dtype=np.int64)
    starts = indptr[:-1]
    m = int(np.searchsorted(starts, mask.size))
    if m:
        counts[:m] = np.add.reduceat(mask, starts[:m], dtype=np.int64)
        counts[:m][starts[:m] == indptr[1:m + 1]] = 0
    return counts


def _kernel(form, basis, kwargs):
    """scikit-fem's per-pair kernel of ``form`` and its parameters, or None where this
    scikit-fem does not have them (then :func:`assemble` uses ``form.assemble``)."""
    try:
        from skfem.assembly.form.form import FormExtraParams

        w = FormExtraParams({**basis.default_parameters(),
                             **form._normalize_asm_kwargs(kwargs, basis)})
        kernel = form._kernel
    except (ImportError, AttributeError, TypeError):
        return None
    return lambda u, v: kernel(u, v, w, basis.dx)


def assemble(form, basis, pattern=None, **kwargs):
    """``form`` (a scikit-fem BilinearForm of real values) on ``basis`` as CSR; through
    ``pattern`` (a :class:`Pattern` of the same basis) when given."""
    kernel = None if pattern is None else _kernel(form, basis, kwargs)
    if kernel is None or getattr(form, "dtype", float) is not np.float64:
        return form.assemble(basis, **kwargs).tocsr()
    if (pattern.nbfun, pattern.nelems) != (basis.Nbfun, basis.nelems):
        raise ValueError("assemble: the pattern belongs to another basis")
    nb, nel = basis.Nbfun, basis.nelems
    data = np.zeros(pattern.nnz)
    for j in range(nb):  # accumulated pair by pair: no (nb, nb, nel) array of values
        for i in range(nb):
            k = (j * nb + i) * nel
            np.add.at(data, pattern.map[k:k + nel], kernel(basis.basis[j], basis.basis[i]))
    return pattern.csr(data)


def restrict(A, keep):
    """``A[keep][:, keep]`` of a square sparse matrix in one pass, as CSR.

    ``keep``: sorted unique indices. scipy's two fancy-indexing steps (and a format
    change) hold two or three copies of the matrix at once; here the temporaries are
    two boolean masks over the nonzeros beside the result.
    """
    A = A.tocsr()
    n = A.shape[0]
    keep = np.asarray(keep)
    new = np.full(n, -1, dtype=A.indices.dtype)
    new[keep] = np.arange(keep.size, dtype=A.indices.dtype)
    row_kept = np.zeros(n, dtype=bool)
    row_kept[keep] = True
    mask = np.repeat(row_kept, np.diff(A.indptr))
    mask &= new[A.indices] >= 0
    counts = row_counts(mask, A.indptr)  # kept entries per row
    indptr = np.zeros(keep.size + 1, dtype=A.indptr.dtype)
    np.cumsum(counts[keep], out=indptr[1:])
    out = sp.csr_matrix((A.data[mask], new[A.indices[mask]], indptr),
                        shape=(keep.size, keep.size))
    out.has_sorted_indices = A.has_sorted_indices
    return out

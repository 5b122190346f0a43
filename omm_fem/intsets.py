"""Sets of integer indices (DOFs, vertices, facets) by sorting.

``np.unique`` of numpy >= 2.3 takes a hash-based path for integer arrays that
was measured 5-13x slower than a sort on mesh-sized index arrays (0.53 s
against 0.04 s for 250k indices); these functions give the same results
(sorted unique values) through ``np.sort``.
"""
from __future__ import annotations

import numpy as np

__all__ = ["unique", "complement"]


def unique(a):
    """Sorted distinct values of an integer array (any shape), as ``np.unique(a)``."""
    s = np.sort(np.asarray(a).ravel())
    if s.size == 0:
        return s
    keep = np.empty(s.size, dtype=bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]


def complement(n, idx):
    """Sorted indices in ``range(n)`` not in ``idx``, as ``np.setdiff1d(np.arange(n), idx)``."""
    mask = np.ones(n, dtype=bool)
    mask[np.asarray(idx, dtype=np.int64)] = False
    return np.flatnonzero(mask)

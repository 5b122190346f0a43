"""The P1-iso-P2 stiffness: a preconditioner matrix for the P2 charge problem.

Algebraic multigrid of the Ruge--Stueben kind (:mod:`omm_fem.krylov`) needs an
M-matrix-like operator. The P2 stiffness matrix has positive off-diagonal
entries, and on the structured graded meshes of large devices its classical
interpolation misses the nearly constant modes: conjugate gradients on the
pure-Neumann-plus-contacts charge problem stalled at a relative residual of
2e-4 after 400 iterations (374k P2 unknowns, Hall bar of
``validation/bench_memory.py``); smoothed aggregation needed 305 iterations.

The P1 stiffness on the mesh refined once (each triangle split into four at
its edge midpoints, whose nodes are exactly the P2 degrees of freedom, in the
same numbering) is spectrally equivalent to the P2 stiffness, uniformly in the
mesh size, and is an M-matrix on meshes without obtuse angles. With its AMG
hierarchy as the preconditioner the same solve takes 35 iterations.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["children", "p1_stiffness", "iso_stiffness"]


def children(element_dofs, ndofs):
    """The four child triangles of each P2 element, as P2 DOF indices, shape (3, 4 nel).

    ``element_dofs``: scikit-fem's (6, nel) P2 element DOFs: the three vertices,
    then the midpoints of the edges (0, 1), (1, 2), (0, 2).
    """
    e = np.asarray(element_dofs)
    if e.shape[0] != 6 or (e.size and e.max() >= ndofs):
        raise ValueError(f"children: expected (6, nel) P2 element DOFs below {ndofs}, "
                         f"got shape {e.shape}")
    v0, v1, v2, m01, m12, m02 = e
    return np.hstack([np.vstack([v0, m01, m02]), np.vstack([v1, m12, m01]),
                      np.vstack([v2, m02, m12]), np.vstack([m01, m12, m02])])


def p1_stiffness(points, tri, coef):
    """P1 stiffness matrix ``int c grad u . grad v`` with one coefficient per triangle.

    Parameters
    ----------
    points : ndarray (2, n)
    tri : ndarray (3, nel) int
    coef : ndarray (nel,)

    Returns
    -------
    scipy.sparse.csr_matrix (n, n)
    """
    x, y = points[0][tri], points[1][tri]  # (3, nel)
    # b_i, c_i: gradients of the barycentric coordinates times 2 * area
    b = np.array([y[1] - y[2], y[2] - y[0], y[0] - y[1]])
    c = np.array([x[2] - x[1], x[0] - x[2], x[1] - x[0]])
    area2 = np.abs(b[0] * c[1] - b[1] * c[0])  # twice the area
    w = np.asarray(coef, float) / (2.0 * area2)
    n = points.shape[1]
    rows = np.repeat(tri, 3, axis=0)  # (9, nel): row i repeated for j = 0, 1, 2
    cols = np.tile(tri, (3, 1))
    vals = (b[:, None] * b[None, :] + c[:, None] * c[None, :]).reshape(9, -1) * w
    return sp.csr_matrix((vals.ravel(), (rows.ravel(), cols.ravel())), shape=(n, n))


def iso_stiffness(basis, coef):
    """The P1-iso-P2 stiffness of a P2 ``basis`` with the element-wise coefficient ``coef``
    (shape (nel,) or (nel, nqp): the element mean is used), in the P2 DOF numbering."""
    coef = np.asarray(coef, float)
    if coef.ndim == 2:
        coef = coef.mean(axis=1)
    tri = children(basis.element_dofs, basis.N)
    return p1_stiffness(basis.doflocs, tri, np.tile(coef, 4))

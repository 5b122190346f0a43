"""Brillouin-zone sampling concentrated at the valleys.

The torus is parametrised as ``k = u K_c + v c`` with ``(u, v)`` in
``[0, 3) x [0, 1)``, where ``K_c`` is a zone corner (the valley ``K`` of a
hexagonal lattice, found automatically) and ``c`` a reciprocal-lattice vector
with ``3 K_c`` and ``c`` generating the reciprocal lattice. In these
coordinates the three points ``u = 0, 1, 2`` (``v = 0``) are Gamma, ``K`` and
``K'``.

Each coordinate goes through the smooth periodic map
``phi(s) = s - r sin(2 pi s) / (2 pi)`` (``0 <= r < 1``, the *refinement*),
whose Jacobian ``1 - r cos(2 pi s)`` is smallest at integer ``s``: uniform
points in ``s`` crowd ``1/(1 - r)``-fold near Gamma, K and K', where Fermi
surfaces of layered graphene sit. The mapped integrand stays smooth and
periodic, so the equal-weight (trapezoidal) rule in ``(s, t)`` keeps its
spectral convergence; ``r = 0`` is the plain Monkhorst-Pack grid.

Grids are nested: the ``(n_s, n_t)`` grid contains the ``(n_s/2, n_t/2)``
grid (points with even indices), so a grid-doubling error estimate costs
nothing beyond the finer grid.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["refinement_frame", "grid_points", "ring_points"]

_CANDIDATES = ((2, 1), (1, 2), (1, 1), (1, -1), (2, -1), (1, -2))


def refinement_frame(reciprocal):
    """Refinement centre ``K_c`` and companion vector ``c`` [1/m].

    Parameters
    ----------
    reciprocal : ndarray, shape (2, 2)
        Rows ``b1, b2`` [1/m].

    Returns
    -------
    K_c, c : ndarray, shape (2,)
        ``K_c = (p b1 + q b2) / 3`` is the third-of-a-lattice-vector point
        farthest from every reciprocal-lattice point (the zone corner ``K``
        for a hexagonal lattice); ``3 K_c`` and ``c`` generate the lattice.
    """
    b1, b2 = np.asarray(reciprocal, dtype=float)
    shifts = np.array([(i, j) for i in range(-3, 4) for j in range(-3, 4)], dtype=float) @ np.array([b1, b2])
    best, best_dist = None, -1.0
    for p, q in _CANDIDATES:
        kc = (p * b1 + q * b2) / 3.0
        dist = np.linalg.norm(shifts - kc, axis=1).min()
        if dist > best_dist * (1.0 + 1e-9):
            best, best_dist = (p, q), dist
    p, q = best
    kc = (p * b1 + q * b2) / 3.0
    return kc, (b1 if abs(q) == 1 else b2)


def _phi(s, refine):
    return s - refine * np.sin(2.0 * np.pi * s) / (2.0 * np.pi), 1.0 - refine * np.cos(2.0 * np.pi * s)


def grid_points(frame, n_s, n_t, refine, new_only=False):
    """Points and weights of the ``(n_s, n_t)`` grid.

    Parameters
    ----------
    frame : tuple
        ``(K_c, c)`` from :func:`refinement_frame`.
    n_s, n_t : int
        Points per unit of ``u`` (``3 n_s`` in all) and along ``c``.
    refine : float
        Concentration parameter ``0 <= r < 1``.
    new_only : bool
        Return only the points absent from the ``(n_s/2, n_t/2)`` grid
        (both sizes must then be even).

    Returns
    -------
    k : ndarray, shape (npts, 2)
        Wave vectors [1/m].
    w : ndarray, shape (npts,)
        Unnormalised weights; the Brillouin-zone average of ``g`` is
        ``sum(w g) / (3 n_s n_t)``.
    spacing : ndarray, shape (npts, 2, 2)
        Local cell edge vectors [1/m] (rows: along ``K_c`` and along ``c``),
        used for the resolution test.
    """
    kc, c = frame
    s = np.arange(n_s) / n_s
    t = np.arange(n_t) / n_t
    ps, ws = _phi(s, refine)
    pt, wt = _phi(t, refine)
    i, m, j = np.meshgrid(np.arange(n_s), np.arange(3), np.arange(n_t), indexing="ij")
    i, m, j = i.ravel(), m.ravel(), j.ravel()
    if new_only:
        keep = (i % 2 == 1) | (j % 2 == 1)
        i, m, j = i[keep], m[keep], j[keep]
    u = m + ps[i]
    v = pt[j]
    k = u[:, None] * kc[None, :] + v[:, None] * c[None, :]
    w = ws[i] * wt[j]
    spacing = np.stack([np.outer(ws[i] / n_s, kc), np.outer(wt[j] / n_t, c)], axis=1)
    return k, w, spacing


def ring_points(k, radius, count=8):
    """``count`` points on a circle of ``radius`` [1/m] around each row of ``k``.

    Returns shape ``(len(k) * count, 2)``; used to replace grid points that
    sit exactly on a band degeneracy (where band velocities are undefined) by
    the average over their immediate neighbourhood.
    """
    ang = 2.0 * np.pi * (np.arange(count) + 0.5) / count
    ring = radius * np.stack([np.cos(ang), np.sin(ang)], axis=1)
    return (np.asarray(k)[:, None, :] + ring[None, :, :]).reshape(-1, 2)


def level_sizes(nk=None, max_level=6):
    """Grid sizes ``[(n_s, n_t), ...]``, coarsest first, each half the next.

    Automatic refinement (``nk=None``) starts at ``(8, 14)`` (336 points) and
    doubles up to ``max_level``. A fixed ``nk`` (points along ``c``, even)
    gives the ``nk/4`` (when ``nk`` is a multiple of 4), ``nk/2`` and ``nk``
    grids used for the error estimate; ``n_s ~ nk / sqrt(3)`` keeps the cells
    isotropic.
    """
    if nk is None:
        return [(8 * 2**lev, 14 * 2**lev) for lev in range(max_level + 1)]
    q = 4 if nk % 4 == 0 else 2
    n_s = q * max(1, int(round(nk / (q * math.sqrt(3.0)))))
    sizes = [(n_s // 2, nk // 2), (n_s, nk)]
    return ([(n_s // 4, nk // 4)] if q == 4 else []) + sizes

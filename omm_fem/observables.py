"""Derived fields and profiles of a solution (SI): J0, Delta J, line cuts.

Core numerics only: no plotting, no files.
"""
from __future__ import annotations

import numpy as np

from .errors import OmmError


def cell_currents(pipeline, sol):
    """Element-averaged J0 and Delta J [A/m], each shape (nelems, 2) (SPEC §2, §5)."""
    disc = pipeline.disc
    u = disc.units
    basis = disc.basis
    gphi = basis.interpolate(pipeline.phi0).grad / u.length  # V/m
    sigma = disc.sigma * u.sigma
    J0 = np.stack([-sigma * gphi[0], -sigma * gphi[1]])
    nz = basis.interpolate(sol.n[2])
    gn = nz.grad / u.length  # (C/m^2)/m
    D = disc.D * u.diffusion
    dJ = np.stack([disc.alpha * D * gn[1], -disc.alpha * D * gn[0]])
    if disc.problem.drift:
        mu = disc.mobility * u.diffusion  # m^2/(V s)
        E = -gphi
        amn = disc.alpha * mu * np.asarray(nz)
        dJ = dJ + np.stack([amn * E[1], -amn * E[0]])
    w = basis.dx / basis.dx.sum(axis=1, keepdims=True)  # quadrature weights per element
    return (np.sum(J0 * w, axis=-1).T, np.sum(dJ * w, axis=-1).T)


def line_probe(pipeline, points):
    """Sparse evaluation matrix for points [m], shape (2, npts) -> (npts, ndofs)."""
    pts = np.asarray(points, float) / pipeline.disc.units.length
    try:
        return pipeline.disc.basis.probes(pts).tocsr()
    except ValueError as exc:  # point outside the mesh
        raise OmmError(f"probe points outside the sample: {exc}") from None


def cross_section(pipeline, sol, x, y):
    """n (3, len(y)) [C/m^2] along the vertical line x [m] at ordinates y [m]."""
    P = line_probe(pipeline, np.vstack([np.full_like(y, x), y]))
    return np.vstack([P @ sol.n[k] for k in range(3)])

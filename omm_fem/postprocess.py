"""Derived fields and profiles of a solution (SI): J0, Delta J, line cuts.

Core numerics only: no plotting, no files.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from . import forms
from .errors import OmmError


def cell_currents(pipeline, sol, phi0=None):
    """Element-averaged J0 and Delta J [A/m], each shape (nelems, 2) (SPEC §2, §5).

    Delta J is :func:`omm_fem.forms.delta_J` with the coefficients the
    pipeline assembled its coupling matrix from; ``phi0`` [V] (default the
    pipeline's) is the alpha^0 potential of the drive (a transient's of time t).
    """
    disc = pipeline.disc
    u = disc.units
    basis = disc.basis
    phi0 = pipeline.phi0 if phi0 is None else phi0
    gphi = disc.grad_at_quadrature(phi0)  # V per l0
    J0 = -disc.sigma * gphi  # scaled: sigma0 / l0
    nz = basis.interpolate(sol.n[2] / u.density)
    w = SimpleNamespace(**disc.delta_J_coefficients(gphi, drift=disc.problem.drift))
    dJ = np.stack(forms.delta_J(np.asarray(nz), nz.grad, w))
    weight = basis.dx / basis.dx.sum(axis=1, keepdims=True)  # quadrature weights per element
    scale = u.current_density
    return (np.sum(J0 * weight, axis=-1).T * scale, np.sum(dJ * weight, axis=-1).T * scale)


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

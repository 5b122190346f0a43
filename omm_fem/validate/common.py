"""Shared builders of the validation studies: materials, exact strip rectangles,
Hall bars, Corbino discs, and field <-> phi conversion.

All SI. The dimensionless field is ``phi = (e/2) B X_yy tau`` (SPEC §6, §9
item 1); the paper's ``Omega tau = e B X_yy tau`` is identified with it.
"""
from __future__ import annotations

import numpy as np

from ..geometry import annulus, hall_bar, rectangle
from ..material import Material
from ..problem import Contact, Problem, boundary_layer_length
from ..steady import Pipeline
from ..units import E_CHARGE, M_E

#: Note put on every figure that has a field axis or a field parameter.
FIELD_NOTE = ("field scale: phi = (e/2) B X_yy tau as in Eq. (1) (SPEC §9.1), plotted as the "
              "paper's Omega tau; the paper's Omega = e B X_yy, so a field in tesla here is "
              "twice the paper's for the same curve")

#: Mn film parameters quoted by the paper (after Eq. 19): alpha, tau [s], L_m [m], m*/m_e.
MN = {"alpha": 0.016, "tau": 2e-12, "L_m": 2e-9, "m_star": 675 * 0.041}


def material(*, L_m, tau, alpha, m_star, theta, sigma=1e-3, mobility=0.0):
    """Material with ``X = diag(1, 1, theta) / (m_star m_e)`` and ``D = L_m^2 / tau``.

    Parameters
    ----------
    L_m : float
        OMM diffusion length [m].
    tau : float
        OMM relaxation time [s].
    alpha : float
        Orbital Hall angle.
    m_star : float
        In-plane effective mass in units of m_e (X_xx = X_yy = 1 / (m_star m_e)).
    theta : float
        Anisotropy X_zz / X_yy (>= 0).
    """
    X = np.diag([1.0, 1.0, float(theta)]) / (m_star * M_E)
    return Material(D=L_m**2 / tau, tau=tau, alpha=alpha, sigma=sigma, mobility=mobility, X=X)


def mn_material(theta=1.0):
    """The paper's Mn film (isotropic polycrystal: theta = 1 by default)."""
    return material(L_m=MN["L_m"], tau=MN["tau"], alpha=MN["alpha"], m_star=MN["m_star"],
                    theta=theta)


def field_for_phi(mat, phi):
    """Field B [T] along x giving ``phi = (e/2) B X_yy tau``."""
    return np.asarray(phi, float) / (0.5 * E_CHARGE * mat.X[1, 1] * mat.tau)


def phi_for_field(mat, B):
    """``phi = (e/2) B X_yy tau`` for a field B [T] along x."""
    return 0.5 * E_CHARGE * np.asarray(B, float) * mat.X[1, 1] * mat.tau


def ell(mat, phis):
    """Boundary-layer length [m] over the fields of ``phis`` (B along x)."""
    return boundary_layer_length([mat], [[float(field_for_phi(mat, p)), 0.0, 0.0]
                                         for p in np.atleast_1d(phis)] + [[0.0, 0.0, 0.0]])


def strip_pipeline(mat, *, width, phis, order=2, edge_fraction=8):
    """Exact finite strip (SPEC §6): a short rectangle with reflecting contacts, drift off.

    The strip solution holds at every x, so the length is only ``2 ell``;
    boundary elements are ``ell / edge_fraction`` for the largest field of
    ``phis``. Returns the :class:`Pipeline` (one per geometry and material;
    call ``at_field`` per field).
    """
    el = ell(mat, phis)
    mesh = rectangle(length=2 * el, width=width, size=min(width / 4, 2 * el),
                     edge_size=el / edge_fraction, grade_contacts=False)
    pb = Problem(mesh=mesh, materials=mat, B=[0.0, 0.0, 0.0], order=order, drift=False,
                 contacts=[Contact("source", current=1e-6, omm="reflecting"),
                           Contact("drain", voltage=0.0, omm="reflecting")])
    return Pipeline(pb)


def strip_current_density(pipe, width):
    """Sheet current density J [A/m] of the alpha^0 solution of a strip pipeline."""
    return pipe.I0["source"] / width


def hall_bar_pipeline(mat, *, width, length, arm_width, arm_length, contacts, edge_size,
                      size=None, order=1, drift=False, layer=None, growth=0.15):
    """Hall bar with two arm pairs at length/4 and 3 length/4 (probes ``probe_1_top``,
    ``probe_2_top``), current from ``source`` to ``drain`` with OMM condition
    ``contacts`` ("sink" or "reflecting"). The mesh is graded towards every
    boundary, contacts included, whatever the condition (so both conditions
    share one mesh)."""
    mesh = hall_bar(length=length, width=width, arms=[length / 4, 3 * length / 4],
                    arm_width=arm_width, arm_length=arm_length, edge_size=edge_size,
                    size=size or min(width / 4, 2 * mat.L_m), layer=layer, growth=growth)
    return mesh, make_pipeline(mesh, mat, contacts, ("source", "drain"), order=order, drift=drift)


def corbino_mesh(*, inner_radius, outer_radius, edge_size, size=None):
    """Annulus (Corbino disc) with contacts ``inner`` and ``outer``."""
    return annulus(inner_radius=inner_radius, outer_radius=outer_radius, edge_size=edge_size,
                   size=size or (outer_radius - inner_radius) / 6)


def make_pipeline(mesh, mat, omm, pair, *, order=2, drift=False, current=1e-6):
    """Pipeline with ``pair[0]`` current-driven and ``pair[1]`` grounded, both ``omm``."""
    pb = Problem(mesh=mesh, materials=mat, B=[0.0, 0.0, 0.0], order=order, drift=drift,
                 contacts=[Contact(pair[0], current=current, omm=omm),
                           Contact(pair[1], voltage=0.0, omm=omm)])
    return Pipeline(pb)

"""The exact strip solution beside a configured run (SPEC §6).

A rectangle (or a Hall bar's channel) with one material, X diagonal and the
field along x is compared with the strip limit: the cross-section at
mid-length against n^z(y), n^y(y), Delta I/I0 against Eq. (21), and a field
sweep's rho, rho* against Eqs. (22), (23). With reflecting contacts and no
drift the strip solution is exact at every x, so the printed error of the
built-in example is a real accuracy check.
"""
from __future__ import annotations

import math

import numpy as np

from .. import analytic
from ..config.geometry import strip_width
from ..postprocess import cross_section


def single_material(spec):
    """The run's material when there is only one, else None."""
    mats = list(spec.materials.values())
    return mats[0] if len(mats) == 1 else None


def strip_applicable(spec, direction):
    """Strip formulas apply with one material, X diagonal, X_yy > 0, a finite anisotropy
    theta = X_zz / X_yy (it overflows for X_yy far below X_zz) and B along x."""
    mat = single_material(spec)
    if mat is None or strip_width(spec.geometry) is None:
        return False
    X = mat.X
    if np.abs(X - np.diag(np.diag(X))).max() > 1e-12 * np.abs(X).max() or X[1, 1] <= 0:
        return False
    with np.errstate(over="ignore"):
        if not np.isfinite(X[2, 2] / X[1, 1]):
            return False
    n = np.linalg.norm(direction)
    return bool(n == 0 or (abs(direction[1]) <= 1e-12 * n and abs(direction[2]) <= 1e-12 * n))


def strip_profile(spec, pipe, sol, two_terminal, n_profile=401):
    """Cross-section of a rectangle at mid-length, with the exact strip solution if it applies.

    Parameters
    ----------
    spec : RunSpec
    pipe : Pipeline
    sol : FieldSolution
    two_terminal : dict
        :meth:`Pipeline.two_terminal` of ``sol`` (for the drive current and Delta I/I0).
    n_profile : int
        Points across the strip.

    Returns
    -------
    profile : dict or None
        ``x_m``, ``y_m`` (n_profile,), ``n`` (3, n_profile) [C/m^2], and ``exact``
        (n^z, n^y) when the strip formulas apply; None for other geometries.
    reference : dict or None
        The ``strip_reference`` entry of results.json (errors of the run). Where the
        exact n^z vanishes (alpha = 0) the relative errors are NaN (null in
        results.json), set without dividing by zero, and ``error_note`` says why,
        with the run's max |n| instead.
    """
    if spec.geometry["kind"] != "rectangle":
        return None, None
    L, W = spec.geometry["length"], spec.geometry["width"]
    y = np.linspace(-W / 2, W / 2, n_profile) * (1 - 1e-9)
    n_line = cross_section(pipe, sol, L / 2, y)
    profile = {"x_m": L / 2, "y_m": y, "n": n_line}
    if not strip_applicable(spec, spec.B):
        return profile, None
    mat = single_material(spec)
    B = spec.B[0]
    J = two_terminal["current0_A"] / W  # sheet current density of the alpha^0 solution
    nz_ex, ny_ex = analytic.strip_profiles_si(y, width=W, J=J, B=B, material=mat)
    scale = np.abs(nz_ex).max()
    exact = all(c.omm == "reflecting" for c in spec.contacts) and not spec.drift
    dI = float(analytic.strip_delta_I_over_I0(W / mat.L_m, *analytic.strip_phi_theta(mat, B),
                                              mat.alpha))
    profile["exact"] = (nz_ex, ny_ex)
    reference = {
        "exact": exact,
        "note": ("exact: reflecting contacts and no drift make the strip solution exact at every x"
                 if exact else "reference only: sink/relaxing contacts or drift perturb the "
                 "profile near the contacts; compared at mid-length"),
        "delta_I_over_I0": dI,
        "delta_I_over_I0_rel_error": (abs(two_terminal["delta_I_over_I0"] / dI - 1)
                                      if dI else None),
    }
    for key, fem, ex in (("nz_max_error_rel", n_line[2], nz_ex),
                         ("ny_max_error_rel", n_line[1], ny_ex)):
        reference[key] = (float(np.abs(fem - ex).max() / scale)
                          if scale > 0 else math.nan)  # alpha = 0: the exact n vanishes
    if scale == 0 or not dI:
        reference["error_note"] = (
            "relative errors undefined: the exact n and Delta I/I0 are zero (alpha = 0); "
            f"the run has max |n^z| = {float(np.abs(n_line[2]).max()):.3g}, max |n^y| = "
            f"{float(np.abs(n_line[1]).max()):.3g} C/m^2")
    return profile, reference


def strip_overlay(spec, sweep):
    """rho(B) (and rho*(B)) of the strip formula for a magnitude sweep, or None.

    ``sweep`` is the run's :class:`~omm_fem.config.SweepSpec`; the overlay is drawn on hmr.png
    when ``[output] strip_overlay`` asks for it and the formulas apply.
    """
    if sweep.kind != "magnitude" or not spec.output.strip_overlay or not strip_applicable(
            spec, sweep.direction):
        return None
    mat = single_material(spec)
    W = strip_width(spec.geometry)
    phi, theta = analytic.strip_phi_theta(mat, sweep.B_T)
    out = {"width_m": W, "rho": analytic.strip_rho(W / mat.L_m, phi, theta, mat.alpha)}
    if theta > 0:
        out["rho_star"] = analytic.strip_rho_star(W / mat.L_m, phi, theta)
    return out

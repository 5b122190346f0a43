"""The paper's quantitative claims, computed: the thickness dependence of
rho(B) - rho(0) in Mn films and the bilayer-graphene-versus-Mn magnitude.

Every number is an FEM run on an exact strip (reflecting contacts, drift off)
checked against Eq. (22); the optimum thickness is found by a bounded search
on the FEM values themselves and on Eq. (22).
"""
from __future__ import annotations

import math

import numpy as np
from scipy.optimize import minimize_scalar

from .. import analytic
from .cases import Case, StudyResult, rel_error
from .common import MN, field_for_phi, material, mn_material, phi_for_field, strip_pipeline

B_MAIN = 9.0  # T: the stated field of the Mn and BLG comparisons
FIELDS = (1.0, 9.0, 30.0)  # T: the maximum's position checked at other fields
T_RANGE = (0.3, 40.0)  # thickness search interval [L_m]
TOL_LOC = 1e-2
TOL_RHO = 1e-5  # relative accuracy of each rho (core acceptance, P2 ell/8)
WHY_DIFF = ("1e-5 relative, the core acceptance on rho: the discretisation error is smooth in "
            "the field, so rho(B) - rho(0) inherits the relative accuracy of rho")


def delta_rho_fem(mat, L, B):
    """rho(B) - rho(0) of an FEM strip of width L [L_m] in a field B [T] along x."""
    pipe = strip_pipeline(mat, width=L * mat.L_m, phis=[float(phi_for_field(mat, B))])
    r0 = pipe.two_terminal(pipe.at_field([0.0, 0.0, 0.0]))["rho"]
    rB = pipe.two_terminal(pipe.at_field([B, 0.0, 0.0]))["rho"]
    return rB - r0, r0, rB


def delta_rho_exact(mat, L, B):
    """rho(B) - rho(0) from Eq. (22)."""
    phi, theta = analytic.strip_phi_theta(mat, B)
    return float(analytic.strip_rho(L, phi, theta, mat.alpha)
                 - analytic.strip_rho(L, 0.0, theta, mat.alpha))


def maximum(f, xatol):
    """Bounded search of the maximum of f(L) over ln L in T_RANGE -> (L, f(L))."""
    r = minimize_scalar(lambda s: -f(math.exp(s)), bounds=tuple(map(math.log, T_RANGE)),
                        method="bounded", options={"xatol": xatol})
    return math.exp(r.x), -r.fun


def mn_thickness(quick=False):
    """rho(B) - rho(0) versus film thickness for Mn: curve, maximum and its position."""
    res = StudyResult("claims", "The paper's claims: Mn thickness dependence, BLG versus Mn")
    mat = mn_material()
    ts = np.geomspace(0.5, 30.0, 7 if quick else 16)
    dense = np.geomspace(*T_RANGE, 300)
    curves = {}
    for B in (B_MAIN,) if quick else FIELDS:
        fem = [delta_rho_fem(mat, t, B)[0] for t in ts]
        curves[B] = {"t_Lm": ts, "fem": np.array(fem), "t_dense": dense,
                     "exact": np.array([delta_rho_exact(mat, t, B) for t in dense]),
                     "phi": float(phi_for_field(mat, B))}
        t_ex, v_ex = maximum(lambda t: delta_rho_exact(mat, t, B), 1e-10)
        curves[B].update({"t_max_exact": t_ex, "max_exact": v_ex})
    # the maximum from FEM runs themselves (bounded search on FEM values) at the stated field
    t_fem, v_fem = maximum(lambda t: delta_rho_fem(mat, t, B_MAIN)[0], 1e-4)
    d = delta_rho_fem(mat, curves[B_MAIN]["t_max_exact"], B_MAIN)[0]
    c = curves[B_MAIN]
    flat = abs(delta_rho_exact(mat, c["t_max_exact"] * (1 + TOL_LOC), B_MAIN) / c["max_exact"] - 1)
    res.cases += [
        Case("claims.mn_max_value", f"Mn: max over thickness of rho(B) - rho(0) at B = {B_MAIN:g} T,"
             " FEM at the exact optimum vs Eq. (22), relative", d, c["max_exact"],
             rel_error(d, c["max_exact"]), TOL_RHO, WHY_DIFF),
        Case("claims.mn_max_position", "Mn: thickness of that maximum [L_m], FEM bounded search "
             "vs Eq. (22), relative", t_fem, c["t_max_exact"], rel_error(t_fem, c["t_max_exact"]),
             TOL_LOC, f"the peak is flat: a 1% change of thickness changes the value by only "
             f"{flat:.1e}, so the position is weakly determined; the value row is the sharp test"),
    ]
    data = {"curves": curves, "t_max_fem": t_fem, "max_fem": v_fem, "B_main": B_MAIN,
            "material": dict(MN)}
    if not quick:
        exps = math.log(curves[9.0]["max_exact"] / curves[1.0]["max_exact"]) / math.log(9.0)
        data["exponent_1_9T"] = exps
    return res, data


VARIANTS = {
    "paper": ("BLG, the paper's argument: Mn alpha, tau, L_m; m* = 0.041 m_e; theta = 1e-2 "
              "(the paper's quoted value)", dict(alpha=MN["alpha"], tau=MN["tau"], L_m=MN["L_m"]),
              1e-2),
    "computed_theta": ("as 'paper' with theta from our X of Eq. (16) (mu = 1 eV, V = 0.1 eV, "
                       "300 K)", dict(alpha=MN["alpha"], tau=MN["tau"], L_m=MN["L_m"]), None),
    "example": ("repository example: D = 1e-2 m^2/s, tau = 1 ps (L_m = 100 nm), alpha = 0.05, "
                "theta = 0.1", dict(alpha=0.05, tau=1e-12, L_m=100e-9), 0.1),
}


def blg_vs_mn(theta_computed, mn_max, quick=False):
    """Max over width of rho(B) - rho(0) for BLG variants over the Mn maximum, same B.

    Parameters
    ----------
    theta_computed : float
        theta of bilayer graphene from the X-tensor study.
    mn_max : dict {B: (t_max [L_m], max value)}
        The Mn optimum at each field (Eq. 22 search, value checked by FEM).
    """
    rows, cases = [], []
    for key, (label, p, theta) in VARIANTS.items():
        theta = theta_computed if theta is None else theta
        mat = material(m_star=0.041, theta=theta, **p)
        for B in sorted(mn_max):
            L_opt, v_ex = maximum(lambda L: delta_rho_exact(mat, L, B), 1e-10)
            d = delta_rho_fem(mat, L_opt, B)[0]
            rows.append({"variant": key, "label": label, "theta": theta, "B_T": B,
                         "phi": float(phi_for_field(mat, B)), "L_opt_Lm": L_opt,
                         "L_opt_m": L_opt * mat.L_m, "max_fem": d, "max_exact": v_ex,
                         "mn_max": mn_max[B][1], "ratio": d / mn_max[B][1],
                         "omega_star_ratio": math.sqrt(mat.X[2, 2] * mat.X[1, 1])
                         / mn_material().X[1, 1]})
            if B == B_MAIN:
                cases.append(Case(f"claims.blg_{key}", f"BLG ({key}): max over width of rho(B) - "
                                  f"rho(0) at {B:g} T, FEM vs Eq. (22), relative", d, v_ex,
                                  rel_error(d, v_ex), TOL_RHO, WHY_DIFF))
    return rows, cases


def claims(theta_computed, quick=False):
    """Both claims -> StudyResult (text written by the report module from ``data``)."""
    res, data = mn_thickness(quick)
    mat = mn_material()
    # our field scale and the paper's (Omega = e B X_yy: the paper's B is our 2B, SPEC §9.1)
    fields = (B_MAIN, 2 * B_MAIN) if quick else (1.0, 2.0, B_MAIN, 2 * B_MAIN)
    mn_max = {}
    for B in fields:
        t, v = maximum(lambda L: delta_rho_exact(mat, L, B), 1e-10)
        mn_max[B] = (t, delta_rho_fem(mat, t, B)[0])
    rows, cases = blg_vs_mn(theta_computed, mn_max, quick)
    res.cases += cases
    data["blg"] = rows
    data["mn_max"] = {B: {"t_Lm": t, "value_fem": v} for B, (t, v) in mn_max.items()}
    data["B_for_phi1_mn"] = float(field_for_phi(mat, 1.0))
    res.data = data
    return res

"""Figures of the validation report (PNG), drawn on a bare matplotlib Figure.

matplotlib is imported inside the functions (never at import time) and no
backend is selected. Every figure with a field carries the one-sentence note on
the factor 2 between this code's field scale and the paper's
(:data:`omm_fem.plotstyle.FACTOR_TWO_NOTE`); colours, markers and SI prefixes
come from :mod:`omm_fem.plotstyle`.
"""
from __future__ import annotations

import numpy as np

from .. import plotstyle as ps
from ..plotting import new_figure, save_png
from ..xtensor.graphene import GAMMA0, GAMMA1
from .common import MN

DPI = 100
#: The field axis of the paper's figures: our phi, which the paper calls Omega tau.
PHI_LABEL = r"$\phi=(e/2)BX_{yy}\tau$"


def _figure(w=6.4, h=4.4, note=ps.FACTOR_TWO_NOTE):
    fig = new_figure(figsize=(w, h), layout="constrained")
    ps.footnote(fig, note, fontsize=6.5)
    return fig


def _box(ax, text, lower=False, right=False):
    ax.text(0.98 if right else 0.02, 0.03 if lower else 0.97, text, transform=ax.transAxes,
            va="bottom" if lower else "top", ha="right" if right else "left", fontsize=8,
            bbox=dict(boxstyle="round,pad=0.3", fc="w", ec="0.6", lw=0.5))


def fig3_profiles(d, path, *, key):
    """Fig. 3(a) (key 'a': n^z(y) per phi) or 3(b) (key 'b': Delta n^z(y) per theta)."""
    fig = _figure()
    ax = fig.subplots()
    y = d["y"]
    step = max(1, len(y) // 40)
    labels = ([rf"$\phi$ = {p:g}" for p in d["phis"]] if key == "a"
              else [rf"$\theta$ = {t:g}" for t in d["thetas"]])
    for k, lab in enumerate(labels):
        ax.plot(y, d["exact"][k], "-", color=ps.color(k), lw=1.2, label=f"{lab} (Eq. 19)")
        ax.plot(y[::step], d["fem"][k][::step], "o", ms=3.5, mfc="none", color=ps.color(k))
    ax.plot([], [], "o", color=ps.GREY, mfc="none", ms=3.5, label="FEM (finite rectangle)")
    ax.set_xlabel("$y/L_m$")
    if key == "a":
        ax.set_ylabel(r"$n^z$ / ($\alpha J L_m / D$)")
        title = (f"Fig. 3(a): $n^z(y)$, $L/L_m$ = {d['L']:g}, $\\theta$ = {d['theta']:g}")
        err = "max $|$FEM $-$ exact$|$ / max$|n^z|$"
    else:
        ax.set_ylabel(r"$\Delta n^z = n^z(\theta) - n^z(0)$ / ($\alpha J L_m / D$)")
        title = f"Fig. 3(b): $\\Delta n^z(y)$ at $\\phi$ = {d['phi']:g}, $L/L_m$ = {d['L']:g}"
        err = "max $|$FEM $-$ exact$|$ / max$|n^z(\\theta=0)|$"
    ax.set_title(title, fontsize=10)
    # (a) rises to the right, (b) falls: keep legend and note in the empty corners
    ax.legend(fontsize=7, loc="lower right" if key == "a" else "upper right")
    _box(ax, f"{err} = {ps.sci(max(d['errors']), 2)}\n(worst curve; Mn: $\\alpha$ = "
             f"{MN['alpha']:g}, $\\tau$ = {ps.quantity(MN['tau'], 's')}, $L_m$ = "
             f"{ps.quantity(MN['L_m'], 'm')})", lower=key == "b")
    return save_png(fig, path, dpi=DPI)


def fig3_rho_star(d, path, *, key):
    """Fig. 3(c) (one curve per L/L_m) or 3(d) (one curve per theta): rho* vs phi."""
    fig = _figure()
    ax = fig.subplots()
    for k, c in enumerate(d["curves"]):
        lab = f"$L/L_m$ = {c['L']:g}" if key == "c" else rf"$\theta$ = {c['theta']:g}"
        ax.plot(c["phi_dense"], c["exact"], "-", color=ps.color(k), lw=1.2, label=f"{lab} (Eq. 23)")
        ax.plot(c["phi"], c["fem"], "o", ms=4, mfc="none", color=ps.color(k))
    ax.plot([], [], "o", color=ps.GREY, mfc="none", ms=4, label="FEM (finite rectangle)")
    ax.set_xlabel(PHI_LABEL)
    ax.set_ylabel(r"$\rho^* = (\rho(B) - \rho(0)) / (\rho(\infty) - \rho(0))$")
    fixed = rf"$\theta$ = {d['theta']:g}" if key == "c" else f"$L/L_m$ = {d['L']:g}"
    ax.set_title(f"Fig. 3({key}): normalised HMR, {fixed}", fontsize=10)
    ax.legend(fontsize=7, loc="lower right")
    _box(ax, r"max $|\rho^*_{FEM} - \rho^*_{exact}|$ = "
         + ps.sci(max(c["error"] for c in d["curves"]), 2))
    return save_png(fig, path, dpi=DPI)


def mn_thickness(d, path):
    """rho(B) - rho(0) versus Mn film thickness for each computed field."""
    fig = _figure()
    ax = fig.subplots()
    Lm = d["material"]["L_m"] * 1e9
    for k, (B, c) in enumerate(sorted(d["curves"].items())):
        ax.loglog(c["t_dense"] * Lm, c["exact"], "-", color=ps.color(k), lw=1.2,
                  label=f"B = {B:g} T ($\\phi$ = {c['phi']:.3g}), Eq. (22)")
        ax.loglog(c["t_Lm"] * Lm, c["fem"], "o", ms=4, mfc="none", color=ps.color(k))
        ax.plot([c["t_max_exact"] * Lm], [c["max_exact"]], "k+", ms=10)
    ax.plot([], [], "o", color=ps.GREY, mfc="none", ms=4, label="FEM (finite rectangle)")
    ax.plot([], [], "k+", ms=10, label="maximum")
    ax.set_xlabel(f"film thickness $t$ (nm)   [$L_m$ = {Lm:g} nm]")
    ax.set_ylabel(r"$\rho(B) - \rho(0)$")
    ax.set_title("Mn film (paper's parameters): HMR versus thickness\n"
                 f"FEM maximum at {d['B_main']:g} T: t = {d['t_max_fem'] * Lm:.3g} nm "
                 f"({d['t_max_fem']:.3g} $L_m$), $\\rho(B)-\\rho(0)$ = {ps.sci(d['max_fem'])}",
                 fontsize=9)
    ax.legend(fontsize=7, loc="lower center")
    return save_png(fig, path, dpi=DPI)


#: Bar labels of the bilayer-graphene parameter sets of
#: :data:`omm_fem.validate.claims.VARIANTS` (filled from each row).
BLG_LABELS = {"paper": "BLG, the paper's\n$\\theta$ = {theta:.2g}",
              "computed_theta": "BLG, $\\theta$ = {theta:.3g}\nfrom $X$ of Eq. (16)",
              "example": "BLG, example\n$L_m$ = {L_m}, $\\theta$ = {theta:.2g}"}


def blg_label(row):
    """Readable bar label of one BLG row of the claims study (never its code key)."""
    L_m = ps.quantity(row["L_opt_m"] / row["L_opt_Lm"], "m")
    text = BLG_LABELS.get(row["variant"], "BLG\n$\\theta$ = {theta:.3g}")
    return text.format(theta=row["theta"], L_m=L_m)


def blg_vs_mn(rows, mn, path, B):
    """PNG of :func:`blg_vs_mn_figure`; returns the path."""
    return save_png(blg_vs_mn_figure(rows, mn, B), path, dpi=DPI)


def blg_vs_mn_figure(rows, mn, B):
    """Bar chart: max over width of rho(B) - rho(0) for BLG variants and Mn at field B,
    each bar labelled with its parameters and its value (and, for BLG, its ratio to Mn)."""
    fig = _figure(6.8, 4.2)
    ax = fig.subplots()
    sel = [r for r in rows if r["B_T"] == B]
    names = ["Mn film\n(the paper's values)"] + [blg_label(r) for r in sel]
    vals = [mn] + [r["max_fem"] for r in sel]
    ax.bar(range(len(vals)), vals, color=["0.6"] + [ps.color(k) for k in range(len(sel))],
           edgecolor="k", lw=0.5)
    ax.set_yscale("log")
    ax.set_xticks(range(len(vals)), names, fontsize=7.5)
    for k, v in enumerate(vals):
        ax.text(k, v, ps.sci(v, 2) + ("" if k == 0 else f"\n(× {ps.sci(v / mn, 3)} Mn)"),
                ha="center", va="bottom", fontsize=7)
    ax.set_ylabel(r"max over width of $\rho(B) - \rho(0)$")
    ax.set_title(f"Bilayer graphene versus Mn at $B$ = {B:g} T (FEM at each optimum width)",
                 fontsize=10)
    ax.axhline(10 * mn, color="k", ls="--", lw=0.8)
    ax.text(-0.45, 10 * mn, "10 × Mn (the paper's 'order of magnitude')", ha="left",
            va="bottom", fontsize=7)
    ax.set_ylim(mn / 10, max(vals) * 30)
    return fig


#: What the two Hall-bar error maps compare (figure titles).
HALL_BAR_QUANTITY = {"eH": r"HMR signal $\rho(B) - \rho(0)$ at $\phi$ = 2",
                     "e0": r"$\rho(0)$ (= the saturated HMR amplitude)"}


def hall_bar_title(key):
    """Title of the Hall-bar error map ``key`` ('eH' or 'e0')."""
    return ("Relative error of Eq. (22) against the FEM four-terminal "
            + HALL_BAR_QUANTITY[key])


def hall_bar_map(rows, grid, path, *, key, title):
    """Signed relative error of Eq. (22) vs the FEM four-terminal rho, one panel per
    (contact condition, W/L_m); cells: channel length/width x arm width/width."""
    from matplotlib.colors import LogNorm

    conds, Ws = grid["contacts"], grid["W"]
    fig = _figure(9.0, 5.4, note="Colour: |error|; text: signed error in % (+: Eq. 22 larger "
                  "than the FEM four-terminal value). " + ps.FACTOR_TWO_NOTE)
    axes = fig.subplots(len(conds), len(Ws), squeeze=False)
    vals = np.array([abs(r[key]) for r in rows])
    norm = LogNorm(vmin=max(vals.min(), 1e-4), vmax=vals.max())
    for i, cond in enumerate(conds):
        for j, W in enumerate(Ws):
            ax = axes[i, j]
            M = np.full((len(grid["aw"]), len(grid["LW"])), np.nan)
            for r in rows:
                if r["contacts"] == cond and r["W"] == W:
                    M[grid["aw"].index(r["aw"]), grid["LW"].index(r["LW"])] = r[key]
            im = ax.imshow(np.abs(M), origin="lower", cmap=ps.HEATMAP_CMAP, norm=norm, aspect="auto")
            for (a, b), v in np.ndenumerate(M):
                ax.text(b, a, f"{100 * v:+.2g}%", ha="center", va="center", fontsize=7)
            ax.set_xticks(range(len(grid["LW"])), [f"{x:g}" for x in grid["LW"]], fontsize=7)
            ax.set_yticks(range(len(grid["aw"])), [f"{x:g}" for x in grid["aw"]], fontsize=7)
            ax.set_title(f"{cond} contacts, $W$ = {W:g} $L_m$", fontsize=8)
            if i == len(conds) - 1:
                ax.set_xlabel("channel length / width", fontsize=8)
            if j == 0:
                ax.set_ylabel("arm width / width", fontsize=8)
    fig.colorbar(im, ax=axes, shrink=0.8, label="|relative error|")
    fig.suptitle(title, fontsize=10)
    return save_png(fig, path, dpi=DPI)


def corbino(d, path):
    """rho(phi): Eq. (22) strip, FEM Hall bar, FEM Corbino disc of the same width."""
    fig = _figure()
    ax = fig.subplots()
    phi = d["phis"]
    ax.plot(d["phi_dense"], d["strip_dense"], "k-", lw=1.2, label=f"Eq. (22), $L$ = {d['W']:g} $L_m$")
    ax.plot(phi, d["hall_bar"], "o", ms=4, mfc="none", color=ps.color(0),
            label=f"FEM Hall bar, $W$ = {d['W']:g} $L_m$ (four-terminal)")
    ax.plot(phi, d["corbino"], "s", ms=4, color=ps.color(1),
            label=f"FEM Corbino disc, $r_{{out}} - r_{{in}}$ = {d['W']:g} $L_m$")
    ax.axhline(0.0, color="0.7", lw=0.5)
    ax.set_xlabel(PHI_LABEL)
    ps.scale_axis(ax.yaxis, r"$\rho(B) = (R(B) - R_0) / R(B)$")
    ax.set_title("No orbital Hanle magnetoresistance in a Corbino disc", fontsize=10)
    ax.legend(fontsize=7, loc="center right")
    _box(ax, f"max $|\\rho_{{Corbino}}|$ = {ps.sci(np.abs(d['corbino']).max(), 2)}", lower=True,
         right=True)
    return save_png(fig, path, dpi=DPI)


def fig2a(a, path):
    """Fig. 2(a): X_xx and 10^3 X_zz of bilayer graphene versus mu (gap shaded)."""
    fig = _figure(6.4, 4.2, note=r"Fig. 2 involves no field. $X$ per unit cell, $g_s$ = 1, Eq. (16) "
                  rf"with $\gamma_0$ = {GAMMA0:g} eV, $\gamma_1$ = {GAMMA1:g} eV.")
    ax = fig.subplots()
    from ..xtensor.figures import draw_X_of_mu

    draw_X_of_mu(ax, a["mu"], a["X_me"], a["in_gap"], shade="0.88")
    ax.set_title(f"Fig. 2(a): bilayer graphene, $V$ = {a['V']:.3g} eV, T = {a['T']:.0f} K",
                 fontsize=10)
    return save_png(fig, path, dpi=DPI)


def fig2b(b, path):
    """Fig. 2(b): theta = X_zz / X_yy versus V, one curve per mu (NaN in the gap)."""
    fig = _figure(6.4, 4.2, note=r"Fig. 2 involves no field. The paper does not state the $\mu$ of "
                  r"Fig. 2(b): one curve per $\mu$; $\theta$ is undefined in the gap.")
    ax = fig.subplots()
    for j, mu in enumerate(b["mu"]):
        ax.plot(b["V"], b["theta"][:, j], label=rf"$\mu$ = {mu:g} eV", **ps.curve_style(j))
    ax.set_xlabel("$V$ (eV)")
    ax.set_ylabel(r"$\theta = X_{zz} / X_{yy}$")
    ax.set_yscale("log")
    ax.set_title(f"Fig. 2(b): anisotropy ratio, T = {b['T']:.0f} K", fontsize=10)
    ax.legend(fontsize=8)
    return save_png(fig, path, dpi=DPI)

"""fit.png: data with error bars, the fitted model (and the strip formula's fit),
residuals; one column per dataset."""
from __future__ import annotations

import numpy as np

from .. import plotstyle as ps
from ..plotting import figure_of, new_figure

YLABEL = {"mr": r"$(R(B) - R(0))\,/\,R(0)$", "R_ohm": r"$R$ ($\Omega$)", "rho": r"$\rho$"}
SYMBOL = {"alpha": r"\alpha", "D": "D", "tau": r"\tau", "sigma": r"\sigma", "mobility": r"\mu_e"}
UNIT = {"D": r"m$^2$/s", "tau": "s", "sigma": "S", "mobility": r"m$^2$/(V s)"}


def _label(path, entry):
    key = path.split(".")[-1]
    sym = SYMBOL.get(key, rf"X_{{{key}}}" if path.split(".")[-2] == "X" else key)
    v, e = entry["value"], entry["stderr"]
    exp = 0 if v == 0 or 1e-2 <= abs(v) < 1e3 else int(np.floor(np.log10(abs(v))))
    m = v / 10.0**exp
    text = f"{m:.4g}" if e is None else rf"({m:.4g} \pm {e / 10.0**exp:.2g})"
    if exp:
        text += rf" \times 10^{{{exp}}}"
    return rf"${sym} = {text}$ {UNIT.get(key, '')}".strip()


def draw_fit(result):
    """Figure of a :class:`~omm_fem.fitting.FitResult`."""
    n = len(result.datasets)
    fig = new_figure(figsize=(4.2 * n + 0.6, 5.4), layout="constrained")
    axes = fig.subplots(2, n, squeeze=False, sharex="col",
                        gridspec_kw={"height_ratios": [3, 1]})
    formula = {d["name"]: d for d in result.formula.datasets} if result.formula else {}
    for k, d in enumerate(result.datasets):
        top, bot = axes[0, k], axes[1, k]
        order = np.argsort(d["B_T"])
        B = np.asarray(d["B_T"])[order]
        data, model = np.asarray(d["data"])[order], np.asarray(d["model"])[order]
        sig = None if d["sigma"] is None else np.asarray(d["sigma"])[order]
        top.errorbar(B, data, yerr=sig, fmt="o", ms=3.5, color=ps.color(0), ecolor="0.6",
                     elinewidth=0.8, label="data")
        Bc, mc = (d["curve_B_T"], d["curve"]) if "curve" in d else (B, model)
        top.plot(Bc, mc, "-", color=ps.color(1), lw=1.6, label="FEM fit")
        bot.axhline(0.0, color="0.5", lw=0.8)
        bot.plot(B, data - model, "o", ms=3, color=ps.color(1))
        f = formula.get(d["name"])
        if f is not None:
            fm = np.asarray(f["model"])[order]
            Bf, cf = (f["curve_B_T"], f["curve"]) if "curve" in f else (B, fm)
            top.plot(Bf, cf, "--", color=ps.color(2), lw=1.3, label="strip-formula fit")
            bot.plot(B, data - fm, "x", ms=3, color=ps.color(2))
        top.set_title(f"{d['name']}: {d['measure']}", fontsize=10)
        top.set_ylabel(YLABEL[d["quantity"]])
        top.ticklabel_format(axis="y", style="sci", scilimits=(-2, 3), useMathText=True)
        bot.ticklabel_format(axis="y", style="sci", scilimits=(-2, 3), useMathText=True)
        bot.set_xlabel(r"$B$ (T)")
        bot.set_ylabel("data $-$ model")
        top.legend(fontsize=8, frameon=False)
    labels = [_label(p, result.parameters[p]) for p in result.parameter_names]
    fig.suptitle("fit: " + ",  ".join(labels) + rf",  $\chi^2_\nu = {result.reduced_chi2:.3g}$",
                 fontsize=9)
    return fig


def draw_fit_on(ax, result):
    """Every dataset's data and fitted model in one Axes; returns its Figure."""
    for k, d in enumerate(result.datasets):
        c = ps.color(k)
        B, data = np.asarray(d["B_T"]), np.asarray(d["data"])
        ax.errorbar(B, data, yerr=d["sigma"], fmt="o", ms=3.5, color=c, elinewidth=0.8,
                    label=f"{d['name']} ({d['measure']})")
        Bc, mc = (d["curve_B_T"], d["curve"]) if "curve" in d else (np.sort(B), None)
        if mc is None:
            order = np.argsort(B)
            mc = np.asarray(d["model"])[order]
        ax.plot(Bc, mc, "-", color=c, lw=1.4)
    quantities = {d["quantity"] for d in result.datasets}
    ax.set_xlabel(r"$B$ (T)")
    ax.set_ylabel(YLABEL[quantities.pop()] if len(quantities) == 1 else "data")
    ax.ticklabel_format(axis="y", style="sci", scilimits=(-2, 3), useMathText=True)
    ax.legend(fontsize=8, frameon=False)
    return figure_of(ax)

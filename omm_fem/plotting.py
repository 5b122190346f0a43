"""Figures (PNG). matplotlib is imported lazily and no backend is configured:
figures are drawn on a bare :class:`matplotlib.figure.Figure`.
"""
from __future__ import annotations

import numpy as np

from .io import atomic_write


def _figure(**kw):
    from matplotlib.figure import Figure

    return Figure(**kw)


def _footnote(fig, note):
    if note:
        fig.get_layout_engine().set(rect=(0, 0.05, 1, 0.95))
        fig.text(0.01, 0.01, note, fontsize=7, color="0.3")


def _save(fig, path):
    return atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=130, format="png"), suffix=".png")


def plot_profiles(path, y, fem, exact=None, *, title="", note=""):
    """n^z(y) and n^y(y) across the strip: FEM (markers) against the exact strip solution.

    Parameters
    ----------
    y : ndarray (m,)
        Positions across the strip [m].
    fem : ndarray (3, m)
        FEM n [C/m^2].
    exact : tuple(ndarray, ndarray), optional
        Exact (n^z, n^y) [C/m^2].
    """
    fig = _figure(figsize=(9, 4.2), layout="constrained")
    ax, ax2 = fig.subplots(1, 2)
    yy = y * 1e9
    scale = np.abs(fem[2]).max() or 1.0
    step = max(1, len(y) // 60)
    for k, (lab, col) in enumerate([("$n^z$", "C0"), ("$n^y$", "C3")]):
        comp = 2 if k == 0 else 1
        if exact is not None:
            ax.plot(yy, exact[k], "-", color=col, lw=1.2, label=f"{lab} exact (strip)")
        ax.plot(yy[::step], fem[comp][::step], "o", ms=3, mfc="none", color=col, label=f"{lab} FEM")
        if exact is not None:
            ax2.semilogy(yy, np.abs(fem[comp] - exact[k]) / scale + 1e-17, color=col, label=lab)
    ax.set_xlabel("y (nm)")
    ax.set_ylabel("OMM density (C/m$^2$)")
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=9)
    if exact is not None:
        ax2.set_xlabel("y (nm)")
        ax2.set_ylabel("|FEM - exact| / max|$n^z$|")
        ax2.legend(fontsize=8)
        ax2.set_title("error against the exact strip solution", fontsize=9)
    else:
        ax2.set_axis_off()
    _footnote(fig, note)
    return _save(fig, path)


def plot_hmr(path, B, rho, rho_star=None, strip=None, *, note=""):
    """rho(B) and rho*(B) with optional strip-formula overlay (dict with 'rho', 'rho_star')."""
    fig = _figure(figsize=(9, 4.2), layout="constrained")
    ax, ax2 = fig.subplots(1, 2)
    ax.plot(B, rho, "o", ms=4, mfc="none", label="FEM")
    if strip is not None:
        ax.plot(B, strip["rho"], "-", lw=1, label="strip formula (Eq. 22)")
    ax.set_xlabel("|B| (T)")
    ax.set_ylabel(r"$\rho = (R - R_0)/R$")
    ax.legend(fontsize=8)
    if rho_star is not None:
        ax2.plot(B, rho_star, "o", ms=4, mfc="none", label="FEM")
        if strip is not None and strip.get("rho_star") is not None:
            ax2.plot(B, strip["rho_star"], "-", lw=1, label="strip formula (Eq. 23)")
        ax2.set_xlabel("|B| (T)")
        ax2.set_ylabel(r"$\rho^*$")
        ax2.legend(fontsize=8)
    else:
        ax2.text(0.5, 0.5, r"$\rho^*$ undefined for this field direction", ha="center",
                 transform=ax2.transAxes)
        ax2.set_axis_off()
    _footnote(fig, note)
    return _save(fig, path)

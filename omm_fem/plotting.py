"""Figures (PNG). matplotlib is imported lazily and no backend is configured:
figures are drawn on a bare :class:`matplotlib.figure.Figure`.
"""
from __future__ import annotations

import numpy as np

from .io import atomic_write


def new_figure(**kw):
    """A bare :class:`matplotlib.figure.Figure` (no pyplot, no backend switch)."""
    from matplotlib.figure import Figure

    return Figure(**kw)


def _footnote(fig, note):
    if note:
        fig.get_layout_engine().set(rect=(0, 0.05, 1, 0.95))
        fig.text(0.01, 0.01, note, fontsize=7, color="0.3")


def save_png(fig, path, dpi=130):
    """Write ``fig`` to ``path`` as PNG atomically; returns the path."""
    return atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=dpi, format="png"), suffix=".png")


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
    fig = new_figure(figsize=(9, 4.2), layout="constrained")
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
    return save_png(fig, path)


def plot_hmr(path, x, curves, strip=None, *, xlabel="|B| (T)", note=""):
    """rho and rho* against the sweep parameter, one curve per measurement.

    Parameters
    ----------
    curves : dict[str, (rho, rho_star or None)]
    strip : dict with 'rho' (and 'rho_star'), optional
        Strip-formula overlay (Eqs. 22, 23).
    """
    fig = new_figure(figsize=(9, 4.2), layout="constrained")
    ax, ax2 = fig.subplots(1, 2)
    any_star = False
    for k, (name, (rho, rs)) in enumerate(curves.items()):
        ax.plot(x, rho, "o-", ms=3.5, lw=0.8, mfc="none", color=f"C{k}", label=name)
        if rs is not None:
            ax2.plot(x, rs, "o-", ms=3.5, lw=0.8, mfc="none", color=f"C{k}", label=name)
            any_star = True
    if strip is not None:
        ax.plot(x, strip["rho"], "k--", lw=1, label="strip formula (Eq. 22)")
        if strip.get("rho_star") is not None:
            ax2.plot(x, strip["rho_star"], "k--", lw=1, label="strip formula (Eq. 23)")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(r"$\rho$ (relative resistance change)")
    ax.legend(fontsize=8)
    if any_star:
        ax2.set_xlabel(xlabel)
        ax2.set_ylabel(r"$\rho^*$")
        ax2.legend(fontsize=8)
    else:
        ax2.text(0.5, 0.5, r"$\rho^*$ undefined for this sweep", ha="center",
                 transform=ax2.transAxes)
        ax2.set_axis_off()
    _footnote(fig, note)
    return save_png(fig, path)


def plot_map(path, mesh, nz, contacts, *, title=""):
    """Colour map of n^z [C/m^2] on the device with its outline and named contacts.

    ``nz`` holds the DOF values; the vertex values (the first ``mesh.p.shape[1]``)
    are drawn.
    """
    from matplotlib.tri import Triangulation

    fig = new_figure(figsize=(8, 5), layout="constrained")
    ax = fig.subplots()
    p = mesh.p * 1e6
    nv = p.shape[1]
    vals = np.asarray(nz)[:nv]
    lim = np.abs(vals).max() or 1.0
    tpc = ax.tripcolor(Triangulation(p[0], p[1], mesh.t.T), vals, shading="gouraud",
                       cmap="RdBu_r", vmin=-lim, vmax=lim)
    fig.colorbar(tpc, ax=ax, label="$n^z$ (C/m$^2$)")
    from matplotlib.collections import LineCollection

    for name, facets in (mesh.boundaries or {}).items():
        seg = p[:, mesh.facets[:, facets]]  # (2, 2, nfacets)
        is_contact = name in contacts
        ax.add_collection(LineCollection(seg.transpose(2, 1, 0), colors="k" if is_contact else "0.5",
                                         linewidths=2.5 if is_contact else 0.6))
        if is_contact:
            c = seg.reshape(2, -1).mean(axis=1)
            ax.annotate(name, c, fontsize=8, ha="center", va="center",
                        bbox=dict(boxstyle="round,pad=0.2", fc="w", ec="k", lw=0.5))
    ax.set_aspect("equal")
    ax.set_xlabel("x (um)")
    ax.set_ylabel("y (um)")
    ax.set_title(title, fontsize=9)
    return save_png(fig, path)

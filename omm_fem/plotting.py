"""Figures. matplotlib is imported lazily and no backend is configured:
figures are drawn on a bare :class:`matplotlib.figure.Figure`.

Each figure comes in two forms: ``draw_*(ax, ...)`` draws on a given
:class:`matplotlib.axes.Axes` (a notebook cell, a subplot of a larger figure)
and returns the Axes' figure; ``plot_*(path, ...)`` makes its own figure,
draws with ``draw_*`` and writes a PNG.
"""
from __future__ import annotations

import numpy as np

from .io import atomic_write


def new_figure(**kw):
    """A bare :class:`matplotlib.figure.Figure` (no pyplot, no backend switch)."""
    from matplotlib.figure import Figure

    return Figure(**kw)


def figure_of(ax):
    """The top-level :class:`~matplotlib.figure.Figure` holding the Axes ``ax``."""
    try:
        return ax.get_figure(root=True)
    except TypeError:  # matplotlib < 3.10: no ``root``
        fig = ax.figure
        while getattr(fig, "figure", fig) is not fig:  # a SubFigure points to its parent
            fig = fig.figure
        return fig


def _footnote(fig, note):
    if note:
        fig.get_layout_engine().set(rect=(0, 0.05, 1, 0.95))
        fig.text(0.01, 0.01, note, fontsize=7, color="0.3")


def save_png(fig, path, dpi=130):
    """Write ``fig`` to ``path`` as PNG atomically; returns the path."""
    return atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=dpi, format="png"), suffix=".png")


# ----------------------------------------------------------------------------- profiles
def draw_profiles(ax, y, fem, exact=None, *, title="", error_ax=None):
    """n^z(y) and n^y(y) across a strip: FEM (markers), optionally against the exact solution.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Receives the profiles.
    y : ndarray (m,)
        Positions across the strip [m] (drawn in nm).
    fem : ndarray (3, m)
        FEM n [C/m^2].
    exact : tuple(ndarray, ndarray), optional
        Exact (n^z, n^y) [C/m^2], each (m,).
    title : str
    error_ax : matplotlib.axes.Axes, optional
        Receives |FEM - exact| / max|n^z| (only with ``exact``).

    Returns
    -------
    matplotlib.figure.Figure
        The figure of ``ax``.
    """
    yy = np.asarray(y) * 1e9
    scale = np.abs(fem[2]).max() or 1.0
    step = max(1, len(y) // 60)
    for k, (lab, col) in enumerate([("$n^z$", "C0"), ("$n^y$", "C3")]):
        comp = 2 if k == 0 else 1
        if exact is not None:
            ax.plot(yy, exact[k], "-", color=col, lw=1.2, label=f"{lab} exact (strip)")
        ax.plot(yy[::step], fem[comp][::step], "o", ms=3, mfc="none", color=col, label=f"{lab} FEM")
        if exact is not None and error_ax is not None:
            error_ax.semilogy(yy, np.abs(fem[comp] - exact[k]) / scale + 1e-17, color=col,
                              label=lab)
    ax.set_xlabel("y (nm)")
    ax.set_ylabel("OMM density (C/m$^2$)")
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=9)
    if exact is not None and error_ax is not None:
        error_ax.set_xlabel("y (nm)")
        error_ax.set_ylabel("|FEM - exact| / max|$n^z$|")
        error_ax.legend(fontsize=8)
        error_ax.set_title("error against the exact strip solution", fontsize=9)
    return figure_of(ax)


def plot_profiles(path, y, fem, exact=None, *, title="", note=""):
    """PNG of :func:`draw_profiles` with the error panel next to it; returns the path."""
    fig = new_figure(figsize=(9, 4.2), layout="constrained")
    ax, ax2 = fig.subplots(1, 2)
    draw_profiles(ax, y, fem, exact, title=title, error_ax=ax2)
    if exact is None:
        ax2.set_axis_off()
    _footnote(fig, note)
    return save_png(fig, path)


# ---------------------------------------------------------------------------------- hmr
def draw_hmr(ax, x, curves, strip=None, *, xlabel="|B| (T)", star=False):
    """rho (or rho*) against the sweep parameter, one curve per measurement.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    x : ndarray (nf,)
        Sweep parameter (|B| [T] or an angle).
    curves : dict[str, (rho, rho_star or None)]
        Per measurement: rho (nf,) and rho* (nf,) or None (undefined).
    strip : dict with 'rho' (and 'rho_star'), optional
        Strip-formula overlay (Eqs. 22, 23), arrays (nf,).
    xlabel : str
    star : bool
        Draw rho* instead of rho. Without any rho* the Axes says so and is
        switched off.

    Returns
    -------
    matplotlib.figure.Figure
        The figure of ``ax``.
    """
    drawn = False
    for k, (name, (rho, rs)) in enumerate(curves.items()):
        y = rs if star else rho
        if y is not None:
            ax.plot(x, y, "o-", ms=3.5, lw=0.8, mfc="none", color=f"C{k}", label=name)
            drawn = True
    if strip is not None:
        if not star:
            ax.plot(x, strip["rho"], "k--", lw=1, label="strip formula (Eq. 22)")
        elif strip.get("rho_star") is not None:
            ax.plot(x, strip["rho_star"], "k--", lw=1, label="strip formula (Eq. 23)")
    if not star:
        ax.set_xlabel(xlabel)
        ax.set_ylabel(r"$\rho$ (relative resistance change)")
        ax.legend(fontsize=8)
    elif drawn:
        ax.set_xlabel(xlabel)
        ax.set_ylabel(r"$\rho^*$")
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, r"$\rho^*$ undefined for this sweep", ha="center",
                transform=ax.transAxes)
        ax.set_axis_off()
    return figure_of(ax)


def plot_hmr(path, x, curves, strip=None, *, xlabel="|B| (T)", note=""):
    """PNG of rho (left) and rho* (right) by :func:`draw_hmr`; returns the path."""
    fig = new_figure(figsize=(9, 4.2), layout="constrained")
    ax, ax2 = fig.subplots(1, 2)
    draw_hmr(ax, x, curves, strip, xlabel=xlabel)
    draw_hmr(ax2, x, curves, strip, xlabel=xlabel, star=True)
    _footnote(fig, note)
    return save_png(fig, path)


# ---------------------------------------------------------------------------------- map
def draw_map(ax, mesh, nz, contacts, *, title="", label="$n^z$ (C/m$^2$)"):
    """Colour map of a DOF field on the device with its outline and named contacts.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    mesh : skfem.MeshTri
        The device mesh in metres (drawn in um).
    nz : ndarray (ndofs,)
        DOF values (e.g. n^z [C/m^2]); the vertex values (the first
        ``mesh.p.shape[1]``) are drawn, on a symmetric colour scale.
    contacts : sequence of str
        Boundary tags drawn as contacts (thick, labelled); other tags thin.
    title, label : str
        Axes title and colour-bar label.

    Returns
    -------
    matplotlib.figure.Figure
        The figure of ``ax``.
    """
    from matplotlib.collections import LineCollection
    from matplotlib.tri import Triangulation

    p = mesh.p * 1e6
    nv = p.shape[1]
    vals = np.asarray(nz)[:nv]
    lim = np.abs(vals).max() or 1.0
    tpc = ax.tripcolor(Triangulation(p[0], p[1], mesh.t.T), vals, shading="gouraud",
                       cmap="RdBu_r", vmin=-lim, vmax=lim)
    ax.figure.colorbar(tpc, ax=ax, label=label)
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
    return figure_of(ax)


def plot_map(path, mesh, nz, contacts, *, title=""):
    """PNG of the n^z [C/m^2] map by :func:`draw_map`; returns the path."""
    fig = new_figure(figsize=(8, 5), layout="constrained")
    draw_map(fig.subplots(), mesh, nz, contacts, title=title)
    return save_png(fig, path)


# ------------------------------------------------------------------------------- traces
def draw_traces(ax, t, series, *, xlabel="t (s)", ylabel=""):
    """Time traces, one line per entry of ``series``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    t : ndarray (nt,)
        Times [s].
    series : dict[str, ndarray]
        Label -> values (nt,), in SI (the label should carry the unit).
    xlabel, ylabel : str

    Returns
    -------
    matplotlib.figure.Figure
        The figure of ``ax``.
    """
    for k, (name, vals) in enumerate(series.items()):
        ax.plot(t, vals, "-", lw=1.0, color=f"C{k}", label=name)
    ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    if series:
        ax.legend(fontsize=8)
    return figure_of(ax)

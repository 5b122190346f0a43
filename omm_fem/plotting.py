"""Figures. matplotlib is imported lazily and no backend is configured:
figures are drawn on a bare :class:`matplotlib.figure.Figure`.

Each figure comes in two forms: ``draw_*(ax, ...)`` draws on a given
:class:`matplotlib.axes.Axes` (a notebook cell, a subplot of a larger figure)
and returns the Axes' figure; ``plot_*(path, ...)`` makes its own figure,
draws with ``draw_*`` and writes a PNG. The shared style (colour-blind-safe
palette, SI prefixes, scientific notation) is :mod:`omm_fem.plotstyle`.
"""
from __future__ import annotations

import numpy as np

from . import plotstyle as ps
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
        Positions across the strip [m] (drawn with the SI prefix of the width).
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
    f, ulab = ps.si_scale(np.ptp(y), "m")
    yy = np.asarray(y) * f
    scale = np.abs(fem[2]).max() or 1.0
    step = max(1, len(y) // 60)
    for k, (lab, comp) in enumerate([("$n^z$", 2), ("$n^y$", 1)]):
        col = ps.color(k)
        if exact is not None:
            ax.plot(yy, exact[k], "-", color=col, lw=1.2, label=f"{lab} exact (strip)")
        ax.plot(yy[::step], fem[comp][::step], ps.marker(k), ms=3.5, mfc="none", color=col,
                label=f"{lab} FEM")
        if exact is not None and error_ax is not None:
            error_ax.semilogy(yy, np.abs(fem[comp] - exact[k]) / scale + 1e-17, color=col,
                              ls=ps.linestyle(k), label=lab)
    ax.set_xlabel(f"$y$ ({ulab})")
    ps.scale_axis(ax.yaxis, "OMM density", "C/m$^2$")
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=9)
    if exact is not None and error_ax is not None:
        error_ax.set_xlabel(f"$y$ ({ulab})")
        error_ax.set_ylabel(r"$|n_{FEM} - n_{exact}|\ /\ \max|n^z|$")
        error_ax.legend(fontsize=8)
        error_ax.set_title("error against the exact strip solution", fontsize=9)
    return figure_of(ax)


def plot_profiles(path, y, fem, exact=None, *, title="", note=""):
    """PNG of :func:`draw_profiles` with the error panel next to it, ``title`` over
    both and ``note`` under them; returns the path."""
    fig = new_figure(figsize=(9, 4.4), layout="constrained")
    ax, ax2 = fig.subplots(1, 2)
    draw_profiles(ax, y, fem, exact, title="OMM density across the sample", error_ax=ax2)
    if exact is None:
        ax2.set_axis_off()
    if title:
        fig.suptitle(title, fontsize=9)
    ps.footnote(fig, note)
    return save_png(fig, path)


# ---------------------------------------------------------------------------------- hmr
def draw_hmr(ax, x, curves, strip=None, *, xlabel="|B| (T)", star=False):
    """rho (or rho*) against the sweep parameter, one curve per measurement.

    Each curve has its own colour, marker and line style
    (:func:`omm_fem.plotstyle.curve_style`), so coinciding curves stay visible.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    x : ndarray (nf,)
        Sweep parameter (|B| [T] or an angle).
    curves : dict[str, (rho, rho_star or None)]
        Per measurement: rho (nf,) and rho* (nf,) or None (undefined).
    strip : dict with 'rho' (and 'rho_star'), optional
        Strip-formula overlay (Eqs. 22, 23), drawn as a smooth line: on its own
        grid ``'x'`` when given (e.g. a fine field grid), else at ``x``.
        ``'width_m'`` [m], when given, goes into the legend.
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
            ax.plot(x, y, label=name, zorder=3, **ps.curve_style(k))
            drawn = True
    if strip is not None:
        sx = strip.get("x", x)
        width = (f", $W$ = {ps.quantity(strip['width_m'], 'm')}" if strip.get("width_m")
                 else "")
        if not star:
            ax.plot(sx, strip["rho"], "-", color=ps.GREY, lw=1.6, zorder=2,
                    label=f"strip formula, Eq. (22){width}")
        elif strip.get("rho_star") is not None:
            ax.plot(sx, strip["rho_star"], "-", color=ps.GREY, lw=1.6, zorder=2,
                    label=f"strip formula, Eq. (23){width}")
    if not star or drawn:
        ax.set_xlabel(xlabel)
        if star:
            ps.scale_axis(ax.yaxis, r"$\rho^* = (\rho - \rho_0)\,/\,(\rho_\infty - \rho_0)$")
        else:
            ps.scale_axis(ax.yaxis, r"$\rho = (R - R_0)\,/\,R$")
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, r"$\rho^*$ undefined for this sweep", ha="center",
                transform=ax.transAxes)
        ax.set_axis_off()
    return figure_of(ax)


def plot_hmr(path, x, curves, strip=None, *, xlabel="|B| (T)", note="", title="", params=""):
    """PNG of :func:`hmr_figure`; returns the path."""
    return save_png(hmr_figure(x, curves, strip, xlabel=xlabel, note=note, title=title,
                               params=params), path)


def hmr_figure(x, curves, strip=None, *, xlabel="|B| (T)", note="", title="", params=""):
    """Figure of rho (left) and rho* (right) by :func:`draw_hmr`.

    ``title`` and the parameter line ``params`` head the figure, ``note`` is
    the footnote."""
    fig = new_figure(figsize=(9.5, 4.6), layout="constrained")
    ax, ax2 = fig.subplots(1, 2)
    draw_hmr(ax, x, curves, strip, xlabel=xlabel)
    draw_hmr(ax2, x, curves, strip, xlabel=xlabel, star=True)
    if title or params:
        fig.suptitle("\n".join(t for t in (title, params) if t), fontsize=9)
    ps.footnote(fig, note)
    return fig


# ---------------------------------------------------------------------------------- map
def _label_offset(c, centre, extent):
    """Offset (points), alignment and rotation pushing a boundary label outwards from
    the sample (labels of left and right edges run along the edge)."""
    d = (c - centre) / np.where(extent > 0, extent, 1.0)
    if abs(d[0]) >= abs(d[1]):
        return ((5, 0), "left", "center", 90) if d[0] >= 0 else ((-5, 0), "right", "center", 90)
    return ((0, 5), "center", "bottom", 0) if d[1] >= 0 else ((0, -5), "center", "top", 0)


def _boundaries(ax, p, mesh, contacts, probes):
    """Contacts (black) and probes (vermillion) drawn thick and named; other edges thin."""
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    centre = 0.5 * (p.min(axis=1) + p.max(axis=1))
    extent = np.ptp(p, axis=1)
    kinds = {"contact": "k", "probe": ps.OKABE_ITO["vermillion"]}
    seen = set()
    for name, facets in (mesh.boundaries or {}).items():
        seg = p[:, mesh.facets[:, facets]]  # (2, 2, nfacets)
        kind = "contact" if name in contacts else "probe" if name in probes else None
        col = kinds.get(kind, "0.5")
        ax.add_collection(LineCollection(seg.transpose(2, 1, 0), colors=col,
                                         linewidths=2.8 if kind else 0.6, zorder=4,
                                         capstyle="round"))
        if kind:
            seen.add(kind)
            c = seg.reshape(2, -1).mean(axis=1)
            off, ha, va, rot = _label_offset(c, centre, extent)
            ax.annotate(name, c, xytext=off, textcoords="offset points", fontsize=7, ha=ha,
                        va=va, rotation=rot, color=col, zorder=5,
                        bbox=dict(boxstyle="round,pad=0.15", fc="w", ec=col, lw=0.5, alpha=0.9))
    handles = [Line2D([], [], color=kinds[k], lw=2.8, label=f"{k}s") for k in kinds if k in seen]
    if len(handles) > 1:
        ax.legend(handles=handles, fontsize=7, loc="upper right", framealpha=0.9)


def draw_map(ax, mesh, nz, contacts, *, title="", label="$n^z$", unit="C/m$^2$", probes=None):
    """Colour map of a DOF field on the device with its outline, contacts and probes.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    mesh : skfem.MeshTri
        The device mesh in metres (drawn in nm or µm, chosen from its size
        as in the nz.gif animation: :func:`omm_fem.plotstyle.length_scale`).
    nz : ndarray (ndofs,)
        DOF values (e.g. n^z [C/m^2]); the vertex values (the first
        ``mesh.p.shape[1]``) are drawn, on a symmetric colour scale.
    contacts : sequence of str
        Boundary tags drawn as contacts (thick black, named); other tags thin.
    title, label, unit : str
        Axes title, colour-bar quantity and its SI unit (mathtext).
    probes : sequence of str, optional
        Boundary tags drawn as voltage probes (thick vermillion, named), in
        addition to every tag whose name starts with ``probe`` (the Hall-bar
        arm ends), which always are.

    Returns
    -------
    matplotlib.figure.Figure
        The figure of ``ax``.
    """
    from matplotlib.tri import Triangulation

    f, ulab = ps.length_scale(mesh.p)
    p = mesh.p * f
    nv = p.shape[1]
    vals = np.asarray(nz)[:nv]
    lim = np.abs(vals).max() or 1.0
    tpc = ax.tripcolor(Triangulation(p[0], p[1], mesh.t.T), vals, shading="gouraud",
                       cmap=ps.DIVERGING_CMAP, vmin=-lim, vmax=lim)
    wide = np.ptp(p[0]) > 1.6 * np.ptp(p[1])
    cb = ax.figure.colorbar(tpc, ax=ax, location="bottom" if wide else "right",
                            shrink=0.7 if wide else 0.85, aspect=30 if wide else 20)
    ps.scale_axis(cb.ax.xaxis if wide else cb.ax.yaxis, label, unit)
    tags = list(mesh.boundaries or {})
    probes = {t for t in tags if t.startswith("probe")} | set(probes or ())
    _boundaries(ax, p, mesh, set(contacts), probes - set(contacts))
    ax.set_aspect("equal")
    ax.margins(0.06, 0.12)
    ax.set_xlabel(f"$x$ ({ulab})")
    ax.set_ylabel(f"$y$ ({ulab})")
    ax.set_title(title, fontsize=9)
    return figure_of(ax)


def plot_map(path, mesh, nz, contacts, *, title="", probes=None):
    """PNG of the n^z [C/m^2] map by :func:`draw_map`; returns the path."""
    fig = new_figure(figsize=(8, 5), layout="constrained")
    draw_map(fig.subplots(), mesh, nz, contacts, title=title, probes=probes)
    return save_png(fig, path)


# ------------------------------------------------------------------------------- traces
def draw_traces(ax, t, series, *, xlabel=None, ylabel=""):
    """Time traces, one line per entry of ``series``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    t : ndarray (nt,)
        Times [s]; the data stay in seconds, the tick labels carry the SI
        prefix of the run length (``t (ps)``).
    series : dict[str, ndarray]
        Label -> values (nt,), in SI (the label should carry the unit).
    xlabel : str, optional
        Replaces the automatic ``t (ps)``-style label (the ticks are still
        in the prefixed unit).
    ylabel : str

    Returns
    -------
    matplotlib.figure.Figure
        The figure of ``ax``.
    """
    for k, (name, vals) in enumerate(series.items()):
        ax.plot(t, vals, color=ps.color(k), ls=ps.linestyle(k), lw=1.2, label=name)
    t = np.asarray(t, float)
    ps.si_axis(ax.xaxis, "$t$", "s", typical=np.abs(t).max() if t.size else None)
    if xlabel:
        ax.set_xlabel(xlabel)
    ps.sci_formatter(ax.yaxis)
    if ylabel:
        ax.set_ylabel(ylabel)
    if series:
        ax.legend(fontsize=8)
    return figure_of(ax)

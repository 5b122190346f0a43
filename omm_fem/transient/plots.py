"""Figures of a transient run. matplotlib (and Pillow for the GIF) are
imported lazily; figures are drawn on a bare Figure, no backend is set.
"""
from __future__ import annotations

import io as _io

import numpy as np

from .. import plotstyle as ps
from ..io import atomic_write
from ..plotting import new_figure, save_png

DPI = 120


#: An integral of n is drawn only above this fraction of its Cauchy-Schwarz bound
#: sqrt(|Omega|) max_t ||n||_L2: a component that vanishes by symmetry leaves rounding
#: noise of ~1e-15 of the bound (sums over ~1e5 DOFs of both signs), a real one is
#: >~1e-3 of it.
INTEGRAL_SIGNIFICANCE = 1e-8


def mesh_area(mesh):
    """Area [m^2] of a triangle mesh (sum of the triangle areas)."""
    p = mesh.p[:, mesh.t]  # (2, 3, ntri)
    d1, d2 = p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]
    return float(0.5 * np.abs(d1[0] * d2[1] - d1[1] * d2[0]).sum())


def significant_integrals(tr, area_m2):
    """Components ``a`` of n whose integral ``int_n_a_C`` is significant: larger
    than :data:`INTEGRAL_SIGNIFICANCE` times its Cauchy-Schwarz bound
    sqrt(|Omega|) max_t ||n||_L2 (``area_m2`` = |Omega| [m^2]). Without the
    area every component counts."""
    comps = [a for a in "xyz" if f"int_n_{a}_C" in tr]
    if area_m2 is None or "norm_n_C_per_m" not in tr:
        return comps
    bound = np.sqrt(area_m2) * float(np.nanmax(np.abs(tr["norm_n_C_per_m"])))
    return [a for a in comps
            if float(np.nanmax(np.abs(tr[f"int_n_{a}_C"]))) > INTEGRAL_SIGNIFICANCE * bound]


def _constant(v):
    v = np.asarray(v, float)
    return bool(np.ptp(v) <= 1e-12 * max(float(np.abs(v).max()), np.finfo(float).tiny))


def _legend(ax, extra=()):
    h, lab = ax.get_legend_handles_labels()
    for other in extra:
        h2, l2 = other.get_legend_handles_labels()
        h, lab = h + h2, lab + l2
    if h:
        ax.legend(h, lab, fontsize=7.5, loc="best", framealpha=0.9)


def plot_traces(path, tr, *, title="", area_m2=None):
    """PNG of :func:`traces_figure`; returns the path."""
    return save_png(traces_figure(tr, title=title, area_m2=area_m2), path, dpi=DPI)


def traces_figure(tr, *, title="", area_m2=None):
    """Four panels against t (SI prefix of the run, e.g. ps): Delta I/I0 and rho;
    field and drive; n at the points; the L2 norm of n and the significant integrals.

    A constant drive current I0 is stated in the title (no axis of its own); an
    integral of n that is rounding noise (zero by symmetry) is not drawn and the
    panel says so (:func:`significant_integrals`). Powers of ten sit in the axis
    labels, so no offset text meets a legend.

    Parameters
    ----------
    tr : dict[str, ndarray]
        Trace columns as recorded by run.Tracer (``t_s`` and SI quantities).
    title : str
    area_m2 : float, optional
        Sample area [m^2], for the significance of the integrals.
    """
    fig = new_figure(figsize=(10, 7), layout="constrained")
    (a1, a2), (a3, a4) = fig.subplots(2, 2, sharex=True)
    f, tunit = ps.si_scale(np.abs(tr["t_s"]).max(), "s")
    t = tr["t_s"] * f
    a1.plot(t, tr["delta_I_over_I0"], color=ps.color(0), label=r"$\Delta I/I_0$ (fixed $V$)")
    a1.plot(t, tr["rho"], "--", color=ps.color(1), label=r"$\rho$")
    k = 2
    for col in tr:
        if col.endswith(".rho") and not col.startswith("probe."):
            a1.plot(t, tr[col], color=ps.color(k), ls=ps.linestyle(k),
                    label=rf"$\rho$ {col[:-4]}")
            k += 1
    ps.scale_axis(a1.yaxis, "relative change")
    _legend(a1)
    for k, a in enumerate("xyz"):
        a2.plot(t, tr[f"B_{a}_T"], color=ps.color(k), ls=ps.linestyle(k), label=f"$B_{a}$")
    ps.scale_axis(a2.yaxis, "field", "T")
    I0 = np.asarray(tr["current0_A"], float)
    head = [title] if title else []
    if _constant(I0):
        head.append(f"drive current $I_0$ = {ps.quantity(I0[0], 'A')} (constant)")
        _legend(a2)
    else:
        fI, Iunit = ps.si_scale(np.abs(I0).max(), "A")
        twin = a2.twinx()
        twin.plot(t, I0 * fI, color=ps.OKABE_ITO["black"], ls=":", label="$I_0$")
        twin.set_ylabel(f"drive current $I_0$ ({Iunit})")
        _legend(a2, (twin,))
    points = [c for c in tr if c.startswith("n_z_")]
    for k, c in enumerate(points):
        name = c[len("n_z_"):-len("_C_per_m2")]
        a3.plot(t, tr[c], color=ps.color(k), label=f"$n^z$ {name}")
        a3.plot(t, tr[f"n_y_{name}_C_per_m2"], "--", color=ps.color(k), label=f"$n^y$ {name}")
    if points:
        _legend(a3)
    else:
        a3.text(0.5, 0.5, "no points configured", ha="center", transform=a3.transAxes)
    ps.scale_axis(a3.yaxis, "OMM density", "C/m$^2$")
    _norm_panel(a4, t, tr, area_m2)
    for ax in (a3, a4):
        ax.set_xlabel(f"$t$ ({tunit})")
    fig.suptitle("\n".join(head), fontsize=9)
    return fig


def _norm_panel(ax, t, tr, area_m2):
    """||n||_L2 and the significant integrals over sqrt(|Omega|) (same unit, C/m;
    Cauchy-Schwarz: |int n^a| / sqrt(|Omega|) <= ||n||)."""
    ax.plot(t, tr["norm_n_C_per_m"], color=ps.OKABE_ITO["black"], label=r"$\|n\|_{L^2}$")
    keep = significant_integrals(tr, area_m2)
    root = np.sqrt(area_m2) if area_m2 else 1.0
    for k, a in enumerate(keep):
        lab = rf"$\int n^{a}\,dA\,/\sqrt{{|\Omega|}}$" if area_m2 else rf"$\int n^{a}\,dA$"
        ax.plot(t, tr[f"int_n_{a}_C"] / root, color=ps.color(k), ls=ps.linestyle(k + 1),
                label=lab)
    dropped = [a for a in "xyz" if f"int_n_{a}_C" in tr and a not in keep]
    if dropped:
        ax.text(0.98, 0.03, ", ".join(rf"$\int n^{a}$" for a in dropped) + " not drawn: below "
                f"{ps.sci(INTEGRAL_SIGNIFICANCE, 1)} of the bound " + r"$\sqrt{|\Omega|}\,\|n\|$"
                + "\n(zero by symmetry, rounding noise)", transform=ax.transAxes, ha="right",
                va="bottom", fontsize=7, color=ps.GREY)
    ps.scale_axis(ax.yaxis, r"$\|n\|_{L^2}$" + (" and integrals" if keep else ""), "C/m"
                  if area_m2 or not keep else "C, C/m")
    _legend(ax)


def plot_nz_gif(path, mesh, frames, *, fps=8):
    """Animated GIF of n^z on the device (vertex values, symmetric colour scale).

    Parameters
    ----------
    mesh : skfem.MeshTri
        The problem mesh [m].
    frames : list of (float, ndarray)
        (t [s], n^z at the vertices [C/m^2]).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.tri import Triangulation
    from PIL import Image

    f, unit = ps.length_scale(mesh.p)
    ft, tunit = ps.si_scale(max(abs(t) for t, _ in frames), "s")
    tri = Triangulation(mesh.p[0] * f, mesh.p[1] * f, mesh.t.T)
    vmax = max(float(np.abs(nz).max()) for _, nz in frames) or 1.0
    images = []
    for t, nz in frames:
        fig = new_figure(figsize=(5.5, 4.2), layout="constrained")
        canvas = FigureCanvasAgg(fig)
        ax = fig.subplots()
        pc = ax.tripcolor(tri, nz, shading="gouraud", cmap=ps.DIVERGING_CMAP, vmin=-vmax,
                          vmax=vmax)
        cb = fig.colorbar(pc, ax=ax)
        ps.scale_axis(cb.ax.yaxis, "$n^z$", "C/m$^2$")
        ax.set_aspect("equal")
        ax.set_xlabel(f"$x$ ({unit})")
        ax.set_ylabel(f"$y$ ({unit})")
        ax.set_title(f"$t$ = {t * ft:.3f} {tunit}", fontsize=9)
        canvas.draw()
        images.append(Image.fromarray(np.asarray(canvas.buffer_rgba())).convert("RGB")
                      .convert("P", palette=Image.ADAPTIVE))

    def w(tmp):
        buf = _io.BytesIO()
        images[0].save(buf, format="GIF", save_all=True, append_images=images[1:],
                       duration=int(1000 / fps), loop=0)
        with open(tmp, "wb") as fh:
            fh.write(buf.getvalue())

    return atomic_write(path, w, suffix=".gif")

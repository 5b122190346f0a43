"""Figures of a transient run. matplotlib (and Pillow for the GIF) are
imported lazily; figures are drawn on a bare Figure, no backend is set.
"""
from __future__ import annotations

import io as _io

import numpy as np

from ..io import atomic_write
from ..plotting import new_figure, save_png

DPI = 120


def plot_traces(path, tr, *, title=""):
    """Four panels against t [ps]: Delta I/I0 and rho; field and drive; points; integrals.

    Parameters
    ----------
    tr : dict[str, ndarray]
        Trace columns as recorded by run.Tracer (``t_s`` and SI quantities).
    """
    fig = new_figure(figsize=(10, 7), layout="constrained")
    (a1, a2), (a3, a4) = fig.subplots(2, 2, sharex=True)
    t = tr["t_s"] * 1e12
    a1.plot(t, tr["delta_I_over_I0"], "-", label=r"$\Delta I/I_0$ (fixed V)")
    a1.plot(t, tr["rho"], "--", label=r"$\rho$")
    for col in tr:
        if col.endswith(".rho") and not col.startswith("probe."):
            a1.plot(t, tr[col], ":", label=rf"$\rho$ {col[:-4]}")
    a1.set_ylabel("relative change")
    a1.legend(fontsize=8)
    for k, a in enumerate("xyz"):
        a2.plot(t, tr[f"B_{a}_T"], label=f"$B_{a}$ (T)")
    a2.set_ylabel("field (T)")
    ax2 = a2.twinx()
    ax2.plot(t, tr["current0_A"] * 1e6, "k:", label=r"$I_0$ ($\mu$A)")
    ax2.set_ylabel(r"drive current $I_0$ ($\mu$A)")
    a2.legend(fontsize=8, loc="upper left")
    ax2.legend(fontsize=8, loc="upper right")
    points = [k for k in tr if k.startswith("n_z_")]
    for k in points:
        name = k[len("n_z_"):-len("_C_per_m2")]
        a3.plot(t, tr[k], label=f"$n^z$ {name}")
        a3.plot(t, tr[f"n_y_{name}_C_per_m2"], "--", label=f"$n^y$ {name}")
    if points:
        a3.legend(fontsize=8)
    else:
        a3.text(0.5, 0.5, "no points configured", ha="center", transform=a3.transAxes)
    a3.set_ylabel(r"OMM density (C/m$^2$)")
    for a in "xyz":
        a4.plot(t, tr[f"int_n_{a}_C"], label=rf"$\int n^{a}$")
    a4.set_ylabel("integral over the sample (C)")
    ax4 = a4.twinx()
    ax4.plot(t, tr["norm_n_C_per_m"], "k:", label=r"$\|n\|_{L^2}$")
    ax4.set_ylabel(r"$\|n\|_{L^2}$ (C/m)")
    a4.legend(fontsize=8, loc="upper left")
    ax4.legend(fontsize=8, loc="upper right")
    for ax in (a3, a4):
        ax.set_xlabel("t (ps)")
    fig.suptitle(title, fontsize=9)
    return save_png(fig, path, dpi=DPI)


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

    tri = Triangulation(mesh.p[0] * 1e9, mesh.p[1] * 1e9, mesh.t.T)
    vmax = max(float(np.abs(nz).max()) for _, nz in frames) or 1.0
    images = []
    for t, nz in frames:
        fig = new_figure(figsize=(5.5, 4.2), layout="constrained")
        canvas = FigureCanvasAgg(fig)
        ax = fig.subplots()
        pc = ax.tripcolor(tri, nz, shading="gouraud", cmap="RdBu_r", vmin=-vmax, vmax=vmax)
        fig.colorbar(pc, ax=ax, label=r"$n^z$ (C/m$^2$)")
        ax.set_aspect("equal")
        ax.set_xlabel("x (nm)")
        ax.set_ylabel("y (nm)")
        ax.set_title(f"t = {t * 1e12:.3f} ps", fontsize=9)
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

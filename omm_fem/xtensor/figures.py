"""Data and figures for Fig. 2 of the seed paper, plus atomic file output.

Data builders return plain dicts of numpy arrays (validation scripts and
tests assert on them); plotting functions import matplotlib lazily and draw
on a bare Figure (:func:`omm_fem.plotting.new_figure`).
"""
from __future__ import annotations

import csv
import io
import os

import numpy as np

from .. import plotstyle as ps
from ..io import write_text
from ..plotting import new_figure, save_png
from ..units import M_E
from .bz import refinement_frame
from .graphene import GAMMA1, graphene_multilayer
from .tensor import scan_mu, scan_V

__all__ = ["band_path", "mu_scan_data", "V_scan_data", "fig2a_data", "fig2b_data",
           "plot_fig2a", "plot_fig2b", "write_csv", "atomic_write_text"]


def band_path(model, n=121):
    """Bands along M - K - Gamma (the inset path of Fig. 2a).

    Returns
    -------
    dict
        ``k``: signed distance from K [1/m] (negative towards M), shape (npts,);
        ``E``: band energies [eV], shape (npts, B).
    """
    b = model.reciprocal
    K, _ = refinement_frame(b)
    cands = np.array([b[0], b[1], b[0] + b[1], b[0] - b[1], -b[0], -b[1], -b[0] - b[1], b[1] - b[0]]) / 2
    M = cands[np.argmin(np.linalg.norm(cands - K, axis=1))]
    t = np.linspace(0.0, 1.0, n)
    seg1 = M[None] + t[:, None] * (K - M)[None]
    seg2 = K[None] - t[1:, None] * K[None]
    k = np.concatenate([seg1, seg2])
    dist = np.concatenate([-(1 - t) * np.linalg.norm(K - M), t[1:] * np.linalg.norm(K)])
    return {"k": dist, "E": np.linalg.eigvalsh(model.hamiltonian(k))}


def _gap_mask(scan):
    return np.array([p.in_gap() for p in scan.points])


def mu_scan_data(model, mu, *, T=300.0, g_s=1, tol=1e-4, nk=None, refine=0.6):
    """X versus chemical potential for ``model`` (the data of Fig. 2a).

    Returns
    -------
    dict
        ``mu`` [eV] (nmu,); ``X_me`` (nmu, 3, 3) [1/m_e]; ``error_me`` same
        shape; ``theta`` (nmu,) (NaN where undefined); ``in_gap`` (nmu,)
        bool; ``n_electrons`` (nmu,) per cell; ``converged``; ``n_kpoints``;
        ``bands`` from :func:`band_path`; ``model``, ``V``-free metadata.
    """
    scan = scan_mu(model, mu, T=T, g_s=g_s, tol=tol, nk=nk, refine=refine)
    theta = np.array([np.nan if p.theta is None else p.theta for p in scan.points])
    return {
        "mu": scan.mu, "X_me": scan.X * M_E, "error_me": scan.error * M_E, "theta": theta,
        "in_gap": _gap_mask(scan), "n_electrons": np.array([p.n_electrons for p in scan.points]),
        "converged": scan.converged, "n_kpoints": scan[0].n_kpoints, "bands": band_path(model),
        "T": float(T), "model": model.name,
    }


def V_scan_data(factory, V, mu, *, T=300.0, g_s=1, tol=1e-4, nk=None, refine=0.6):
    """theta = X_zz / X_yy versus displacement ``V`` (the data of Fig. 2b).

    theta is NaN where ``mu`` lies in the gap (Fig. 2b caption: meaningless there).

    Returns
    -------
    dict
        ``V`` (nV,), ``mu`` (nmu,) [eV]; ``X_me`` (nV, nmu, 3, 3) [1/m_e];
        ``theta`` and ``in_gap`` (nV, nmu); ``converged`` bool.
    """
    V = np.atleast_1d(np.asarray(V, dtype=float))
    mu = np.atleast_1d(np.asarray(mu, dtype=float))
    scans = scan_V(factory, V, mu, T=T, g_s=g_s, tol=tol, nk=nk, refine=refine)
    X = np.array([s.X for s in scans]) * M_E
    gap = np.array([_gap_mask(s) for s in scans])
    theta = np.where(gap, np.nan, X[..., 2, 2] / np.where(gap, 1.0, X[..., 1, 1]))
    return {"V": V, "mu": mu, "X_me": X, "theta": theta, "in_gap": gap,
            "converged": all(s.converged for s in scans), "T": float(T)}


def fig2a_data(*, V=abs(GAMMA1), T=300.0, mu=None, tol=1e-4, **model_kw):
    """Fig. 2(a): Bernal bilayer graphene at ``V = |gamma1|``, 300 K, mu in [-1, 1] eV
    (201 points); returns :func:`mu_scan_data` plus ``V``."""
    mu = np.linspace(-1.0, 1.0, 201) if mu is None else mu
    data = mu_scan_data(graphene_multilayer(2, "ABA", V=V, **model_kw), mu, T=T, tol=tol)
    data["V"] = float(V)
    return data


def fig2b_data(*, V=None, mu=(0.2, 0.5, 1.0), T=300.0, tol=1e-4, **model_kw):
    """Fig. 2(b): theta versus V in [0, 0.5] eV for bilayer graphene at 300 K.

    The seed does not state the chemical potential of Fig. 2(b); each ``mu``
    gives one curve.
    """
    V = np.linspace(0.0, 0.5, 26) if V is None else V
    return V_scan_data(lambda v: graphene_multilayer(2, "ABA", V=v, **model_kw), V, mu, T=T, tol=tol)


def _make_parent(path):
    os.makedirs(os.path.dirname(os.path.abspath(os.fspath(path))), exist_ok=True)


def atomic_write_text(path, text):
    """Write ``text`` to ``path`` atomically (:func:`omm_fem.io.write_text`), creating
    the directory when missing."""
    _make_parent(path)
    write_text(path, text)


def write_csv(path, header, rows):
    """Atomically write a CSV file with one header row."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([f"{v:.10g}" if isinstance(v, (float, np.floating)) else v for v in row])
    atomic_write_text(path, buf.getvalue())


def _save(fig, path):
    _make_parent(path)
    save_png(fig, path, dpi=150)


def draw_X_of_mu(ax, mu, X_me, in_gap, *, shade="0.85"):
    """X_xx (left axis) and 10^3 X_zz (right axis, returned) [1/m_e] versus mu [eV],
    the gap shaded: the panel of Fig. 2(a), here and in the validation report."""
    c0, c1 = ps.color(0), ps.color(1)
    ax.plot(mu, X_me[:, 0, 0], color=c0)
    ax.set_ylabel(r"$X_{xx} = X_{yy}$ ($m_e^{-1}$)", color=c0)
    ax.set_xlabel(r"$\mu$ (eV)")
    twin = ax.twinx()
    twin.plot(mu, 1e3 * X_me[:, 2, 2], color=c1, ls="--")
    twin.set_ylabel(r"$10^3 X_{zz}$ ($m_e^{-1}$) (dashed)", color=c1)
    if np.any(in_gap):
        g = mu[in_gap]
        ax.axvspan(g.min(), g.max(), color=shade, zorder=0)
    return twin


def plot_fig2a(data, path):
    """Fig. 2(a): X_xx (left axis) and 10^3 X_zz (right axis) versus mu with the
    gap shaded; above, the bands along M-K-Gamma (energy on the shared axis)."""
    fig = new_figure(figsize=(5.5, 5.5))
    axb, ax = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 2]})
    mu = data["mu"]
    draw_X_of_mu(ax, mu, data["X_me"], data["in_gap"])
    bands = data["bands"]
    axb.plot(bands["E"], bands["k"] * 1e-10, color=ps.color(2), lw=1)
    axb.axhline(0.0, color="0.6", lw=0.5)
    axb.set_ylabel(r"M $\leftarrow$ K $\rightarrow$ $\Gamma$ (1/Å)", fontsize=8)
    axb.set_xlim(mu.min(), mu.max())
    inside = ((bands["E"] >= mu.min()) & (bands["E"] <= mu.max())).any(axis=1)
    if inside.any():
        kin = bands["k"][inside] * 1e-10
        pad = 0.1 * (kin.max() - kin.min()) + 1e-3
        axb.set_ylim(kin.min() - pad, kin.max() + pad)
    title = f"{data['model']}, T = {data['T']:.0f} K"
    axb.set_title(title + (f", V = {data['V']:.3g} eV" if "V" in data else ""), fontsize=9)
    fig.tight_layout()
    _save(fig, path)


def plot_fig2b(data, path):
    """Fig. 2(b): theta = X_zz / X_yy versus V, one curve per mu (NaN in the gap)."""
    fig = new_figure(figsize=(5.0, 3.6))
    ax = fig.subplots()
    for j, mu in enumerate(data["mu"]):
        ax.plot(data["V"], data["theta"][:, j], label=rf"$\mu$ = {mu:g} eV", **ps.curve_style(j))
    ax.set_xlabel("$V$ (eV)")
    ax.set_ylabel(r"$\theta = X_{zz}/X_{yy}$")
    ax.set_yscale("log")
    ax.set_title(f"T = {data['T']:.0f} K", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    _save(fig, path)

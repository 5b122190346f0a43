"""The figures of a configured steady run (map.png, hmr.png, refinement.png) with their titles,
the run's parameter line and the smooth strip-formula overlay.

Called by :func:`omm_fem.report.write_outputs`; the drawing is
:mod:`omm_fem.plotting`, the style :mod:`omm_fem.plotstyle`.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from . import plotstyle as ps
from . import plotting
from .plotting import save_png
from .validate.reference import strip_overlay

#: Points of the fine field grid on which the strip formula is drawn.
STRIP_POINTS = 400


def _vector(v):
    return "(" + ", ".join(f"{float(x):.3g}" for x in np.asarray(v, float)) + ")"


def material_text(spec):
    """``D = ..., tau = ..., alpha = ... (L_m = ...)`` of the run's first material,
    with the number of further regions."""
    mats = list(spec.materials.values())
    m = mats[0]
    text = (rf"$D$ = {ps.sci(m.D)} m$^2$/s, $\tau$ = {ps.quantity(m.tau, 's')}, "
            rf"$\alpha$ = {m.alpha:.3g} ($L_m$ = {ps.quantity(m.L_m, 'm')})")
    if len(mats) > 1:
        text = f"{len(mats)} materials, {m.name!r}: " + text
    return text


def geometry_text(spec, mesh):
    """Kind and size of the sample, e.g. ``hall bar 12 µm × 2 µm``."""
    g = spec.geometry
    kind = g["kind"].replace("_", " ")
    if "length" in g and "width" in g:
        size = (g["length"], g["width"])
    else:
        size = tuple(np.ptp(mesh.p, axis=1))
    f, unit = ps.length_scale(mesh.p)
    return f"{kind} {size[0] * f:.3g} {unit} × {size[1] * f:.3g} {unit}"


def field_text(results):
    """The field of the run or the direction and range of its sweep."""
    sw = results.get("sweep")
    if sw is None:
        return rf"$\mathbf{{B}}$ = {_vector(results['field_T'])} T"
    if sw["kind"] == "magnitude":
        return (rf"$\mathbf{{B}}\parallel${_vector(sw['direction'])}, $|\mathbf{{B}}|$ = "
                f"{min(sw['B_T']):.3g} .. {max(sw['B_T']):.3g} T")
    return (rf"$|\mathbf{{B}}|$ = {sw['B_T']:.3g} T turned about {_vector(sw['axis'])} "
            f"from {_vector(sw['direction'])}")


def parameter_line(res, field=True):
    """One line with the parameters of a run: material, geometry, elements and
    (with ``field``) the field or the sweep's direction and range."""
    r, mesh = res.results, res.pipeline.problem.mesh
    parts = [material_text(res.spec), geometry_text(res.spec, mesh),
             f"P{r['mesh']['order']}, {r['mesh']['dofs']} unknowns"]
    return ";  ".join(parts + ([field_text(r)] if field else []))


def fine_grid(x, n=STRIP_POINTS):
    """``n`` points from min(x) to max(x), denser on a log scale too when ``x``
    spans decades, with the points of ``x`` included; sorted, shape (>= n,)."""
    x = np.asarray(x, float)
    lo, hi = float(x.min()), float(x.max())
    parts = [np.linspace(lo, hi, n), x]
    pos = x[x > 0]
    if pos.size and pos.max() / pos.min() > 100:
        parts.append(np.geomspace(pos.min(), pos.max(), n))
    return np.unique(np.concatenate(parts))


def smooth_strip(spec, results):
    """The strip formula (Eqs. 22, 23) of a magnitude sweep on a fine field grid:
    a dict for :func:`omm_fem.plotting.draw_hmr` (``x``, ``rho``, ``rho_star``,
    ``width_m``), or None when results.json has no overlay."""
    sw = results.get("sweep", {})
    if "strip" not in sw or sw["kind"] != "magnitude":
        return None
    B = fine_grid(sw["B_T"])
    fine = dataclasses.replace(spec.sweep, B_T=B, fields=B[:, None] * spec.sweep.direction)
    out = strip_overlay(spec, fine)
    if out is None:  # the formulas apply (results.json has them): cannot happen
        return sw["strip"]
    return {"x": B, **out}


def write_hmr(res, path):
    """hmr.png (:func:`hmr_figure`); returns the path."""
    return save_png(hmr_figure(res), path)


def write_refinement(refinement, path):
    """refinement.png of a ``[mesh] tolerance`` run: the estimate of every observable
    per refinement step (:func:`omm_fem.accuracy.adapt.plot_history`); returns the path."""
    from .accuracy.adapt import plot_history

    return save_png(plot_history(refinement["steps"], refinement["tolerance"],
                                 refinement["met"]), path)


def hmr_figure(res):
    """Figure of a sweep: rho and rho* per measurement, the smooth strip formula,
    a title and the parameter line; for a parameter x field grid
    (:func:`parameter_hmr_figure`) one curve per parameter value."""
    r = res.results
    if "parameter_sweep" in r:
        return parameter_hmr_figure(res)
    sw = r["sweep"]
    if sw["kind"] == "magnitude":
        x, xlabel = sw["B_T"], r"$|\mathbf{B}|$ (T)"
        what = "field sweep"
    else:
        x, xlabel = sw["angle_deg"], "field angle (°)"
        what = "field-angle sweep"
    curves, undefined = {}, []
    for name, m in [("two-terminal", sw)] + list(sw.get("measurements", {}).items()):
        if _finite(m["rho"]):
            curves[name] = (m["rho"], m.get("rho_star") if _finite(m.get("rho_star")) else None)
        else:
            undefined.append(name)
    note = ps.FACTOR_TWO_NOTE
    if undefined:
        note = (f"Not drawn: {', '.join(undefined)} ($\\rho$ undefined: $R_0\\approx0$). " + note)
    title = f"Orbital Hanle magnetoresistance, {what} of {len(x)} points"
    return plotting.hmr_figure(x, curves, smooth_strip(res.spec, r), xlabel=xlabel, note=note,
                               title=title, params=parameter_line(res))


def _finite(values):
    """True if ``values`` (a list from results.json, None for NaN) has a finite number."""
    if values is None:
        return False
    v = np.array([np.nan if x is None else x for x in np.ravel(values)], float)
    return bool(np.isfinite(v).any())


def write_map(res, path):
    """map.png (:func:`map_figure`); returns the path."""
    return save_png(map_figure(res), path)


def map_figure(res):
    """n^z of the run's field with contacts and probes named, titled with the parameters."""
    r = res.results
    fig = res.steady.plot_map()
    fig.axes[0].set_title(rf"$n^z$ at $\mathbf{{B}}$ = {_vector(r['field_T'])} T" + "\n"
                          + parameter_line(res, field=False), fontsize=8.5)
    return fig


def write_profiles(res, path):
    """profiles.png of a rectangle: n^z(y), n^y(y) across the middle, against the
    strip solution when it applies; returns the path."""
    r, p = res.results, res.profile
    note = ""
    if "strip_reference" in r:
        s = r["strip_reference"]
        errs = [s.get(k) for k in ("nz_max_error_rel", "ny_max_error_rel")]
        if all(e is not None and math.isfinite(e) for e in errs):
            note = (f"{s['note']}; max error relative to max$|n^z|$: $n^z$ "
                    f"{ps.sci(errs[0], 2)}, $n^y$ {ps.sci(errs[1], 2)}")
        else:  # alpha = 0: the exact n vanishes, a relative error is undefined
            note = f"{s['note']}; {s.get('error_note', 'relative errors undefined')}"
    title = (f"cross-section $x$ = {ps.quantity(p['x_m'], 'm')}, $\\mathbf{{B}}$ = "
             f"{_vector(r['field_T'])} T\n" + parameter_line(res, field=False))
    return plotting.plot_profiles(path, p["y_m"], p["n"], p.get("exact"), title=title, note=note)


def parameter_hmr_figure(res):
    """Figure of a parameter x field grid: rho(B) and rho*(B) of one measurement
    (the first [[measure]] with a defined rho, else the two-terminal pair), one
    curve per value of the swept parameter."""
    r = res.results
    ps_ = r["parameter_sweep"]
    points = [p for p in ps_["points"] if "sweep" in p]
    sw0 = points[0]["sweep"]
    names = [n for n, m in sw0.get("measurements", {}).items() if _finite(m["rho"])]
    name = names[0] if names else None
    x, xlabel = ((sw0["B_T"], r"$|\mathbf{B}|$ (T)") if sw0["kind"] == "magnitude"
                 else (sw0["angle_deg"], "field angle (°)"))
    curves = {}
    for p in points:
        m = p["sweep"]["measurements"][name] if name else p["sweep"]
        value = (ps.quantity(p["value"], ps_["unit"]) if ps_["unit"]
                 else f"{float(p['value']):.4g}")
        curves[f"{ps_['parameter']} = {value}"] = (
            m["rho"], m.get("rho_star") if _finite(m.get("rho_star")) else None)
    what = f"measurement {name}" if name else "two-terminal pair"
    title = (f"Orbital Hanle magnetoresistance of the {what}: {ps_['parameter']} over "
             f"{len(points)} values, {len(x)} fields each")
    return plotting.hmr_figure(x, curves, None, xlabel=xlabel, note=ps.FACTOR_TWO_NOTE,
                               title=title, params=parameter_line(res))

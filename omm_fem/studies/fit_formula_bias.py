"""Bias of the strip formula (Eq. 22) fitted to Hall-bar Hanle curves.

Labs fit the 1D strip formula to the longitudinal magnetoresistance of a Hall
bar. The formula knows only the channel width W; the arms, the finite length
and the (sink) current contacts are not in it. This study measures what that
costs: for each Hall bar of a grid over the arm width (``arm_width / W``) and
the aspect ratio (``length / W``) it

1. generates noise-free synthetic data ``mr(B) = (R(B) - R(0)) / R(0)`` of the
   four-terminal Rxx (current source -> drain, voltage probe_1_top -
   probe_2_top, arms at length/4 and 3 length/4) with the FEM at known
   parameters (:meth:`omm_fem.fitting.model.DatasetModel.evaluate`), fields
   along x up to a precession ``phi = (e/2) B X_yy tau`` of ``PHI_MAX``;
2. fits the FEM model of the same mesh to them with alpha, D and tau free
   (a sanity check: it must return the truth, the data being exact);
3. fits the strip formula (``compare_formula``) with alpha, D and tau free
   and reports fitted / true for L_m = sqrt(D tau), alpha and tau.

The data carry a nominal sigma of ``NOISE`` times the largest |mr| (the data
themselves are exact), so the formula fit's reduced chi^2 reads as "the misfit
measured against a 1 % noise level": well below 1, a lab with that noise
would not see the formula fail. ``bias_sigma`` is the L_m bias in units of the
L_m standard error such a measurement would have.

A control row fits the same way an exact strip (a rectangle with reflecting
contacts, two-terminal mr, SPEC §6), where Eq. (22) holds: its deviation is the
floor below which the Hall-bar biases mean nothing: the discretisation error of
the mesh (P1, ``edge_size = L_m / EDGE_FRACTION``). The formula model turns rho
into R as the FEM's drive does (current drive: R = R0 (1 + rho)).
``table()`` renders validation/fit_formula_bias.md.
"""
from __future__ import annotations

import math
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from ..units import E_CHARGE, M_E

__all__ = ["MATERIAL", "ARM_FRACTIONS", "ASPECTS", "WIDTH_LM", "ARM_LENGTH", "EDGE_FRACTION",
           "PHI_MAX", "N_FIELDS", "NOISE", "START", "hall_bar_config", "strip_config",
           "fields_for", "fit_case", "run", "table"]

# the repository's example material (L_m = sqrt(D tau) = 100 nm, m* = 0.041 m_e) with an
# isotropic X (theta = X_zz / X_yy = 1): with theta = 0.1 and phi <= 2.5 the curve of one width
# does not determine alpha, D and tau (correlations |r| > 0.9999, even the FEM fit of exact
# data stops far from the truth); theta = 1 and phi up to 5 reach into the Hanle saturation
MATERIAL = {"D": 1.0e-2, "tau": 1.0e-12, "alpha": 0.05, "sigma": 1.6e-3,
            "X": [[24.4, 0.0, 0.0], [0.0, 24.4, 0.0], [0.0, 0.0, 24.4]], "X_unit": "1/m_e"}
ARM_FRACTIONS = (0.1, 0.25, 0.5)  # arm_width / W
ASPECTS = (2.0, 4.0, 8.0)  # length / W
WIDTH_LM = 4.0  # channel width W [L_m]
ARM_LENGTH = 0.5  # arm length beyond the channel edge [W]
EDGE_FRACTION = 8  # mesh.edge_size = L_m / EDGE_FRACTION (P1)
PHI_MAX = 5.0  # largest precession phi of the fields
N_FIELDS = 21  # fields in (0, B(PHI_MAX)], B along x
NOISE = 0.01  # nominal sigma of the data, a fraction of max |mr|
START = {"alpha": 1.3, "D": 0.6, "tau": 1.6}  # start values of the fits over the truth
BOUNDS = 10.0  # D and tau within truth / BOUNDS .. truth * BOUNDS; alpha in [0, 0.5]
PATHS = {"alpha": "material.alpha", "D": "material.D", "tau": "material.tau"}


def _l_m(mat):
    return math.sqrt(mat["D"] * mat["tau"])


def _base(mat, edge_fraction):
    return {"mesh": {"order": 1, "edge_size": _l_m(mat) / edge_fraction},
            "material": dict(mat), "solver": {"drift": False}}


def hall_bar_config(aspect, arm_fraction, *, material=MATERIAL, width_lm=WIDTH_LM,
                    arm_length=ARM_LENGTH, edge_fraction=EDGE_FRACTION):
    """Run config (dict) of a Hall bar: width ``width_lm`` L_m, length ``aspect`` W,
    arms ``arm_fraction`` W wide at length/4 and 3 length/4, sink contacts, measure Rxx."""
    W = width_lm * _l_m(material)
    L = aspect * W
    cfg = _base(material, edge_fraction)
    cfg["geometry"] = {"kind": "hall_bar", "length": L, "width": W, "arms": [L / 4, 3 * L / 4],
                       "arm_width": arm_fraction * W, "arm_length": arm_length * W}
    cfg["contacts"] = {"source": {"current": 1.0e-6}, "drain": {"voltage": 0.0}}
    cfg["measure"] = [{"name": "Rxx", "current": ["source", "drain"],
                       "voltage": ["probe_1_top", "probe_2_top"]}]
    return cfg


def strip_config(*, material=MATERIAL, width_lm=WIDTH_LM, edge_fraction=EDGE_FRACTION):
    """Run config (dict) of the exact strip: a W x W rectangle, reflecting contacts."""
    W = width_lm * _l_m(material)
    cfg = _base(material, edge_fraction)
    cfg["geometry"] = {"kind": "rectangle", "length": W, "width": W}
    cfg["contacts"] = {"source": {"current": 1.0e-6, "omm": "reflecting"},
                       "drain": {"voltage": 0.0, "omm": "reflecting"}}
    return cfg


def fields_for(material=MATERIAL, phi_max=PHI_MAX, n=N_FIELDS):
    """n fields [T] along x, evenly spaced in (0, B(phi_max)]."""
    X_yy = material["X"][1][1] / M_E  # X_unit = 1/m_e
    b_max = phi_max / (0.5 * E_CHARGE * X_yy * material["tau"])
    return np.linspace(0.0, b_max, n + 1)[1:]


# ------------------------------------------------------------------ files
def _toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + "}"
    return repr(float(v)) if isinstance(v, float) else repr(v)


def _toml(cfg):
    """TOML text of a run or fit config: tables, one level of sub-tables, arrays of tables."""
    lines = []
    for name, tab in cfg.items():
        if isinstance(tab, list):
            for entry in tab:
                lines += [f"[[{name}]]"] + [f"{k} = {_toml_value(v)}" for k, v in entry.items()]
            continue
        subs = {k: v for k, v in tab.items() if isinstance(v, dict) and name != "parameters"}
        plain = {k: v for k, v in tab.items() if k not in subs}
        if plain or not subs:
            lines.append(f"[{name}]")
            lines += [f"{_quote_key(k)} = {_toml_value(v)}" for k, v in plain.items()]
        for sub, stab in subs.items():
            lines.append(f"[{name}.{sub}]")
            lines += [f"{k} = {_toml_value(v)}" for k, v in stab.items()]
    return "\n".join(lines) + "\n"


def _quote_key(k):
    return f'"{k}"' if "." in k else k


def _write_csv(path, B, y, sigma):
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("B_T,mr,sigma\n")
        for b, v in zip(B, y):
            fh.write(f"{float(b)!r},{float(v)!r},{float(sigma)!r}\n")


def _fit_toml(measure, material, compare):
    par = {}
    for key, path in PATHS.items():
        truth = material[key]
        if key == "alpha":
            par[path] = {"value": truth * START[key], "min": 0.0, "max": 0.5}
        else:
            par[path] = {"value": truth * START[key], "min": truth / BOUNDS,
                         "max": truth * BOUNDS}
    return {"dataset": [{"name": "case", "config": "run.toml", "data": "data.csv",
                         "measure": measure, "quantity": "mr", "direction": [1.0, 0.0, 0.0]}],
            "parameters": par, "fit": {"compare_formula": compare, "tol": 1e-12,
                                       "max_evaluations": 400}}


# ------------------------------------------------------------------ one case
def _lm_stats(res, material):
    """Fitted L_m / true and the L_m standard error at the nominal sigma (relative)."""
    D, tau = res.value(PATHS["D"]), res.value(PATHS["tau"])
    names = res.parameter_names
    iD, it = names.index(PATHS["D"]), names.index(PATHS["tau"])
    C = np.asarray(res.covariance)
    # var ln L_m = (var ln D + var ln tau + 2 cov(ln D, ln tau)) / 4; the engine scales the
    # covariance by the reduced chi^2, undone here to get the error of a NOISE measurement
    var = (C[iD, iD] / D**2 + C[it, it] / tau**2 + 2 * C[iD, it] / (D * tau)) / 4
    var_nominal = var / res.reduced_chi2 if res.reduced_chi2 > 0 else math.nan
    return math.sqrt(D * tau) / _l_m(material), math.sqrt(max(var_nominal, 0.0))


def _max_corr(corr):
    C = np.asarray(corr, float)
    off = np.abs(C[~np.eye(len(C), dtype=bool)])
    return float(off.max()) if off.size and np.all(np.isfinite(off)) else math.nan


def fit_case(run_config, measure, *, material=MATERIAL, fields=None, compare=True):
    """Synthetic data of one device, the FEM fit and the formula fit -> dict of numbers.

    The run config (a dict, see :func:`hall_bar_config`), the data CSV and the
    FIT.toml are written to a temporary folder, removed afterwards.
    """
    from .. import fitting
    from ..fitting.model import DatasetModel

    if fields is None:
        fields = fields_for(material)
    truth = {path: material[key] for key, path in PATHS.items()}
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="omm-fit-bias-") as tmp:
        folder = Path(tmp)
        (folder / "run.toml").write_text(_toml(run_config))
        fit_path = folder / "fit.toml"
        fit_path.write_text(_toml(_fit_toml(measure, material, compare)))
        _write_csv(folder / "data.csv", fields, np.zeros_like(fields), 1.0)
        spec = fitting.load_fit(fit_path)
        gen = DatasetModel(spec.datasets[0], spec.parameters)
        y = gen.evaluate(truth)
        sigma = NOISE * float(np.abs(y).max())
        _write_csv(folder / "data.csv", fields, y, sigma)
        res = fitting.fit(fit_path, progress=False)
    seconds = time.perf_counter() - t0
    fem_err = max(abs(res.value(p) / v - 1.0) for p, v in truth.items())
    out = {"dofs": gen.dofs, "signal_max": float(np.abs(y).max()),
           "B_max_T": float(fields[-1]), "fem_max_rel_error": fem_err,
           "fem_evaluations": res.evaluations, "fem_warnings": list(res.warnings),
           "seconds": seconds}
    if res.formula is not None:
        f = res.formula
        lm_ratio, lm_sd = _lm_stats(f, material)
        rms = f.datasets[0]["rms_residual"]
        out.update({"L_m_ratio": lm_ratio,
                    "alpha_ratio": f.value(PATHS["alpha"]) / material["alpha"],
                    "tau_ratio": f.value(PATHS["tau"]) / material["tau"],
                    "D_ratio": f.value(PATHS["D"]) / material["D"],
                    "reduced_chi2": f.reduced_chi2, "rms_over_signal": rms / out["signal_max"],
                    "L_m_rel_stderr": lm_sd,
                    "bias_sigma": (lm_ratio - 1.0) / lm_sd if lm_sd > 0 else math.inf,
                    "formula_max_abs_corr": _max_corr(f.correlation),
                    "formula_warnings": list(f.warnings)})
    return out


# ------------------------------------------------------------------ the grid
def run(arm_fractions=ARM_FRACTIONS, aspects=ASPECTS, *, width_lm=WIDTH_LM,
        edge_fraction=EDGE_FRACTION, control=True, log=None):
    """Every (arm_width / W, length / W) Hall bar of the grid and the strip control.

    Returns a dict: ``rows`` (one dict per case: ``kind``, ``arm_fraction``,
    ``aspect`` and the numbers of :func:`fit_case`), the study's parameters,
    ``seconds`` and ``cores``.
    """
    t0 = time.perf_counter()
    rows = []
    cases = [("strip", None, None)] if control else []
    cases += [("hall_bar", a, r) for r in aspects for a in arm_fractions]
    for kind, a, r in cases:
        if kind == "strip":
            cfg, measure = strip_config(width_lm=width_lm, edge_fraction=edge_fraction), \
                "two_terminal"
        else:
            cfg = hall_bar_config(r, a, width_lm=width_lm, edge_fraction=edge_fraction)
            measure = "Rxx"
        row = {"kind": kind, "arm_fraction": a, "aspect": r, **fit_case(cfg, measure)}
        rows.append(row)
        if log:
            log(f"{kind} arm/W = {a} L/W = {r}: L_m {row['L_m_ratio']:.4f}, alpha "
                f"{row['alpha_ratio']:.4f}, tau {row['tau_ratio']:.4f} ({row['seconds']:.1f} s)")
    L_m = _l_m(MATERIAL)
    return {"rows": rows, "width_lm": width_lm,
            "edge_fraction": edge_fraction,
            "edge_size_m": L_m / edge_fraction, "L_m_m": L_m, "material": dict(MATERIAL),
            "phi_max": PHI_MAX, "n_fields": N_FIELDS, "B_max_T": float(fields_for()[-1]),
            "noise": NOISE, "start": dict(START), "arm_length": ARM_LENGTH,
            "seconds": time.perf_counter() - t0, "cores": os.cpu_count()}


def _conclusion(res):
    hb = [r for r in res["rows"] if r["kind"] == "hall_bar"]
    ctrl = next((r for r in res["rows"] if r["kind"] == "strip"), None)
    if not hb:
        return []

    def dev(r, k):
        return abs(r[k] - 1.0)

    out = []
    for key, name in (("L_m_ratio", "L_m"), ("alpha_ratio", "alpha"), ("tau_ratio", "tau")):
        w = max(hb, key=lambda r: dev(r, key))
        b = min(hb, key=lambda r: dev(r, key))
        out.append(f"{name}: largest bias {100 * (w[key] - 1):+.1f} % (arm/W = "
                   f"{w['arm_fraction']:g}, L/W = {w['aspect']:g}), smallest "
                   f"{100 * (b[key] - 1):+.1f} % (arm/W = {b['arm_fraction']:g}, L/W = "
                   f"{b['aspect']:g})")
    ranges = []
    for asp in sorted({r["aspect"] for r in hb}):
        b = [100 * (r["L_m_ratio"] - 1) for r in hb if r["aspect"] == asp]
        ranges.append(f"L/W = {asp:g}: {min(b):+.1f} .. {max(b):+.1f} %")
    out.append("the L_m bias over the arm widths at each length, " + ", ".join(ranges))
    worst_chi = max(r["reduced_chi2"] for r in hb)
    worst_sig = max(abs(r["bias_sigma"]) for r in hb)
    text = ["", "Conclusion, computed from the rows above: " + "; ".join(out) + "."]
    if ctrl is not None:
        floor = max(dev(ctrl, k) for k in ("L_m_ratio", "alpha_ratio", "tau_ratio"))
        text.append(f"The exact strip's largest deviation, {100 * floor:.2f} %, is the floor "
                    "(the mesh): Hall-bar biases above it are the formula's.")
    text.append(f"The formula fit's reduced chi^2 at the nominal {100 * res['noise']:g} % noise "
                f"is at most {worst_chi:.3g} "
                + ("(below 1: at that noise the misfit would go unnoticed, the bias would not)"
                   if worst_chi < 1 else
                   "(above 1 in some cases: there the misfit is visible at that noise)")
                + f"; the L_m bias reaches {worst_sig:.3g} standard errors of such a measurement.")
    fem = max(r["fem_max_rel_error"] for r in res["rows"])
    text.append(f"The FEM fit on the same data returns the truth within {fem:.1e} (relative, "
                "worst parameter and case).")
    return text


def table(result):
    """validation/fit_formula_bias.md."""
    res = result
    m = res["material"]
    lines = ["# Bias of the strip formula fitted to Hall-bar Hanle curves", "",
             "Goal: labs fit the 1D strip formula (Eq. 22, channel width W) to the "
             "longitudinal magnetoresistance of a Hall bar. How far are the fitted L_m = "
             "sqrt(D tau), alpha and tau from the truth because of the arms, the finite "
             "length and the current contacts, which the formula does not know?", "",
             "Method: noise-free synthetic mr(B) = (R(B) - R(0)) / R(0) of Rxx (current "
             "source -> drain, sink contacts, voltage probe_1_top - probe_2_top, arms at L/4 "
             "and 3L/4) from the FEM at the true parameters; then the FEM model (same mesh) and "
             "the strip formula fitted with alpha, D and tau free, from start values "
             f"{', '.join(f'{k} x {v:g}' for k, v in res['start'].items())} of the truth. "
             f"The data carry a nominal sigma of {100 * res['noise']:g} % of max |mr| (the "
             "reduced chi^2 and the bias in standard errors refer to it). Control row: the "
             "exact strip (W x W rectangle, reflecting contacts, two-terminal), where Eq. (22) "
             "holds, so its deviation is the floor of the comparison: the mesh's "
             "discretisation error (the formula's R follows the FEM's current drive, "
             "R = R0 (1 + rho)).", "",
             f"Parameters: D = {m['D']:g} m^2/s, tau = {m['tau']:g} s (L_m = "
             f"{res['L_m_m']:.3g} m), alpha = {m['alpha']:g}, sigma = {m['sigma']:g} S, "
             f"X = diag({m['X'][0][0]:g}, {m['X'][1][1]:g}, {m['X'][2][2]:g}) / m_e; W = "
             f"{res['width_lm']:g} L_m, arm length {res['arm_length']:g} W; "
             f"{res['n_fields']} fields along x in (0, {res['B_max_T']:.3g} T] (phi up to "
             f"{res['phi_max']:g}); P1, edge_size = L_m / {res['edge_fraction']:g} = "
             f"{res['edge_size_m']:.3g} m. Machine: {res['cores']} cores; total "
             f"{res['seconds']:.0f} s. X is isotropic (theta = X_zz / X_yy = 1) and phi "
             "reaches into the Hanle saturation because with the example's theta = 0.1 and "
             "phi <= 2.5 one curve does not determine alpha, D and tau (correlations above "
             "0.9999; on the L/W = 4, arm/W = 0.25 bar the FEM fit of its own exact data "
             "stopped 50 % from the truth).", "",
             "Columns: fit/true of the formula fit; red. chi^2 and rms residual of the formula "
             "fit; L_m bias [std. err.] = (L_m fit/true - 1) over the relative L_m standard "
             "error a measurement with the nominal noise would have; max abs corr. = the "
             "largest correlation between the formula fit's parameters; s = seconds for the "
             "case (data, FEM fit, formula fit).", "",
             "| device | arm/W | L/W | unknowns | FEM fit max rel. error | L_m fit/true | "
             "alpha fit/true | tau fit/true | red. chi^2 (formula) | rms resid. / max mr | "
             "L_m bias [std. err.] | max abs corr. (formula) | s |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in res["rows"]:
        dev = "exact strip" if r["kind"] == "strip" else "Hall bar"
        a = "-" if r["arm_fraction"] is None else f"{r['arm_fraction']:g}"
        asp = "-" if r["aspect"] is None else f"{r['aspect']:g}"
        lines.append(f"| {dev} | {a} | {asp} | {r['dofs']} | {r['fem_max_rel_error']:.1e} | "
                     f"{r['L_m_ratio']:.4f} | {r['alpha_ratio']:.4f} | {r['tau_ratio']:.4f} | "
                     f"{r['reduced_chi2']:.3g} | {r['rms_over_signal']:.2e} | "
                     f"{r['bias_sigma']:+.3g} | {r['formula_max_abs_corr']:.3f} | "
                     f"{r['seconds']:.1f} |")
    lines += _conclusion(res)
    return "\n".join(lines) + "\n"

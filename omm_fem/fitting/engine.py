"""Least squares over the datasets: scipy.optimize.least_squares (trust-region
reflective, bounds) on parameters scaled to O(1).

Scaling: a positive quantity (D, tau, sigma) or one whose bounds span a decade
is fitted as s = ln(p / p0), any other as s = (p - p0) / c with c = |p0| (or the
bound span when p0 = 0); p0 is the start value, so every s starts at 0.

Errors: the Jacobian J of the weighted residuals ``(model - data) / sigma`` is
recomputed at the optimum by central differences (step 1e-4 in s); the
covariance of s is ``pinv(J^T J) * chi2 / (n - p)`` (the reduced chi^2 scales it,
so data without a sigma column still give error bars), mapped to the
parameters by ds/dp. Correlations come from the same matrix.
"""
from __future__ import annotations

import math
import time

import numpy as np
from scipy.optimize import least_squares

STEP = 1e-4  # central-difference step of the final Jacobian, in scaled units
DIFF_STEP = 1e-5  # forward-difference step of the optimiser's Jacobian
CORRELATED = 0.95
CURVE_POINTS = 161  # fields of the smooth model curve in fit.png


class Scaler:
    """Maps free parameters to O(1) variables s and back."""

    def __init__(self, free):
        self.free = list(free)
        self.p0 = np.array([p.value for p in free])
        self.log = np.array([p.log for p in free])
        self.c = np.array([abs(p.value) if p.value != 0 else
                           (p.max - p.min if math.isfinite(p.max - p.min) else 1.0) for p in free])
        with np.errstate(divide="ignore"):
            lo = [math.log(p.min / p.value) if p.log and p.min > 0 else
                  (-math.inf if p.log else (p.min - p.value) / c)
                  for p, c in zip(free, self.c)]
            hi = [math.log(p.max / p.value) if p.log else (p.max - p.value) / c
                  for p, c in zip(free, self.c)]
        self.bounds = (np.array(lo), np.array(hi))

    def to_params(self, s):
        s = np.asarray(s, float)
        return np.where(self.log, self.p0 * np.exp(s), self.p0 + self.c * s)

    def dp_ds(self, s):
        return np.where(self.log, self.to_params(s), self.c)


def _jacobian(fun, s, bounds, f0):
    lo, hi = bounds
    J = np.empty((f0.size, s.size))
    for k in range(s.size):
        up, dn = s.copy(), s.copy()
        up[k] = min(s[k] + STEP, hi[k])
        dn[k] = max(s[k] - STEP, lo[k])
        fu = fun(up) if up[k] != s[k] else f0
        fd = fun(dn) if dn[k] != s[k] else f0
        J[:, k] = (fu - fd) / (up[k] - dn[k])
    return J


def _covariance(J):
    """pinv(J^T J) through the SVD of J (as scipy's curve_fit); inf where J is rank deficient."""
    _, sv, VT = np.linalg.svd(J, full_matrices=False)
    keep = sv > np.finfo(float).eps * max(J.shape) * sv[0]
    cov = (VT[keep].T / sv[keep] ** 2) @ VT[keep]
    if not keep.all():
        cov[:, :] = np.inf
    return cov, int(keep.sum())


def _hint(a, b):
    keys = {a.split(".")[-1], b.split(".")[-1]}
    if keys == {"D", "tau"}:
        return ("data at larger fields (tau through the precession phi) or a second channel "
                "width (L_m = sqrt(D tau)) separate them")
    if keys == {"alpha", "tau"}:
        return ("below phi = (e/2) B X tau ~ 1 the signal depends on alpha tau only: fields "
                "into the Hanle saturation (phi >~ 1) or a known tau separate them")
    if "alpha" in keys:
        return ("the amplitude alpha^2 trades against the diffusion length: a second width or "
                "thickness, or fields into the Hanle saturation, separate them")
    return "another field direction (the X anisotropy) or a second geometry separates them"


def least_squares_fit(models, datasets, params, *, max_evaluations=200, tol=1e-8, log=None):
    """Fit the free parameters of ``params`` so that ``models[i].evaluate`` matches the data.

    Returns the dict that :class:`FitResult` wraps (see :mod:`omm_fem.fitting`).
    """
    t0 = time.perf_counter()
    free = [p for p in params if not p.fixed]
    fixed = {p.path: p.value for p in params if p.fixed}
    sc = Scaler(free)
    count = {"n": 0, "best": math.inf}

    def values_at(s):
        return {**fixed, **{p.path: float(v) for p, v in zip(free, sc.to_params(s))}}

    def residuals(s):
        vals = values_at(s)
        r = np.concatenate([(m.evaluate(vals) - d.data) * d.weights
                            for m, d in zip(models, datasets)])
        count["n"] += 1
        chi2 = float(r @ r)
        if log and chi2 < count["best"]:
            count["best"] = chi2
            text = ", ".join(f"{p.key if not p.is_x else p.path[9:]} = {vals[p.path]:.5g}"
                             for p in free)
            log(f"fit: evaluation {count['n']}: chi2 = {chi2:.6g} ({text})")
        return r

    res = least_squares(residuals, np.zeros(len(free)), bounds=sc.bounds, method="trf",
                        diff_step=DIFF_STEP, x_scale=1.0, xtol=tol, ftol=tol, gtol=tol,
                        max_nfev=max_evaluations)
    s = res.x
    r = residuals(s)
    J = _jacobian(residuals, s, sc.bounds, r)
    n, k = r.size, len(free)
    chi2 = float(r @ r)
    red = chi2 / (n - k)
    cov_s, rank = _covariance(J)
    cov_s = cov_s * red
    dp = sc.dp_ds(s)
    cov = cov_s * np.outer(dp, dp)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(np.diag(cov_s))
        corr = cov_s / np.outer(sd, sd)
    stderr = np.sqrt(np.diag(cov))
    vals = values_at(s)
    warnings = []
    if rank < k:
        warnings.append(f"the data do not determine all {k} parameters (Jacobian rank {rank}): "
                        "the error bars are infinite; fix a parameter or add data")
    names = [p.path for p in free]
    for i in range(k):
        for j in range(i + 1, k):
            if np.isfinite(corr[i, j]) and abs(corr[i, j]) > CORRELATED:
                warnings.append(f"{names[i]} and {names[j]} are strongly correlated "
                                f"(r = {corr[i, j]:+.3f}): {_hint(names[i], names[j])}")
    for p, v in zip(free, sc.to_params(s)):
        if (math.isfinite(p.min) and math.isclose(v, p.min, rel_tol=1e-6, abs_tol=1e-300)) or \
                (math.isfinite(p.max) and math.isclose(v, p.max, rel_tol=1e-6)):
            warnings.append(f"{p.path} = {v:.6g} ended on a bound: widen [{p.min:g}, {p.max:g}] "
                            "or the error bar means little")
    out_params = {}
    sd_of = dict(zip(names, stderr))
    for p in params:
        out_params[p.path] = {"value": vals[p.path], "stderr": None if p.fixed else sd_of[p.path],
                              "initial": p.value, "min": p.min, "max": p.max, "fixed": p.fixed}
    model_curves = [m.evaluate(vals) for m in models]
    per = []
    for d, m, model in zip(datasets, model_curves, models):
        resid = d.data - m
        entry = {"name": d.name, "measure": d.measure, "quantity": d.quantity,
                 "B_T": d.B_T, "data": d.data, "sigma": d.sigma, "model": m,
                 "residual": resid, "rms_residual": float(np.sqrt(np.mean(resid ** 2)))}
        if d.direction is not None:  # a smooth model curve for the figure
            Bs = np.linspace(d.B_T.min(), d.B_T.max(), CURVE_POINTS)
            entry["curve_B_T"] = Bs
            entry["curve"] = model.evaluate(vals, fields=Bs[:, None] * d.direction[None, :])
        per.append(entry)
    return {"parameters": out_params, "parameter_names": names, "correlation": corr,
            "covariance": cov, "chi2": chi2, "reduced_chi2": red, "n_data": n,
            "evaluations": count["n"], "optimizer": {"status": int(res.status),
                                                     "message": str(res.message),
                                                     "nfev": int(res.nfev)},
            "datasets": per, "warnings": warnings, "seconds": time.perf_counter() - t0}

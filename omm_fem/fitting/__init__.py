"""Fit material parameters to measured Hanle curves on the real device geometry.

From a notebook::

    import omm_fem as om
    res = om.fit("FIT.toml")          # a FitResult (omm_fem.fitting)
    res.parameters["material.tau"]     # {"value", "stderr", "initial", "min", "max", "fixed"}
    res.plot()                         # data, model and residuals: a Figure
    res.write("fit-out")               # fit.json, fit.csv, fit.png

From the shell: ``omm-fem fit FIT.toml --out DIR``. The FIT.toml format is in
:mod:`omm_fem.fitting.spec`; the models (and why alpha, D, tau and X cost one
reduced basis per dataset) in :mod:`omm_fem.fitting.model`; the least-squares
engine and the error bars in :mod:`omm_fem.fitting.engine`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..io import ensure_dir, jsonable, write_json, write_text
from .engine import least_squares_fit
from .model import DatasetModel, FormulaModel
from .spec import Dataset, FitSpec, Parameter, load_fit, parse_fit

__all__ = ["Dataset", "FitResult", "FitSpec", "Parameter", "fit", "load_fit", "parse_fit"]


@dataclass
class FitResult:
    """Outcome of :func:`fit` (values in each parameter's config units, SI).

    Attributes
    ----------
    parameters : dict[str, dict]
        Per path: ``value``, ``stderr`` (None when fixed), ``initial``, ``min``,
        ``max``, ``fixed``.
    parameter_names : list of str
        The free parameters, in the order of ``correlation``.
    correlation : ndarray (p, p)
    chi2, reduced_chi2 : float
        Of the weighted residuals ``(data - model) / sigma`` (sigma = 1 without
        a sigma column).
    n_data, evaluations : int
    datasets : list of dict
        Per dataset: name, measure, quantity, ``B_T`` [T], ``data``, ``sigma``
        (None without a sigma column), ``model``, ``residual`` = data - model
        (unweighted; arrays over the points), ``rms_residual`` and, for data along
        one direction, the smooth model curve ``curve_B_T``, ``curve``.
    formula : FitResult or None
        The strip-formula fit of the same data (``compare_formula``).
    warnings : list of str
    """

    parameters: dict
    parameter_names: list
    correlation: np.ndarray
    covariance: np.ndarray
    chi2: float
    reduced_chi2: float
    n_data: int
    evaluations: int
    datasets: list
    warnings: list
    optimizer: dict
    seconds: float
    formula: FitResult | None = None
    info: dict = field(default_factory=dict)

    def value(self, path):
        return self.parameters[path]["value"]

    def stderr(self, path):
        return self.parameters[path]["stderr"]

    def to_dict(self) -> dict:
        """JSON-friendly dict: what fit.json holds."""
        out = {"parameters": self.parameters, "parameter_names": self.parameter_names,
               "correlation": self.correlation, "chi2": self.chi2,
               "reduced_chi2": self.reduced_chi2, "n_data": self.n_data,
               "evaluations": self.evaluations,
               "datasets": [{k: d[k] for k in ("name", "measure", "quantity", "rms_residual")}
                            for d in self.datasets],
               "optimizer": self.optimizer, "warnings": self.warnings, "info": self.info,
               "seconds": self.seconds}
        if self.formula is not None:
            out["formula"] = self.formula.to_dict()
        return jsonable(out)

    def to_dataframe(self):
        """One row per data point: dataset, B_T, data, sigma, model, residual (needs pandas)."""
        import pandas as pd

        return pd.DataFrame(self._rows())

    def _rows(self):
        rows = {"dataset": [], "B_T": [], "data": [], "sigma": [], "model": [], "residual": []}
        for d in self.datasets:
            n = len(d["data"])
            rows["dataset"] += [d["name"]] * n
            rows["B_T"] += list(d["B_T"])
            rows["data"] += list(d["data"])
            rows["sigma"] += list(d["sigma"] if d["sigma"] is not None else [np.nan] * n)
            rows["model"] += list(d["model"])
            rows["residual"] += list(d["residual"])
        return rows

    def plot(self, ax=None):
        """Data (error bars), model and residuals, one column per dataset -> Figure.

        With ``ax`` (a matplotlib Axes) every dataset's data and model curve are drawn
        into that one Axes (no residual panels) and its Figure is returned.
        """
        from .plots import draw_fit, draw_fit_on

        return draw_fit(self) if ax is None else draw_fit_on(ax, self)

    def write(self, out_dir) -> list:
        """Write fit.json, fit.csv and fit.png into ``out_dir``; returns the paths."""
        from ..plotting import save_png

        out = ensure_dir(out_dir)
        from ..schemas import SCHEMA_VERSION

        files = [write_json(out / "fit.json", {"schema_version": SCHEMA_VERSION, **self.to_dict()})]
        rows = self._rows()
        files.append(_write_fit_csv(out / "fit.csv", rows))
        files.append(save_png(self.plot(), out / "fit.png"))
        return files


def _write_fit_csv(path, rows):
    lines = ["dataset,B_T,data,sigma,model,residual"]
    for k in range(len(rows["dataset"])):
        vals = [rows[c][k] for c in ("B_T", "data", "sigma", "model", "residual")]
        lines.append(",".join([rows["dataset"][k]] + ["" if np.isnan(v) else repr(float(v))
                                                      for v in vals]))
    return write_text(path, "\n".join(lines) + "\n")


def _result(d, info=None):
    return FitResult(**d, info=info or {})


def fit(spec, *, progress=True) -> FitResult:
    """Fit a :class:`FitSpec` (or a FIT.toml path) -> :class:`FitResult`.

    Each dataset is meshed once; progress lines go to stdout when ``progress``
    (INFO records of ``omm_fem.fitting`` under the command line's logging).
    """
    if isinstance(spec, (str, Path)):
        spec = load_fit(spec)
    from ..logs import printer

    log = printer(__name__) if progress else None
    t0 = time.perf_counter()
    models = [DatasetModel(d, spec.parameters, log=log) for d in spec.datasets]
    t_setup = time.perf_counter() - t0
    formulas = ([FormulaModel(d, m.spec0, m.R0(), m.current_driven())
                 for d, m in zip(spec.datasets, models)]
                if spec.compare_formula else None)
    main = least_squares_fit(models, spec.datasets, spec.parameters,
                             max_evaluations=spec.max_evaluations, tol=spec.tol, log=log)
    info = {"setup_s": t_setup,
            "datasets": [{"name": m.ds.name, "dofs": m.dofs, "ell_m": m.resolved["ell_m"],
                          "edge_size_m": m.resolved["edge_size_m"],
                          "path": "scaled reduced" if m.reason is None else
                          f"rebuilt per evaluation ({m.reason})",
                          "snapshots": m.snapshots, "evaluations": m.evaluations,
                          **m.timing}
                         for m in models]}
    result = _result(main, info)
    if formulas:
        if log:
            log("fit: the strip formula (Eq. 22) on the same data")
        result.formula = _result(least_squares_fit(formulas, spec.datasets, spec.parameters,
                                                   max_evaluations=spec.max_evaluations,
                                                   tol=spec.tol),
                                 {"widths_m": [f.width for f in formulas]})
    return result

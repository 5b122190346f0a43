"""Run the validation studies, collect the cases, write report.md, results.json and figures.

Studies (the ``only`` keys), in run order: strip, fig3, invariants, transient,
xtensor, claims, hallbar, corbino, nonlocal. ``quick`` keeps every study but
shrinks the expensive ones (no Hall-bar maps, no Fig. 2 scans, fewer points,
two widths and one length of the nonlocal devices).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import OmmError, bad_value
from ..io import ensure_dir, write_json
from . import analysis, devices, dynamics, figures, hbar, strip
from . import claims as claims_mod
from .cases import StudyResult, apply_tolerances
from .invariants import invariants as invariant_cases

DEFAULT_OUT = "omm-fem-validate"


@dataclass
class SuiteResult:
    """Outcome of :func:`run_suite`.

    Attributes
    ----------
    studies : list of StudyResult
    quick : bool
    out : Path
        Output directory (report.md, results.json, PNG figures).
    seconds : float
    """

    studies: list
    quick: bool
    out: Path
    seconds: float = 0.0
    files: list = field(default_factory=list)

    @property
    def cases(self):
        return [c for s in self.studies for c in s.cases]

    @property
    def failed(self):
        return [c for c in self.cases if not c.passed]

    @property
    def passed(self):
        return not self.failed and bool(self.cases)


# ------------------------------------------------------------------------------ runners
def _strip(quick, out, ctx):
    return strip.exactness(quick)


def _fig3(quick, out, ctx):
    res = strip.fig3(quick)
    d = res.data
    for key, caption in (("a", "n^z(y) for five fields"), ("b", "Delta n^z(y) for four theta at "
                         "phi = 2"), ("c", "rho* vs phi for five widths"),
                         ("d", "rho* vs phi for three theta")):
        name = f"fig3{key}.png"
        if key in "ab":
            figures.fig3_profiles(d[key], out / name, key=key)
        else:
            figures.fig3_rho_star(d[key], out / name, key=key)
        res.figures.append((name, f"Fig. 3({key}): {caption}; FEM (markers) over the analytic "
                                  "curve (lines), max error annotated"))
    return res


def _invariants(quick, out, ctx):
    return StudyResult("invariants", "Physical invariants on a 2D device", invariant_cases())


def _transient(quick, out, ctx):
    cases, data = dynamics.transient(quick)
    return StudyResult("transient", "Transient (SPEC §7)", cases, data=data)


def _xtensor(quick, out, ctx):
    cases, r = dynamics.xtensor_point()
    ctx["xresult"] = r
    res = StudyResult("xtensor", "Inverse-mass tensor X and Fig. 2", cases,
                      data={"point": r.to_dict(), "theta": float(r.theta)})
    if not quick:
        c2, data = dynamics.fig2()
        res.cases += c2
        figures.fig2a(data["a"], out / "fig2a.png")
        figures.fig2b(data["b"], out / "fig2b.png")
        res.figures += [("fig2a.png", "Fig. 2(a): X_xx and 10^3 X_zz of bilayer graphene vs mu "
                                      "(V = |gamma1|, 300 K), gap shaded"),
                        ("fig2b.png", "Fig. 2(b): theta = X_zz/X_yy vs V for mu = 0.2, 0.5, 1 eV")]
        res.data["fig2"] = {"theta_range": [float(np.nanmin(data["b"]["theta"])),
                                            float(np.nanmax(data["b"]["theta"]))],
            "X_zz_range": [float(data["a"]["X_me"][:, 2, 2].min()),
                           float(data["a"]["X_me"][:, 2, 2].max())]}
    return res


def _claims(quick, out, ctx):
    if "xresult" not in ctx:
        ctx["xresult"] = dynamics.xtensor_point()[1]
    res = claims_mod.claims(float(ctx["xresult"].theta), quick)
    d = res.data
    figures.mn_thickness(d, out / "mn_thickness.png")
    B = claims_mod.B_MAIN
    figures.blg_vs_mn(d["blg"], d["mn_max"][B]["value_fem"], out / "blg_vs_mn.png", B)
    res.figures += [("mn_thickness.png", "rho(B) - rho(0) vs Mn film thickness (Eq. 22 lines, "
                                         "FEM markers), maximum marked"),
                    ("blg_vs_mn.png", f"maximum over width of rho(B) - rho(0) at {B:g} T: Mn "
                                      "and three bilayer-graphene parameter sets")]
    return res


def _hallbar(quick, out, ctx):
    res = StudyResult("hallbar", "Where the strip formula fails: Hall bars")
    res.cases.append(devices.long_narrow_case())
    if not quick:
        rows = devices.hall_bar_maps(progress=ctx.get("log"))
        res.cases.append(devices.resolution_case(rows))
        res.data["rows"] = rows
        res.data["rule_of_thumb"], res.data["rule_text"] = analysis.rule_of_thumb(rows)
        for key, what in (("eH", "HMR signal rho(B) - rho(0) at phi = 2"),
                          ("e0", "rho(0) (= the saturated HMR amplitude)")):
            name = f"hallbar_map_{key}.png"
            figures.hall_bar_map(rows, devices.GRID, out / name, key=key,
                                 title=figures.hall_bar_title(key))
            res.figures.append((name, f"Hall bars: relative error of Eq. (22) for the {what}"))
    return res


def _corbino(quick, out, ctx):
    rows, cases = devices.corbino_study(quick)
    d = devices.corbino_figure_data()
    figures.corbino(d, out / "corbino.png")
    return StudyResult("corbino", "Corbino disc: no orbital Hanle magnetoresistance", cases,
                       figures=[("corbino.png", "rho(phi): Eq. (22), an FEM Hall bar and an FEM "
                                                "Corbino disc of the same width")],
                       data={"rows": rows, "figure": d})


def _nonlocal(quick, out, ctx):
    res = hbar.study(quick)
    hbar.figure(res.data, out / "nonlocal.png")
    res.figures.append(("nonlocal.png", "nonlocal resistance (R_NL - R0_NL) of an H-bar and of a "
                                        "crossed strip: FEM at each width and extrapolated to W "
                                        "= 0 (markers) over the one-dimensional limit (lines) "
                                        "and the formula of Abanin et al. (dotted)"))
    return res


RUNNERS = {"strip": _strip, "fig3": _fig3, "invariants": _invariants, "transient": _transient,
           "xtensor": _xtensor, "claims": _claims, "hallbar": _hallbar, "corbino": _corbino,
           "nonlocal": _nonlocal}
STUDIES = tuple(RUNNERS)


def check_only(only):
    """Validate a study selection -> tuple of names in run order."""
    if only is None:
        return STUDIES
    names = [only] if isinstance(only, str) else list(only)
    bad = [n for n in names if n not in RUNNERS]
    if bad or not names:
        raise OmmError(bad_value("only", names, f"allowed study names: {list(STUDIES)}"))
    return tuple(n for n in STUDIES if n in names)


def run_suite(*, quick=False, out=DEFAULT_OUT, only=None, tolerances=None, log=None):
    """Run the validation suite and write its report.

    Parameters
    ----------
    quick : bool
        The CI-sized suite (well under three minutes on two cores).
    out : str or Path
        Output directory for report.md, results.json and the figures.
    only : sequence of str, optional
        Subset of :data:`STUDIES`.
    tolerances : dict {case id: float}, optional
        Replace the tolerance of named cases (for testing the verdict logic).
    log : callable, optional
        Called with one progress line per study.

    Returns
    -------
    SuiteResult
    """
    from .report import write_report

    names = check_only(only)
    tolerances = dict(tolerances or {})
    for cid in tolerances:
        if cid.split(".", 1)[0] not in names:
            raise OmmError(bad_value("tolerance override", cid, f"names no case of the selected "
                                     f"studies {list(names)}"))
    out = ensure_dir(out)
    t0 = time.perf_counter()
    ctx = {"log": log}
    studies = []
    for k, name in enumerate(names, 1):
        if log:
            log(f"[{k}/{len(names)}] {name} ...")
        t = time.perf_counter()
        res = RUNNERS[name](quick, out, ctx)
        res.seconds = time.perf_counter() - t
        studies.append(res)
        ids = {c.id for c in res.cases}
        apply_tolerances(res.cases, {c: tol for c, tol in tolerances.items() if c in ids})
        if log:
            _log_study(log, f"[{k}/{len(names)}] {name}", res)
    cases = [c for s in studies for c in s.cases]
    ids = {c.id for c in cases}
    apply_tolerances(cases, {c: tol for c, tol in tolerances.items() if c not in ids})  # raises
    result = SuiteResult(studies=studies, quick=quick, out=out,
                         seconds=time.perf_counter() - t0)
    result.files = [write_report(result), write_json(out / "results.json", _json(result))]
    return result


def _log_study(log, head, res):
    """One line per case, then the study's verdict and time."""
    for c in res.cases:
        verdict = "ok  " if c.passed else "FAIL"
        log(f"    {verdict} {c.id}: error {c.error:.2e} (tolerance {c.tolerance:.1e})")
    bad = sum(not c.passed for c in res.cases)
    log(f"{head}: {len(res.cases)} cases, " + (f"{bad} FAILED" if bad else "all ok")
        + f" ({res.seconds:.1f} s)")


def _compact(obj, limit=64):
    """Study data for results.json: arrays longer than ``limit`` become a summary."""
    if isinstance(obj, dict):
        return {k: _compact(v, limit) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray)):
        arr = np.asarray(obj, dtype=object) if not isinstance(obj, np.ndarray) else obj
        if arr.dtype != object and arr.size > limit:
            return {"shape": list(arr.shape), "min": float(np.nanmin(arr)),
                    "max": float(np.nanmax(arr)), "note": "array summarised (see the figures)"}
        return [_compact(v, limit) for v in obj]
    return obj


def _json(result):
    from ..schemas import SCHEMA_VERSION

    return {"schema_version": SCHEMA_VERSION, "quick": result.quick, "passed": result.passed,
            "seconds": result.seconds,
            "cases": [c.to_dict() for c in result.cases],
            "studies": {s.name: {"seconds": s.seconds, "figures": [f for f, _ in s.figures],
                                 "data": _compact(s.data)} for s in result.studies}}

"""report.md of a validation run: the verdict table, the paper's figures and claims,
the device studies, the transient and X-tensor rows and the benchmark tables.

Numbers come from the run's StudyResults; the benchmark tables are read from
the committed ``validation/*_benchmark.md`` and ``validation/bench_*.md`` files
(never re-measured here) and labelled with the script that produced them.
"""
from __future__ import annotations

import math
import os
import platform
from pathlib import Path

from ..io import atomic_write
from . import analysis
from .common import FIELD_NOTE

VALIDATION_DIR = Path(__file__).resolve().parents[2] / "validation"


def fmt(x):
    """Compact number for the tables."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    x = float(x)
    if x == 0 or 1e-3 <= abs(x) < 1e4:
        return f"{x:.6g}"
    return f"{x:.4e}"


def verdict_table(cases):
    """Markdown table of every case with tolerance footnotes -> (table, footnotes)."""
    reasons = []
    lines = ["| # | case | quantity | FEM | reference | error | tolerance | result |",
             "|---|---|---|---|---|---|---|---|"]
    for k, c in enumerate(cases, 1):
        if c.why not in reasons:
            reasons.append(c.why)
        note = reasons.index(c.why) + 1
        quantity = c.quantity.replace("|", "\\|")  # a bare | would split the table cell
        lines.append(f"| {k} | `{c.id}` | {quantity} | {fmt(c.fem)} | {fmt(c.reference)} | "
                     f"{c.error:.2e} | {c.tolerance:.1e} [{note}] | "
                     f"{'pass' if c.passed else '**FAIL**'} |")
    notes = [f"[{k}] {r}" for k, r in enumerate(reasons, 1)]
    return "\n".join(lines), "\n\n".join(notes)


def benchmark_tables(directory=VALIDATION_DIR):
    """The committed benchmark tables, headings demoted, each labelled by its script."""
    directory = Path(directory)
    files = sorted(set(directory.glob("*_benchmark.md")) | set(directory.glob("bench_*.md")))
    if not files:
        return f"No benchmark tables found in {directory} (installed without the repository?)."
    parts = []
    for f in files:
        script = f.with_suffix(".py")
        who = (f"validation/{script.name}" if script.exists() else "(no script of that name found)")
        body = []
        for line in f.read_text(encoding="utf-8").splitlines():
            body.append("###" + line if line.startswith("#") else line)
        parts.append(f"### validation/{f.name} — as last measured by {who}\n\n"
                     + "\n".join(body[1:] if body and body[0].startswith("###") else body).strip())
    return "\n\n".join(parts)


def _figures(res):
    return "\n\n".join(f"![{cap}]({name})\n\n*{name}: {cap}.*" for name, cap in res.figures)


def _section(res, body=""):
    bad = sum(not c.passed for c in res.cases)
    head = (f"## {res.title}\n\n{len(res.cases)} cases, {bad} failed, {res.seconds:.1f} s. "
            f"Case ids: {', '.join(f'`{c.id}`' for c in res.cases) or '–'}.")
    return "\n\n".join(p for p in (head, res.text, body, _figures(res)) if p)


def _fig3_body(res):
    d = res.data
    return ("Worst errors per panel: " + "; ".join(
        f"3({k}) {max(d[k]['errors']) if k in 'ab' else max(c['error'] for c in d[k]['curves']):.1e}"
        for k in "abcd") + " (profiles relative to max|n^z|, rho* absolute).")


def _claims_body(res):
    d = res.data
    return "\n\n".join([
        "### Thickness dependence of rho(B) - rho(0) for Mn",
        "The film thickness plays the role of the strip width (current in the film plane, the "
        "accumulated moment polarised along the film plane at the two surfaces, field along the "
        "current: our x, with the thickness along our y). Isotropic polycrystal: theta = 1. "
        + analysis.mn_paragraph(d),
        "### Bilayer graphene versus Mn",
        "Each row: the width that maximises rho(B) - rho(0) (search on Eq. 22, value from the FEM "
        "strip at that width) over the Mn film's maximum over thickness at the same field. "
        + _paper_scale_sentence(d),
        analysis.blg_table(d["blg"], d["mn_max"], d["B_main"])])


def _paper_scale_sentence(d):
    Bs = sorted({r["B_T"] for r in d["blg"]})
    pairs = [(b, 2 * b) for b in Bs if 2 * b in Bs]
    return ("The rows at " + ", ".join(f"{q:g} T" for _, q in pairs) + " are the "
            + ", ".join(f"{b:g} T" for b, _ in pairs) + " comparisons in the paper's field scale "
            "(Omega = e B X_yy doubles phi at a given field, SPEC §9.1).") if pairs else ""


def _hallbar_body(res):
    rows = res.data.get("rows")
    if not rows:
        return ("The full run maps the error of Eq. (22) over channel length / width, arm width "
                "/ width, W / L_m and the contact condition (`omm-fem validate` without --quick).")
    text = res.data["rule_text"]
    return ("Hall bars with arm pairs at L/4 and 3L/4 (probe spacing s = L/2), arms as long as "
            "the channel is wide, isotropic material (theta = 1), drift off, P1 with boundary "
            "elements ell/8. Four-terminal rho = (R_xx - R_xx,0)/R_xx from probe_1_top and "
            "probe_2_top; errors are Eq. (22) with the channel width over the FEM value minus one, "
            "for the HMR signal rho(B) - rho(0) at phi = 2 (what an experiment measures; R_0 "
            "itself is unknown) and for rho(0) (equal to the saturated amplitude rho(inf) - rho(0))."
            f" {len(rows)} bars.\n\n" + text)


def _corbino_body(res):
    return (
        "**Why.** In a Corbino disc the current J = -sigma grad phi is radial, so the orbital "
        "Hall flux alpha z x J (SPEC §3) is azimuthal: it runs along the equipotential circles, "
        "is divergence-free (div(z x J) = -z . curl J = 0 for a curl-free J) and has no "
        "component normal to the contacts, which are the whole boundary. It never meets an edge "
        "that blocks it, so nothing accumulates: the source of Eq. (1) vanishes, n = 0 at every "
        "field, Delta J = 0 and R(B) = R_0 — no orbital Hanle magnetoresistance at all, whatever "
        "the width, L_m, theta or contact condition, whereas Eq. (22) with L = r_out - r_in "
        "predicts a finite one (a 100% error). In a Hall bar the same flux runs into the "
        "insulating edges (nu . z x J = +-J), which is what builds the accumulation. The zero "
        "is exact in the discrete system too: with uniform sigma and alpha and equipotential "
        "contacts covering the boundary the weak source alpha int (z x J0).grad v is a sum of closed "
        "boundary integrals of "
        "dv/ds, so the FEM returns n = 0 to rounding on any mesh (a coarse P1 mesh here, drift "
        "on). For an experiment this makes a Corbino disc of the same material a null test: "
        "any field dependence it shows is not orbital Hanle MR.\n\n"
        + analysis.corbino_table(res.data["rows"]))


def _transient_body(res):
    d = res.data
    rows = ["| scheme | dt/tau | max error | observed order |", "|---|---|---|---|"]
    for s, v in d["uniform"].items():
        rows.append(f"| {s} | {v['dt_tau'][0]:.3g} .. {v['dt_tau'][-1]:.3g} | "
                    f"{v['errors'][0]:.2e} .. {v['errors'][-1]:.2e} | {v['order']:.3f} |")
    so = d["switch_on"]
    return ("Uniform state with zero-flux edges: n(t) = exp(-A t) n(0) exactly (damped precession "
            "at omega* = sqrt(omega_y omega_z)), so these are errors of the time stepping alone.\n\n"
            + "\n".join(rows) + f"\n\nSwitched-on strip: Delta I/I0 = {so['trace'][-1][1]:.6e} at "
            f"t = {so['trace'][-1][0]:g} tau against {so['steady']:.6e} from the steady solver.")


def _xtensor_body(res):
    p = res.data["point"]
    txt = (f"One X of Eq. (16) with the independent cross-checks: theta = X_zz/X_yy = "
           f"{res.data['theta']:.4g} at mu = 1 eV, V = 0.1 eV, 300 K (used by the BLG claim). ")
    if "fig2" in res.data:
        f = res.data["fig2"]
        txt += (f"Over Fig. 2(b), theta spans {f['theta_range'][0]:.3g} .. "
                f"{f['theta_range'][1]:.3g} and X_zz over Fig. 2(a) {f['X_zz_range'][0]:.4g} .. "
                f"{f['X_zz_range'][1]:.4g} 1/m_e: not the paper's theta ~ 1e-2 (SPEC §9 item 5).")
    return txt + f" k-points: {p.get('n_kpoints', '–')}."


BODIES = {"fig3": _fig3_body, "claims": _claims_body, "hallbar": _hallbar_body,
          "corbino": _corbino_body, "transient": _transient_body, "xtensor": _xtensor_body}


def _environment():
    import numpy
    import scipy
    import skfem

    from .. import __version__

    return (f"omm_fem {__version__}, Python {platform.python_version()}, numpy {numpy.__version__}, "
            f"scipy {scipy.__version__}, scikit-fem {skfem.__version__}, {os.cpu_count()} CPUs "
            f"({platform.machine()})")


def render(result):
    """The report as markdown text."""
    cases = result.cases
    table, notes = verdict_table(cases)
    mode = "quick (CI)" if result.quick else "full"
    failed = result.failed
    head = [
        "# omm-fem validation report", "",
        f"`omm-fem validate{' --quick' if result.quick else ''}` — {mode} run, "
        f"{len(cases)} cases: **{len(cases) - len(failed)} passed, {len(failed)} failed** "
        f"in {result.seconds:.0f} s. {_environment()}.", "",
        "Every number below comes from this run (FEM on the stated meshes, the analytic strip "
        "formulas of SPEC §6, the X-tensor integrals); only the benchmark tables at the end are "
        "read from committed files. " + FIELD_NOTE[0].upper() + FIELD_NOTE[1:] + ".", "",
        "## Verdict", "", table, "", "Tolerances:", "", notes]
    if failed:
        head += ["", "Failed: " + ", ".join(f"`{c.id}`" for c in failed) + "."]
    body = [_section(s, BODIES[s.name](s) if s.name in BODIES else "") for s in result.studies]
    tail = ["## Benchmark tables (not rerun by this command)", "", benchmark_tables(), "",
            "## Run time per study", "", "| study | cases | seconds |", "|---|---|---|"]
    tail += [f"| {s.name} | {len(s.cases)} | {s.seconds:.1f} |" for s in result.studies]
    return "\n".join(head) + "\n\n" + "\n\n".join(body) + "\n\n" + "\n".join(tail) + "\n"


def write_report(result):
    """Write ``report.md`` into the result's output directory (atomically)."""
    text = render(result)

    def w(tmp):
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)

    return atomic_write(Path(result.out) / "report.md", w)

"""Files and the printed summary of a run (results.json, VTU, PNG)."""
from __future__ import annotations

import logging
import time

import numpy as np

from .accuracy.runs import summary_line as accuracy_summary_line
from .fieldfiles import write_xdmf_series
from .io import ensure_dir, write_json, write_text
from .logs import log_written
from .persist import clear_sweep_checkpoint
from .run import RunResult
from .schemas import SCHEMA_VERSION
from .tables import measurements_table, sweep_table
from .vdp import summary_line as vdp_summary_line

log = logging.getLogger(__name__)


def write_outputs(res: RunResult, out):
    """Write results.json, measurements.csv, fields.vtu (+ one VTU per requested sweep
    point and their fields_sweep.xdmf series), map.png, profiles.png (rectangles),
    hmr.png and sweep.csv (sweeps), refinement.png ([mesh] tolerance) into ``out``."""
    from .run_figures import write_hmr, write_map, write_profiles, write_refinement

    t0 = time.perf_counter()
    out = ensure_dir(out)
    written = []
    r = res.results
    for tag, sol in [("", res.steady)] + [(f"_sweep_{k:04d}", s)
                                          for k, s in sorted(res.sweep_solutions.items())]:
        written.append(sol.write_vtu(out / f"fields{tag}.vtu"))
    written.append(write_map(res, out / "map.png"))
    if res.profile is not None:
        written.append(write_profiles(res, out / "profiles.png"))
    if "sweep" in r:
        written.append(write_hmr(res, out / "hmr.png"))
    if "refinement" in r:
        written.append(write_refinement(r["refinement"], out / "refinement.png"))
    written.append(write_text(out / "measurements.csv", measurements_table(r)))
    if "sweep" in r or "parameter_sweep" in r:
        written.append(write_text(out / "sweep.csv", sweep_table(r)))
        if res.sweep_solutions:
            sw = r["sweep"]
            x = sw["B_T"] if sw["kind"] == "magnitude" else sw["angle_deg"]
            steps = [(x[k], s.field_solution) for k, s in sorted(res.sweep_solutions.items())]
            written.append(write_xdmf_series(out / "fields_sweep.xdmf", res.pipeline, steps))
    written.append(write_json(out / "results.json", {"schema_version": SCHEMA_VERSION, **r}))
    clear_sweep_checkpoint(out)  # the finished run needs no checkpoint
    log_written(log, written, out, t0)
    return written


def _num(value, fmt, undefined="undefined"):
    """``value`` formatted with ``fmt``, or ``undefined`` for None and NaN."""
    if value is None or not np.isfinite(value):
        return undefined
    return format(value, fmt)


def _rho_line(r, alpha_zero):
    if alpha_zero:
        return ("rho = 0 exactly, Delta I/I0 (fixed V) = 0: alpha = 0, no orbital Hall effect "
                "(R = R0)")
    return (f"rho = (R - R0)/R to O(alpha^2) = {_num(r['rho'], '.6e')},  Delta I/I0 (fixed V) = "
            f"{_num(r['delta_I_over_I0'], '.6e')}")


def _strip_line(s, alpha_zero):
    head = f"strip solution ({'exact' if s['exact'] else 'reference'}): "
    if alpha_zero:
        return head + ("Delta I/I0 = 0 and n = 0 (alpha = 0); relative errors undefined "
                       "(the exact values are zero)")
    return (head + f"Delta I/I0 = {_num(s['delta_I_over_I0'], '.6e')}, relative error "
            f"{_num(s['delta_I_over_I0_rel_error'], '.1e')}; max |n - n_exact|/max|n^z|: "
            f"n^z {_num(s['nz_max_error_rel'], '.1e')}, n^y {_num(s['ny_max_error_rel'], '.1e')}")


def summary(res: RunResult):
    """Short human-readable summary of a run (undefined ratios say so; alpha = 0 gives
    rho = 0 exactly and says why rho* is undefined)."""
    r = res.results
    alpha_zero = all(m.alpha == 0 for m in res.spec.materials.values())
    if "boundary_edge_max_m" in r["resolved"]:
        edges = f"boundary elements up to {r['resolved']['boundary_edge_max_m']:.3g} m"
    else:
        edges = f"edge elements <= {r['resolved']['edge_size_m']:.3g} m"
    lines = [
        f"mesh: {r['mesh']['nodes']} nodes, {r['mesh']['elements']} triangles, "
        f"P{r['mesh']['order']}, {r['mesh']['dofs']} unknowns "
        f"({edges}, boundary layer ell = {r['resolved']['ell_m']:.3g} m)",
        f"field B = {r['field_T']} T",
        f"current I = {r['current_A']:.6g} A (I0 = {r['current0_A']:.6g} A), "
        f"V = {r['voltage_V']:.6g} V between {r['pair'][0]} and {r['pair'][1]}",
        f"R = {_num(r['resistance_ohm'], '.8g')} Ohm, R0 = {_num(r['resistance0_ohm'], '.8g')} Ohm",
        _rho_line(r, alpha_zero),
        f"current balance |sum I| / max|I| = {_num(r['current_balance'], '.1e')}",
    ]
    for name, m in r["measurements"].items():
        rho = "0 exactly (alpha = 0)" if alpha_zero and m["rho"] == 0 else _num(
            m["rho"], ".6e", "undefined (R0 = 0)")
        lines.append(f"measure {name}: I {m['current'][0]}->{m['current'][1]}, V {m['voltage'][0]}"
                     f"-{m['voltage'][1]}: R = {_num(m['R_ohm'], '.8g')} Ohm, R0 = "
                     f"{_num(m['R0_ohm'], '.8g')} Ohm, rho = {rho}")
    if "van_der_pauw" in r:
        lines.append(vdp_summary_line(r["van_der_pauw"], r.get("sweep", {}).get("van_der_pauw")))
    if "strip_reference" in r:
        lines.append(_strip_line(r["strip_reference"], alpha_zero))
    if "error_estimate" in r:
        lines.append(accuracy_summary_line(r))
    if "sweep" in r:
        sw = r["sweep"]
        if sw["kind"] == "magnitude":
            lines.append(f"sweep: {len(sw['B_T'])} fields from {min(sw['B_T']):g} to "
                         f"{max(sw['B_T']):g} T; rho(0) = {_num(sw['rho0'], '.4e')}"
                         + ("" if sw["rho_star"] is not None else f"; {sw['rho_star_note']}"))
        else:
            lines.append(f"angle sweep: {len(sw['angle_deg'])} angles at |B| = {sw['B_T']:g} T")
        reused = r["timing"].get("sweep_fields_from_checkpoint", 0)
        if reused:
            lines.append(f"resumed: {reused} sweep fields taken from the checkpoint of the "
                         "killed run")
    if "parameter_sweep" in r:
        from .paramsweep import summary_line

        lines.append(summary_line(r))
    probes = {t for m in r.get("measurements", {}).values() for t in m["voltage"]}
    insulating = [b + (" (probe)" if b in probes else "") for b in r["mesh"]["boundaries"]
                  if b not in r["contacts"]]
    if insulating:  # physical curves no contact names: no current through them
        lines.append(f"insulating (no contact names them): {', '.join(insulating)}")
    lines += [f"WARNING: {w}" for w in r.get("warnings", [])]
    lines.append(time_line(r["timing"]))
    return "\n".join(lines)


_PHASE_NAMES = {"mesh_s": "mesh", "error_estimate_s": "error estimate",
                "discretization_s": "discretisation", "charge_s": "charge",
                "omm_operator_s": "OMM operator", "measurements_s": "measurements",
                "field_s": "field solve", "sweep_s": "sweep",
                "outputs_s": "observables"}


def time_line(timing):
    """``time: T s (phase t s, ...); peak memory M MiB`` of a steady run's timing entry."""
    phases = timing.get("phases", {})
    parts = [f"{_PHASE_NAMES.get(k, k)} {v:.1f} s" for k, v in phases.items()]
    line = f"time: {timing['total_s']:.1f} s" + (f" ({', '.join(parts)})" if parts else "")
    if timing.get("peak_rss_MB") is not None:  # in MiB, as the closing "finished in" line
        line += f"; peak memory {timing['peak_rss_MB'] * 1e6 / 2**20:.0f} MiB"
    return line

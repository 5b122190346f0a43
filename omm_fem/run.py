"""A configured run: build, solve, sweep, compare with the strip limit, write outputs."""
from __future__ import annotations

import platform
import time
from dataclasses import dataclass, field

import numpy as np

from . import __version__, analytic
from .config import RunSpec
from .io import ensure_dir, write_json, write_vtu
from .observables import cell_currents, cross_section
from .steady import Pipeline
from .sweep import rho_infinity_factor, rho_star, run_sweep

FIELD_SCALE_NOTE = ("field scale: phi = (e/2) B X_yy tau (Eq. 1); the paper's Omega tau "
                    "uses e B X_yy, i.e. twice this phi for the same B (SPEC §9.1)")


@dataclass
class RunResult:
    """In-memory result of :func:`run` (``results`` is what results.json holds)."""

    results: dict
    pipeline: Pipeline
    solution: object
    profile: dict | None = None
    sweep_solutions: dict = field(default_factory=dict)


def _strip_applicable(spec, B):
    """The exact strip solution applies to a rectangle with one material and B along x."""
    if spec.geometry["kind"] != "rectangle" or len(spec.materials) != 1:
        return False
    X = next(iter(spec.materials.values())).X
    if np.abs(X - np.diag(np.diag(X))).max() > 1e-12 * np.abs(X).max() or X[1, 1] <= 0:
        return False
    return bool(abs(B[1]) <= 1e-12 * np.linalg.norm(B) and abs(B[2]) <= 1e-12 * np.linalg.norm(B))


def _strip_exactness(spec):
    reflecting = all(c.omm == "reflecting" for c in spec.contacts)
    if reflecting and not spec.drift:
        return True, "exact: reflecting contacts and no drift make the strip solution exact at every x"
    return False, ("reference only: sink/relaxing contacts or drift perturb the profile near the "
                   "contacts; compared at mid-length")


def run(spec: RunSpec, *, progress=True, n_profile=401):
    """Solve a validated :class:`RunSpec`; returns a :class:`RunResult`."""
    t0 = time.perf_counter()
    problem = spec.build_problem()
    t_mesh = time.perf_counter()
    pipe = Pipeline(problem, force_coupled=spec.coupled)
    sol = pipe.at_field(problem.B)
    t_solve = time.perf_counter()
    obs = pipe.two_terminal(sol)
    mat = next(iter(spec.materials.values()))
    results = {
        "omm_fem_version": __version__,
        "input": spec.config,
        "resolved": dict(spec.resolved),
        "mesh": {"nodes": int(problem.mesh.p.shape[1]), "elements": int(problem.mesh.t.shape[1]),
                 "dofs": int(pipe.disc.ndofs), "order": problem.order},
        "field_T": problem.B.tolist(),
        "material": {name: m.to_dict() for name, m in spec.materials.items()},
        "solver": {"drift": problem.drift, "decoupled": not pipe.omm.coupled,
                   "omm_scalar_solves": sol.solves},
        **{k: obs[k] for k in ("current_A", "current0_A", "voltage_V", "voltage0_V",
                               "delta_I_over_I0", "rho", "resistance_ohm", "resistance0_ohm")},
        "pair": obs["pair"],
        "contacts": {c: {"voltage_V": sol.voltages[c], "current_A": sol.currents[c],
                         "voltage0_V": pipe.V0[c], "current0_A": pipe.I0[c]}
                     for c in pipe.disc.contact_names},
        "current_balance": pipe.current_balance(sol),
    }
    profile = None
    if spec.geometry["kind"] == "rectangle":
        L, W = spec.geometry["length"], spec.geometry["width"]
        y = np.linspace(-W / 2, W / 2, n_profile) * (1 - 1e-9)
        n_line = cross_section(pipe, sol, L / 2, y)
        profile = {"x_m": L / 2, "y_m": y, "n": n_line}
        if _strip_applicable(spec, problem.B):
            J = obs["current0_A"] / W  # sheet current density of the alpha^0 solution
            nz_ex, ny_ex = analytic.strip_profiles_si(y, width=W, J=J, B=problem.B[0], material=mat)
            scale = np.abs(nz_ex).max()
            exact, why = _strip_exactness(spec)
            dI_ex = float(analytic.strip_delta_I_over_I0(W / mat.L_m, *analytic.strip_phi_theta(
                mat, problem.B[0]), mat.alpha))
            profile["exact"] = (nz_ex, ny_ex)
            results["strip_reference"] = {
                "exact": exact, "note": why,
                "delta_I_over_I0": dI_ex,
                "delta_I_over_I0_rel_error": abs(obs["delta_I_over_I0"] / dI_ex - 1) if dI_ex else None,
                "nz_max_error_rel": float(np.abs(n_line[2] - nz_ex).max() / scale),
                "ny_max_error_rel": float(np.abs(n_line[1] - ny_ex).max() / scale),
            }
    kept = {}
    if spec.sweep_fields is not None:
        fields = spec.sweep_fields
        mags = np.linalg.norm(fields, axis=1) * np.sign(fields @ spec.sweep_direction)
        rows, kept = run_sweep(pipe, fields, keep=[int(np.argmax(np.abs(mags)))], progress=progress)
        rho = np.array([r["rho"] for r in rows])
        zero = np.flatnonzero(mags == 0)
        rho0 = rho[zero[0]] if zero.size else pipe.two_terminal(pipe.at_field(np.zeros(3)))["rho"]
        kappa = rho_infinity_factor(spec.materials.values(), spec.sweep_direction)
        rs, why = rho_star(rho, rho0, kappa)
        sw = {"B_T": mags, "direction": spec.sweep_direction, "rho": rho,
              "delta_I_over_I0": [r["delta_I_over_I0"] for r in rows],
              "resistance_ohm": [r["resistance_ohm"] for r in rows],
              "rho0": rho0, "rho_inf": None if kappa is None else kappa * rho0,
              "rho_star": rs, "rho_star_note": why or "rho(inf) from the large-field limit of A"}
        if spec.geometry["kind"] == "rectangle" and _strip_applicable(spec, spec.sweep_direction):
            W = spec.geometry["width"]
            phi, theta = analytic.strip_phi_theta(mat, mags)
            sw["strip_rho"] = analytic.strip_rho(W / mat.L_m, phi, theta, mat.alpha)
            if theta > 0:
                sw["strip_rho_star"] = analytic.strip_rho_star(W / mat.L_m, phi, theta)
        results["sweep"] = sw
    t_end = time.perf_counter()
    results["timing"] = {"mesh_s": t_mesh - t0, "solve_s": t_solve - t_mesh,
                         "total_s": t_end - t0, "python": platform.python_version()}
    return RunResult(results=results, pipeline=pipe, solution=sol, profile=profile,
                     sweep_solutions=kept)


def write_outputs(res: RunResult, out):
    """results.json, fields.vtu, profiles.png and (with a sweep) hmr.png into ``out``."""
    from .plotting import plot_hmr, plot_profiles

    out = ensure_dir(out)
    written = []
    J0, dJ = cell_currents(res.pipeline, res.solution)
    written.append(write_vtu(out / "fields.vtu", res.pipeline, res.solution,
                             {"J0_A_per_m": J0, "dJ_A_per_m": dJ}))
    r = res.results
    if res.profile is not None:
        p = res.profile
        note = ""
        if "strip_reference" in r:
            s = r["strip_reference"]
            note = (f"{s['note']}; max error n^z {s['nz_max_error_rel']:.1e}, "
                    f"n^y {s['ny_max_error_rel']:.1e} (relative to max|n^z|)")
        title = (f"cross-section x = {p['x_m'] * 1e9:.0f} nm, B = {r['field_T']} T, "
                 f"{r['mesh']['dofs']} DOFs (P{r['mesh']['order']})")
        written.append(plot_profiles(out / "profiles.png", p["y_m"], p["n"], p.get("exact"),
                                     title=title, note=note))
    if "sweep" in r:
        sw = r["sweep"]
        strip = None
        if "strip_rho" in sw:
            strip = {"rho": sw["strip_rho"], "rho_star": sw.get("strip_rho_star")}
        written.append(plot_hmr(out / "hmr.png", sw["B_T"], sw["rho"], sw["rho_star"], strip,
                                note=FIELD_SCALE_NOTE))
    written.append(write_json(out / "results.json", r))
    return written


def summary(res: RunResult):
    """Short human-readable summary of a run."""
    r = res.results
    lines = [
        f"mesh: {r['mesh']['nodes']} nodes, {r['mesh']['elements']} triangles, "
        f"P{r['mesh']['order']}, {r['mesh']['dofs']} unknowns "
        f"(edge elements <= {r['resolved']['edge_size_m']:.3g} m, boundary layer "
        f"ell = {r['resolved']['ell_m']:.3g} m)",
        f"field B = {r['field_T']} T",
        f"current I = {r['current_A']:.6g} A (I0 = {r['current0_A']:.6g} A), "
        f"V = {r['voltage_V']:.6g} V",
        f"R = {r['resistance_ohm']:.8g} Ohm, R0 = {r['resistance0_ohm']:.8g} Ohm",
        f"rho = (R - R0)/R to O(alpha^2) = {r['rho']:.6e},  Delta I/I0 (fixed V) = "
        f"{r['delta_I_over_I0']:.6e}",
        f"current balance |sum I| / max|I| = {r['current_balance']:.1e}",
    ]
    if "strip_reference" in r:
        s = r["strip_reference"]
        lines.append(f"strip solution ({'exact' if s['exact'] else 'reference'}): Delta I/I0 = "
                     f"{s['delta_I_over_I0']:.6e}, relative error {s['delta_I_over_I0_rel_error']:.1e}; "
                     f"max |n - n_exact|/max|n^z|: n^z {s['nz_max_error_rel']:.1e}, "
                     f"n^y {s['ny_max_error_rel']:.1e}")
    if "sweep" in r:
        sw = r["sweep"]
        lines.append(f"sweep: {len(sw['B_T'])} fields from {min(sw['B_T']):g} to {max(sw['B_T']):g} T; "
                     f"rho(0) = {sw['rho0']:.4e}" + ("" if sw["rho_star"] is not None
                                                     else f"; {sw['rho_star_note']}"))
    lines.append(f"time: {r['timing']['total_s']:.1f} s")
    return "\n".join(lines)

"""A configured steady run, as glue: RunSpec -> Problem -> solve and sweep -> results.

Everything computed here comes from the engine: the pipeline
(:mod:`omm_fem.steady`), the terminal observables (:mod:`omm_fem.measure`),
resumable sweeps (:mod:`omm_fem.persist`) and the strip comparison
(:mod:`omm_fem.validate.reference`). ``results`` is what results.json holds.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np

from .accuracy.runs import RunAccuracy
from .accuracy.runs import for_run as accuracy_for_run
from .circuits import Circuits
from .config import RunSpec
from .config.spec import input_warnings
from .krylov import RTOL, rtol_for
from .measure import Measurement, Terminals, rho_infinity_factor, rho_star
from .memory import peak_rss_mb
from .persist import SweepCheckpoint, checkpointed_sweep, clear_sweep_checkpoint, fingerprint
from .provenance import provenance
from .solutions import SteadySolution
from .steady import Pipeline
from .validate.reference import strip_overlay, strip_profile
from .vdp import add_van_der_pauw

log = logging.getLogger(__name__)
FIELD_SCALE_NOTE = ("field scale: phi = (e/2) B X_yy tau (Eq. 1); the paper's Omega tau "
                    "uses e B X_yy, i.e. twice this phi for the same B (SPEC §9.1)")
TWO_TERMINAL = "two_terminal"
SCALARS = ("current_A", "current0_A", "voltage_V", "voltage0_V", "delta_I_over_I0", "rho",
           "resistance_ohm", "resistance0_ohm")


@dataclass
class RunResult:
    """In-memory result of :func:`run` (``results`` is what results.json holds)."""

    results: dict
    spec: RunSpec
    pipeline: Pipeline
    solution: object  # FieldSolution at the run's field
    steady: object = None  # the same as a SteadySolution (the files are written from it)
    profile: dict | None = None
    sweep_solutions: dict = field(default_factory=dict)  # index -> SteadySolution


def run(spec: RunSpec, *, progress=True, n_profile=401, out_dir=None, resume=False, setup=None,
        checkpoint_tag=""):
    """Solve a validated :class:`RunSpec`; returns a :class:`RunResult`.

    With ``out_dir``, finished chunks of a field sweep (and of the sweeps of
    measurements with their own drive) are checkpointed there as they
    complete; ``resume=True`` reuses the chunks of a killed run of the same
    configuration and mesh (:mod:`omm_fem.persist`). A parameter sweep
    (:mod:`omm_fem.paramsweep`) passes ``setup``, ``spec -> (Problem, Pipeline)``
    reusing its cached mesh and factorisations, and a ``checkpoint_tag`` per point.
    """
    if out_dir is not None and not resume and not checkpoint_tag:
        clear_sweep_checkpoint(out_dir)  # a fresh run: no chunk of an earlier run may stay
    if spec.parameter_sweep is not None and setup is None:
        from .paramsweep import run_parameter_sweep

        return run_parameter_sweep(spec, progress=progress, n_profile=n_profile,
                                   out_dir=out_dir, resume=resume)
    t0 = time.perf_counter()
    accuracy = RunAccuracy()
    if setup is None:
        problem = spec.build_problem()
        t_mesh = time.perf_counter()
        problem, accuracy = accuracy_for_run(spec, problem)  # [mesh] error_estimate, tolerance
        pipe = Pipeline(problem, force_coupled=spec.coupled, linear=spec.linear,
                        krylov_rtol=rtol_for(spec.mesh_opts.tolerance))
    else:
        problem, pipe = setup(spec)
        t_mesh = t0
    t_pipe = time.perf_counter()
    terminals = Terminals(pipe, probes=spec.probes)
    circuits = Circuits(pipe, {m.name: m for m in spec.measurements}, spec.probes)
    zeroth = terminals.zeroth_order()
    t_field = time.perf_counter()
    sol = pipe.at_field(problem.B)
    resp = terminals.response_of(sol)
    own = circuits.at_field(problem.B)
    t_solve = time.perf_counter()
    log.info("solve at B = %s T: %d scalar solves, %d factorisations, %.1f s", problem.B.tolist(),
             sol.solves, pipe.omm.factors.factorizations, t_solve - t_field)
    obs = pipe.two_terminal(sol)
    meas = [Measurement(TWO_TERMINAL, pipe.pair, pipe.pair)] + list(spec.measurements)
    warnings, edges = resolution_warnings(spec, problem)
    results = {
        "input": spec.config,
        "resolved": {**spec.resolved, **edges},
        "mesh": {"nodes": int(problem.mesh.p.shape[1]), "elements": int(problem.mesh.t.shape[1]),
                 "dofs": int(pipe.disc.ndofs), "order": problem.order,
                 "boundaries": sorted(problem.mesh.boundaries or {}),
                 "regions": sorted(problem.mesh.subdomains or {})},
        "field_T": problem.B.tolist(),
        "material": {name: m.to_dict() for name, m in spec.materials.items()},
        "solver": {"drift": problem.drift, "decoupled": not pipe.omm.coupled,
                   "linear": pipe.linear, "omm_scalar_solves": sol.solves,
                   **({"krylov_rtol": pipe.krylov_rtol or RTOL} if pipe.linear == "iterative"
                      else {})},
        **{k: obs[k] for k in SCALARS},
        "pair": obs["pair"],
        "contacts": {c: {"voltage_V": sol.voltages[c], "current_A": sol.currents[c],
                         "voltage0_V": pipe.V0[c], "current0_A": pipe.I0[c]}
                     for c in pipe.disc.contact_names},
        "probes": {p: {"potential_V": resp["P"][0, k], "potential0_V": zeroth["P"][0, k]}
                   for k, p in enumerate(terminals.probes)},
        "current_balance": pipe.current_balance(sol),
        "measurements": {},
        "warnings": warnings,
    }
    results.update(accuracy.entries)  # error_estimate, refinement (omm_fem.accuracy)
    results["warnings"] += accuracy.warnings
    named = {m.name: m for m in meas}
    steady = SteadySolution(pipe, sol, terminals, named, own=own)
    for m in meas[1:]:
        results["measurements"][m.name] = {"current": list(m.current), "voltage": list(m.voltage),
                                           "R_ohm": steady.resistance(m.name),
                                           "R0_ohm": steady.resistance0(m.name),
                                           "rho": steady.rho(m.name)}
        if m.name in circuits.own:  # driven through its own pair (omm_fem.circuits)
            results["measurements"][m.name]["drive"] = "own pair, other contacts floating"
    profile, reference = strip_profile(spec, pipe, sol, obs, n_profile)
    if reference is not None:
        results["strip_reference"] = reference
    kept, timing = {}, {}
    if spec.sweep is not None:
        ckpt = None if out_dir is None else SweepCheckpoint(
            out_dir, fingerprint(spec.config, problem.mesh, problem.order), pipe.disc.contact_names,
            tag=checkpoint_tag)
        sw = spec.sweep
        mine = [m for m in meas[1:] if m.name not in circuits.own]
        done = checkpointed_sweep(pipe, sw.fields, terminals=terminals, measurements=mine,
                                  keep=spec.output.vtu_sweep_points, method=sw.method,
                                  workers=sw.workers, checkpoint=ckpt, resume=resume,
                                  progress=progress)
        def own_checkpoint(k, pair):  # one per drive pair: chunk_[TAG]dK_NNNN.npz
            return None if out_dir is None else SweepCheckpoint(
                out_dir, fingerprint({"config": spec.config, "drive": list(pair)}, problem.mesh,
                                     problem.order), pipe.disc.contact_names,
                tag=f"{checkpoint_tag}d{k + 1}")

        own_sweep, reused = circuits.checkpointed_sweep(
            np.asarray(sw.fields), named, checkpoint_for=own_checkpoint, resume=resume,
            method=sw.method, workers=sw.workers, progress=progress)
        timing["sweep_fields_from_checkpoint"] = done.reused + reused
        results["sweep"] = sweep_results(spec, pipe, terminals, zeroth, meas, done, own_sweep)
        kept = {k: SteadySolution(pipe, s, terminals, named) for k, s in done.kept.items()}
    add_van_der_pauw(results, problem.mesh, pipe.disc.contact_names, spec.measurements)
    t_end = time.perf_counter()
    phases = {"mesh_s": t_mesh - t0}
    if "error_estimate" in results:
        phases["error_estimate_s"] = results["error_estimate"]["total_seconds"]
    if setup is None:  # a parameter sweep's pipeline was set up for an earlier point
        phases.update(pipe.timing)
    phases["measurements_s"] = t_field - t_pipe  # probes and each measurement's own drive
    phases["field_s"] = t_solve - t_field
    phases["sweep_s" if spec.sweep is not None else "outputs_s"] = t_end - t_solve
    results["timing"] = {**timing, "mesh_s": t_mesh - t0, "solve_s": t_solve - t_mesh,
                         "total_s": t_end - t0, "peak_rss_MB": peak_rss_mb(), "phases": phases}
    results["provenance"] = provenance(spec.config)
    return RunResult(results=results, spec=spec, pipeline=pipe, solution=sol, steady=steady,
                     profile=profile, sweep_solutions=kept)


def resolution_warnings(spec, problem):
    """A mesh read from a file is used as it is: say when it is coarser than the
    boundary layer needs (generated meshes are graded to edge_size by construction).

    Also the warnings of doubtful inputs (:func:`omm_fem.config.spec.input_warnings`:
    a large alpha, an explicit edge_size coarser than the boundary-layer rule).

    Returns (warnings, resolved entries to add: the longest boundary element [m])."""
    from .geometry.quality import sample_warnings

    warned = input_warnings(spec) + sample_warnings(spec, problem.mesh)  # sizes against L_m
    if spec.geometry["kind"] != "mesh":
        return warned, {}
    mesh = problem.mesh
    skip = {c.name for c in spec.contacts if c.omm == "reflecting"}
    facets = np.concatenate([f for n, f in mesh.boundaries.items() if n not in skip] or
                            [mesh.boundary_facets()])
    seg = mesh.p[:, mesh.facets[:, facets]]
    longest = float(np.hypot(*(seg[:, 0] - seg[:, 1])).max())
    need = spec.resolved["edge_size_m"]
    found = {"boundary_edge_max_m": longest}
    if longest <= need * (1 + 1e-9):
        return warned, found
    return warned + [
        f"the mesh file has boundary elements up to {longest:.3g} m, but the boundary layer "
        f"of this run (ell = {spec.resolved['ell_m']:.3g} m) needs <= {need:.3g} m for "
        f"P{spec.mesh_opts.order} at strip-level accuracy; re-mesh it graded for this run "
        "with `omm-fem mesh FILE.geo|FILE.msh --config CONFIG.toml --out NEW.msh`"], found


def sweep_results(spec, pipe, terminals, zeroth, meas, done, own=None):
    """The ``sweep`` entry of results.json from the responses of a finished sweep
    (``own``: name -> (Terminals, response, zeroth) of measurements with their own drive)."""
    own = own or {}
    sw = spec.sweep
    resp = done.response
    out = {"kind": sw.kind, "direction": sw.direction, "fields_T": sw.fields,
           "method": done.method, "method_info": done.info}
    if sw.kind == "magnitude":
        out["B_T"] = sw.B_T
        kappa = rho_infinity_factor(spec.materials.values(), sw.direction)
        zero = np.flatnonzero(sw.B_T == 0)
        resp0 = ({k: v[zero[:1]] for k, v in resp.items()} if zero.size
                 else terminals.response_at(np.zeros(3)))
    else:
        out.update({"angle_deg": sw.angle_deg, "B_T": sw.B_T, "axis": sw.axis})
    per = {}
    for m in meas:
        t, r, z = own.get(m.name, (terminals, resp, zeroth))
        R, R0, rho = t.resistance(r, z, m)
        entry = {"R_ohm": R, "rho": rho}
        if sw.kind == "magnitude":
            r0 = resp0
            if m.name in own:
                r0 = ({k: v[zero[:1]] for k, v in r.items()} if zero.size
                      else t.response_at(np.zeros(3)))
            rho0 = t.resistance(r0, z, m)[2][0]
            entry["rho0"] = rho0
            entry["rho_inf"] = None if kappa is None else kappa * rho0
            entry["rho_star"], why = rho_star(rho, rho0, kappa)
            entry["rho_star_note"] = why or "rho(inf) from the large-field limit of A"
        per[m.name] = entry
    two = per.pop(TWO_TERMINAL)
    a = pipe.pair[0]
    out.update({"rho": two["rho"], "resistance_ohm": two["R_ohm"],
                "delta_I_over_I0": resp["dI_fixed"][:, terminals.contacts.index(a)] / pipe.I0[a]})
    for key in ("rho0", "rho_inf", "rho_star", "rho_star_note"):
        if key in two:
            out[key] = two[key]
    if per:
        out["measurements"] = per
    overlay = strip_overlay(spec, sw)
    if overlay is not None:
        out["strip"] = overlay
    return out

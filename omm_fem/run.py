"""A configured run: build, solve, sweep, measure, compare with the strip limit."""
from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from . import __version__, analytic
from .config import RunSpec
from .config.geometry import strip_width
from .measure import Measurement, Terminals
from .checkpoint import SweepCheckpoint
from .io import _jsonable
from .observables import cross_section
from .provenance import config_hash, mesh_hash, provenance
from .steady import Pipeline
from .sweep import AUTO_REDUCED_MIN_FIELDS, rho_infinity_factor, rho_star, sweep_terminals

DIRECT_CHUNK = 16  # fields per checkpoint of a point-by-point sweep
FIELD_SCALE_NOTE = ("field scale: phi = (e/2) B X_yy tau (Eq. 1); the paper's Omega tau "
                    "uses e B X_yy, i.e. twice this phi for the same B (SPEC §9.1)")


@dataclass
class RunResult:
    """In-memory result of :func:`run` (``results`` is what results.json holds)."""

    results: dict
    spec: RunSpec
    pipeline: Pipeline
    solution: object
    profile: dict | None = None
    sweep_solutions: dict = field(default_factory=dict)


def _single_material(spec):
    mats = list(spec.materials.values())
    return mats[0] if len(mats) == 1 else None


def _strip_applicable(spec, direction):
    """Strip formulas apply with one material, X diagonal, X_yy > 0 and B along x."""
    mat = _single_material(spec)
    if mat is None or strip_width(spec.geometry) is None:
        return False
    X = mat.X
    if np.abs(X - np.diag(np.diag(X))).max() > 1e-12 * np.abs(X).max() or X[1, 1] <= 0:
        return False
    n = np.linalg.norm(direction)
    return bool(n == 0 or (abs(direction[1]) <= 1e-12 * n and abs(direction[2]) <= 1e-12 * n))


def _measurements(spec, pipe):
    a, b = pipe.pair
    return [Measurement("two_terminal", (a, b), (a, b))] + list(spec.measurements)


def run(spec: RunSpec, *, progress=True, n_profile=401, out_dir=None, resume=False):
    """Solve a validated :class:`RunSpec`; returns a :class:`RunResult`.

    With ``out_dir``, finished chunks of a field sweep are checkpointed there
    as they complete; ``resume=True`` reuses the chunks of a killed run of the
    same configuration (module :mod:`omm_fem.checkpoint`).
    """
    t0 = time.perf_counter()
    problem = spec.build_problem()
    t_mesh = time.perf_counter()
    pipe = Pipeline(problem, force_coupled=spec.coupled)
    terminals = Terminals(pipe, probes=spec.probes)
    zeroth = terminals.zeroth_order()
    sol = pipe.at_field(problem.B)
    resp = terminals.response(sol.n[2] / pipe.disc.units.density)
    t_solve = time.perf_counter()
    obs = pipe.two_terminal(sol)
    meas = _measurements(spec, pipe)
    results = {
        "input": spec.config,
        "resolved": spec.resolved,
        "mesh": {"nodes": int(problem.mesh.p.shape[1]), "elements": int(problem.mesh.t.shape[1]),
                 "dofs": int(pipe.disc.ndofs), "order": problem.order,
                 "boundaries": sorted(problem.mesh.boundaries or {}),
                 "regions": sorted(problem.mesh.subdomains or {})},
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
        "probes": {p: {"potential_V": resp["P"][0, k], "potential0_V": zeroth["P"][0, k]}
                   for k, p in enumerate(terminals.probes)},
        "current_balance": pipe.current_balance(sol),
        "measurements": {},
    }
    for m in meas[1:]:
        R, R0, rho = terminals.resistance(resp, zeroth, m)
        results["measurements"][m.name] = {"current": list(m.current), "voltage": list(m.voltage),
                                           "R_ohm": R[0], "R0_ohm": R0[0], "rho": rho[0]}
    results["warnings"] = _resolution_warnings(spec, problem)
    profile = _strip_profile(spec, pipe, sol, obs, results, n_profile)
    kept = {}
    if spec.sweep is not None:
        # chunks are reused only by a run of the same configuration, mesh and version
        run_hash = config_hash({"config": spec.config, "omm_fem": __version__,
                                "mesh": mesh_hash(problem.mesh, f"P{problem.order}")})
        ckpt = None if out_dir is None else SweepCheckpoint(out_dir, run_hash,
                                                             pipe.disc.contact_names)
        kept = _sweep(spec, pipe, terminals, zeroth, meas, results, progress, ckpt, resume)
    t_end = time.perf_counter()
    results.setdefault("timing", {}).update({"mesh_s": t_mesh - t0, "solve_s": t_solve - t_mesh,
                                             "total_s": t_end - t0})
    results["provenance"] = provenance(spec.config)
    return RunResult(results=results, spec=spec, pipeline=pipe, solution=sol, profile=profile,
                     sweep_solutions=kept)


def _resolution_warnings(spec, problem):
    """A mesh read from a file is used as it is: say when it is coarser than the
    boundary layer needs (generated meshes are graded to edge_size by construction)."""
    if spec.geometry["kind"] != "mesh":
        return []
    mesh = problem.mesh
    skip = {c.name for c in spec.contacts if c.omm == "reflecting"}
    facets = np.concatenate([f for n, f in mesh.boundaries.items() if n not in skip] or
                            [mesh.boundary_facets()])
    seg = mesh.p[:, mesh.facets[:, facets]]
    longest = float(np.hypot(*(seg[:, 0] - seg[:, 1])).max())
    need = spec.resolved["edge_size_m"]
    spec.resolved["boundary_edge_max_m"] = longest
    if longest <= need * (1 + 1e-9):
        return []
    return [f"the mesh file has boundary elements up to {longest:.3g} m, but the boundary layer "
            f"of this run (ell = {spec.resolved['ell_m']:.3g} m) needs <= {need:.3g} m for "
            f"P{spec.mesh_opts['order']} at strip-level accuracy; regenerate the mesh with a "
            "smaller edge size (e.g. meshes/generate.py --edge-size)"]


def _strip_profile(spec, pipe, sol, obs, results, n_profile):
    """Cross-section of a rectangle at mid-length, with the exact strip solution if it applies."""
    if spec.geometry["kind"] != "rectangle":
        return None
    L, W = spec.geometry["length"], spec.geometry["width"]
    y = np.linspace(-W / 2, W / 2, n_profile) * (1 - 1e-9)
    n_line = cross_section(pipe, sol, L / 2, y)
    profile = {"x_m": L / 2, "y_m": y, "n": n_line}
    if not _strip_applicable(spec, spec.B):
        return profile
    mat = _single_material(spec)
    B = spec.B[0]
    J = obs["current0_A"] / W  # sheet current density of the alpha^0 solution
    nz_ex, ny_ex = analytic.strip_profiles_si(y, width=W, J=J, B=B, material=mat)
    scale = np.abs(nz_ex).max()
    exact = all(c.omm == "reflecting" for c in spec.contacts) and not spec.drift
    dI = float(analytic.strip_delta_I_over_I0(W / mat.L_m, *analytic.strip_phi_theta(mat, B),
                                              mat.alpha))
    profile["exact"] = (nz_ex, ny_ex)
    results["strip_reference"] = {
        "exact": exact,
        "note": ("exact: reflecting contacts and no drift make the strip solution exact at every x"
                 if exact else "reference only: sink/relaxing contacts or drift perturb the "
                 "profile near the contacts; compared at mid-length"),
        "delta_I_over_I0": dI,
        "delta_I_over_I0_rel_error": abs(obs["delta_I_over_I0"] / dI - 1) if dI else None,
        "nz_max_error_rel": float(np.abs(n_line[2] - nz_ex).max() / scale),
        "ny_max_error_rel": float(np.abs(n_line[1] - ny_ex).max() / scale),
    }
    return profile


def _method_info(info):
    """The reproducible part of a sweep's solver info (timings stay out of results.json)."""
    keys = ("basis", "snapshots", "factorizations", "fallback", "tol")
    out = {k: info[k] for k in keys if k in info}
    if "error_estimate" in info:
        out["max_error_estimate"] = float(np.max(info["error_estimate"]))
    return _jsonable(out)


def _plan(nf, method):
    """How a sweep is split into fixed chunks (independent of interruptions).

    A reduced-order sweep is one chunk (its cost is a handful of full solves
    shared by all fields); a point-by-point sweep is checkpointed every
    DIRECT_CHUNK fields. Returns (method, list of index arrays)."""
    if method == "reduced" or (method == "auto" and nf >= AUTO_REDUCED_MIN_FIELDS):
        return "reduced", [np.arange(nf)]
    return "direct", [np.arange(a, min(a + DIRECT_CHUNK, nf)) for a in range(0, nf, DIRECT_CHUNK)]


def _chunked_sweep(spec, pipe, terminals, meas, progress, checkpoint, resume, timing):
    sw = spec.sweep
    fields = sw["fields"]
    keep = set(spec.output["vtu_sweep_points"])
    method, chunks = _plan(len(fields), sw["method"])
    executor = False if sw["workers"] == 1 else ProcessPoolExecutor(sw["workers"])
    parts, kept, infos, reused = [], {}, [], 0
    try:
        for k, idx in enumerate(chunks):
            done = checkpoint.load(k) if (checkpoint is not None and resume) else None
            if done is None:
                res = sweep_terminals(pipe, fields[idx], terminals=terminals, measurements=meas[1:],
                                      keep=[i for i, j in enumerate(idx) if j in keep],
                                      method=method, executor=executor, progress=progress)
                done = (res.response, res.kept, _method_info(res.info))
                if checkpoint is not None:
                    checkpoint.save(k, *done)
            else:
                reused += len(idx)
            parts.append(done[0])
            kept.update({int(idx[i]): sol for i, sol in done[1].items()})
            infos.append(done[2])
    finally:
        if executor:
            executor.shutdown()
    timing["sweep_fields_from_checkpoint"] = reused
    resp = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    return resp, kept, method, infos[0] if len(infos) == 1 else {"chunks": len(infos)}


def _sweep(spec, pipe, terminals, zeroth, meas, results, progress, checkpoint=None, resume=False):
    sw = spec.sweep
    fields = sw["fields"]
    resp, kept, method, info = _chunked_sweep(spec, pipe, terminals, meas, progress, checkpoint,
                                              resume, results.setdefault("timing", {}))
    out = {"kind": sw["kind"], "direction": sw["direction"], "fields_T": fields,
           "method": method, "method_info": info}
    if sw["kind"] == "magnitude":
        out["B_T"] = sw["B_T"]
        kappa = rho_infinity_factor(spec.materials.values(), sw["direction"])
        zero = np.flatnonzero(sw["B_T"] == 0)
        resp0 = ({k: v[zero[:1]] for k, v in resp.items()} if zero.size
                 else terminals.response(pipe.omm.solve(np.zeros(3))[2]))
    else:
        out.update({"angle_deg": sw["angle_deg"], "B_T": sw["B_T"], "axis": sw["axis"]})
    per = {}
    for m in meas:
        R, R0, rho = terminals.resistance(resp, zeroth, m)
        entry = {"R_ohm": R, "rho": rho}
        if sw["kind"] == "magnitude":
            rho0 = terminals.resistance(resp0, zeroth, m)[2][0]
            entry["rho0"] = rho0
            entry["rho_inf"] = None if kappa is None else kappa * rho0
            entry["rho_star"], why = rho_star(rho, rho0, kappa)
            entry["rho_star_note"] = why or "rho(inf) from the large-field limit of A"
        per[m.name] = entry
    two = per.pop("two_terminal")
    out.update({"rho": two["rho"], "resistance_ohm": two["R_ohm"],
                "delta_I_over_I0": resp["dI_fixed"][:, terminals.contacts.index(pipe.pair[0])]
                / pipe.I0[pipe.pair[0]]})
    for key in ("rho0", "rho_inf", "rho_star", "rho_star_note"):
        if key in two:
            out[key] = two[key]
    if per:
        out["measurements"] = per
    if sw["kind"] == "magnitude" and spec.output["strip_overlay"] and _strip_applicable(
            spec, sw["direction"]):
        mat = _single_material(spec)
        W = strip_width(spec.geometry)
        phi, theta = analytic.strip_phi_theta(mat, sw["B_T"])
        out["strip"] = {"width_m": W, "rho": analytic.strip_rho(W / mat.L_m, phi, theta, mat.alpha)}
        if theta > 0:
            out["strip"]["rho_star"] = analytic.strip_rho_star(W / mat.L_m, phi, theta)
    results["sweep"] = out
    return kept

"""A configured transient run: build once, step, record traces and snapshots."""
from __future__ import annotations

import platform
import time
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from .. import __version__
from ..errors import ConfigError
from ..steady import Pipeline
from .observe import Observation, Tracer, two_terminal
from .stepper import StepStats, evolve
from .system import TransientSystem
from .waveforms import Schedule

@dataclass
class TransientResult:
    """In-memory result of :func:`run_transient` (``results`` is what results.json holds)."""

    results: dict
    traces: dict
    system: TransientSystem
    snapshots: list = field(default_factory=list)  # (t, FieldSolution, phi0) for VTU
    frames: list = field(default_factory=list)  # (t, n^z at the vertices [C/m^2])
    final_state: np.ndarray | None = None  # (3, ndofs) [C/m^2]


def initial_state(system, tspec):
    """Scaled initial state (3, nfree) for ``tspec.initial``."""
    if tspec.initial == "zero":
        return np.zeros((3, system.nfree))
    if tspec.initial == "steady":
        return system.steady(0.0)
    with np.load(tspec.initial_file) as data:
        n = np.asarray(data["n_C_per_m2"], float)
        pts = np.asarray(data["points_m"], float)
        order = int(data["order"])
    mesh = system.problem.mesh
    where = f"transient.initial_file = {str(tspec.initial_file)!r}"
    if order != system.problem.order or n.shape != (3, system.disc.ndofs) \
            or pts.shape != mesh.p.shape or not np.allclose(pts, mesh.p, rtol=0,
                                                            atol=1e-9 * np.ptp(mesh.p)):
        raise ConfigError(f"{where} is invalid: it was written on another mesh or element "
                          f"order (P{order}, {n.shape[-1]} DOFs; this run: "
                          f"P{system.problem.order}, {system.disc.ndofs} DOFs)")
    return n[:, system.free] / system.units.density


def run_transient(spec, tspec, *, progress=True):
    """Mesh, build the pipeline once and integrate a configured transient run."""
    t0 = time.perf_counter()
    problem = spec.build_problem()
    pipe = Pipeline(problem, force_coupled=spec.coupled)
    schedule = Schedule(tspec.waveforms, B=problem.B, contacts=problem.contacts)
    system = TransientSystem(pipe, schedule, probes=getattr(spec, "probes", ()))
    setup = time.perf_counter() - t0
    res = simulate(system, tspec, progress=progress,
                   measurements=getattr(spec, "measurements", ()))
    res.results["input"] = spec.config
    res.results["resolved"] = dict(spec.resolved)
    res.results["timing"]["setup_s"] = setup
    return res


def simulate(system, tspec, *, progress=True, reference=True, measurements=()):
    """Integrate ``system`` as ``tspec`` says and collect traces, snapshots and frames.

    Parameters
    ----------
    reference : bool
        Also solve the steady state of the drive and field at t_end (one
        steady solve) and report the end value's distance to it.
    measurements : sequence of omm_fem.measure.Measurement
        Traced as ``NAME.R_ohm``, ``NAME.R0_ohm``, ``NAME.rho``,
        ``NAME.delta_I_over_I0``.
    """
    start = time.perf_counter()
    tracer = Tracer(system, tspec.points, measurements)
    stats = StepStats()
    n0 = initial_state(system, tspec)
    vtu_left = list(tspec.vtu_times)
    frame_times = list(np.linspace(0.0, tspec.t_end, tspec.gif_frames)) if tspec.gif_frames else []
    nv = system.problem.mesh.p.shape[1]
    snaps, frames = [], []
    t_step = t_obs = 0.0
    k = 0
    gen = evolve(system, n0, stats=stats, **tspec.evolve_kwargs())
    with tqdm(total=100, desc="transient", unit="%", delay=2.0, disable=not progress,
              leave=False) as bar:
        while True:
            a = time.perf_counter()
            try:
                t, n = next(gen)
            except StopIteration:
                break
            b = time.perf_counter()
            t_step += b - a
            last = t >= tspec.t_end
            snap = bool(vtu_left) and t >= vtu_left[0] * (1 - 1e-12)
            if k % tspec.trace_every == 0 or last or snap:
                sol, V0, I0, phi0 = system.observe(t, n, field=snap)
                obs = Observation(t=t, n_scaled=n, sol=sol, V0=V0, I0=I0, phi0=phi0)
                tracer.record(obs)
                if snap:
                    snaps.append((t, sol, phi0))
                    while vtu_left and t >= vtu_left[0] * (1 - 1e-12):
                        vtu_left.pop(0)
            while frame_times and (t >= frame_times[0] * (1 - 1e-12) or last):
                frame_times.pop(0)
                frames.append((t, n[2].copy()))
            t_obs += time.perf_counter() - b
            k += 1
            bar.update(int(100 * t / tspec.t_end) - bar.n)
    u = system.units
    nfull = np.zeros((3, system.disc.ndofs))
    nfull[:, system.free] = n
    frames = [(tf, _vertex_values(system, nz, nv)) for tf, nz in frames]
    traces = tracer.arrays()
    results = {
        "omm_fem_version": __version__,
        "mesh": {"nodes": int(nv), "elements": int(system.problem.mesh.t.shape[1]),
                 "dofs": int(system.disc.ndofs), "order": system.problem.order},
        "transient": {
            "scheme": tspec.scheme, "adaptive": tspec.adaptive,
            "tol": tspec.tol if tspec.adaptive else None, "t_end_s": tspec.t_end,
            "dt_s": tspec.dt, "damped_steps": tspec.damped_steps, "initial": tspec.initial,
            "time_unit_tau_s": u.time, "breakpoints_s": system.schedule.breakpoints(tspec.t_end),
            "steps": stats.steps, "rejected_steps": stats.rejected, "restarts": stats.restarts,
            "h_min_s": stats.h_min, "h_max_s": stats.h_max,
            "factorizations": system.factors.factorizations,
            "back_solves": system.factors.solves,
            "field_varies": system.schedule.field_varies,
            "drive_varies": system.schedule.drive_varies,
        },
        "final": {k: v[-1] for k, v in traces.items()},
        "measurements": {m.name: {"current": list(m.current), "voltage": list(m.voltage)}
                         for m in measurements},
        "traces": traces,
        "timing": {"stepping_s": t_step, "observing_s": t_obs,
                   "python": platform.python_version()},
    }
    if reference:
        a = time.perf_counter()
        ns = system.steady(tspec.t_end)
        sol, V0, I0, _ = system.observe(tspec.t_end, ns, field=False)
        tt = two_terminal(system.pipeline, sol, V0, I0)
        ref = {k: tt[k] for k in ("delta_I_over_I0", "rho")}
        ref["norm_n_C_per_m"] = system.norm(ns) * u.density * u.length
        fin = results["final"]["delta_I_over_I0"]
        ref["final_delta_I_over_I0_rel_diff"] = (abs(fin / tt["delta_I_over_I0"] - 1)
                                                 if tt["delta_I_over_I0"] else None)
        ref["final_state_rel_diff"] = (system.norm(n - ns) / system.norm(ns)
                                       if system.norm(ns) else None)
        results["steady_at_t_end"] = ref
        results["timing"]["reference_s"] = time.perf_counter() - a
    results["timing"]["total_s"] = time.perf_counter() - start
    return TransientResult(results=results, traces=traces, system=system, snapshots=snaps,
                           frames=frames, final_state=nfull * u.density)


def _vertex_values(system, nz_free, nv):
    full = np.zeros(system.disc.ndofs)
    full[system.free] = nz_free
    return full[:nv] * system.units.density


def summary(result):
    """Short human-readable summary of a transient run."""
    r = result.results
    tr = r["transient"]
    fin = r["final"]
    m = r["mesh"]
    lines = [
        f"mesh: {m['nodes']} nodes, {m['elements']} triangles, P{m['order']}, {m['dofs']} DOFs",
        f"transient: scheme {tr['scheme']}"
        + (f" (adaptive, tol {tr['tol']:g})" if tr["adaptive"] else "") + ", "
        f"t_end = {tr['t_end_s']:.4g} s ({tr['t_end_s'] / tr['time_unit_tau_s']:.4g} tau), "
        f"{tr['steps']} steps (h {tr['h_min_s']:.3g} .. {tr['h_max_s']:.3g} s"
        + (f", {tr['rejected_steps']} rejected" if tr["adaptive"] else "") + ")",
        f"linear algebra: {tr['factorizations']} factorizations, {tr['back_solves']} back-solves",
        f"at t_end: Delta I/I0 = {fin['delta_I_over_I0']:.6e}, rho = {fin['rho']:.6e}, "
        f"int n^z = {fin['int_n_z_C']:.4e} C",
    ]
    for name in r.get("measurements", {}):
        lines.append(f"  {name}: R = {fin[name + '.R_ohm']:.8g} Ohm, R0 = "
                     f"{fin[name + '.R0_ohm']:.8g} Ohm, rho = {fin[name + '.rho']:.6e}")
    if "steady_at_t_end" in r:
        s = r["steady_at_t_end"]
        d = s["final_delta_I_over_I0_rel_diff"]
        lines.append(f"steady state of the t_end drive and field: Delta I/I0 = "
                     f"{s['delta_I_over_I0']:.6e}" + (f" (relative difference {d:.1e})"
                                                       if d is not None else ""))
    if tr["field_varies"] and tr["scheme"] != "strang":
        lines.append("note: B(t) varies and the scheme is implicit in the precession, so each "
                     "new field costs a factorization; scheme = 'strang' needs only one")
    t = r["timing"]
    lines.append(f"time: {t['total_s'] + t.get('setup_s', 0.0):.1f} s (stepping "
                 f"{t['stepping_s']:.2f} s, traces {t['observing_s']:.2f} s)")
    return "\n".join(lines)

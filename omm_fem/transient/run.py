"""A configured transient run: build once, step, record traces and snapshots."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import logs
from ..errors import ConfigError, OmmError
from ..io import remove_stale_temps
from ..provenance import provenance
from ..steady import Pipeline
from .checkpoint import Checkpoint, fingerprint
from .config import run_spec
from .outputs import read_state
from .stepper import Stepper, StepStats
from .system import TransientSystem
from .traces import Observation, Tracer, two_terminal
from .waveforms import Schedule

NO_DRIVE_NOTE = ("Delta I/I0, rho and the relative differences are undefined: no drive at "
                 "t_end (I0 = 0 or V0 = 0)")
ZERO_DI_NOTE = ("final_delta_I_over_I0_rel_diff is undefined: the steady Delta I/I0 of the "
                "t_end drive is 0 (alpha = 0: no orbital Hall effect)")
ZERO_STEADY_NOTE = ("final_state_rel_diff is undefined: the steady state of the t_end drive is "
                    "zero to floating-point precision (its norm underflows)")


@dataclass
class TransientResult:
    """In-memory result of :func:`run_transient` (``results`` is what results.json holds)."""

    results: dict
    traces: dict
    system: TransientSystem
    snapshots: list = field(default_factory=list)  # (t, FieldSolution, phi0) for VTU
    frames: list = field(default_factory=list)  # (t, n^z at the vertices [C/m^2])
    final_state: np.ndarray | None = None  # (3, ndofs) [C/m^2]
    checkpoint: Path | None = None  # the run's checkpoint file, if it wrote one


def initial_state(system, tspec):
    """Scaled initial state (3, nfree) for ``tspec.initial``."""
    if tspec.initial == "zero":
        return np.zeros((3, system.nfree))
    if tspec.initial == "steady":
        return system.steady(0.0)
    n, pts, order = read_state(tspec.initial_file)
    mesh = system.problem.mesh
    where = f"transient.initial_file = {str(tspec.initial_file)!r}"
    if order != system.problem.order or n.shape != (3, system.disc.ndofs) \
            or pts.shape != mesh.p.shape or not np.allclose(pts, mesh.p, rtol=0,
                                                            atol=1e-9 * np.ptp(mesh.p)):
        raise ConfigError(f"{where} is invalid: it was written on another mesh or element "
                          f"order (P{order}, {n.shape[-1]} DOFs; this run: "
                          f"P{system.problem.order}, {system.disc.ndofs} DOFs)")
    return n[:, system.free] / system.units.density


def run_transient(spec, tspec, *, progress=True, out_dir=None, resume=False):
    """Mesh, build the pipeline once and integrate a configured transient run.

    Parameters
    ----------
    spec : RunSpec
    tspec : TransientSpec
    progress : bool
        Show a progress bar.
    out_dir : path, optional
        The output directory. With ``tspec.checkpoint_every > 0`` the run
        saves ``out_dir/checkpoint.npz`` every that many steps and after the
        last step (omm_fem.transient.checkpoint). Without ``resume`` a
        checkpoint already there is removed first. Temporary files that a
        killed write left there are removed in any case.
    resume : bool
        Continue from ``out_dir/checkpoint.npz`` when there is one (else
        start from scratch). The results equal those of an uninterrupted run
        bit for bit except under ``timing`` (which records the resume under
        ``timing["resume"]``) and ``provenance``.

    Raises
    ------
    OmmError
        With ``resume``: the checkpoint was written for another configuration,
        mesh or omm_fem version, cannot be read, or holds something else than
        this run's state (checkpoint.check_saved); or no ``out_dir``.
    """
    if resume and out_dir is None:
        raise OmmError("resume = True needs the output directory (out_dir) that holds the "
                       "checkpoint of the killed run")
    t0 = time.perf_counter()
    if out_dir is not None:
        remove_stale_temps(out_dir)  # left by a write that a kill interrupted
    spec = run_spec(spec, tspec)
    problem = spec.build_problem()
    pipe = Pipeline(problem, force_coupled=spec.coupled, linear=spec.linear)
    schedule = Schedule(tspec.waveforms, B=problem.B, contacts=problem.contacts)
    system = TransientSystem(pipe, schedule, probes=getattr(spec, "probes", ()))
    ckpt = None if out_dir is None else Checkpoint(out_dir, tspec.checkpoint_every,
                                                   fingerprint(spec.config, tspec, system))
    setup = time.perf_counter() - t0
    res = simulate(system, tspec, progress=progress,
                   measurements=getattr(spec, "measurements", ()), checkpoint=ckpt, resume=resume)
    res.results["input"] = spec.config
    res.results["resolved"] = dict(spec.resolved)
    from ..run import resolution_warnings  # the steady run's: sample size, units, coarse files

    res.results["warnings"] = resolution_warnings(spec, problem)[0]
    res.results["timing"]["setup_s"] = setup
    res.results["provenance"] = provenance(spec.config)
    return res


class _Recorder:
    """Traces, VTU snapshot fields and GIF frames of the steps of one run."""

    def __init__(self, system, tspec, tracer):
        self.system, self.tspec, self.tracer = system, tspec, tracer
        self.nv = system.problem.mesh.p.shape[1]
        self.k = 0  # steps seen (trace_every counts these)
        self.vtu_left = list(tspec.vtu_times)
        self.frame_times = (list(np.linspace(0.0, tspec.t_end, tspec.gif_frames))
                            if tspec.gif_frames else [])
        self.snaps, self.snap_states, self.frames = [], [], []
        self.t_step = self.t_obs = 0.0

    def __call__(self, t, n):
        """Record what is due at the state ``n`` (scaled) of time ``t``."""
        system, tspec = self.system, self.tspec
        last = t >= tspec.t_end
        snap = bool(self.vtu_left) and t >= self.vtu_left[0] * (1 - 1e-12)
        if self.k % tspec.trace_every == 0 or last or snap:
            sol, V0, I0, phi0 = system.observe(t, n, field=snap)
            self.tracer.record(Observation(t=t, n_scaled=n, sol=sol, V0=V0, I0=I0, phi0=phi0))
            if snap:
                self.snaps.append((t, sol, phi0))
                self.snap_states.append((t, n.copy()))
                while self.vtu_left and t >= self.vtu_left[0] * (1 - 1e-12):
                    self.vtu_left.pop(0)
        while self.frame_times and (t >= self.frame_times[0] * (1 - 1e-12) or last):
            self.frame_times.pop(0)
            self.frames.append((t, _vertex_values(system, n[2], self.nv)))
        self.k += 1

    def state(self):
        """Saved state: scalars (JSON) and arrays (snapshot states, frames)."""
        arrays = {}
        if self.snap_states:
            arrays["snap_states"] = np.array([s for _, s in self.snap_states])
        if self.frames:
            arrays["frames"] = np.array([f for _, f in self.frames])
        return {"scalars": {"k": self.k, "vtu_done": len(self.tspec.vtu_times) - len(self.vtu_left),
                            "snap_times": [t for t, _ in self.snap_states],
                            "frame_times": [t for t, _ in self.frames],
                            "t_step": self.t_step, "t_obs": self.t_obs},
                "arrays": arrays}

    def restore(self, scalars, arrays):
        """Inverse of :meth:`state`; snapshot fields are recomputed from their states."""
        self.k = scalars["k"]
        self.vtu_left = self.vtu_left[scalars["vtu_done"]:]
        self.frames = list(zip(scalars["frame_times"], arrays.get("frames", [])))
        self.frame_times = self.frame_times[len(self.frames):]
        self.snap_states = list(zip(scalars["snap_times"], arrays.get("snap_states", [])))
        for t, n in self.snap_states:
            sol, _, _, phi0 = self.system.observe(t, n, field=True)
            self.snaps.append((t, sol, phi0))
        self.t_step, self.t_obs = scalars["t_step"], scalars["t_obs"]


def simulate(system, tspec, *, progress=True, reference=True, measurements=(), checkpoint=None,
             resume=False):
    """Integrate ``system`` as ``tspec`` says and collect traces, snapshots and frames.

    Parameters
    ----------
    reference : bool
        Also solve the steady state of the drive and field at t_end (one
        steady solve) and report the end value's distance to it.
    measurements : sequence of omm_fem.measure.Measurement
        Traced as ``NAME.R_ohm``, ``NAME.R0_ohm``, ``NAME.rho``,
        ``NAME.delta_I_over_I0``.
    checkpoint : omm_fem.transient.checkpoint.Checkpoint, optional
        Saves the run every ``checkpoint.every`` steps and after the last one.
    resume : bool
        Continue from ``checkpoint`` when its file exists; otherwise an existing
        file is removed before the run starts.
    """
    start = time.perf_counter()
    tracer = Tracer(system, tspec.points, measurements)
    stats = StepStats()
    saved = checkpoint.load() if checkpoint is not None and resume else None
    if checkpoint is not None and saved is None:
        checkpoint.remove()  # a fresh run ignores, then replaces, an older checkpoint
    n0 = initial_state(system, tspec) if saved is None else np.zeros((3, system.nfree))
    stepper = Stepper(system, n0, stats=stats, **tspec.evolve_kwargs())
    rec = _Recorder(system, tspec, tracer)
    timing = {}
    if saved is None:
        a = time.perf_counter()
        rec(stepper.t, stepper.n)
        rec.t_obs += time.perf_counter() - a
    else:
        checkpoint.restore(saved, stepper=stepper, factors=system.factors, tracer=tracer,
                           recorder=rec)
        timing["resume"] = {"from_step": stats.steps, "from_t_s": stepper.t}
    t_ckpt = 0.0
    with logs.progress(100, "transient", "%", disable=not progress) as bar:
        while not stepper.done:
            a = time.perf_counter()
            t, n = stepper.step()
            b = time.perf_counter()
            rec.t_step += b - a
            rec(t, n)
            rec.t_obs += time.perf_counter() - b
            if checkpoint is not None and checkpoint.due(stats.steps, stepper.done):
                c = time.perf_counter()
                checkpoint.save(stepper=stepper, factors=system.factors, tracer=tracer,
                                recorder=rec)
                t_ckpt += time.perf_counter() - c
            bar.set_postfix(steps=stats.steps, refresh=False)
            bar.update(int(100 * t / tspec.t_end) - bar.n)
    n = stepper.n
    u = system.units
    nv = rec.nv
    nfull = np.zeros((3, system.disc.ndofs))
    nfull[:, system.free] = n
    traces = tracer.arrays()
    _check_finite(nfull, traces, tspec, resumed=saved is not None)
    results = {
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
        "timing": {"stepping_s": rec.t_step, "observing_s": rec.t_obs,
                   **({"checkpoint_s": t_ckpt} if checkpoint is not None else {}), **timing},
    }
    if reference:
        a = time.perf_counter()
        ns = system.steady(tspec.t_end)
        sol, V0, I0, _ = system.observe(tspec.t_end, ns, field=False)
        tt = two_terminal(system.pipeline, sol, V0, I0)
        ref = {k: tt[k] for k in ("delta_I_over_I0", "rho")}
        ref["norm_n_C_per_m"] = system.norm(ns) * u.density * u.length
        fin, dI = results["final"]["delta_I_over_I0"], tt["delta_I_over_I0"]
        ref["final_delta_I_over_I0_rel_diff"] = (abs(fin / dI - 1) if math.isfinite(fin)
                                                 and math.isfinite(dI) and dI else None)
        ref["final_state_rel_diff"] = (system.norm(n - ns) / system.norm(ns)
                                       if system.norm(ns) else None)
        notes = [NO_DRIVE_NOTE] if not math.isfinite(dI) else [
            note for key, note in (("final_delta_I_over_I0_rel_diff", ZERO_DI_NOTE),
                                   ("final_state_rel_diff", ZERO_STEADY_NOTE))
            if ref[key] is None]
        if notes:
            ref["note"] = "; ".join(notes)
        results["steady_at_t_end"] = ref
        results["timing"]["reference_s"] = time.perf_counter() - a
    if saved is not None:
        results["timing"]["resume"]["refactored"] = system.factors.refactored
    results["timing"]["total_s"] = time.perf_counter() - start
    return TransientResult(results=results, traces=traces, system=system, snapshots=rec.snaps,
                           frames=rec.frames, final_state=nfull * u.density,
                           checkpoint=None if checkpoint is None or checkpoint.every == 0
                           else checkpoint.path)


RATIOS = ("rho", "delta_I_over_I0", "resistance_ohm", "resistance0_ohm", "R_ohm", "R0_ohm")


def _check_finite(nfull, traces, tspec, *, resumed):
    """Refuse a run whose state or traces overflowed: only a ratio may be undefined (NaN while
    the drive is off, or of a vanishing R0), nothing may be infinite."""
    bad = [k for k, v in traces.items() if np.isinf(v).any() or (
        k.rsplit(".", 1)[-1] not in RATIOS and np.isnan(v).any())]
    if not bad and np.all(np.isfinite(nfull)):
        return
    source = ("the resumed checkpoint" if resumed else f"transient.initial_file = "
              f"{str(tspec.initial_file)!r}" if tspec.initial == "file" else "the input")
    raise OmmError(f"transient: the run produced non-finite values ({', '.join(bad[:4]) or 'n'}"
                   f"{', ...' if len(bad) > 4 else ''}): {source} holds values too large for "
                   "the model (the state n overflows); check it, or start from "
                   "transient.initial = 'zero'")


def _vertex_values(system, nz_free, nv):
    full = np.zeros(system.disc.ndofs)
    full[system.free] = nz_free
    return full[:nv] * system.units.density


def _num(v, fmt):
    """``v`` formatted, or "undefined" for NaN (a ratio without drive or of a vanishing R0)."""
    return format(v, fmt) if math.isfinite(v) else "undefined"


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
        (f"at t_end: Delta I/I0 = {fin['delta_I_over_I0']:.6e}, rho = {fin['rho']:.6e}, "
         if math.isfinite(fin["delta_I_over_I0"]) else
         "at t_end: Delta I/I0 and rho undefined (no drive at t_end), ")
        + f"int n^z = {fin['int_n_z_C']:.4e} C",
    ]
    for name in r.get("measurements", {}):
        lines.append(f"  {name}: R = {_num(fin[name + '.R_ohm'], '.8g')} Ohm, R0 = "
                     f"{_num(fin[name + '.R0_ohm'], '.8g')} Ohm, "
                     f"rho = {_num(fin[name + '.rho'], '.6e')}")
    if "steady_at_t_end" in r:
        s = r["steady_at_t_end"]
        d = s["final_delta_I_over_I0_rel_diff"]
        lines.append("steady state of the t_end drive and field: " + (
            f"Delta I/I0 = {s['delta_I_over_I0']:.6e}" if s.get("note") != NO_DRIVE_NOTE
            else s["note"])
            + (f" (relative difference {d:.1e})" if d is not None else ""))
    if tr["field_varies"] and tr["scheme"] != "strang":
        lines.append("note: B(t) varies and the scheme is implicit in the precession, so each "
                     "new field costs a factorization; scheme = 'strang' needs only one")
    lines += [f"WARNING: {w}" for w in r.get("warnings", [])]
    t = r["timing"]
    run_part = (f"resumed at step {t['resume']['from_step']}; stepping and traces count the "
                "whole run: " if "resume" in t else "")
    lines.append(f"time: {t['total_s'] + t.get('setup_s', 0.0):.1f} s ({run_part}stepping "
                 f"{t['stepping_s']:.2f} s, traces {t['observing_s']:.2f} s)")
    return "\n".join(lines)

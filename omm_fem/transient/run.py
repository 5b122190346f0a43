"""A configured transient run: build once, step, record traces and snapshots.

Traces are recorded by *observers*: callables ``observer(obs) -> dict`` of
column name -> float, called at every recorded step with an
:class:`Observation`. The two-terminal observables, probe values and sample
integrals are observers; a per-measurement observer (four-terminal pairs)
is added with :meth:`Tracer.add` without touching the stepping code.
"""
from __future__ import annotations

import platform
import time
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from .. import __version__
from ..errors import ConfigError
from ..observables import line_probe
from ..steady import Pipeline
from .stepper import StepStats, evolve
from .system import TransientSystem, two_terminal
from .waveforms import Schedule

TWO_TERMINAL_KEYS = ("current_A", "current0_A", "voltage_V", "voltage0_V", "resistance_ohm",
                     "resistance0_ohm", "rho", "delta_I_over_I0")


@dataclass
class Observation:
    """Everything a trace may need at one recorded time (SI unless noted)."""

    t: float
    n_scaled: np.ndarray  # (3, nfree)
    sol: object  # FieldSolution (phi is phi0 only unless a snapshot)
    V0: dict
    I0: dict
    phi0: np.ndarray


class Tracer:
    """Collects columns from observers at each recorded time."""

    def __init__(self, system, probes=None):
        self.system = system
        self.observers = []
        self.columns = {"t_s": []}
        self.add(self._field)
        self.add(self._two_terminal)
        if probes:
            pts = np.array(list(probes.values()), float).T
            P = line_probe(system.pipeline, pts)
            self._P, self._probe_names = P[:, system.free], list(probes)
            self.add(self._probes)
        self.add(self._integrals)

    def add(self, observer):
        """Register ``observer(obs: Observation) -> dict[str, float]``."""
        self.observers.append(observer)

    def record(self, obs):
        """Evaluate every observer at ``obs`` and append one row."""
        row = {"t_s": obs.t}
        for ob in self.observers:
            row.update(ob(obs))
        count = len(self.columns["t_s"])
        for k in list(self.columns) + [k for k in row if k not in self.columns]:
            self.columns.setdefault(k, [np.nan] * count).append(float(row.get(k, np.nan)))
        return row

    def arrays(self):
        return {k: np.asarray(v, float) for k, v in self.columns.items()}

    # ---- built-in observers
    def _field(self, obs):
        return {f"B_{a}_T": obs.sol.B[k] for k, a in enumerate("xyz")}

    def _two_terminal(self, obs):
        tt = two_terminal(self.system.pipeline, obs.sol, obs.V0, obs.I0)
        return {k: tt[k] for k in TWO_TERMINAL_KEYS}

    def _probes(self, obs):
        vals = self._P @ obs.n_scaled.T * self.system.units.density  # (nprobes, 3)
        return {f"n_{a}_{name}_C_per_m2": vals[i, k] for i, name in enumerate(self._probe_names)
                for k, a in enumerate("xyz")}

    def _integrals(self, obs):
        s = self.system
        u = s.units
        ints = obs.n_scaled @ s.integral * u.density * u.length**2
        out = {f"int_n_{a}_C": ints[k] for k, a in enumerate("xyz")}
        out["norm_n_C_per_m"] = s.norm(obs.n_scaled) * u.density * u.length
        return out


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
    system = TransientSystem(pipe, schedule)
    setup = time.perf_counter() - t0
    res = simulate(system, tspec, progress=progress)
    res.results["input"] = spec.config
    res.results["resolved"] = dict(spec.resolved)
    res.results["timing"]["setup_s"] = setup
    return res


def simulate(system, tspec, *, progress=True, reference=True):
    """Integrate ``system`` as ``tspec`` says and collect traces, snapshots and frames.

    Parameters
    ----------
    reference : bool
        Also solve the steady state of the drive and field at t_end (one
        steady solve) and report the end value's distance to it.
    """
    start = time.perf_counter()
    tracer = Tracer(system, tspec.probes)
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

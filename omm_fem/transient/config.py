"""``[transient]``, ``[transient.output]`` and ``[[waveform]]`` of a TOML config.

    [transient]
    t_end = 2.0e-11          # s, > 0 (required)
    dt = 2.5e-13             # s, > 0 (required): the step, or the first step when adaptive
    scheme = "cn"            # "be" | "cn" | "bdf2" | "strang"
    adaptive = false         # step-doubling control of the local error (be, cn, strang)
    tol = 1.0e-4             # local error per step, relative to max ||n||_L2 (adaptive only)
    dt_min = 1.0e-18         # s (adaptive; default dt_max / 2^40, at least 1e-12 tau)
    dt_max = 2.0e-12         # s (adaptive; default t_end / 10)
    damped_steps = 2         # cn/strang: steps taken as two backward Euler half steps
                             # after t = 0 and after every switch (0: off)
    initial = "zero"         # "zero" | "steady" (steady state of the t = 0 drive and field)
                             # | "file" (the final state of an earlier transient run)
    initial_file = "out/final_state.npz"   # with initial = "file"

    [transient.output]
    trace_every = 1          # record the traces every k-th step (the last step always)
    vtu_times = [1e-12]      # s: VTU snapshots at the first step at or after each time
    gif_frames = 40          # frames of the n^z animation (0: no GIF; at most 500)
    points = {centre = [5e-7, 0.0], edge = [5e-7, 4.9e-7]}   # m: n at named points
    checkpoint_every = 100   # steps between checkpoints (OUT/checkpoint.npz) that
                             # 'omm-fem run --resume' continues from; 0: none

    [[waveform]]             # any number; see omm_fem.transient.waveforms
    target = "contacts.source"   # or "B.x", "B.y", "B.z"
    kind = "step"            # "step" | "ramp" | "pulse" | "sine" | "table"
    amplitude = 1.0e-6       # A here (the contact is current-driven)

Unknown keys, wrong types and out-of-range values raise ConfigError naming
the key. The limits of :mod:`omm_fem.transient.limits` (steps >= 1e-12 tau,
at most MAX_STEPS steps, MAX_GIF_FRAMES frames) and of the waveforms (table
knots, sine periods and phase) are checked here, before any meshing. A
relative ``initial_file`` is resolved against ``base_dir`` (the config file's
folder) when given, else the working directory. ``[sweep]`` is
refused next to ``[transient]``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import checks
from ..errors import ConfigError, OmmError
from ..problem import boundary_layer_length
from .limits import MAX_GIF_FRAMES, check_steps, shortest_tau
from .outputs import read_state
from .stepper import SCHEMES
from .waveforms import FIELD_TARGETS, Schedule, check_drive, check_sine, make_waveform

TRANSIENT_KEYS = {"t_end", "dt", "scheme", "adaptive", "tol", "dt_min", "dt_max", "damped_steps",
                  "initial", "initial_file", "output"}
OUTPUT_KEYS = {"trace_every", "vtu_times", "gif_frames", "points", "checkpoint_every"}
INITIAL = ("zero", "steady", "file")
SECTIONS = ("transient", "waveform")  # top-level keys this module owns


@dataclass
class TransientSpec:
    """Validated transient settings (SI seconds; see the module docstring)."""

    t_end: float
    dt: float
    scheme: str = "cn"
    adaptive: bool = False
    tol: float = 1e-4
    dt_min: float | None = None
    dt_max: float | None = None
    damped_steps: int = 2
    initial: str = "zero"
    initial_file: Path | None = None
    trace_every: int = 1
    vtu_times: tuple = ()
    gif_frames: int = 40
    points: dict = field(default_factory=dict)
    waveforms: tuple = ()
    checkpoint_every: int = 100

    def evolve_kwargs(self):
        """Keyword arguments of :func:`~omm_fem.transient.stepper.evolve`."""
        return {"t_end": self.t_end, "dt": self.dt, "scheme": self.scheme,
                "adaptive": self.adaptive, "tol": self.tol, "dt_min": self.dt_min,
                "dt_max": self.dt_max, "damped_steps": self.damped_steps}

    def sample_fields(self, B, num=2001):
        """B(t) [T] at the breakpoints and on a grid of ``num`` times, shape (k, 3)."""
        sched = Schedule([w for w in self.waveforms if w.target in FIELD_TARGETS], B=B,
                         contacts={})
        ts = np.union1d(np.linspace(0.0, self.t_end, num), sched.breakpoints(self.t_end))
        return np.array([sched.field(t, left) for t in ts for left in (False, True)])


def _num(path, value, *, positive=False, required=True, default=None):
    return checks.real(path, value, positive=positive, required=required, default=default,
                       error=ConfigError, joined=True)


def _int(path, value, default, low=0):
    return checks.integer(path, value, low=low, default=default, error=ConfigError)


def parse_transient(cfg, spec, *, base_dir=None):
    """Validate the transient sections of a parsed TOML dict.

    Parameters
    ----------
    cfg : dict
        The whole configuration; only ``transient`` and ``waveform`` are read.
    spec : RunSpec
        The steady specification of the same file (contacts, materials, field).
    base_dir : path, optional
        Folder that a relative ``initial_file`` is resolved against (the config
        file's folder); default the working directory.

    Returns
    -------
    TransientSpec

    Raises
    ------
    ConfigError
        Naming the key, the value and what is allowed.
    """
    try:
        return _parse(cfg, spec, base_dir)
    except ConfigError:
        raise
    except OmmError as exc:
        raise ConfigError(str(exc)) from None


def _parse(cfg, spec, base_dir):
    if "transient" not in cfg:
        raise ConfigError("[transient]: missing section (required for a transient run)")
    if "sweep" in cfg:
        raise ConfigError("[sweep] and [transient] cannot be combined: a transient run follows "
                          "one time history (drive the field with [[waveform]] instead)")
    tr = cfg["transient"]
    checks.keys("transient", tr, TRANSIENT_KEYS, error=ConfigError)
    t_end = _num("transient.t_end", tr.get("t_end"), positive=True)
    dt = _num("transient.dt", tr.get("dt"), positive=True)
    scheme = checks.choice("transient.scheme", tr.get("scheme", "cn"), SCHEMES, error=ConfigError)
    adaptive = checks.boolean("transient.adaptive", tr.get("adaptive", False), error=ConfigError)
    if adaptive and scheme == "bdf2":
        raise ConfigError("transient.adaptive = true is invalid with scheme = 'bdf2': step "
                          "control is available for 'be', 'cn' and 'strang'")
    tol = _num("transient.tol", tr.get("tol"), positive=True, required=False, default=1e-4)
    if not tol < 1:
        raise ConfigError(f"transient.tol = {tol!r} is invalid: must be in (0, 1)")
    dt_max = _num("transient.dt_max", tr.get("dt_max"), positive=True, required=False)
    dt_min = _num("transient.dt_min", tr.get("dt_min"), positive=True, required=False)
    if dt_min is not None and dt_min > (dt_max if dt_max is not None else t_end / 10):
        raise ConfigError(f"transient.dt_min = {dt_min!r} is invalid: must not exceed dt_max")
    if dt > t_end:
        raise ConfigError(f"transient.dt = {dt!r} is invalid: must not exceed t_end = {t_end!r}")
    damped = _int("transient.damped_steps", tr.get("damped_steps"), 2)
    initial = checks.choice("transient.initial", tr.get("initial", "zero"), INITIAL,
                            error=ConfigError)
    ifile = tr.get("initial_file")
    if (initial == "file") != (ifile is not None):
        raise ConfigError("transient.initial_file: give it exactly when transient.initial = 'file'"
                          f" (initial = {initial!r}, initial_file = {ifile!r})")
    if ifile is not None:
        path = Path(ifile) if isinstance(ifile, str) else None
        if path is not None and not path.is_absolute() and base_dir is not None:
            path = Path(base_dir) / path
        if path is None or not path.is_file():
            raise ConfigError(f"transient.initial_file = {ifile!r} is invalid: no such file "
                              "(a final_state.npz written by an earlier transient run)")
        read_state(path)  # a damaged file is a config error, found before any meshing
        ifile = path

    out = tr.get("output", {})
    checks.keys("transient.output", out, OUTPUT_KEYS, error=ConfigError)
    every = _int("transient.output.trace_every", out.get("trace_every"), 1, low=1)
    frames = checks.integer("transient.output.gif_frames", out.get("gif_frames"), low=0,
                            high=MAX_GIF_FRAMES, default=40, error=ConfigError,
                            message=f"expected an integer in [0, {MAX_GIF_FRAMES}] "
                                    f"(MAX_GIF_FRAMES: each frame is drawn, held in memory and "
                                    "saved in every checkpoint)")
    ckpt = _int("transient.output.checkpoint_every", out.get("checkpoint_every"), 100)
    vt = out.get("vtu_times", [])
    if not isinstance(vt, list):
        raise ConfigError(f"transient.output.vtu_times = {vt!r} is invalid: expected a list of "
                          "times in s")
    vtu = tuple(sorted(_num(f"transient.output.vtu_times[{k}]", v) for k, v in enumerate(vt)))
    for v in vtu:
        if not 0 <= v <= t_end:
            raise ConfigError(f"transient.output.vtu_times = {vt!r} is invalid: times must lie "
                              f"in [0, t_end = {t_end!r}]")
    points = _points(out.get("points", {}), spec)

    wl = cfg.get("waveform", [])
    if not isinstance(wl, list):
        raise ConfigError(f"waveform = {wl!r} is invalid: expected [[waveform]] tables")
    contacts = {c.name: c for c in spec.contacts}
    waves = []
    for k, tab in enumerate(wl):
        w = make_waveform(tab, where=f"waveform[{k}]")
        if w.target not in FIELD_TARGETS and w.target[len("contacts."):] not in contacts:
            raise ConfigError(f"waveform[{k}].target = {w.target!r} is invalid: no such contact; "
                              f"contacts: {sorted(contacts)}")
        check_sine(w, t_end, where=f"waveform[{k}]")
        waves.append(w)
    check_drive(waves, contacts)
    breaks = {float(p) for w in waves for p in w.breakpoints() if 0.0 < p < t_end}
    check_steps(t_end=t_end, dt=dt, tau=shortest_tau(spec.materials.values()),
                breakpoints=len(breaks), adaptive=adaptive, dt_min=dt_min, dt_max=dt_max)
    ts = TransientSpec(t_end=t_end, dt=dt, scheme=scheme, adaptive=adaptive, tol=tol,
                       dt_min=dt_min, dt_max=dt_max, damped_steps=damped, initial=initial,
                       initial_file=ifile, trace_every=every, vtu_times=vtu, gif_frames=frames,
                       points=points, waveforms=tuple(waves), checkpoint_every=ckpt)
    _check_fields(ts, spec)
    _check_measure_pairs(spec, waves)
    return ts


def _check_measure_pairs(spec, waves):
    """A transient traces its own drive: a [[measure]]'s current pair must be the contacts
    that carry the current (in a steady run each measurement gets its own drive)."""
    driven = {w.target[len("contacts."):] for w in waves if w.target.startswith("contacts.")}
    carry = {c.name for c in spec.contacts
             if c.voltage is not None or (c.current not in (None, 0.0)) or c.name in driven}
    for m in spec.measurements:
        if not carry <= set(m.current):
            raise ConfigError(f"measure.{m.name}.current = {list(m.current)!r} is invalid in a "
                              f"transient run: it traces the run's own drive, whose current "
                              f"flows through {sorted(carry)}; give those two contacts (a steady "
                              "run drives every measurement through its own pair)")


def _points(tab, spec):
    if not isinstance(tab, dict):
        raise ConfigError(f"transient.output.points = {tab!r} is invalid: expected a table "
                          "name = [x, y] (m)")
    g = spec.geometry
    out = {}
    for name, xy in tab.items():
        path = f"transient.output.points.{name}"
        if not (isinstance(xy, list) and len(xy) == 2 and all(
                checks.is_real(v) for v in xy)):
            raise ConfigError(f"{path} = {xy!r} is invalid: expected [x, y] in m")
        x, y = float(xy[0]), float(xy[1])
        if g.get("kind") == "rectangle" and not (0 <= x <= g["length"] and abs(y) <= g["width"] / 2):
            raise ConfigError(f"{path} = {xy!r} is invalid: outside the sample "
                              f"[0, {g['length']}] x [-{g['width'] / 2}, {g['width'] / 2}] m")
        out[name] = (x, y)
    return out


def _check_fields(ts, spec):
    """Every B(t) must be stable and within the max_dofs guard once the mesh resolves it."""
    run_spec(spec, ts)


def run_spec(spec, ts):
    """The RunSpec of a transient run: ``spec`` with the field samples of B(t) in its mesh
    resolution (the mesh must resolve the strongest B(t)) and their boundary-layer length
    as ``resolved["transient_ell_m"]``; ``spec`` itself when no waveform drives the field.

    Raises
    ------
    ConfigError
        Some B(t) makes the OMM dynamics unstable, or its mesh exceeds max_dofs.
    """
    if not any(w.target in FIELD_TARGETS for w in ts.waveforms):
        return spec
    fields = np.unique(ts.sample_fields(spec.B), axis=0)  # each distinct field once
    for mat in spec.materials.values():
        for B in fields:
            mat.check_stable(B, where="waveform field B(t)")
    ell = boundary_layer_length(list(spec.materials.values()), fields)
    return spec.with_fields(fields, transient_ell_m=ell)

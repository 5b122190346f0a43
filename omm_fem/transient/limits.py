"""Size and step limits of a transient run, all checked before any work.

- no step (``dt``, ``dt_min``, ``dt_max``) is shorter than
  :data:`MIN_STEP_TAU` ``* tau`` (tau the shortest relaxation time of the
  materials). Relaxation alone changes n by about h / tau per step; below
  1e-12 that is within four digits of double rounding (2.2e-16), so such a
  step computes rounding, not dynamics, while ``tau / h`` heads for overflow
  (a subnormal step divided by zero). Breakpoints closer than that to t = 0,
  to each other or to t_end are taken as one (a switch at t0 = 1e-300 s
  happens at t = 0 as far as the steps can tell);
- a run takes at most :data:`MAX_STEPS` steps: fixed steps are estimated
  as ``t_end / dt`` plus one per breakpoint and refused beforehand; adaptive
  runs are refused when even ``t_end / dt_max`` exceeds the cap, and stop
  with an error once their accepted and rejected steps together reach it.
  A longer history is a chain of runs, each started from the last one's
  ``final_state.npz`` with ``initial = "file"``;
- the GIF animation has at most :data:`MAX_GIF_FRAMES` frames: each is
  drawn, kept in memory (n^z at every vertex and the image) and saved in
  every checkpoint; 500 frames already play for a minute at 8 frames/s.

The waveform caps (table knots, sine periods and phase) are in
:mod:`omm_fem.transient.waveforms`.
"""
from __future__ import annotations

from ..errors import OmmError, bad_value

MIN_STEP_TAU = 1e-12  # shortest step, in units of the shortest relaxation time tau
MAX_STEPS = 1_000_000  # steps of one run (adaptive: accepted + rejected)
MAX_GIF_FRAMES = 500  # frames of the n^z animation
_SPLIT = " (a longer history is a chain of runs started with initial = 'file')"


def shortest_tau(materials):
    """The shortest relaxation time [s] of ``materials`` (Material objects)."""
    return min(m.tau for m in materials)


def check_steps(*, t_end, dt, tau, breakpoints=0, adaptive=False, dt_min=None, dt_max=None):
    """Refuse, before any work, steps below the floor or more steps than the cap.

    Parameters
    ----------
    t_end, dt : float
        End time and (first) step [s], finite and > 0.
    tau : float
        Shortest relaxation time [s] (:func:`shortest_tau`).
    breakpoints : int
        Number of breakpoints in (0, t_end) (each may add a step).
    adaptive : bool
    dt_min, dt_max : float, optional
        Adaptive step bounds [s] (None: the defaults of :func:`evolve`).

    Returns
    -------
    (dt_min, dt_max) : the adaptive bounds with their defaults (None when fixed).

    Raises
    ------
    OmmError
        Naming the key, its value and the limit (:data:`MIN_STEP_TAU`,
        :data:`MAX_STEPS`).
    """
    floor = MIN_STEP_TAU * tau
    rule = (f"must be >= MIN_STEP_TAU * tau = {MIN_STEP_TAU:g} * {tau:.3g} s = {floor:.3g} s "
            "(a shorter step computes rounding, not dynamics)")
    given = {"transient.dt": dt, "transient.dt_min": dt_min, "transient.dt_max": dt_max}
    for name, val in given.items():
        if val is not None and not val >= floor:
            raise OmmError(bad_value(name, val, rule))
    if adaptive:
        dt_max = t_end / 10 if dt_max is None else dt_max
        dt_min = max(dt_max * 2.0**-40, floor) if dt_min is None else dt_min
        step, name = dt_max, "transient.dt_max"
    else:
        step, name = dt, "transient.dt"
    count = t_end / step + breakpoints
    if not count <= MAX_STEPS:
        raise OmmError(f"transient.t_end = {t_end!r} s with {name} = {step!r} s needs about "
                       f"{count:.3g} steps (t_end / {name[10:]} + {breakpoints} breakpoints), "
                       f"more than the cap MAX_STEPS = {MAX_STEPS}; raise {name[10:]} or shorten "
                       f"t_end{_SPLIT}")
    return (dt_min, dt_max) if adaptive else (None, None)

"""Time integration of the semi-discrete OMM equation (SPEC §7).

Schemes (``h`` the step, L(t) the operator of system.py, one factorisation per
distinct matrix, cached):

- ``"be"``: backward Euler, ``(M + h L(t1)) n1 = M n0 + h f(t1)``; order 1.
- ``"cn"``: Crank-Nicolson in its one-leg (implicit midpoint) form,
  ``(M + h/2 L(tm)) y = M n0 + h/2 f(tm)``, ``n1 = 2y - n0``; order 2. It
  equals the trapezoidal form for a constant operator and a source linear in
  t, and never samples a switch, which the steppers place on step ends.
- ``"bdf2"``: ``(3/2 M + h L(t1)) n1 = M (2 n0 - n_-1 / 2) + h f(t1)``; order 2,
  L-stable; started (and restarted after every breakpoint or step change) by
  one backward Euler step, whose O(h^2) local error keeps the global order.
- ``"strang"``: Strang splitting ``P(h/2) D(h) P(h/2)``: P the exact node-wise
  precession exponential in the mean field of the half step (system.precess),
  D a Crank-Nicolson step of ``M dn/dt + (S + R) n = f e_z`` (diffusion,
  drift, relaxation, source) with one real factorisation that does not depend
  on B. Order 2; exact for constant B and no source, because S (x) I3 and
  M (x) Omega commute for a uniform X.

Damped start (Rannacher): after t = 0 and after every breakpoint, the first
``damped_steps`` (default 2) steps of ``cn`` or ``strang`` are each replaced by
two backward Euler half steps. Their matrix ``M + h/2 L`` is the
Crank-Nicolson one, so damping costs no factorisation; it damps the stiff
modes that a switch excites and that Crank-Nicolson alone would carry along
with amplification factor -> -1 (a sign-alternating ripple). Their O(h^2)
local error, a fixed number of times, keeps the global order 2.

Time is in seconds here; operators work in scaled time ``t / tau0``.

Step limits (shortest step, most steps): :mod:`omm_fem.transient.limits`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..checks import choice, integer, real
from ..errors import OmmError, bad_value
from .limits import _SPLIT, MAX_STEPS, MIN_STEP_TAU, check_steps, shortest_tau

SCHEMES = ("be", "cn", "bdf2", "strang")
ORDER = {"be": 1, "cn": 2, "bdf2": 2, "strang": 2}


@dataclass
class StepStats:
    """Counters of one evolution (times in seconds)."""

    steps: int = 0
    rejected: int = 0
    restarts: int = 0
    h_min: float = math.inf
    h_max: float = 0.0
    accepted: list = field(default_factory=list)  # adaptive: (t0, t1, err_estimate, scale, damped)

    def record(self, h):
        self.steps += 1
        self.h_min = min(self.h_min, h)
        self.h_max = max(self.h_max, h)


class Integrator:
    """Single steps of each scheme for a :class:`~omm_fem.transient.system.TransientSystem`.

    All methods take the step's ends ``t0, t1`` [s] (``t1`` exactly on a
    breakpoint when the step ends there) and its length ``h`` [s] (exactly the
    nominal step for regular steps, so that factorisations are reused).
    States are scaled arrays of shape (3, nfree).
    """

    def __init__(self, system):
        self.sys = system
        self.tau0 = system.units.time

    def _implicit(self, tt, left, alpha, rhs):
        """Solve (alpha M + L(tt)) x = rhs + f(tt) e_z; ``rhs`` is modified."""
        s = self.sys
        d = s.drive(tt, left)
        B = s.schedule.field(tt, left)
        s.check_field(B, tt)
        rhs[2] += s.source(d)
        return s.solve_full(alpha, B, d, rhs)

    def be(self, t0, t1, h, n):
        """Backward Euler; source and operator at t1 (left limit)."""
        alpha = self.tau0 / h
        return self._implicit(t1, True, alpha, alpha * self.sys.mass(n))

    def cn(self, t0, t1, h, n):
        """Crank-Nicolson (one-leg form) with operator and source at the midpoint."""
        alpha = self.tau0 / (0.5 * h)
        y = self._implicit(0.5 * (t0 + t1), False, alpha, alpha * self.sys.mass(n))
        return 2.0 * y - n

    def cn_damped(self, t0, t1, h, n):
        """Two backward Euler half steps (same matrix as ``cn`` with step h)."""
        tm = 0.5 * (t0 + t1)
        return self.be(tm, t1, 0.5 * h, self.be(t0, tm, 0.5 * h, n))

    def bdf2(self, t0, t1, h, n, n_prev):
        """BDF2 with two equal steps h; operator and source at t1 (left limit)."""
        alpha = 1.5 * self.tau0 / h
        hs = h / self.tau0
        return self._implicit(t1, True, alpha, self.sys.mass(2.0 * n - 0.5 * n_prev) / hs)

    def strang(self, t0, t1, h, n, damped=False):
        """Strang splitting: half precession, diffusion-relaxation CN step, half precession."""
        s = self.sys
        sched = s.schedule
        tm = 0.5 * (t0 + t1)
        half = 0.5 * h / self.tau0
        n = s.precess(n, sched.field_average(t0, tm), half)
        alpha = self.tau0 / (0.5 * h)
        if damped:
            for ta in (tm, t1):
                d = s.drive(ta, True)
                rhs = alpha * s.mass(n)
                rhs[2] += s.source(d)
                n = s.solve_scalar(alpha, d, rhs)
        else:
            d = s.drive(tm)
            rhs = alpha * s.mass(n)
            rhs[2] += s.source(d)
            n = 2.0 * s.solve_scalar(alpha, d, rhs) - n
        return s.precess(n, sched.field_average(tm, t1), half)

    def one_step(self, scheme, t0, t1, h, n, damped):
        """One step of a one-step scheme (``damped``: the damped-start variant)."""
        if scheme == "be":
            return self.be(t0, t1, h, n)
        if scheme == "cn":
            return self.cn_damped(t0, t1, h, n) if damped else self.cn(t0, t1, h, n)
        if scheme == "strang":
            return self.strang(t0, t1, h, n, damped)
        raise OmmError(bad_value("transient.scheme", scheme, "not a one-step scheme"))

    def doubled_step(self, scheme, t0, t1, h, n, damped):
        """(two half steps, one full step): the pair compared by the adaptive controller."""
        tm = 0.5 * (t0 + t1)
        big = self.one_step(scheme, t0, t1, h, n, damped)
        small = self.one_step(scheme, t0, tm, 0.5 * h, n, damped)
        small = self.one_step(scheme, tm, t1, 0.5 * h, small, damped)
        return small, big


def _stops(schedule, t_end, h_min):
    """Breakpoints the steps land on, then t_end; one closer than ``h_min`` to t = 0, to
    the previous kept one or to t_end is dropped (the steps cannot resolve it)."""
    stops, last = [], 0.0
    for p in schedule.breakpoints(t_end):
        if p - last >= h_min and t_end - p >= h_min:
            stops.append(p)
            last = p
    return stops + [t_end]


def evolve(system, n0, *, t_end, dt, scheme="cn", adaptive=False, tol=1e-4, dt_min=None,
           dt_max=None, damped_steps=2, stats=None):
    """Integrate from ``n0`` at t = 0 to ``t_end``; yields ``(t, n)`` after every step.

    Parameters
    ----------
    system : TransientSystem
    n0 : ndarray (3, nfree)
        Initial state (scaled); yielded first, at t = 0.
    t_end, dt : float
        End time and (initial) step [s], > 0.
    scheme : {"be", "cn", "bdf2", "strang"}
    adaptive : bool
        Step-doubling control of the local error (one-step schemes only): a
        step of length h is accepted when ``||n_{h/2,h/2} - n_h||_M / (2^p - 1)
        <= tol * max ||n||_M`` (the L2 norm over the sample; the maximum over
        the states accepted so far and the candidate; p the order, 1 for a
        damped start). The accepted state is the two-half-step one. Steps
        are ``dt_max / 2^j`` (factorisations reused) except where a step is
        shortened to land on a breakpoint or t_end.
    tol : float
        Local error tolerance per step (relative, dimensionless), > 0.
    dt_min, dt_max : float, optional
        Adaptive step bounds [s]; defaults ``dt_max = t_end / 10``,
        ``dt_min = dt_max * 2**-40`` (at least ``MIN_STEP_TAU * tau``). Every
        step, ``dt`` and the bounds must be >= ``MIN_STEP_TAU * tau`` and the
        run fit in :data:`MAX_STEPS` steps (:func:`check_steps`).
    damped_steps : int
        Steps taken as two backward Euler half steps after t = 0 and after each
        breakpoint (cn, strang; 0 switches the damped start off), >= 0.
    stats : StepStats, optional
        Filled in place.

    Yields
    ------
    t : float
        Time [s].
    n : ndarray (3, nfree)
        State (scaled; do not modify).

    See Also
    --------
    Stepper : the same evolution as an object whose state can be saved and restored.
    """
    st = Stepper(system, n0, t_end=t_end, dt=dt, scheme=scheme, adaptive=adaptive, tol=tol,
                 dt_min=dt_min, dt_max=dt_max, damped_steps=damped_steps, stats=stats)
    yield st.t, st.n
    while not st.done:
        yield st.step()


class Stepper:
    """The evolution of :func:`evolve` with its loop state as attributes.

    Same parameters as :func:`evolve`. :meth:`step` takes one accepted step
    and returns ``(t, n)``; :meth:`state` returns everything the next steps
    depend on (time, step counters, the state and, for BDF2, the previous
    one, the adaptive step and error scale, the damped-start countdown), and
    :meth:`restore` sets it, so that an evolution continued from a saved
    state takes bit for bit the steps the uninterrupted one takes. The step
    counters in ``stats`` are saved separately (checkpoint.py).
    """

    _FIXED = ("t", "si", "restart", "damp", "k", "on_grid", "h_prev")
    _ADAPTIVE = ("t", "si", "restart", "damp", "h", "scale")

    def __init__(self, system, n0, *, t_end, dt, scheme="cn", adaptive=False, tol=1e-4,
                 dt_min=None, dt_max=None, damped_steps=2, stats=None):
        choice("transient.scheme", scheme, SCHEMES, message=f"allowed: {list(SCHEMES)}")
        for name, val in (("transient.t_end", t_end), ("transient.dt", dt)):
            real(name, val, positive=True, message="must be a finite time > 0 in seconds")
        integer("transient.damped_steps", damped_steps, low=0, message="must be an integer >= 0")
        self.system, self.scheme, self.adaptive = system, scheme, adaptive
        self.t_end, self.dt, self.damped_steps = t_end, dt, damped_steps
        self.stats = StepStats() if stats is None else stats
        self.integ = Integrator(system)
        tau = shortest_tau(system.problem.materials.values())
        self.h_floor = MIN_STEP_TAU * tau
        self.stops = _stops(system.schedule, t_end, self.h_floor)
        if adaptive and scheme == "bdf2":
            raise OmmError(bad_value("transient.adaptive", True, "is available for the one-step "
                                     "schemes 'be', 'cn' and 'strang', not for 'bdf2'"))
        dt_min, dt_max = check_steps(t_end=t_end, dt=dt, tau=tau, breakpoints=len(self.stops) - 1,
                                     adaptive=adaptive, dt_min=dt_min, dt_max=dt_max)
        self.n = np.array(n0, dtype=float)
        self.t, self.si, self.restart, self.damp = 0.0, 0, True, damped_steps
        if adaptive:
            self._init_adaptive(tol, dt_min, dt_max)
        else:
            self.k, self.on_grid, self.n_prev, self.h_prev = 0, True, None, None

    def _init_adaptive(self, tol, dt_min, dt_max):
        real("transient.tol", tol, low=0, high=1, low_open=True, high_open=True,
             message="must be a number in (0, 1)")
        if not 0 < dt_min <= dt_max:
            raise OmmError(bad_value("transient.dt_min", dt_min,
                                     f"must be in (0, dt_max = {dt_max}]"))
        self.tol, self.dt_min, self.dt_max = tol, dt_min, dt_max
        self.h_start = self._ladder(min(self.dt, dt_max))
        self.h = self.h_start
        self.scale = self.system.norm(self.n)

    @property
    def done(self):
        """True once t_end is reached."""
        return self.t >= self.t_end

    def step(self):
        """Take one accepted step; returns ``(t, n)`` (n scaled, do not modify).

        Raises
        ------
        OmmError
            The run has taken :data:`MAX_STEPS` steps (accepted and rejected).
        """
        st = self.stats
        if st.steps + st.rejected >= MAX_STEPS:
            raise OmmError(f"transient: {st.steps} accepted and {st.rejected} rejected steps by "
                           f"t = {self.t:.6g} s of t_end = {self.t_end!r} s reach the cap "
                           f"MAX_STEPS = {MAX_STEPS}; raise transient.tol, dt_min or dt, or "
                           f"shorten t_end{_SPLIT}")
        return self._adaptive_step() if self.adaptive else self._fixed_step()

    # ------------------------------------------------------------ saved state
    def state(self):
        """Loop state: (scalars, arrays); scalars are floats, ints, bools or None."""
        names = self._ADAPTIVE if self.adaptive else self._FIXED
        scalars = {name: getattr(self, name) for name in names}
        arrays = {"n": self.n}
        if not self.adaptive and self.n_prev is not None:
            arrays["n_prev"] = self.n_prev
        return scalars, arrays

    def restore(self, scalars, arrays):
        """Set the loop state saved by :meth:`state` (of an evolution with the same arguments)."""
        names = self._ADAPTIVE if self.adaptive else self._FIXED
        if set(scalars) != set(names) or arrays["n"].shape != self.n.shape:
            raise OmmError(f"saved stepper state {sorted(scalars)} with n of shape "
                           f"{arrays['n'].shape} does not fit this evolution "
                           f"({sorted(names)}, n of shape {self.n.shape})")
        for name in names:
            setattr(self, name, scalars[name])
        self.n = np.array(arrays["n"], dtype=float)
        if not self.adaptive:
            self.n_prev = np.array(arrays["n_prev"], dtype=float) if "n_prev" in arrays else None

    # ------------------------------------------------------------ steps
    def _next_stop(self):
        while self.stops[self.si] <= self.t:
            self.si += 1
        return self.stops[self.si]

    def _fixed_step(self):
        t, dt, integ, scheme = self.t, self.dt, self.integ, self.scheme
        stop = self._next_stop()
        tg = (self.k + 1) * dt
        if stop < tg - 1e-9 * dt:
            t1, h, on_next = stop, stop - t, False
        else:
            t1 = stop if abs(tg - stop) <= 1e-9 * dt else tg
            h = dt if self.on_grid else t1 - t
            self.k, on_next = self.k + 1, True
        if scheme == "bdf2":
            if self.restart or self.n_prev is None or h != self.h_prev:
                n_new = integ.be(t, t1, h, self.n)
            else:
                n_new = integ.bdf2(t, t1, h, self.n, self.n_prev)
        else:
            n_new = integ.one_step(scheme, t, t1, h, self.n, self.damp > 0 and scheme != "be")
        self.stats.restarts += int(self.restart)
        self.stats.record(h)
        self.n_prev, self.h_prev, self.n, self.t, self.on_grid = self.n, h, n_new, t1, on_next
        self.restart = t1 == stop and stop < self.t_end
        self.damp = self.damped_steps if self.restart else max(self.damp - 1, 0)
        return self.t, self.n

    def _ladder(self, h):
        """Largest dt_max / 2^j not above h."""
        j = max(0, math.ceil(math.log2(self.dt_max / h) - 1e-12))
        return self.dt_max * 2.0**-j

    def _adaptive_step(self):
        system, stats, tol = self.system, self.stats, self.tol
        while True:
            t = self.t
            stop = self._next_stop()
            clamped = t + self.h >= stop * (1 - 1e-12)
            t1, hh = (stop, stop - t) if clamped else (t + self.h, self.h)
            damped = self.damp > 0 and self.scheme != "be"
            p = 1 if (damped or self.scheme == "be") else 2
            small, big = self.integ.doubled_step(self.scheme, t, t1, hh, self.n, damped)
            err = system.norm(small - big) / (2**p - 1)
            sc = max(self.scale, system.norm(small))
            ok = err <= tol * sc
            fac = 2.0 if err == 0 else min(2.0, max(0.1, 0.9 * (tol * sc / err) ** (1.0 / (p + 1))))
            if ok:
                stats.record(hh)
                stats.restarts += int(self.restart)
                stats.accepted.append((t, t1, err, sc, damped))
                self.n, self.t, self.scale = small, t1, sc
                self.restart = t1 == stop and stop < self.t_end
                self.damp = self.damped_steps if self.restart else max(self.damp - 1, 0)
                if self.restart:
                    self.h = min(self.h, self.h_start)
                elif not clamped or fac < 1:
                    self.h = self._ladder(min(self.dt_max, hh * fac))
                return self.t, self.n
            stats.rejected += 1
            self.h = self._ladder(hh * fac)
            if self.h < self.dt_min:
                raise OmmError(f"transient.tol = {tol!r}: the adaptive step would fall below "
                               f"transient.dt_min = {self.dt_min:.3g} s at t = {t:.6g} s; raise "
                               "tol or lower dt_min")

"""Time dependence of the field and the contact drive (SPEC §7): a small
waveform vocabulary, given as data and never evaluated as code.

A waveform is ``offset + amplitude * shape(t)`` (``table`` gives values
directly). Every waveform names a *target*:

- ``"B.x"``, ``"B.y"``, ``"B.z"``: a component of the magnetic field [T];
- ``"contacts.NAME"``: the voltage [V] or current [A] of contact NAME,
  whichever the contact is configured with.

The value of a target is the sum of its waveforms; targets without a waveform
keep their steady value. A rotating field is two ``sine`` waveforms on ``B.x``
and ``B.y`` with phases pi/2 apart. Times are in seconds.

Discontinuities (in the value or in its slope) are reported by
``breakpoints()``; the time steppers land on them exactly and evaluate
quantities that belong to the end of a step with the left limit (``left=True``).

Size caps, checked before any work: a ``table`` has at most
:data:`MAX_TABLE_KNOTS` knots (each knot is a breakpoint, so at least one
step and a damped restart); a ``sine`` has ``|phase| <= MAX_PHASE_RAD`` and,
in a configured run, at most :data:`MAX_SINE_PERIODS` periods between its
start and t_end (:func:`check_sine`): beyond ~1e9 periods the double-precision
argument of ``sin`` has lost its sub-microradian digits, and an infinite one
has no value at all. The waveforms on one contact can together drive at most
the contact caps |voltage| <= VOLTAGE_MAX, |current| <= CURRENT_MAX of
:mod:`omm_fem.problem` (:func:`check_drive`): the sum of their peaks
:meth:`Waveform.peak` bounds the drive at every time.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace

import numpy as np

from ..checks import choice, real
from ..errors import OmmError, bad_value
from ..problem import CURRENT_MAX, VOLTAGE_MAX

MAX_TABLE_KNOTS = 10_000  # knots of one table waveform
MAX_PHASE_RAD = 1.0e6  # |phase| of a sine [rad] (a phase counts modulo 2 pi)
MAX_SINE_PERIODS = 1.0e9  # periods of a sine between its start and t_end
KINDS = ("step", "ramp", "pulse", "sine", "table")
PULSE_SHAPES = ("rectangular", "gaussian")
FIELD_TARGETS = {"B.x": 0, "B.y": 1, "B.z": 2}
COMMON = {"target", "kind"}
KEYS = {
    "step": {"amplitude", "t0", "offset"},
    "ramp": {"amplitude", "t0", "duration", "offset"},
    "pulse/rectangular": {"amplitude", "shape", "t0", "width", "offset"},
    "pulse/gaussian": {"amplitude", "shape", "t0", "sigma", "offset"},
    "sine": {"amplitude", "frequency", "phase", "t0", "offset"},
    "table": {"t", "values"},
}
REQUIRED = {
    "step": {"amplitude"}, "ramp": {"amplitude", "duration"},
    "pulse/rectangular": {"amplitude", "width"}, "pulse/gaussian": {"amplitude", "sigma"},
    "sine": {"amplitude", "frequency"}, "table": {"t", "values"},
}


@dataclass(frozen=True)
class Waveform:
    """One time-dependent contribution to a target.

    Parameters
    ----------
    target : str
        ``"B.x"``, ``"B.y"``, ``"B.z"`` or ``"contacts.NAME"``.
    kind : {"step", "ramp", "pulse", "sine", "table"}
    amplitude, offset : float
        Value scale and constant part (T, V or A, as the target).
    t0 : float
        Switching time [s] (step, ramp start, rectangular pulse start,
        gaussian pulse centre, sine start: the sine is ``offset`` before t0).
    duration : float
        Ramp duration [s], > 0.
    shape : {"rectangular", "gaussian"}
        Pulse shape.
    width : float
        Rectangular pulse duration [s], > 0.
    sigma : float
        Gaussian pulse standard deviation [s], > 0.
    frequency, phase : float
        Sine frequency [Hz] (> 0) and phase [rad]: ``sin(2 pi f (t - t0) + phase)``.
    t, values : tuple of float
        Table knots [s] (strictly increasing) and values; piecewise linear,
        constant beyond the first and last knot.
    """

    target: str
    kind: str
    amplitude: float = 1.0
    offset: float = 0.0
    t0: float = 0.0
    duration: float = 0.0
    shape: str = "rectangular"
    width: float = 0.0
    sigma: float = 0.0
    frequency: float = 0.0
    phase: float = 0.0
    t: tuple = ()
    values: tuple = ()

    def value(self, t, left=False):
        """Value at time ``t`` [s]; ``left=True`` gives the left limit at a jump."""
        k = self.kind
        t = float(t)  # Python floats: an extreme ratio below gives inf, not a numpy warning
        if k == "table":
            knots, values = self._knots
            return float(np.interp(t, knots, values))  # binary search of the knots
        if k == "step":
            on = t > self.t0 if left else t >= self.t0
            s = 1.0 if on else 0.0
        elif k == "ramp":
            s = min(max((t - self.t0) / self.duration, 0.0), 1.0)
        elif k == "pulse" and self.shape == "rectangular":
            t1 = self.t0 + self.width
            s = 1.0 if ((self.t0 < t <= t1) if left else (self.t0 <= t < t1)) else 0.0
        elif k == "pulse":
            z = abs(t - self.t0) / self.sigma
            s = math.exp(-0.5 * z * z) if z < 40.0 else 0.0  # exp(-800) underflows anyway
        else:  # sine
            on = t > self.t0 if left else t >= self.t0
            arg = 2 * math.pi * self.frequency * (t - self.t0) + self.phase if on else 0.0
            if not math.isfinite(arg):
                raise OmmError(f"sine waveform on {self.target}: 2 pi frequency (t - t0) + phase "
                               f"= {arg} at t = {t!r} s is not finite (frequency = "
                               f"{self.frequency!r} Hz, phase = {self.phase!r} rad); at most "
                               f"MAX_SINE_PERIODS = {MAX_SINE_PERIODS:g} periods from t0")
            s = math.sin(arg)
        return self.offset + self.amplitude * s

    @functools.cached_property
    def _knots(self):
        """The knots and values of a table as arrays (converted once, not at every call)."""
        return np.asarray(self.t, float), np.asarray(self.values, float)

    def peak(self):
        """The largest |value| at any time: ``max |values|`` of a table, ``|offset| +
        |amplitude|`` of a sine, ``max(|offset|, |offset + amplitude|)`` of the others (their
        shape lies in [0, 1]); inf if that overflows."""
        if self.kind == "table":
            return max(abs(v) for v in self.values)
        if self.kind == "sine":
            return abs(self.offset) + abs(self.amplitude)
        return max(abs(self.offset), abs(self.offset + self.amplitude))

    def breakpoints(self):
        """Times [s] where the value or its slope is discontinuous."""
        k = self.kind
        if k == "table":
            return list(self.t)
        if k == "ramp":
            return [self.t0, self.t0 + self.duration]
        if k == "pulse":
            return [self.t0, self.t0 + self.width] if self.shape == "rectangular" else []
        return [self.t0]


def make_waveform(tab, where="waveform"):
    """Build a :class:`Waveform` from a config table, validating every key.

    Raises
    ------
    OmmError
        Naming ``where.key``, the value and what is allowed.
    """
    if not isinstance(tab, dict):
        raise OmmError(bad_value(where, tab, "expected a table with 'target' and 'kind'"))
    kind = choice(f"{where}.kind", tab.get("kind"), KINDS, message=f"allowed: {list(KINDS)}")
    target = tab.get("target")
    if not isinstance(target, str) or not (target in FIELD_TARGETS or target.startswith("contacts.")
                                           and len(target) > len("contacts.")):
        raise OmmError(bad_value(f"{where}.target", target,
                                 f"allowed: {sorted(FIELD_TARGETS)} or 'contacts.NAME'"))
    key = kind
    if kind == "pulse":
        shape = choice(f"{where}.shape", tab.get("shape", "rectangular"), PULSE_SHAPES,
                       message=f"allowed: {list(PULSE_SHAPES)}")
        key = f"pulse/{shape}"
    allowed = KEYS[key] | COMMON
    what = f"kind = {kind!r}" + (f", shape = {key[6:]!r}" if kind == "pulse" else "")
    for k in tab:
        if k not in allowed:
            raise OmmError(f"{where}.{k}: unknown key for {what}; allowed keys: {sorted(allowed)}")
    for k in sorted(REQUIRED[key]):
        if k not in tab:
            raise OmmError(f"{where}.{k}: missing (required for {what})")
    if kind == "table":
        return _table(tab, target, where)
    kw = {}
    for k in KEYS[key] - {"shape"}:
        if k in tab:
            kw[k] = real(f"{where}.{k}", tab[k], numpy=True,
                         positive=k in ("duration", "width", "sigma", "frequency"))
    if kind == "pulse":
        kw["shape"] = tab.get("shape", "rectangular")
    if abs(kw.get("phase", 0.0)) > MAX_PHASE_RAD:
        raise OmmError(bad_value(f"{where}.phase", tab["phase"],
                                 f"must be in [-{MAX_PHASE_RAD:g}, {MAX_PHASE_RAD:g}] rad "
                                 "(MAX_PHASE_RAD; a phase counts modulo 2 pi)"))
    return Waveform(target=target, kind=kind, **kw)


def check_drive(waveforms, contacts, where="waveform"):
    """Refuse contact waveforms that can drive a contact beyond its cap (before any work).

    The drive of a contact with waveforms is the sum of their values, bounded by the sum
    of their :meth:`Waveform.peak`; it must stay within ``|voltage| <= VOLTAGE_MAX`` or
    ``|current| <= CURRENT_MAX`` (whichever the contact is configured with).

    Parameters
    ----------
    waveforms : sequence of Waveform
        ``where[k]`` names the k-th in messages.
    contacts : dict[str, Contact]

    Raises
    ------
    OmmError
        Naming the waveforms on the contact, their peak and the cap.
    """
    on = {}
    for k, w in enumerate(waveforms):
        name = w.target[len("contacts."):] if w.target.startswith("contacts.") else None
        if name in contacts:
            on.setdefault(name, []).append(k)
    for name, ks in on.items():
        c = contacts[name]
        key, cap, unit = (("voltage", VOLTAGE_MAX, "V") if c.voltage is not None
                          else ("current", CURRENT_MAX, "A"))
        peak = sum(waveforms[k].peak() for k in ks)
        if not peak <= cap:
            keys = ", ".join(f"{where}[{k}]" for k in ks)
            raise OmmError(f"{keys} (target = 'contacts.{name}'): the {key} reaches up to "
                           f"{peak:.3g} {unit} (the sum of the waveforms' largest |value|, "
                           f"Waveform.peak), beyond the contact cap |{key}| <= {cap:g} {unit} "
                           f"({key.upper()}_MAX: the largest drive of a sample this solver "
                           "accepts)")


def check_sine(w, t_end, where="waveform"):
    """Refuse a sine with more than :data:`MAX_SINE_PERIODS` periods between t0 and ``t_end``.

    Raises
    ------
    OmmError
        Naming ``where.frequency``, the number of periods and the cap.
    """
    if w.kind != "sine":
        return
    periods = w.frequency * max(t_end - w.t0, 0.0)
    if not periods <= MAX_SINE_PERIODS:
        raise OmmError(bad_value(f"{where}.frequency", w.frequency,
                                 f"frequency * (t_end - t0) = {periods:.3g} periods (t_end = "
                                 f"{t_end!r} s, t0 = {w.t0!r} s) exceeds MAX_SINE_PERIODS = "
                                 f"{MAX_SINE_PERIODS:g}"))


def _table(tab, target, where):
    ts, vs = tab["t"], tab["values"]
    for name, arr in (("t", ts), ("values", vs)):
        if not isinstance(arr, (list, tuple)) or len(arr) < 1:
            raise OmmError(bad_value(f"{where}.{name}", arr,
                                     "expected a non-empty list of numbers"))
        if len(arr) > MAX_TABLE_KNOTS:
            raise OmmError(f"{where}.{name}: {len(arr)} entries, more than MAX_TABLE_KNOTS = "
                           f"{MAX_TABLE_KNOTS} knots of a table waveform (each knot is a "
                           "breakpoint that the steps land on); resample the table")
    ts = [real(f"{where}.t[{k}]", v, numpy=True) for k, v in enumerate(ts)]
    vs = [real(f"{where}.values[{k}]", v, numpy=True) for k, v in enumerate(vs)]
    if len(ts) != len(vs):
        raise OmmError(bad_value(f"{where}.values", vs, f"needs as many entries as t ({len(ts)})"))
    bad = [k for k in range(1, len(ts)) if not ts[k] > ts[k - 1]]
    if bad:
        k = bad[0]
        raise OmmError(bad_value(f"{where}.t", ts, f"times must be strictly increasing "
                                 f"(t[{k}] = {ts[k]!r} <= t[{k - 1}] = {ts[k - 1]!r})"))
    return Waveform(target=target, kind="table", t=tuple(ts), values=tuple(vs))


class Schedule:
    """Field B(t) and contact drive of a problem under a set of waveforms.

    Parameters
    ----------
    waveforms : sequence of Waveform
    B : array_like (3,)
        Steady field [T] for components without a waveform.
    contacts : dict[str, Contact]
        The problem's contacts (their steady voltage/current).
    """

    def __init__(self, waveforms, *, B, contacts):
        self.waveforms = tuple(waveforms)
        self.B = np.asarray(B, float).copy()
        self.contacts = dict(contacts)
        self._field = [[] for _ in range(3)]
        self._drive = {}
        for k, w in enumerate(self.waveforms):
            if not isinstance(w, Waveform):
                raise OmmError(bad_value(f"waveform[{k}]", w, "expected a Waveform"))
            if w.target in FIELD_TARGETS:
                self._field[FIELD_TARGETS[w.target]].append(w)
                continue
            name = w.target[len("contacts."):]
            if name not in self.contacts:
                raise OmmError(bad_value(f"waveform[{k}].target", w.target,
                                         f"no such contact; contacts: {sorted(self.contacts)}"))
            self._drive.setdefault(name, []).append(w)
        check_drive(self.waveforms, self.contacts)

    @property
    def field_varies(self):
        """True when some field component has a waveform."""
        return any(self._field)

    @property
    def drive_varies(self):
        """True when some contact has a waveform."""
        return bool(self._drive)

    def field(self, t, left=False):
        """B(t) [T], shape (3,)."""
        B = self.B.copy()
        for a, ws in enumerate(self._field):
            if ws:
                B[a] = sum(w.value(t, left) for w in ws)
        return B

    def field_average(self, t0, t1):
        """Mean of B over [t0, t1] by 2-point Gauss-Legendre quadrature [T], shape (3,).

        Exact for fields polynomial of degree <= 3 in t on the interval; the
        steppers never let an interval straddle a breakpoint.
        """
        if not self.field_varies:
            return self.B.copy()
        c, d = 0.5 * (t0 + t1), 0.5 * (t1 - t0) / math.sqrt(3.0)
        return 0.5 * (self.field(c - d) + self.field(c + d))

    def contacts_at(self, t, left=False):
        """Contacts with the voltage/current of time ``t``: dict name -> Contact."""
        if not self._drive:
            return self.contacts
        out = dict(self.contacts)
        for name, ws in self._drive.items():
            c = self.contacts[name]
            val = sum(w.value(t, left) for w in ws)
            kind = "voltage" if c.voltage is not None else "current"
            out[name] = replace(c, **{kind: val})
        return out

    def breakpoints(self, t_end):
        """Sorted distinct breakpoints in (0, t_end) [s]."""
        pts = sorted({float(p) for w in self.waveforms for p in w.breakpoints() if 0.0 < p < t_end})
        return pts

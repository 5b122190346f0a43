"""Observables of a transient state and the traces recorded from them.

At a time t the charge problem is quasi-static: the alpha^0 solution is that
of the drive of time t, and the O(alpha^2) correction is driven by
``load = W(V(t)) n^z(t)``. Contact currents of the correction come from
reciprocity, ``dI_c = -psi_c . load`` (equal to the consistent flux of
:meth:`~omm_fem.charge.ChargeSolver.correction` because the conductance
stiffness is symmetric), and probe potentials from precomputed adjoint
solutions, so a trace point costs sparse products only; the corrected
potential itself (a back-solve) is computed for field snapshots.

Traces are recorded by *observers*: callables ``observer(obs) -> dict`` of
column name -> float, one call per recorded step with an :class:`Observation`.
Built in: the field, the two-terminal observables of the primary pair, one
observer per ``[[measure]]`` (R, R0, rho, Delta I/I0 with the definitions of
:class:`omm_fem.measure.Terminals`), boundary-probe potentials, n at points
and integrals over the sample. :meth:`Tracer.add` registers more.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import measure
from ..errors import ConfigError, OmmError
from ..measure import TWO_TERMINAL_KEYS, Terminals
from ..postprocess import line_probe
from ..steady import FieldSolution


class TerminalMaps:
    """Probe potentials (insulating boundary pieces) for any drive.

    Parameters
    ----------
    system : TransientSystem
    probes : sequence of str
        Boundary tags whose mean potential is reported (see measure.Terminals).
    """

    def __init__(self, system, probes=()):
        self.terminals = Terminals(system.pipeline, probes=probes)  # names validated here
        ch = system.charge
        wp = self.terminals.wp  # (ndofs, nprobes): mean over each probe edge
        self.psi_probe = wp.T @ ch.psi  # probe potential per unit contact voltage
        self.adj = ch.lu.solve(wp[ch.free]) if wp.shape[1] else np.zeros((ch.free.size, 0))

    def potentials(self, V0, dV, load, free):
        """(P0, P) [V]: alpha^0 and corrected probe potentials."""
        P0 = self.psi_probe @ V0
        return P0, P0 + self.adj.T @ load[free] + self.psi_probe @ dV


def observe(system, t, n, *, field=True):
    """Observables at time ``t`` [s] of the scaled state ``n`` (3, nfree).

    Returns
    -------
    sol : FieldSolution
        SI; ``phi`` is the corrected potential when ``field`` is true, else phi0.
        ``sol.extra`` holds the probe potentials ``P`` and ``P0`` [V] (arrays in
        the order of ``system.maps.terminals.probes``).
    V0, I0 : dict
        alpha^0 contact voltages [V] and currents [A] of time t.
    phi0 : ndarray (ndofs,)
        alpha^0 potential [V].
    """
    d = system.drive(t)
    u = system.units
    ch = system.charge
    names = system.disc.contact_names
    nfull = np.zeros((3, system.disc.ndofs))
    nfull[:, system.free] = n
    load = system.delta_J_matrix(d) @ nfull[2]
    phi0 = ch.psi @ d.V
    imask = np.array([d.contacts[c].current is not None for c in names])
    if field:
        phi1, dI, dV = ch.correction(load, d.contacts)
    else:
        dI = -(ch.psi.T @ load)
        dV = np.zeros(len(names))
        if imask.any():
            dV[imask] = np.linalg.solve(ch.G[np.ix_(imask, imask)], -dI[imask])
        phi1 = np.zeros_like(phi0)
    V = d.V + dV
    I_total = u.sigma * (d.I + dI + ch.G @ dV)
    P0, P = system.maps.potentials(d.V, dV, load, ch.free)
    sol = FieldSolution(B=system.schedule.field(t), n=nfull * u.density, phi=phi0 + phi1,
                        voltages=dict(zip(names, V)), currents=dict(zip(names, I_total)),
                        delta_I_fixed_voltage=dict(zip(names, u.sigma * dI)),
                        extra={"P": P, "P0": P0})
    return sol, dict(zip(names, d.V)), dict(zip(names, u.sigma * d.I)), phi0


def two_terminal(pipeline, sol, V0, I0):
    """Two-terminal observables of the pipeline's primary pair at one time (SI), with the
    alpha^0 reference (V0, I0) of that time: :func:`omm_fem.measure.two_terminal`
    (NaN ratios while the drive is off)."""
    return measure.two_terminal(pipeline.pair, sol, V0, I0)


@dataclass
class Observation:
    """Everything a trace may need at one recorded time (SI unless noted)."""

    t: float
    n_scaled: np.ndarray  # (3, nfree)
    sol: FieldSolution  # phi is phi0 only unless a snapshot
    V0: dict
    I0: dict
    phi0: np.ndarray


def measurement_observer(system, meas):
    """Observer of one [[measure]]: columns ``NAME.R_ohm``, ``NAME.R0_ohm``,
    ``NAME.rho`` and ``NAME.delta_I_over_I0`` (NaN while no current flows)."""
    term = system.maps.terminals
    cols = [f"{meas.name}.{k}" for k in ("R_ohm", "R0_ohm", "rho", "delta_I_over_I0")]
    a = meas.current[0]

    def observer(obs):
        s = obs.sol
        def arr(dct):
            return np.array([[dct[c] for c in term.contacts]])

        values = {"V": arr(s.voltages), "I": arr(s.currents), "P": s.extra["P"][None]}
        zeroth = {"V": arr(obs.V0), "I": arr(obs.I0), "P": s.extra["P0"][None]}
        if obs.I0[a] == 0.0:
            return dict.fromkeys(cols, np.nan)
        try:
            R, R0, rho = term.resistance(values, zeroth, meas)
        except OmmError:  # no current through the measurement's contact at this time
            return dict.fromkeys(cols, np.nan)
        return dict(zip(cols, (R[0], R0[0], rho[0], s.delta_I_fixed_voltage[a] / obs.I0[a])))

    return observer


class Tracer:
    """Collects columns from observers at each recorded time.

    Parameters
    ----------
    system : TransientSystem
    points : dict[str, (float, float)], optional
        Named points [m] where n is recorded.
    measurements : sequence of omm_fem.measure.Measurement, optional
    """

    def __init__(self, system, points=None, measurements=()):
        self.system = system
        self.observers = []
        self.columns = {"t_s": []}
        self.add(self._field)
        self.add(self._two_terminal)
        for m in measurements:
            self.add(measurement_observer(system, m))
        if system.maps.terminals.probes:
            self.add(self._probe_potentials)
        if points:
            pts = np.array(list(points.values()), float).T
            try:
                P = line_probe(system.pipeline, pts)
            except OmmError as exc:
                raise ConfigError(f"transient.output.points: {exc}") from None
            self._P, self._point_names = P[:, system.free], list(points)
            self.add(self._points)
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
        """The columns as float arrays (SI)."""
        return {k: np.asarray(v, float) for k, v in self.columns.items()}

    # ---- built-in observers
    def _field(self, obs):
        return {f"B_{a}_T": obs.sol.B[k] for k, a in enumerate("xyz")}

    def _two_terminal(self, obs):
        tt = two_terminal(self.system.pipeline, obs.sol, obs.V0, obs.I0)
        return {k: tt[k] for k in TWO_TERMINAL_KEYS}

    def _probe_potentials(self, obs):
        names = self.system.maps.terminals.probes
        return {f"probe.{p}.potential_V": obs.sol.extra["P"][k] for k, p in enumerate(names)}

    def _points(self, obs):
        vals = self._P @ obs.n_scaled.T * self.system.units.density  # (npoints, 3)
        return {f"n_{a}_{name}_C_per_m2": vals[i, k] for i, name in enumerate(self._point_names)
                for k, a in enumerate("xyz")}

    def _integrals(self, obs):
        s = self.system
        u = s.units
        ints = np.array([np.dot(comp, s.integral) for comp in obs.n_scaled])
        out = {f"int_n_{a}_C": ints[k] * u.density * u.length**2 for k, a in enumerate("xyz")}
        out["norm_n_C_per_m"] = s.norm(obs.n_scaled) * u.density * u.length
        return out

"""The result of a transient run: :class:`TransientSolution` (see :mod:`omm_fem.solutions`)."""
from __future__ import annotations

import numpy as np

from .errors import OmmError, bad_value
from .plotting import draw_traces
from .solution_common import TWO_TERMINAL, axes_or_new, jsonable, readonly

# trace columns of the primary pair (recorded under these names by the tracer)
TWO_TERMINAL_COLUMNS = {"R_ohm": "resistance_ohm", "R0_ohm": "resistance0_ohm", "rho": "rho",
                        "delta_I_over_I0": "delta_I_over_I0"}


class TransientSolution:
    """A transient run (SI). Built by :func:`omm_fem.simulate`.

    Attributes
    ----------
    t : ndarray (nt,)
        Recorded times [s].
    traces : dict[str, ndarray]
        Columns (nt,) in SI: ``t_s``, ``B_x_T``.., the primary pair's
        ``current_A``, ``voltage_V``, ``resistance_ohm``, ``rho``,
        ``delta_I_over_I0``, ..., ``NAME.R_ohm``, ``NAME.R0_ohm``, ``NAME.rho``,
        ``NAME.delta_I_over_I0`` per measurement, integrals of n.
    final_n : ndarray (3, ndofs)
        n at the last time [C/m^2].
    results : dict
        Run summary (steps, factorisations, the steady state at t_end, ...).
    measurement_names : list of str
    """

    def __init__(self, result, measurements):
        self._res = result
        self._meas = dict(measurements)
        self._traces = {k: readonly(np.asarray(v, float)) for k, v in result.traces.items()}

    @property
    def t(self) -> np.ndarray:
        """Recorded times [s], shape (nt,)."""
        return self._traces["t_s"]

    @property
    def traces(self) -> dict:
        """Trace columns (SI), each shape (nt,)."""
        return dict(self._traces)

    @property
    def final_n(self) -> np.ndarray:
        """n at the last time [C/m^2], shape (3, ndofs)."""
        return readonly(self._res.final_state)

    @property
    def results(self) -> dict:
        return self._res.results

    @property
    def measurement_names(self) -> list[str]:
        """Names of the measurements, ``"two_terminal"`` first."""
        return list(self._meas)

    @property
    def system(self):
        """The :class:`~omm_fem.transient.TransientSystem` that was integrated."""
        return self._res.system

    def trace(self, column: str) -> np.ndarray:
        """One trace column (SI), shape (nt,)."""
        if column not in self._traces:
            raise OmmError(bad_value("column", column, f"allowed: {sorted(self._traces)}"))
        return self._traces[column]

    def _column(self, name, key):
        if name == TWO_TERMINAL:
            return self.trace(TWO_TERMINAL_COLUMNS[key])
        if name not in self._meas:
            raise OmmError(bad_value("measurement name", name,
                                     f"allowed: {self.measurement_names}"))
        return self.trace(f"{name}.{key}")

    def resistance(self, name: str = TWO_TERMINAL) -> np.ndarray:
        """R(t) [Ohm] of measurement ``name``, shape (nt,) (NaN while no current flows)."""
        return self._column(name, "R_ohm")

    def resistance0(self, name: str = TWO_TERMINAL) -> np.ndarray:
        """R0(t) [Ohm], the alpha^0 resistance of the drive of time t, shape (nt,)."""
        return self._column(name, "R0_ohm")

    def rho(self, name: str = TWO_TERMINAL) -> np.ndarray:
        """rho(t) = dV/V0 - dI/I0 of measurement ``name``, shape (nt,)."""
        return self._column(name, "rho")

    def plot(self, ax=None, columns=("delta_I_over_I0",)):
        """Trace columns against t (data in s, ticks with the run's SI prefix, e.g. ps).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Drawn into; by default a new bare Figure (no pyplot).
        columns : sequence of str
            Names in :attr:`traces`.

        Returns
        -------
        matplotlib.figure.Figure
        """
        if isinstance(columns, str):
            columns = (columns,)
        series = {c: self.trace(c) for c in columns}
        return draw_traces(axes_or_new(ax, (6, 4.2)), self.t, series)

    def to_dict(self) -> dict:
        """JSON-friendly SI summary: ``t_s``, ``traces`` (lists), ``final`` (last
        values), ``measurements``, ``transient`` (steps, scheme, ...) and
        ``steady_at_t_end`` when computed. NaN -> None."""
        r = self._res.results
        out = {"t_s": self.t, "traces": self._traces,
               "final": {k: v[-1] for k, v in self._traces.items()},
               "measurements": {n: {"current": list(m.current), "voltage": list(m.voltage)}
                                for n, m in self._meas.items()},
               "transient": r.get("transient", {})}
        if "steady_at_t_end" in r:
            out["steady_at_t_end"] = r["steady_at_t_end"]
        return jsonable(out)

    def __repr__(self):
        return (f"TransientSolution({len(self.t)} times up to {self.t[-1]:.4g} s, "
                f"measurements={self.measurement_names})")

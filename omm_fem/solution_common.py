"""Shared pieces of the solution objects (:mod:`omm_fem.solutions`): read-only
views, JSON conversion, Axes creation and the measurement lookup."""
from __future__ import annotations

import numpy as np

from .errors import OmmError, bad_value
from .io import jsonable  # noqa: F401  (re-exported for the solution modules)
from .plotting import new_figure

TWO_TERMINAL = "two_terminal"


def readonly(a):
    """A read-only view of ``a`` (the owner keeps write access)."""
    v = np.asarray(a).view()
    v.flags.writeable = False
    return v


def axes_or_new(ax, figsize):
    """``ax`` itself, or the single Axes of a new bare Figure."""
    if ax is not None:
        return ax
    return new_figure(figsize=figsize, layout="constrained").subplots()


class Measured:
    """Measurement lookup shared by the steady and sweep solutions."""

    def __init__(self, pipeline, terminals, measurements, own=None):
        self._pipe = pipeline
        self._terminals = terminals
        self._meas = dict(measurements)  # name -> Measurement, "two_terminal" first
        # name -> (Terminals, response, zeroth) of a measurement with its own drive
        # (its current pair is not the configured drive: omm_fem.circuits)
        self._own = dict(own or {})
        self._cache = {}

    @property
    def pipeline(self):
        """The :class:`~omm_fem.steady.Pipeline` (field-independent setup) behind the solution."""
        return self._pipe

    @property
    def problem(self):
        """The solved :class:`~omm_fem.problem.Problem`."""
        return self._pipe.problem

    @property
    def measurement_names(self) -> list[str]:
        """Names of the measurements, ``"two_terminal"`` first."""
        return list(self._meas)

    def measurement(self, name=TWO_TERMINAL):
        """The :class:`~omm_fem.measure.Measurement` called ``name``."""
        if name not in self._meas:
            raise OmmError(bad_value("measurement name", name, f"allowed: {list(self._meas)}"))
        return self._meas[name]

    def _evaluate(self, name, values, zeroth):
        """(R, R0, rho) arrays of ``name`` for a response dict, cached by name."""
        if name not in self._cache:
            terms = self._terminals
            if name in self._own:
                terms, values, zeroth = self._own[name]
            self._cache[name] = terms.resistance(values, zeroth, self.measurement(name))
        return self._cache[name]

    def _measurement_echo(self, name):
        m = self._meas[name]
        return {"current": list(m.current), "voltage": list(m.voltage)}

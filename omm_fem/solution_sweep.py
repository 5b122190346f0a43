"""The result of a field sweep: :class:`SweepSolution` (see :mod:`omm_fem.solutions`)."""
from __future__ import annotations

import math

import numpy as np

from .errors import OmmError
from .plotting import draw_hmr
from .solution_common import TWO_TERMINAL, Measured, axes_or_new, jsonable, readonly
from .sweep import rho_infinity_factor, rho_star


class SweepSolution(Measured):
    """A field sweep (SI). Built by :func:`omm_fem.sweep`.

    Attributes
    ----------
    fields : ndarray (nf, 3)
        Fields [T].
    B_T : ndarray (nf,)
        |B| [T].
    method : {"reduced", "direct"}
        How n^z was obtained (a reduced model keeps rho within ~1e-6 relative).
    info : dict
        Timings and the reduced model's diagnostics (see SweepResult).
    measurement_names : list of str
    accuracy : dict or None
        With ``sweep(..., error_estimate=True)`` or ``tolerance=``: the error estimate
        at the smallest and largest |B| (``error_estimate``; the second field under
        ``other_fields``) and, with a tolerance, the refinement history; else None.
    """

    def __init__(self, pipeline, result, terminals, measurements, direction=None, own=None):
        super().__init__(pipeline, terminals, measurements, own)
        self._res = result
        self.accuracy = None
        self._direction = None if direction is None else np.asarray(direction, float)
        self._zero_values = None

    @property
    def fields(self) -> np.ndarray:
        """Fields [T], shape (nf, 3)."""
        return readonly(self._res.fields)

    @property
    def B_T(self) -> np.ndarray:
        """Field magnitudes |B| [T], shape (nf,)."""
        return np.linalg.norm(self._res.fields, axis=1)

    @property
    def method(self) -> str:
        return self._res.method

    @property
    def info(self) -> dict:
        return self._res.info

    @property
    def result(self):
        """The underlying :class:`~omm_fem.sweep.SweepResult`."""
        return self._res

    def _rrr(self, name):
        return self._evaluate(name, self._res.response, self._res.zeroth)

    def resistance(self, name: str = TWO_TERMINAL) -> np.ndarray:
        """R [Ohm] of measurement ``name`` per field, shape (nf,)."""
        return self._rrr(name)[0].copy()

    def resistance0(self, name: str = TWO_TERMINAL) -> np.ndarray:
        """R0 [Ohm] (alpha^0, field independent) per field, shape (nf,)."""
        return self._rrr(name)[1].copy()

    def rho(self, name: str = TWO_TERMINAL) -> np.ndarray:
        """rho = dV/V0 - dI/I0 per field, shape (nf,) (NaN if V0 = 0)."""
        return self._rrr(name)[2].copy()

    def direction(self) -> np.ndarray:
        """Unit vector u of a magnitude sweep B_k = b_k u, shape (3,).

        Raises
        ------
        OmmError
            The fields do not lie on one line through B = 0.
        """
        if self._direction is not None:
            return self._direction / np.linalg.norm(self._direction)
        F = self._res.fields
        norms = np.linalg.norm(F, axis=1)
        nz = norms > 0
        if not nz.any():
            raise OmmError("rho* needs a sweep of field magnitudes along one direction; "
                           "every field of this sweep is 0")
        U = F[nz] / norms[nz, None]
        u = U[0]
        if not np.all(np.minimum(np.abs(U - u).max(axis=1), np.abs(U + u).max(axis=1)) < 1e-9):
            raise OmmError("rho* needs a sweep of field magnitudes along one direction; the "
                           "fields of this sweep point along different directions (use "
                           "sweep(problem, B_T=..., direction=...))")
        return u

    def _rho_zero(self, name):
        """rho at B = 0: the sweep point there, else one extra solve (cached)."""
        k = np.flatnonzero(np.linalg.norm(self._res.fields, axis=1) == 0)
        if k.size:
            return float(self.rho(name)[k[0]])
        if self._zero_values is None:
            sol = self._pipe.at_field(np.zeros(3))
            self._zero_values = self._terminals.response(
                np.asarray(sol.n)[2] / self._pipe.disc.units.density)
        return float(self._terminals.resistance(self._zero_values, self._res.zeroth,
                                                self.measurement(name))[2][0])

    def rho_star(self, name: str = TWO_TERMINAL) -> np.ndarray:
        """rho* = (rho - rho(0)) / (rho(inf) - rho(0)) per field, shape (nf,) (SPEC Eq. 23).

        rho(inf) = kappa rho(0) (:func:`omm_fem.sweep.rho_infinity_factor`);
        rho(0) comes from the sweep point at B = 0 or, without one, from one
        extra solve. rho* = 0 at B = 0 and -> 1 where n^z is fully dephased.

        Raises
        ------
        OmmError
            The sweep is not along one direction, rho of ``name`` is undefined,
            or rho* is (the reason is in the message).
        """
        u = self.direction()
        rho0 = self._rho_zero(name)
        if not math.isfinite(rho0):
            raise OmmError(f"rho* of measurement {name!r} is undefined: its rho is undefined "
                           "(zeroth-order voltage V0 = 0)")
        kappa = rho_infinity_factor(list(self.problem.materials.values()), u)
        val, reason = rho_star(self.rho(name), rho0, kappa)
        if val is None:
            raise OmmError(f"measurement {name!r}: {reason}")
        return np.asarray(val, float)

    def plot(self, ax=None, names=None, star: bool = False):
        """rho (or rho*) of the measurements against |B| [T].

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Drawn into; by default a new bare Figure (no pyplot).
        names : sequence of str, optional
            Measurements to draw (default all).
        star : bool
            Draw rho* instead of rho; measurements whose rho* is undefined
            are left out (OmmError when none has one).

        Returns
        -------
        matplotlib.figure.Figure
        """
        names = self.measurement_names if names is None else list(names)
        for n in names:
            self.measurement(n)
        curves, error = {}, None
        for n in names:
            rs = None
            if star:
                try:
                    rs = self.rho_star(n)
                except OmmError as exc:  # drawn without rho*; raised if no curve has one
                    error = exc
            curves[n] = (self.rho(n), rs)
        if star and all(rs is None for _, rs in curves.values()):
            raise error
        return draw_hmr(axes_or_new(ax, (6, 4.2)), self.B_T, curves, xlabel="|B| (T)", star=star)

    def to_dict(self, star: bool = False) -> dict:
        """JSON-friendly SI summary: ``fields_T`` (nf, 3), ``B_T``, ``method`` and
        ``measurements`` (per name: ``current``, ``voltage``, ``R_ohm``,
        ``R0_ohm``, ``rho`` lists; with ``star`` also ``rho_star``, or None and
        ``rho_star_note`` when undefined); ``accuracy`` where estimated. NaN -> None."""
        meas = {}
        for name in self._meas:
            m = {**self._measurement_echo(name), "R_ohm": self.resistance(name),
                 "R0_ohm": self.resistance0(name), "rho": self.rho(name)}
            if star:
                try:
                    m["rho_star"] = self.rho_star(name)
                except OmmError as exc:
                    m["rho_star"], m["rho_star_note"] = None, str(exc)
            meas[name] = m
        out = {"fields_T": self._res.fields, "B_T": self.B_T, "method": self.method,
               "measurements": meas}
        if self.accuracy is not None:
            out["accuracy"] = self.accuracy
        return jsonable(out)

    def to_dataframe(self):
        """pandas DataFrame, one row per field: ``B_x_T``, ``B_y_T``, ``B_z_T``,
        ``B_T``, then ``NAME.R_ohm``, ``NAME.R0_ohm``, ``NAME.rho`` per measurement."""
        try:
            import pandas as pd
        except ImportError:
            raise OmmError("SweepSolution.to_dataframe needs pandas, which is not installed: "
                           "pip install pandas (or use to_dict())") from None
        F = self._res.fields
        cols = {"B_x_T": F[:, 0], "B_y_T": F[:, 1], "B_z_T": F[:, 2], "B_T": self.B_T}
        for name in self._meas:
            cols[f"{name}.R_ohm"] = self.resistance(name)
            cols[f"{name}.R0_ohm"] = self.resistance0(name)
            cols[f"{name}.rho"] = self.rho(name)
        return pd.DataFrame(cols)

    def __repr__(self):
        b = self.B_T
        return (f"SweepSolution({len(b)} fields, |B| {b.min():g}..{b.max():g} T, "
                f"method={self.method!r}, measurements={self.measurement_names})")

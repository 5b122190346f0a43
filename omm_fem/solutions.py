"""Solution objects of the notebook API: SI arrays in, SI arrays and figures out.

:func:`omm_fem.solve`, :func:`omm_fem.sweep` and :func:`omm_fem.simulate`
return a :class:`SteadySolution`, a :class:`SweepSolution` and a
:class:`TransientSolution`. Each reads its measurements by name; the name
``"two_terminal"`` is always there: the primary contact pair (``source`` and
``drain`` when the problem has them) measured two-terminal.

rho is the package's relative resistance change to order alpha^2, the order
of the theory: rho = dV/V0 - dI/I0 (:meth:`omm_fem.measure.Terminals.resistance`).
It is NaN for a measurement whose zeroth-order voltage vanishes (a transverse
pair of a symmetric device).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import OmmError, bad_value
from .io import write_vtu
from .plotting import draw_map
from .postprocess import cell_currents, line_probe
from .solution_common import TWO_TERMINAL, Measured, axes_or_new, jsonable, readonly
from .solution_sweep import SweepSolution
from .solution_transient import TransientSolution

__all__ = ["TWO_TERMINAL", "SteadySolution", "SweepSolution", "TransientSolution", "jsonable"]

COMPONENTS = {"x": 0, "y": 1, "z": 2}


class SteadySolution(Measured):
    """A steady problem solved at one field (SI). Built by :func:`omm_fem.solve`.

    Attributes
    ----------
    problem : Problem
    B : ndarray (3,)
        Field [T].
    n : ndarray (3, ndofs)
        OMM density (n^x, n^y, n^z) [C/m^2] at the DOFs.
    phi : ndarray (ndofs,)
        Corrected potential phi0 + phi1 [V].
    phi0 : ndarray (ndofs,)
        Zeroth-order (alpha^0) potential [V].
    points : ndarray (2, ndofs)
        DOF locations [m].
    voltages, currents : dict[str, float]
        Contact voltages [V] and currents into the sample [A], O(alpha^2) included.
    measurement_names : list of str
    accuracy : dict or None
        With ``solve(..., error_estimate=True)`` or ``tolerance=``: the discretisation
        error estimate of every observable (``error_estimate``, as in results.json) and,
        with a tolerance, the refinement history (``refinement``); else None.
    """

    def __init__(self, pipeline, solution, terminals, measurements, own=None):
        super().__init__(pipeline, terminals, measurements, own)
        self._sol = solution
        self.accuracy = None
        dens = pipeline.disc.units.density
        self._values = terminals.response(np.asarray(solution.n)[2] / dens)
        self._zeroth = terminals.zeroth_order()

    @property
    def B(self) -> np.ndarray:
        """Field [T], shape (3,)."""
        return readonly(self._sol.B)

    @property
    def n(self) -> np.ndarray:
        """OMM density [C/m^2] at the DOFs, shape (3, ndofs)."""
        return readonly(self._sol.n)

    @property
    def phi(self) -> np.ndarray:
        """Corrected potential [V] at the DOFs, shape (ndofs,)."""
        return readonly(self._sol.phi)

    @property
    def phi0(self) -> np.ndarray:
        """Zeroth-order potential [V] at the DOFs, shape (ndofs,)."""
        return readonly(self._pipe.phi0)

    @property
    def points(self) -> np.ndarray:
        """DOF locations [m], shape (2, ndofs)."""
        return readonly(self._pipe.disc.to_si_points())

    @property
    def voltages(self) -> dict:
        """Contact voltages [V] (O(alpha^2) included)."""
        return {k: float(v) for k, v in self._sol.voltages.items()}

    @property
    def currents(self) -> dict:
        """Contact currents into the sample [A] (O(alpha^2) included)."""
        return {k: float(v) for k, v in self._sol.currents.items()}

    @property
    def field_solution(self):
        """The underlying :class:`~omm_fem.steady.FieldSolution`."""
        return self._sol

    def _rrr(self, name):
        return self._evaluate(name, self._values, self._zeroth)

    def resistance(self, name: str = TWO_TERMINAL) -> float:
        """R = V / I [Ohm] of measurement ``name``, O(alpha^2) included."""
        return float(self._rrr(name)[0][0])

    def resistance0(self, name: str = TWO_TERMINAL) -> float:
        """R0 [Ohm] of measurement ``name``: the alpha^0 resistance."""
        return float(self._rrr(name)[1][0])

    def rho(self, name: str = TWO_TERMINAL) -> float:
        """rho = dV/V0 - dI/I0 of measurement ``name`` (dimensionless; NaN if V0 = 0)."""
        return float(self._rrr(name)[2][0])

    def profile(self, points) -> np.ndarray:
        """n [C/m^2] at arbitrary points of the sample.

        Parameters
        ----------
        points : array_like (2, npts) or (2,)
            x and y coordinates [m]; every point must lie in the sample.

        Returns
        -------
        ndarray (3, npts), or (3,) for a single point given as (2,)
            (n^x, n^y, n^z) interpolated by the finite-element basis.
        """
        try:
            pts = np.array(points, dtype=float)
        except (TypeError, ValueError):
            raise OmmError(bad_value("points", points, "expected a (2, npts) array in m")) from None
        single = pts.shape == (2,)
        pts = pts.reshape(2, 1) if single else pts
        if pts.ndim != 2 or pts.shape[0] != 2 or pts.shape[1] == 0 or not np.all(np.isfinite(pts)):
            raise OmmError(bad_value("points", f"array of shape {np.shape(points)}",
                                     "expected a (2, npts) array of finite coordinates in m"))
        P = line_probe(self._pipe, pts)
        out = np.vstack([P @ self._sol.n[k] for k in range(3)])
        return out[:, 0] if single else out

    def plot_map(self, ax=None, component: str = "z"):
        """Colour map of one component of n [C/m^2] with the contacts.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Drawn into; by default a new bare Figure (no pyplot).
        component : {"x", "y", "z"}

        Returns
        -------
        matplotlib.figure.Figure
        """
        if component not in COMPONENTS:
            raise OmmError(bad_value("component", component, f"allowed: {list(COMPONENTS)}"))
        ax = axes_or_new(ax, (8, 5))
        B = ", ".join(f"{b:g}" for b in self._sol.B)
        return draw_map(ax, self.problem.mesh, self._sol.n[COMPONENTS[component]],
                        self._pipe.disc.contact_names, title=f"$n^{component}$ at B = ({B}) T",
                        label=f"$n^{component}$", probes=self._terminals.probes)

    def to_dict(self, fields: bool = False) -> dict:
        """JSON-friendly SI summary (NaN -> None).

        Keys ``field_T``, ``pair``, ``measurements`` (per name: ``current``,
        ``voltage``, ``R_ohm``, ``R0_ohm``, ``rho``), ``contacts`` (per name:
        ``voltage_V``, ``current_A``) and ``dofs``; with ``fields`` also
        ``points_m`` (2, ndofs), ``n_C_per_m2`` (3, ndofs), ``phi_V`` and
        ``phi0_V`` (ndofs,) as nested lists; ``accuracy`` where estimated.
        """
        out = {
            "field_T": self._sol.B,
            "pair": list(self._pipe.pair),
            "dofs": int(self._pipe.disc.ndofs),
            "measurements": {name: {**self._measurement_echo(name), "R_ohm": self.resistance(name),
                                    "R0_ohm": self.resistance0(name), "rho": self.rho(name)}
                             for name in self._meas},
            "contacts": {c: {"voltage_V": self._sol.voltages[c], "current_A": self._sol.currents[c]}
                         for c in self._pipe.disc.contact_names},
        }
        if fields:
            out.update(points_m=self.points, n_C_per_m2=self._sol.n, phi_V=self._sol.phi,
                       phi0_V=self._pipe.phi0)
        if self.accuracy is not None:
            out["accuracy"] = self.accuracy
        return jsonable(out)

    def write_vtu(self, path) -> Path:
        """VTU file of n, phi, phi0 (vertices) and J0, Delta J [A/m] (cells); returns the path."""
        J0, dJ = cell_currents(self._pipe, self._sol)
        return Path(write_vtu(Path(path), self._pipe, self._sol,
                              {"J0_A_per_m": J0, "dJ_A_per_m": dJ}))

    def __repr__(self):
        rho = self.rho()
        return (f"SteadySolution(B={self._sol.B.tolist()} T, dofs={self._pipe.disc.ndofs}, "
                f"measurements={self.measurement_names}, two_terminal rho={rho:.6e})")

"""omm_fem: finite-element solver for orbital magnetic moment (OMM) dynamics
and the orbital Hanle magnetoresistance in layered 2D materials.

Notebook use (SI in and out)::

    import omm_fem as om
    sol = om.solve(problem, measurements=[om.Measurement("R4", current=("source", "drain"),
                                                         voltage=("probe_1_top", "probe_2_top"))])
    sw = om.sweep(problem, B_T=np.linspace(0, 6, 31), measurements=[...])
    tr = om.simulate(problem, t_end=1e-11, dt=5e-13, waveforms=[{...}])
    res = om.fit("FIT.toml")   # parameters with error bars from measured curves

:class:`Pipeline`, :class:`Terminals` and :func:`sweep_terminals` are the
lower-level interface the three build on.
"""
__version__ = "0.1.0"  # first: submodules import it

from . import accuracy, analytic
from .api import simulate, solve, sweep
from .errors import ConfigError, MeshError, OmmError
from .fitting import FitResult, fit
from .geometry import annulus, hall_bar, load_mesh, polygon, rectangle
from .material import Material
from .measure import Measurement, Terminals
from .problem import Contact, Problem
from .solutions import SteadySolution, SweepSolution, TransientSolution
from .steady import FieldSolution, Pipeline
from .sweep import SweepResult, sweep_terminals
from .transient.waveforms import Waveform, make_waveform
from .units import E_CHARGE, EV, HBAR, K_B, M_E

__all__ = [
    "EV",
    "E_CHARGE",
    "HBAR",
    "K_B",
    "M_E",
    "ConfigError",
    "Contact",
    "FieldSolution",
    "FitResult",
    "Material",
    "Measurement",
    "MeshError",
    "OmmError",
    "Pipeline",
    "Problem",
    "SteadySolution",
    "SweepResult",
    "SweepSolution",
    "Terminals",
    "TransientSolution",
    "Waveform",
    "__version__",
    "accuracy",
    "analytic",
    "annulus",
    "fit",
    "hall_bar",
    "load_mesh",
    "make_waveform",
    "polygon",
    "rectangle",
    "simulate",
    "solve",
    "sweep",
    "sweep_terminals",
]

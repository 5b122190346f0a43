"""omm_fem: finite-element solver for orbital magnetic moment (OMM) dynamics
and the orbital Hanle magnetoresistance in layered 2D materials."""
from . import analytic
from .errors import ConfigError, MeshError, OmmError
from .geometry import rectangle
from .material import Material
from .problem import Contact, Problem
from .measure import Measurement, Terminals
from .steady import FieldSolution, Pipeline, solve
from .sweep import SweepResult, sweep_terminals
from .units import E_CHARGE, HBAR, M_E

__version__ = "0.1.0"

__all__ = [
    "OmmError", "ConfigError", "MeshError",
    "Material", "Contact", "Problem", "Pipeline", "FieldSolution", "solve", "rectangle",
    "Measurement", "Terminals", "sweep_terminals", "SweepResult",
    "analytic", "E_CHARGE", "HBAR", "M_E", "__version__",
]

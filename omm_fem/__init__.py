"""omm_fem: finite-element solver for orbital magnetic moment (OMM) dynamics
and the orbital Hanle magnetoresistance in layered 2D materials."""
from .errors import ConfigError, MeshError, OmmError

__version__ = "0.1.0"

__all__ = ["OmmError", "ConfigError", "MeshError", "__version__"]

"""Geometry builders returning tagged scikit-fem meshes in SI metres."""
from .rectangle import rectangle

__all__ = ["rectangle"]

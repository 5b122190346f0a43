"""Geometry builders and mesh loading; all return tagged scikit-fem meshes in metres."""
from .annulus import annulus
from .mesh_io import load_mesh
from .polygon import hall_bar, hall_bar_outline, polygon, rectangle
from .tagged import tagged_mesh

__all__ = ["rectangle", "polygon", "hall_bar", "hall_bar_outline", "annulus", "load_mesh",
           "tagged_mesh"]

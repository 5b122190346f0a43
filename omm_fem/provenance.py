"""Provenance of a result: package and dependency versions, platform, config hash.

Kept under its own key in results.json (with ``timing``) so that everything
else in the file is reproducible bit for bit for the same configuration on
the same machine.
"""
from __future__ import annotations

import hashlib
import json
import platform
from importlib import metadata

import numpy as np

DEPENDENCIES = ("numpy", "scipy", "scikit-fem", "gmsh", "meshio", "cvxopt", "matplotlib", "tqdm")


def config_hash(cfg):
    """SHA-256 of the configuration in canonical JSON form (sorted keys)."""
    text = json.dumps(cfg, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def mesh_hash(mesh, *extra):
    """SHA-256 of a mesh's vertices, elements and boundary/region tags, and of ``extra``
    arrays or strings (e.g. the free DOFs, the element order)."""
    h = hashlib.sha256()
    tags = [getattr(mesh, "boundaries", None) or {}, getattr(mesh, "subdomains", None) or {}]
    arrays = [mesh.p, mesh.t] + [v for d in tags for _, v in sorted(d.items())]
    for arr in arrays + [x for x in extra if not isinstance(x, str)]:
        a = np.ascontiguousarray(arr)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    h.update(" ".join([*(sorted(tags[0]) + sorted(tags[1])),
                       *(x for x in extra if isinstance(x, str))]).encode())
    return h.hexdigest()


def provenance(cfg):
    """Versions, platform and config hash (JSON-serialisable)."""
    from . import __version__

    versions = {}
    for name in DEPENDENCIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {"omm_fem": __version__, "python": platform.python_version(),
            "platform": platform.platform(), "dependencies": versions,
            "config_sha256": config_hash(cfg)}

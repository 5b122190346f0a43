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

DEPENDENCIES = ("numpy", "scipy", "scikit-fem", "gmsh", "meshio", "cvxopt", "matplotlib", "tqdm")


def config_hash(cfg):
    """SHA-256 of the configuration in canonical JSON form (sorted keys)."""
    text = json.dumps(cfg, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


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

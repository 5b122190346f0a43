"""TOML configuration -> validated run specification (strict: unknown keys are errors).

Everything is checked before any mesh is generated (a mesh file is read,
and checked, before any assembly). The schema, SI units throughout:

    [geometry]   kind = "rectangle" | "hall_bar" | "polygon" | "annulus" | "mesh", ...
    [mesh]       order = 1|2, size, edge_size, max_dofs
    [material]   D, tau, alpha, sigma, mobility, X = [[..],[..],[..]] | {model = ...}, X_unit
    [material.REGION]  the same, one table per region (meshes with named surfaces)
    [field]      B = [Bx, By, Bz]
    [sweep]      B_T = [..] | {start, stop, num}, direction = [..]         (magnitude sweep)
                 angle_deg = [..] | {start, stop, num}, B_T = |B|, direction, axis  (angle sweep)
    [contacts.NAME]  voltage | current, omm = "sink"|"reflecting"|"relaxing", s
    [[measure]]  name, current = [a, b], voltage = [p, q]
    [solver]     drift, coupled
    [output]     vtu_sweep_points = [indices], strip_overlay = true|false
    [transient], [[waveform]]  time-dependent runs (omm_fem.transient.config)
"""
from __future__ import annotations

import sys

import numpy as np

from ..errors import ConfigError, OmmError
from . import geometry as geom
from .sections import parse_contacts, parse_materials, parse_measurements, parse_output, parse_sweep
from .spec import EDGE_FRACTION, MeshOptions, OutputSpec, RunSpec, SweepSpec, resolve_mesh
from .values import boolean, check_keys, integer, number, table, vector3

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["DEFAULT_CONFIG", "EDGE_FRACTION", "MeshOptions", "OutputSpec", "RunSpec",
           "SweepSpec", "default_config", "load_toml", "parse_config", "resolve_mesh"]

DEFAULT_CONFIG = """\
# Built-in example: a bilayer-graphene-like strip, 1 um x 1 um (L/L_m = 10).
# Reflecting contacts and no drift make the exact strip solution (SPEC §6)
# valid at every x, so the run doubles as an accuracy check.
[geometry]
kind = "rectangle"
length = 1.0e-6        # m
width = 1.0e-6         # m

[mesh]
order = 2              # edge_size is chosen from the boundary-layer length

[material]
D = 1.0e-2             # m^2/s   OMM diffusion constant
tau = 1.0e-12          # s       OMM relaxation time -> L_m = 100 nm
alpha = 0.05           #         orbital Hall angle
sigma = 1.6e-3         # S       sheet conductance (n = 1e16 m^-2, mu_e = 1 m^2/Vs)
mobility = 1.0         # m^2/(V s)
X = [[24.4, 0.0, 0.0], [0.0, 24.4, 0.0], [0.0, 0.0, 2.44]]   # m* = 0.041 m_e, theta = 0.1
X_unit = "1/m_e"

[field]
B = [1.0, 0.0, 0.0]    # T  (phi = (e/2) B X_yy tau = 2.15)

[sweep]
B_T = {start = 0.0, stop = 6.0, num = 13}
direction = [1.0, 0.0, 0.0]

[contacts.source]
current = 1.0e-6       # A into the sample
omm = "reflecting"

[contacts.drain]
voltage = 0.0          # V (ground)
omm = "reflecting"

[solver]
drift = false
"""

SECTIONS = {"geometry", "mesh", "material", "field", "sweep", "contacts", "measure", "solver",
            "output", "transient", "waveform"}  # transient, waveform: omm_fem.transient.config


def load_toml(path):
    """Parse a TOML file; syntax errors become ConfigError with the file name."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file {str(path)!r} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {str(path)!r} is not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {str(path)!r} cannot be read: {exc}") from None


def default_config():
    """The built-in example configuration as a dict."""
    return tomllib.loads(DEFAULT_CONFIG)


def parse_config(cfg, *, base_dir=None):
    """Validate a configuration dict and return a :class:`RunSpec` (no meshing yet).

    ``base_dir`` resolves relative mesh-file paths (the config file's folder).
    Every problem is reported as a :class:`ConfigError` naming the key.
    """
    try:
        return _parse(cfg, base_dir)
    except ConfigError:
        raise
    except OmmError as exc:
        raise ConfigError(str(exc)) from None


def _parse(cfg, base_dir):
    if not isinstance(cfg, dict):
        raise ConfigError(f"configuration must be a table, got {type(cfg).__name__}")
    check_keys("config", cfg, SECTIONS)
    if "waveform" in cfg and "transient" not in cfg:
        raise ConfigError("[[waveform]]: needs a [transient] section (waveforms drive a transient run)")
    g = geom.parse_geometry(table(cfg, "geometry", required=True), base_dir)

    msh = table(cfg, "mesh")
    check_keys("mesh", msh, {"order", "size", "edge_size", "max_dofs"})
    mesh_opts = MeshOptions(
        order=integer("mesh.order", msh.get("order"), low=1, high=2, default=2),
        size=number("mesh.size", msh.get("size"), positive=True, required=False),
        edge_size=number("mesh.edge_size", msh.get("edge_size"), positive=True, required=False),
        max_dofs=number("mesh.max_dofs", msh.get("max_dofs"), positive=True, required=False,
                        default=3.0e6))
    model_info = {}
    materials = parse_materials(table(cfg, "material", required=True), g, model_info)

    fld = table(cfg, "field")
    check_keys("field", fld, {"B"})
    B = vector3("field.B", fld["B"]) if "B" in fld else np.zeros(3)
    sweep = parse_sweep(table(cfg, "sweep")) if "sweep" in cfg else None
    contacts = parse_contacts(table(cfg, "contacts"), g)
    measurements = parse_measurements(cfg.get("measure", []), contacts, g)
    solver = table(cfg, "solver")
    check_keys("solver", solver, {"drift", "coupled"})
    drift = boolean("solver.drift", solver.get("drift"), True)
    coupled = boolean("solver.coupled", solver.get("coupled"), False)
    output = parse_output(table(cfg, "output"), sweep, g)
    fields = [B, np.zeros(3)] + ([] if sweep is None else list(sweep.fields))
    for name, mat in materials.items():
        for k, Bk in enumerate(fields):
            mat.check_stable(Bk, where="field.B" if k == 0 else "sweep.B_T")
    return RunSpec(config=cfg, geometry=g, mesh_opts=mesh_opts, materials=materials,
                   contacts=contacts, B=B, sweep=sweep, measurements=measurements, drift=drift,
                   coupled=coupled, output=output,
                   info={"X_models": model_info} if model_info else {})

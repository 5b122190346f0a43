"""TOML configuration -> validated run specification (strict: unknown keys are errors).

Everything is checked before any mesh is generated (a mesh file is read,
and checked, before any assembly). The schema, SI units throughout:

    [geometry]   kind = "rectangle" | "hall_bar" | "polygon" | "annulus" | "mesh", ...
    [mesh]       order = 1|2, size, edge_size, max_dofs, error_estimate, tolerance,
                 generator = "auto"|"structured"|"gmsh"
    [material]   D, tau, alpha, sigma, mobility, X = [[..],[..],[..]] | {model = ...}, X_unit
    [material.REGION]  the same, one table per region (meshes with named surfaces)
    [field]      B = [Bx, By, Bz]
    [sweep]      B_T = [..] | {start, stop, num}, direction = [..]         (magnitude sweep)
                 angle_deg = [..] | {start, stop, num}, B_T = |B|, direction, axis  (angle sweep)
                 parameter = "material.tau", values = [..] | {start, stop, num, scale}
                 (a parameter sweep, alone or with a field sweep: omm_fem.config.parameters)
    [contacts.NAME]  voltage | current, omm = "sink"|"reflecting"|"relaxing", s
    [[measure]]  name, current = [a, b], voltage = [p, q]
    [solver]     drift, coupled
    [output]     vtu_sweep_points = [indices], strip_overlay = true|false
    [transient], [[waveform]]  time-dependent runs (omm_fem.transient.config)

Limits, checked before any work (each message names the key and the limit):
a config file of at most CONFIG_MAX_BYTES (10 MB) and a mesh file of at most
2 GB (omm_fem.geometry.mesh_io.MESH_MAX_BYTES), both regular files;
mesh.max_dofs <= MAX_DOFS_LIMIT (5e7); polygons of at most 5000 vertices;
|alpha| < 1; mobility <= 1e6 m^2/(V s) (omm_fem.material.MOBILITY_MAX);
|contact voltage| <= 1e6 V and |contact current| <= 1e3 A
(omm_fem.problem.VOLTAGE_MAX, CURRENT_MAX); integers within the float range;
arrays and tables at most MAX_NESTING (32) levels deep.
A run without drive (every contact at one voltage, no current) is refused.
"""
from __future__ import annotations

import sys

import numpy as np

from ..checks import MAX_NESTING, file_problem, path_text, size_text, too_deep
from ..errors import ConfigError, OmmError, bad_value, shorten, show
from . import geometry as geom
from .parameters import point_configs, split_sweep
from .sections import (
    check_drive,
    parse_contacts,
    parse_materials,
    parse_measurements,
    parse_output,
    parse_sweep,
)
from .spec import (
    EDGE_FRACTION,
    MAX_DOFS_LIMIT,
    MeshOptions,
    OutputSpec,
    ParameterSweepSpec,
    RunSpec,
    SweepSpec,
    resolve_mesh,
)
from .values import boolean, check_keys, integer, number, string, table, vector3

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["CONFIG_MAX_BYTES", "DEFAULT_CONFIG", "EDGE_FRACTION", "MAX_DOFS_LIMIT", "MeshOptions",
           "OutputSpec", "RunSpec", "SweepSpec", "default_config", "load_toml", "parse_config",
           "resolve_mesh"]

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

CONFIG_MAX_BYTES = 10 * 10**6  # the largest configuration file read (10 MB)

SECTIONS = {"geometry", "mesh", "material", "field", "sweep", "contacts", "measure", "solver",
            "output", "transient", "waveform"}  # transient, waveform: omm_fem.transient.config


def load_toml(path):
    """Parse a TOML file; every failure is a ConfigError naming the file.

    The file must be a regular file (a symbolic link is followed) of at most
    :data:`CONFIG_MAX_BYTES`; both are checked before it is read. Syntax
    errors, integers of more than 4300 digits and nesting too deep to parse
    are reported as "not valid TOML"; arrays or tables nested more than
    MAX_NESTING (32) levels deep are refused (:func:`check_nesting`).
    """
    name = show(str(path))
    problem = file_problem(path, CONFIG_MAX_BYTES)
    if problem is not None:
        raise ConfigError(f"config file {name} {problem}")
    try:
        with open(path, "rb") as fh:
            data = fh.read(CONFIG_MAX_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(f"config file {name} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"config file {name} cannot be read: "
                          f"{exc.strerror or type(exc).__name__}") from None
    if len(data) > CONFIG_MAX_BYTES:  # it grew after the check
        raise ConfigError(f"config file {name} is larger than the limit of "
                          f"{size_text(CONFIG_MAX_BYTES)}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {name} cannot be read: not UTF-8 text ({exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {name} is not valid TOML: {shorten(exc)}") from None
    except RecursionError:
        raise ConfigError(f"config file {name} is not valid TOML: arrays or tables are nested "
                          "too deeply to parse") from None
    except ValueError as exc:  # e.g. an integer beyond Python's 4300-digit conversion limit
        why = str(exc).split(";")[0]
        raise ConfigError(f"config file {name} is not valid TOML: an integer literal is too long "
                          f"to read ({shorten(why)})" if "integer" in why
                          else f"config file {name} is not valid TOML: {shorten(why)}") from None
    check_nesting(data, f"config file {name}: ")
    return data


def check_nesting(cfg, where=""):
    """Refuse arrays or tables nested more than MAX_NESTING (32) levels deep (ConfigError
    naming the key): dotted keys and headers nest tables without a parser limit."""
    path = too_deep(cfg)
    if path is not None:
        raise ConfigError(f"{where}{path_text(path)} is nested too deeply: more than "
                          f"{MAX_NESTING} levels of arrays or tables (MAX_NESTING)")


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
    check_nesting(cfg)
    check_keys("config", cfg, SECTIONS)
    if "waveform" in cfg and "transient" not in cfg:
        raise ConfigError("[[waveform]]: needs a [transient] section (waveforms drive a transient run)")
    g = geom.parse_geometry(table(cfg, "geometry", required=True), base_dir)

    msh = table(cfg, "mesh")
    check_keys("mesh", msh, {"order", "size", "edge_size", "max_dofs", "error_estimate",
                             "tolerance", "generator"})
    max_dofs = number("mesh.max_dofs", msh.get("max_dofs"), positive=True, required=False,
                      default=3.0e6)
    if max_dofs > MAX_DOFS_LIMIT:
        raise ConfigError(bad_value("mesh.max_dofs", max_dofs, f"must be <= {MAX_DOFS_LIMIT:.3g} "
                                    "(the largest mesh this solver builds: memory of the mesher "
                                    "and of one factorisation)"))
    mesh_opts = MeshOptions(
        order=integer("mesh.order", msh.get("order"), low=1, high=2, default=2),
        size=number("mesh.size", msh.get("size"), positive=True, required=False),
        edge_size=number("mesh.edge_size", msh.get("edge_size"), positive=True, required=False),
        max_dofs=max_dofs, generator=geom.mesh_generator(g, msh.get("generator")),
        **_accuracy_keys(msh, cfg))
    model_info = {}
    materials = parse_materials(table(cfg, "material", required=True), g, model_info)

    fld = table(cfg, "field")
    check_keys("field", fld, {"B"})
    B = vector3("field.B", fld["B"]) if "B" in fld else np.zeros(3)
    # [sweep] parameter/values (omm_fem.config.parameters) and the field sweep B_T/angle_deg
    swept, field_part = split_sweep(table(cfg, "sweep"))
    if swept and "transient" in cfg:
        raise ConfigError("sweep.parameter: a parameter sweep is a sweep of steady runs; it "
                          "cannot be combined with [transient]")
    if swept and not ({"B_T", "angle_deg"} & set(field_part)) and field_part:
        raise ConfigError(f"sweep.{sorted(field_part)[0]}: only used with a field sweep (B_T or "
                          "angle_deg); a parameter sweep alone takes parameter and values")
    sweep = parse_sweep(field_part) if field_part or ("sweep" in cfg and not swept) else None
    contacts = parse_contacts(table(cfg, "contacts"), g)
    if "transient" not in cfg:  # a transient may start at rest and be driven by a waveform
        check_drive(contacts)
    measurements = parse_measurements(cfg.get("measure", []), contacts, g)
    solver = table(cfg, "solver")
    check_keys("solver", solver, {"drift", "coupled", "linear"})
    drift = boolean("solver.drift", solver.get("drift"), True)
    coupled = boolean("solver.coupled", solver.get("coupled"), False)
    from ..linalg import LINEAR

    linear = string("solver.linear", solver.get("linear"), allowed=list(LINEAR), default="auto")
    output = parse_output(table(cfg, "output"), sweep, g)
    fields = [B, np.zeros(3)] + ([] if sweep is None else list(sweep.fields))
    for name, mat in materials.items():
        for k, Bk in enumerate(fields):
            mat.check_stable(Bk, where="field.B" if k == 0 else "sweep.B_T")
    swept = None if not swept else ParameterSweepSpec(*point_configs(
        cfg, swept, lambda c: parse_config(c, base_dir=base_dir)))
    return RunSpec(config=cfg, geometry=g, mesh_opts=mesh_opts, materials=materials,
                   contacts=contacts, B=B, sweep=sweep, measurements=measurements, drift=drift,
                   coupled=coupled, output=output, linear=linear, parameter_sweep=swept,
                   info={"X_models": model_info} if model_info else {})


def _accuracy_keys(msh, cfg):
    """[mesh] error_estimate (default false: the refined solve costs about 5x the run)
    and tolerance (in (0, 0.5); implies error_estimate), steady runs only."""
    tol = number("mesh.tolerance", msh.get("tolerance"), positive=True, required=False)
    if tol is not None and not tol < 0.5:
        raise ConfigError(bad_value("mesh.tolerance", tol, "must be in (0, 0.5): the largest "
                                    "relative error of the observables accepted"))
    est = boolean("mesh.error_estimate", msh.get("error_estimate"), tol is not None)
    if tol is not None and not est:
        raise ConfigError(bad_value("mesh.error_estimate", est, "must be true (or omitted) "
                                    "with mesh.tolerance, which refines by the error estimate"))
    key = "mesh.tolerance" if tol is not None else "mesh.error_estimate"
    if est and "transient" in cfg:
        raise ConfigError(bad_value(key, msh.get(key.split(".")[1]), "is available for steady "
                                    "runs only (remove it or the [transient] section)"))
    if est and isinstance(cfg.get("sweep"), dict) and "parameter" in cfg["sweep"]:
        raise ConfigError(bad_value(key, msh.get(key.split(".")[1]), "is not available with a "
                                    "[sweep] parameter sweep (each value would need its own "
                                    "refined mesh); estimate single runs instead"))
    return {"error_estimate": est, "tolerance": tol}

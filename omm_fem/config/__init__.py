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
from dataclasses import dataclass, field

import numpy as np

from ..errors import ConfigError, OmmError
from ..problem import boundary_layer_length
from . import geometry as geom
from .sections import (SINGLE, parse_contacts, parse_materials, parse_measurements,
                       parse_output, parse_sweep)
from .values import check_keys, integer, number, table, vector3

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["DEFAULT_CONFIG", "RunSpec", "default_config", "load_toml", "parse_config"]

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
EDGE_FRACTION = {1: 16, 2: 8}  # default edge_size = ell / EDGE_FRACTION[order]


@dataclass
class RunSpec:
    """Everything a run needs, validated; meshing happens in :meth:`build_problem`."""

    config: dict
    geometry: dict
    mesh_opts: dict
    materials: dict
    contacts: list
    B: np.ndarray
    sweep: dict | None
    measurements: list
    drift: bool
    coupled: bool
    output: dict
    resolved: dict = field(default_factory=dict)
    extra_fields: list = field(default_factory=list)

    @property
    def sweep_fields(self):
        return None if self.sweep is None else self.sweep["fields"]

    def all_fields(self):
        fields = [self.B, np.zeros(3)] + list(self.extra_fields)
        if self.sweep is not None:
            fields.extend(self.sweep["fields"])
        return fields

    def add_fields(self, fields):
        """Include more fields [T] (e.g. of a transient B(t)) in the mesh resolution
        and the max_dofs guard."""
        self.extra_fields = list(self.extra_fields) + [np.asarray(f, float) for f in fields]
        _resolve_mesh(self)

    @property
    def probes(self):
        """Voltage terminals of the measurements that are not contacts."""
        names = {c.name for c in self.contacts}
        out = []
        for m in self.measurements:
            out += [v for v in m.voltage if v not in names and v not in out]
        return out

    def build_problem(self):
        """Generate (or read) the mesh and return the validated Problem."""
        from ..problem import Problem

        ungraded = [c.name for c in self.contacts if c.omm == "reflecting"]
        mesh = geom.build_mesh(self.geometry, size=self.resolved["size_m"],
                               edge_size=self.resolved["edge_size_m"], ungraded=ungraded)
        if self.geometry["kind"] == "mesh":
            dofs = mesh.p.shape[1] * (4 if self.mesh_opts["order"] == 2 else 1)
            if dofs > self.mesh_opts["max_dofs"]:
                raise ConfigError(f"mesh: about {dofs:.3g} unknowns exceed mesh.max_dofs = "
                                  f"{self.mesh_opts['max_dofs']:.3g}")
        mats = self.materials
        if list(mats) == [SINGLE]:
            mats = mats[SINGLE]
        pb = Problem(mesh=mesh, materials=mats, contacts=self.contacts, B=self.B,
                     order=self.mesh_opts["order"], drift=self.drift)
        tags = dict(mesh.boundaries or {})
        for p in self.probes:
            if p not in tags:
                raise ConfigError(f"measure: terminal {p!r} is neither a contact nor a boundary "
                                  f"tag of the mesh; tags: {sorted(tags)}")
        return pb


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
    mesh_opts = {"order": integer("mesh.order", msh.get("order"), low=1, high=2, default=2),
                 "size": number("mesh.size", msh.get("size"), positive=True, required=False),
                 "edge_size": number("mesh.edge_size", msh.get("edge_size"), positive=True,
                                     required=False),
                 "max_dofs": number("mesh.max_dofs", msh.get("max_dofs"), positive=True,
                                    required=False, default=3.0e6)}
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
    from .values import boolean

    spec = RunSpec(config=cfg, geometry=g, mesh_opts=mesh_opts, materials=materials,
                   contacts=contacts, B=B, sweep=sweep, measurements=measurements,
                   drift=boolean("solver.drift", solver.get("drift"), True),
                   coupled=boolean("solver.coupled", solver.get("coupled"), False),
                   output=parse_output(table(cfg, "output"), sweep, g))
    for name, mat in materials.items():
        for k, Bk in enumerate(spec.all_fields()):
            mat.check_stable(Bk, where="field.B" if k == 0 else "sweep.B_T")
    if model_info:
        spec.resolved["X_models"] = model_info
    _resolve_mesh(spec)
    return spec


def _resolve_mesh(spec):
    """edge_size from the boundary-layer length over all fields; refuse oversized meshes."""
    mats = list(spec.materials.values())
    ell = boundary_layer_length(mats, spec.all_fields())
    order = spec.mesh_opts["order"]
    edge = spec.mesh_opts["edge_size"] or ell / EDGE_FRACTION[order]
    g = spec.geometry
    spec.resolved.update({"L_m_m": {str(k): m.L_m for k, m in spec.materials.items()},
                          "ell_m": ell, "edge_size_m": edge})
    if g["kind"] == "mesh":
        spec.resolved["size_m"] = None
        return
    size = max(spec.mesh_opts["size"] or geom.default_size(g), edge)
    est = geom.estimate_dofs(g, size, edge, order)
    if est > spec.mesh_opts["max_dofs"]:
        raise ConfigError(
            f"mesh: about {est:.2g} unknowns for edge_size = {edge:.3g} m (boundary-layer length "
            f"ell = {ell:.3g} m) exceeds mesh.max_dofs = {spec.mesh_opts['max_dofs']:.3g}; "
            "raise mesh.max_dofs, give a larger mesh.edge_size, or reduce the largest field")
    spec.resolved.update({"size_m": size, "estimated_dofs": est})

"""TOML configuration -> validated run specification (strict: unknown keys are errors).

Everything is checked before any mesh is generated. The schema (SI units):

    [geometry]  kind = "rectangle", length, width                 # m
    [mesh]      order = 1|2, size, edge_size, max_dofs            # m
    [material]  D, tau, alpha, sigma, mobility, X = [[..],[..],[..]], X_unit
    [field]     B = [Bx, By, Bz]                                  # T
    [sweep]     B_T = [..] | {start, stop, num}, direction = [ux, uy, uz]
    [contacts.NAME]  voltage | current, omm = "sink"|"reflecting"|"relaxing", s
    [solver]    drift = true|false, coupled = true|false
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field

import numpy as np

from .errors import ConfigError, OmmError
from .material import X_UNITS, Material, as_field_vector
from .problem import OMM_CONDITIONS, Contact, boundary_layer_length

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

NUMBER = (int, float)

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

SCHEMA = {
    "geometry": {"kind", "length", "width"},
    "mesh": {"order", "size", "edge_size", "max_dofs"},
    "material": {"D", "tau", "alpha", "sigma", "mobility", "X", "X_unit"},
    "field": {"B"},
    "sweep": {"B_T", "direction"},
    "contacts": None,  # table of contact tables
    "solver": {"drift", "coupled"},
}
CONTACT_KEYS = {"voltage", "current", "omm", "s"}
GEOMETRY_KINDS = ("rectangle",)
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
    sweep_fields: np.ndarray | None
    sweep_direction: np.ndarray | None
    drift: bool
    coupled: bool
    resolved: dict = field(default_factory=dict)

    def all_fields(self):
        fields = [self.B, np.zeros(3)]
        if self.sweep_fields is not None:
            fields.extend(self.sweep_fields)
        return fields

    def build_problem(self):
        """Generate the mesh and return the validated :class:`~omm_fem.problem.Problem`."""
        from .geometry import rectangle
        from .problem import Problem

        graded_contacts = any(c.omm != "reflecting" for c in self.contacts)
        mesh = rectangle(length=self.geometry["length"], width=self.geometry["width"],
                         size=self.resolved["size_m"], edge_size=self.resolved["edge_size_m"],
                         grade_contacts=graded_contacts)
        mats = self.materials["material"] if list(self.materials) == ["material"] else self.materials
        return Problem(mesh=mesh, materials=mats, contacts=self.contacts, B=self.B,
                       order=self.mesh_opts["order"], drift=self.drift)


# ---------------------------------------------------------------- helpers
def _table(cfg, key, required=False):
    val = cfg.get(key)
    if val is None:
        if required:
            raise ConfigError(f"[{key}]: missing section (required)")
        return {}
    if not isinstance(val, dict):
        raise ConfigError(f"{key} = {val!r} is invalid: expected a table [{key}]")
    return val


def _check_keys(section, table, allowed):
    for k in table:
        if k not in allowed:
            raise ConfigError(f"{section}.{k}: unknown key; allowed keys in [{section}]: "
                              f"{sorted(allowed)}")


def _number(path, value, *, positive=False, nonneg=False, required=True, default=None):
    if value is None:
        if required:
            raise ConfigError(f"{path}: missing (required)")
        return default
    if isinstance(value, bool) or not isinstance(value, NUMBER):
        raise ConfigError(f"{path} = {value!r} is invalid: expected a number")
    v = float(value)
    if not math.isfinite(v):
        raise ConfigError(f"{path} = {value!r} is invalid: must be finite")
    if positive and v <= 0:
        raise ConfigError(f"{path} = {value!r} is invalid: must be > 0")
    if nonneg and v < 0:
        raise ConfigError(f"{path} = {value!r} is invalid: must be >= 0")
    return v


def _vector3(path, value):
    if not isinstance(value, list) or len(value) != 3 or any(
            isinstance(v, bool) or not isinstance(v, NUMBER) for v in value):
        raise ConfigError(f"{path} = {value!r} is invalid: expected three numbers [x, y, z]")
    return as_field_vector(value, path)


# ---------------------------------------------------------------- loading
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


def parse_config(cfg):
    """Validate a configuration dict and return a :class:`RunSpec` (no meshing yet).

    Every problem is reported as a :class:`ConfigError` naming the key.
    """
    try:
        return _parse(cfg)
    except ConfigError:
        raise
    except OmmError as exc:
        raise ConfigError(str(exc)) from None


def _parse(cfg):
    if not isinstance(cfg, dict):
        raise ConfigError(f"configuration must be a table, got {type(cfg).__name__}")
    _check_keys("config", cfg, SCHEMA)
    for sec, allowed in SCHEMA.items():
        if allowed is not None:
            _check_keys(sec, _table(cfg, sec), allowed)

    geo = _table(cfg, "geometry", required=True)
    kind = geo.get("kind", "rectangle")
    if kind not in GEOMETRY_KINDS:
        raise ConfigError(f"geometry.kind = {kind!r} is invalid: allowed {list(GEOMETRY_KINDS)}")
    geometry = {"kind": kind,
                "length": _number("geometry.length", geo.get("length"), positive=True),
                "width": _number("geometry.width", geo.get("width"), positive=True)}

    msh = _table(cfg, "mesh")
    order = msh.get("order", 2)
    if isinstance(order, bool) or order not in (1, 2):
        raise ConfigError(f"mesh.order = {order!r} is invalid: allowed 1 or 2")
    mesh_opts = {"order": int(order),
                 "size": _number("mesh.size", msh.get("size"), positive=True, required=False),
                 "edge_size": _number("mesh.edge_size", msh.get("edge_size"), positive=True,
                                      required=False),
                 "max_dofs": _number("mesh.max_dofs", msh.get("max_dofs"), positive=True,
                                     required=False, default=3.0e6)}

    model_info = {}
    materials = {"material": _material("material", _table(cfg, "material", required=True),
                                       model_info)}

    fld = _table(cfg, "field")
    B = _vector3("field.B", fld["B"]) if "B" in fld else np.zeros(3)

    sweep_fields = sweep_dir = None
    if "sweep" in cfg:
        sw = _table(cfg, "sweep")
        if "B_T" not in sw:
            raise ConfigError("sweep.B_T: missing (a list of field magnitudes in T, or "
                              "{start, stop, num})")
        mags = _magnitudes(sw["B_T"])
        sweep_dir = _vector3("sweep.direction", sw.get("direction", [1.0, 0.0, 0.0]))
        if not np.linalg.norm(sweep_dir) > 0:
            raise ConfigError(f"sweep.direction = {sweep_dir.tolist()} is invalid: must be non-zero")
        sweep_dir = sweep_dir / np.linalg.norm(sweep_dir)
        sweep_fields = mags[:, None] * sweep_dir[None, :]

    contacts = _contacts(_table(cfg, "contacts"))
    solver = _table(cfg, "solver")
    flags = {}
    for key, default in (("drift", True), ("coupled", False)):
        val = solver.get(key, default)
        if not isinstance(val, bool):
            raise ConfigError(f"solver.{key} = {val!r} is invalid: expected true or false")
        flags[key] = val

    spec = RunSpec(config=cfg, geometry=geometry, mesh_opts=mesh_opts, materials=materials,
                   contacts=contacts, B=B, sweep_fields=sweep_fields, sweep_direction=sweep_dir,
                   drift=flags["drift"], coupled=flags["coupled"])
    # stability of every field before any meshing
    for mat in materials.values():
        for k, Bk in enumerate(spec.all_fields()):
            mat.check_stable(Bk, where="field.B" if k == 0 else "sweep.B_T")
    if model_info:
        spec.resolved["X_models"] = model_info
    _resolve_mesh(spec)
    return spec


def _material(path, tab, model_info):
    _check_keys(path, tab, SCHEMA["material"])
    X = tab.get("X")
    if X is None:
        raise ConfigError(f"{path}.X: missing (required; a 3x3 symmetric tensor)")
    unit = tab.get("X_unit", "1/kg")
    if unit not in X_UNITS:
        raise ConfigError(f"{path}.X_unit = {unit!r} is invalid: allowed {sorted(X_UNITS)}")
    kwargs = {k: _number(f"{path}.{k}", tab.get(k)) for k in ("D", "tau", "alpha", "sigma")}
    kwargs["mobility"] = _number(f"{path}.mobility", tab.get("mobility"), nonneg=True,
                                 required=False, default=0.0)
    if isinstance(X, dict):
        # X from a tight-binding model (SPEC §10): {model = "blg", mu = .., T = .., V = ..}
        if "X_unit" in tab:
            raise ConfigError(f"{path}.X_unit: only applies to a numeric X, not to X = {{model = ...}}")
        from .xtensor import material_X

        X_si, info = material_X(X, where=f"{path}.X")
        model_info[path] = info
        return Material(X=X_si, **kwargs)
    if not (isinstance(X, list) and len(X) == 3 and all(
            isinstance(r, list) and len(r) == 3 and all(
                isinstance(v, NUMBER) and not isinstance(v, bool) for v in r) for r in X)):
        raise ConfigError(f"{path}.X = {X!r} is invalid: expected a 3x3 array of numbers")
    try:
        return Material.from_units(X=X, X_unit=unit, **kwargs)
    except OmmError as exc:
        raise ConfigError(str(exc)) from None


def _magnitudes(val):
    if isinstance(val, dict):
        _check_keys("sweep.B_T", val, {"start", "stop", "num"})
        start = _number("sweep.B_T.start", val.get("start"))
        stop = _number("sweep.B_T.stop", val.get("stop"))
        num = val.get("num")
        if isinstance(num, bool) or not isinstance(num, int) or num < 1 or num > 100000:
            raise ConfigError(f"sweep.B_T.num = {num!r} is invalid: expected an integer in [1, 100000]")
        return np.linspace(start, stop, num)
    if not isinstance(val, list) or not val:
        raise ConfigError(f"sweep.B_T = {val!r} is invalid: expected a non-empty list of "
                          "magnitudes in T or {start, stop, num}")
    return np.array([_number(f"sweep.B_T[{k}]", v) for k, v in enumerate(val)])


def _contacts(tab):
    if not tab:
        tab = {"source": {"current": 1e-6}, "drain": {"voltage": 0.0}}
    out = []
    for name, ct in tab.items():
        path = f"contacts.{name}"
        if not isinstance(ct, dict):
            raise ConfigError(f"{path} = {ct!r} is invalid: expected a table [contacts.{name}]")
        _check_keys(path, ct, CONTACT_KEYS)
        omm = ct.get("omm", "sink")
        if omm not in OMM_CONDITIONS:
            raise ConfigError(f"{path}.omm = {omm!r} is invalid: allowed {list(OMM_CONDITIONS)}")
        kwargs = {"voltage": _number(f"{path}.voltage", ct.get("voltage"), required=False),
                  "current": _number(f"{path}.current", ct.get("current"), required=False),
                  "s": _number(f"{path}.s", ct.get("s"), nonneg=True, required=False, default=0.0)}
        try:
            out.append(Contact(name=name, omm=omm, **kwargs))
        except OmmError as exc:
            raise ConfigError(str(exc)) from None
    names = [c.name for c in out]
    allowed = {"rectangle": {"source", "drain"}}
    for n in names:
        if n not in allowed["rectangle"]:
            raise ConfigError(f"contacts.{n}: unknown contact; a rectangle has "
                              f"{sorted(allowed['rectangle'])}")
    if not any(c.voltage is not None for c in out):
        raise ConfigError("contacts: at least one contact needs a fixed 'voltage' (the ground)")
    return out


def _resolve_mesh(spec):
    """Pick edge_size from the boundary-layer length over all fields; estimate the cost."""
    mats = list(spec.materials.values())
    ell = boundary_layer_length(mats, spec.all_fields())
    order = spec.mesh_opts["order"]
    edge = spec.mesh_opts["edge_size"] or ell / EDGE_FRACTION[order]
    g = spec.geometry
    size = spec.mesh_opts["size"] or min(g["length"], g["width"]) / 10
    size = max(size, edge)
    est = _estimate_dofs(g["length"], g["width"], size, edge, order)
    if est > spec.mesh_opts["max_dofs"]:
        raise ConfigError(
            f"mesh: about {est:.2g} unknowns for edge_size = {edge:.3g} m (boundary-layer length "
            f"ell = {ell:.3g} m) exceeds mesh.max_dofs = {spec.mesh_opts['max_dofs']:.3g}; "
            "raise mesh.max_dofs, give a larger mesh.edge_size, or reduce the largest field")
    spec.resolved.update({"L_m_m": [m.L_m for m in mats], "ell_m": ell, "edge_size_m": edge,
                          "size_m": size, "estimated_dofs": est})


def _estimate_dofs(length, width, size, edge, order, growth=0.15, layer_factor=24):
    """Rough unknown count of an edge-graded rectangle (for the max_dofs guard).

    Integrates the node density 1/(0.866 h(d)^2) over the level sets of the
    distance d to the boundary, whose length is 2(L + W) - 8 d.
    """
    dmax = min(length, width) / 2
    d = np.concatenate([[0.0], np.geomspace(min(edge, dmax) * 1e-3, dmax, 4000)])
    h = np.minimum(size, 0.7 * edge + growth * np.maximum(0.0, d - layer_factor * edge))
    dens = (2 * (length + width) - 8 * d) / (0.866 * h**2)
    nodes = float(np.sum(0.5 * (dens[1:] + dens[:-1]) * np.diff(d)))
    return nodes * (4 if order == 2 else 1)

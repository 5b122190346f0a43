"""[sweep] parameter = "material.tau": a sweep over one scalar input of the config.

``parameter`` is a dotted path: a number of ``[material]`` as the fits name them
(``material.tau``, ``material.REGION.sigma``, ``material.X.zz`` in the config's
``X_unit``; :mod:`omm_fem.fitting.spec`) or a length of ``[geometry]``
(``geometry.length``, ``geometry.width``, ``geometry.arm_width``,
``geometry.arm_length``, ``geometry.inner_radius``, ``geometry.outer_radius``;
``geometry.scale`` of a mesh file), which remeshes at every value. ``values`` is
a list or ``{start, stop, num, scale = "linear" | "log"}``. With ``B_T`` (or
``angle_deg``) in the same section every value gets that field sweep: a grid.

Every value is validated here, before any solve: the configuration with the
value substituted is parsed as a run of its own (:func:`point_configs`).
"""
from __future__ import annotations

import copy
import math

import numpy as np

from ..errors import ConfigError, bad_value, shorten
from .values import check_keys, integer, number, string

PARAMETER_KEYS = ("parameter", "values")
MAX_VALUES = 10000
GEOMETRY_KEYS = {"rectangle": ("length", "width"),
                 "hall_bar": ("length", "width", "arm_width", "arm_length"),
                 "annulus": ("inner_radius", "outer_radius"), "mesh": ("scale",), "polygon": ()}
MATERIAL_UNITS = {"D": "m^2/s", "tau": "s", "alpha": "1", "sigma": "S", "mobility": "m^2/(V s)"}


def split_sweep(tab):
    """(parameter part, field part) of a [sweep] table; either may be empty."""
    mine = {k: v for k, v in tab.items() if k in PARAMETER_KEYS}
    rest = {k: v for k, v in tab.items() if k not in PARAMETER_KEYS}
    return mine, rest


def parse_values(value):
    """``sweep.values``: a list of numbers or {start, stop, num, scale} -> (array, scale)."""
    path = "sweep.values"
    if isinstance(value, dict):
        check_keys(path, value, {"start", "stop", "num", "scale"})
        start = number(f"{path}.start", value.get("start"))
        stop = number(f"{path}.stop", value.get("stop"))
        num = integer(f"{path}.num", value.get("num"), low=1, high=MAX_VALUES)
        scale = string(f"{path}.scale", value.get("scale"), allowed=["linear", "log"],
                       default="linear")
        if scale == "log":
            for key, v in (("start", start), ("stop", stop)):
                if not v > 0:
                    raise ConfigError(bad_value(f"{path}.{key}", v, "must be > 0 with "
                                                "scale = 'log' (values spaced evenly in log)"))
            return np.geomspace(start, stop, num), scale
        return np.linspace(start, stop, num), scale
    if not isinstance(value, list) or not value:
        raise ConfigError(bad_value(path, value, "expected a non-empty list of numbers or "
                                    "{start, stop, num, scale = 'linear' | 'log'}"))
    if len(value) > MAX_VALUES:
        raise ConfigError(f"{shorten(path)}: {len(value)} values exceed the limit of {MAX_VALUES}")
    return np.array([number(f"{path}[{k}]", v) for k, v in enumerate(value)]), "list"


def resolve_parameter(cfg, path):
    """Check the dotted path against the config: ("material" | "geometry", unit).

    Raises
    ------
    ConfigError
        An unknown path (the message lists what is allowed).
    """
    where = f"sweep.parameter = {path!r}"
    if not isinstance(path, str) or not path:
        raise ConfigError(bad_value("sweep.parameter", path, "expected a dotted path such as "
                                    "'material.tau' or 'geometry.length'"))
    parts = path.split(".")
    if parts[0] == "geometry":
        kind = cfg.get("geometry", {}).get("kind", "rectangle")
        allowed = GEOMETRY_KEYS.get(kind, ())
        if len(parts) != 2 or parts[1] not in allowed:
            raise ConfigError(f"{where} is invalid: a {kind} geometry has the scalar lengths "
                              f"{[f'geometry.{k}' for k in allowed]}")
        return "geometry", ("1" if parts[1] == "scale" else "m")
    if parts[0] != "material":
        raise ConfigError(f"{where} is invalid: allowed are numbers of [material] "
                          "(material.KEY, material.REGION.KEY, material.X.zz) and lengths of "
                          "[geometry] (geometry.length, ...)")
    from ..fitting.spec import _locate
    from .sections import MATERIAL_KEYS

    mat = cfg.get("material")
    regions = isinstance(mat, dict) and not any(k in MATERIAL_KEYS for k in mat)
    if regions and (len(parts) == 2 or parts[1] == "X"):
        raise ConfigError(f"{where} is invalid: the config has one material per region "
                          f"({sorted(mat)}); name the region, e.g. "
                          f"material.{next(iter(mat), 'REGION')}.{parts[-1]}")
    try:
        node, key = _locate(cfg, path)
    except ConfigError as exc:
        raise ConfigError(f"{where} is invalid: "
                          + str(exc).split(": ", 2)[-1].replace("fitted", "swept")) from None
    if isinstance(key, tuple):  # an X entry, in the X_unit of its table
        table = cfg["material"][parts[1]] if len(parts) == 4 else cfg["material"]
        return "material", table.get("X_unit", "1/kg")
    return "material", MATERIAL_UNITS[key]


def with_value(cfg, path, kind, value):
    """A deep copy of ``cfg`` with the parameter set to ``value`` (X entries symmetrically)."""
    if kind == "material":
        from ..fitting.spec import with_values

        return with_values(cfg, {path: value})
    out = copy.deepcopy(cfg)
    out["geometry"][path.split(".")[1]] = float(value)
    return out


def point_configs(cfg, tab, parse):
    """The configuration of every value: ``cfg`` with the value substituted and ``[sweep]``
    holding only its field sweep (or removed), each parsed by ``parse`` (a run of its own).

    Returns
    -------
    (path, kind, unit, values, scale, list of RunSpec)
    """
    check_keys("sweep", tab, set(PARAMETER_KEYS))
    if "values" not in tab:
        raise ConfigError("sweep.values: missing (required with sweep.parameter): a list, or "
                          "{start, stop, num, scale = 'linear' | 'log'}")
    if "parameter" not in tab:
        raise ConfigError("sweep.values: only used with sweep.parameter (a dotted path such as "
                          "'material.tau'); a field sweep takes B_T or angle_deg")
    path = tab["parameter"]
    kind, unit = resolve_parameter(cfg, path)
    values, scale = parse_values(tab["values"])
    base = copy.deepcopy(cfg)
    rest = {k: v for k, v in base["sweep"].items() if k not in PARAMETER_KEYS}
    if rest:
        base["sweep"] = rest
    else:
        base.pop("sweep")
    specs = []
    for k, v in enumerate(values):
        try:
            specs.append(parse(with_value(base, path, kind, v)))
        except ConfigError as exc:
            raise ConfigError(f"sweep.values[{k}] = {float(v)!r} ({path}): {exc}") from None
    if not all(math.isfinite(v) for v in values):  # pragma: no cover - number() refuses these
        raise ConfigError("sweep.values: every value must be finite")
    return path, kind, unit, values, scale, specs

"""Typed access to TOML values; every failure is a ConfigError naming the key."""
from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError

NUMBER = (int, float)


def table(cfg, key, required=False, path=None):
    path = path or key
    val = cfg.get(key)
    if val is None:
        if required:
            raise ConfigError(f"[{path}]: missing section (required)")
        return {}
    if not isinstance(val, dict):
        raise ConfigError(f"{path} = {val!r} is invalid: expected a table [{path}]")
    return val


def check_keys(section, tab, allowed):
    for k in tab:
        if k not in allowed:
            raise ConfigError(f"{section}.{k}: unknown key; allowed keys in [{section}]: "
                              f"{sorted(allowed)}")


def number(path, value, *, positive=False, nonneg=False, required=True, default=None):
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


def integer(path, value, *, low, high, default=None):
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{path} = {value!r} is invalid: expected an integer in [{low}, {high}]")
    return value


def boolean(path, value, default):
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ConfigError(f"{path} = {value!r} is invalid: expected true or false")
    return value


def string(path, value, allowed=None, default=None):
    if value is None and default is not None:
        return default
    if not isinstance(value, str) or (allowed is not None and value not in allowed):
        what = f"allowed {list(allowed)}" if allowed is not None else "expected a string"
        raise ConfigError(f"{path} = {value!r} is invalid: {what}")
    return value


def vector3(path, value, *, nonzero=False):
    if not isinstance(value, list) or len(value) != 3:
        raise ConfigError(f"{path} = {value!r} is invalid: expected three numbers [x, y, z]")
    v = np.array([number(f"{path}[{k}]", x) for k, x in enumerate(value)])
    if nonzero and not np.abs(v).max() > 0:
        raise ConfigError(f"{path} = {value!r} is invalid: must be a non-zero vector")
    return v


def unit(v):
    """v / |v| without overflow for huge components."""
    w = v / np.abs(v).max()
    return w / np.linalg.norm(w)


def points(path, value, *, min_points=3):
    if not isinstance(value, list) or len(value) < min_points:
        raise ConfigError(f"{path} = {value!r} is invalid: expected a list of at least "
                          f"{min_points} [x, y] points (m)")
    out = []
    for k, pt in enumerate(value):
        if not isinstance(pt, list) or len(pt) != 2:
            raise ConfigError(f"{path}[{k}] = {pt!r} is invalid: expected [x, y] (m)")
        out.append([number(f"{path}[{k}][0]", pt[0]), number(f"{path}[{k}][1]", pt[1])])
    return out


def range_or_list(path, value, *, max_num=100000):
    """A list of numbers or {start, stop, num} -> 1-D array."""
    if isinstance(value, dict):
        check_keys(path, value, {"start", "stop", "num"})
        start = number(f"{path}.start", value.get("start"))
        stop = number(f"{path}.stop", value.get("stop"))
        num = integer(f"{path}.num", value.get("num"), low=1, high=max_num)
        return np.linspace(start, stop, num)
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{path} = {value!r} is invalid: expected a non-empty list of numbers "
                          "or {start, stop, num}")
    if len(value) > max_num:
        raise ConfigError(f"{path}: {len(value)} values exceed the limit of {max_num}")
    return np.array([number(f"{path}[{k}]", v) for k, v in enumerate(value)])

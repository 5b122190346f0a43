"""Typed access to TOML values; every failure is a ConfigError naming the key.

The scalar checks are those of :mod:`omm_fem.checks`, raising ConfigError.
"""
from __future__ import annotations

import numpy as np

from .. import checks
from ..errors import ConfigError, bad_value, shorten

NUMBER = (int, float)


def table(cfg, key, required=False, path=None):
    path = path or key
    val = cfg.get(key)
    if val is None:
        if required:
            raise ConfigError(f"[{path}]: missing section (required)")
        return {}
    return checks.keys(path, val, error=ConfigError)


def check_keys(section, tab, allowed):
    checks.keys(section, tab, allowed, error=ConfigError)


def number(path, value, *, positive=False, nonneg=False, required=True, default=None):
    return checks.real(path, value, positive=positive, nonneg=nonneg, required=required,
                       default=default, error=ConfigError)


def integer(path, value, *, low, high, default=None):
    return checks.integer(path, value, low=low, high=high, default=default, error=ConfigError)


def boolean(path, value, default):
    if value is None:
        return default
    return checks.boolean(path, value, error=ConfigError)


def string(path, value, allowed=None, default=None):
    return checks.choice(path, value, allowed, default=default, error=ConfigError)


def vector3(path, value, *, nonzero=False):
    if not isinstance(value, list) or len(value) != 3:
        raise ConfigError(bad_value(path, value, "expected three numbers [x, y, z]"))
    v = np.array([number(f"{path}[{k}]", x) for k, x in enumerate(value)])
    if nonzero and not np.abs(v).max() > 0:
        raise ConfigError(bad_value(path, value, "must be a non-zero vector"))
    if nonzero:  # a direction: v / |v| must be computable as written, sqrt(x^2 + y^2 + z^2)
        with np.errstate(over="ignore", under="ignore"):
            length = float(np.sqrt(np.dot(v, v)))
        if not (np.isfinite(length) and length >= np.finfo(float).tiny):
            raise ConfigError(bad_value(path, value, "must be a direction whose length "
                                        "sqrt(x^2 + y^2 + z^2) neither overflows nor underflows "
                                        "(components of magnitude about 1e-154 to 1e154)"))
    return v


def unit(v):
    """v / |v| without overflow for huge components."""
    w = v / np.abs(v).max()
    return w / np.linalg.norm(w)


def points(path, value, *, min_points=3):
    if not isinstance(value, list) or len(value) < min_points:
        raise ConfigError(bad_value(path, value, f"expected a list of at least {min_points} "
                                    "[x, y] points (m)"))
    out = []
    for k, pt in enumerate(value):
        if not isinstance(pt, list) or len(pt) != 2:
            raise ConfigError(bad_value(f"{path}[{k}]", pt, "expected [x, y] (m)"))
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
        raise ConfigError(bad_value(path, value, "expected a non-empty list of numbers or "
                                    "{start, stop, num}"))
    if len(value) > max_num:
        raise ConfigError(f"{shorten(path)}: {len(value)} values exceed the limit of {max_num}")
    return np.array([number(f"{path}[{k}]", v) for k, v in enumerate(value)])

"""[material], [contacts], [[measure]], [sweep], [output] sections."""
from __future__ import annotations

import numpy as np

from ..errors import ConfigError, bad_value, shorten, show
from ..material import X_UNITS, Material
from ..measure import Measurement
from ..problem import OMM_CONDITIONS, Contact
from .spec import OutputSpec, SweepSpec
from .values import boolean, check_keys, integer, number, range_or_list, string, table, unit, vector3

MATERIAL_KEYS = {"D", "tau", "alpha", "sigma", "mobility", "X", "X_unit"}
CONTACT_KEYS = {"voltage", "current", "omm", "s"}
SINGLE = "all"  # key of the material when one material fills the sample


def parse_materials(tab, g, model_info):
    """One material (flat table) or one per region ([material.NAME] tables)."""
    if any(k in MATERIAL_KEYS for k in tab):
        return {SINGLE: _material("material", tab, model_info, name="material")}
    if not tab:
        raise ConfigError("[material]: empty; give D, tau, alpha, sigma, X (or one table per region)")
    out = {}
    for name, sub in tab.items():
        if not isinstance(sub, dict):
            raise ConfigError(f"{shorten(f'material.{name}')}: unknown key; allowed keys in "
                              f"[material]: {sorted(MATERIAL_KEYS)} (or tables [material.REGION])")
        out[name] = _material(f"material.{name}", sub, model_info, name=name)
    return out


def _material(path, tab, model_info, name):
    check_keys(path, tab, MATERIAL_KEYS)
    X = tab.get("X")
    if X is None:
        raise ConfigError(f"{path}.X: missing (required; a 3x3 symmetric tensor)")
    kwargs = {k: number(f"{path}.{k}", tab.get(k)) for k in ("D", "tau", "alpha", "sigma")}
    kwargs["mobility"] = number(f"{path}.mobility", tab.get("mobility"), nonneg=True,
                                required=False, default=0.0)
    if isinstance(X, dict):
        # X from a tight-binding model (SPEC §10): {model = "blg", mu = .., T = .., V = ..}
        if "X_unit" in tab:
            raise ConfigError(f"{path}.X_unit: only applies to a numeric X, not to X = {{model = ...}}")
        from ..xtensor import material_X

        X_si, info = material_X(X, where=f"{path}.X")
        model_info[path] = info
        return Material(X=X_si, name=name, **kwargs)
    unit = string(f"{path}.X_unit", tab.get("X_unit"), allowed=sorted(X_UNITS), default="1/kg")
    if not (isinstance(X, list) and len(X) == 3 and all(isinstance(r, list) and len(r) == 3
                                                        for r in X)):
        raise ConfigError(bad_value(f"{path}.X", X, "expected a 3x3 array of numbers"))
    X = [[number(f"{path}.X[{i}][{j}]", v) for j, v in enumerate(r)] for i, r in enumerate(X)]
    return Material.from_units(X=X, X_unit=unit, name=name, **kwargs)


def parse_contacts(tab, g):
    if not tab:
        if g["kind"] not in ("rectangle", "hall_bar"):
            raise ConfigError("[contacts]: missing; name at least two contacts, one with a "
                              f"voltage (tags of this geometry: {g['tags']})")
        tab = {"source": {"current": 1e-6}, "drain": {"voltage": 0.0}}
    out = []
    for name, ct in tab.items():
        path = f"contacts.{name}"
        if not isinstance(ct, dict):
            raise ConfigError(bad_value(path, ct, f"expected a table [{shorten(path)}]"))
        check_keys(path, ct, CONTACT_KEYS)
        if g["tags"] is not None and (name not in g["tags"] or name == "edge"):
            raise ConfigError(f"{shorten(path)}: unknown contact; this {g['kind']} has boundary "
                              f"tags {[t for t in g['tags'] if t != 'edge']}")
        out.append(Contact(
            name=name, omm=string(f"{path}.omm", ct.get("omm"), allowed=OMM_CONDITIONS,
                                  default="sink"),
            voltage=number(f"{path}.voltage", ct.get("voltage"), required=False),
            current=number(f"{path}.current", ct.get("current"), required=False),
            s=number(f"{path}.s", ct.get("s"), nonneg=True, required=False, default=0.0)))
    if len(out) < 2:
        raise ConfigError(f"contacts: need at least two contacts, got {[c.name for c in out]}")
    if not any(c.voltage is not None for c in out):
        raise ConfigError("contacts: at least one contact needs a fixed 'voltage' (the ground)")
    return out


def check_drive(contacts):
    """Refuse contacts that drive nothing: every voltage equal and no current injected
    (every ratio R, rho of such a run would be undefined)."""
    volts = {c.voltage for c in contacts if c.voltage is not None}
    if len(volts) <= 1 and all(not c.current for c in contacts if c.current is not None):
        raise ConfigError("contacts: no drive: every contact is at the same voltage and no "
                          "current is injected; give a contact a non-zero current or a "
                          "different voltage")


def parse_measurements(entries, contacts, g):
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ConfigError(bad_value("measure", entries, "expected [[measure]] tables"))
    names = [c.name for c in contacts]
    out = []
    for k, e in enumerate(entries):
        name = e.get("name", f"measure_{k + 1}")
        path = f"measure.{name}"
        check_keys(path, e, {"name", "current", "voltage"})
        string(f"{path}.name", name)
        if name == "two_terminal":
            raise ConfigError(f"{path}.name = 'two_terminal' is reserved: the run reports the "
                              "two-terminal measurement of its primary contact pair under that "
                              "name; choose another name")
        m = Measurement(name=name, current=e.get("current"), voltage=e.get("voltage"))
        for c in m.current:
            if c not in names:
                raise ConfigError(f"{shorten(path)}.current: {show(c)} is not a contact; "
                                  f"contacts: {names}")
        for v in m.voltage:
            if v not in names and g["tags"] is not None and v not in g["tags"]:
                raise ConfigError(f"{shorten(path)}.voltage: {show(v)} is neither a contact nor a "
                                  f"boundary tag; tags: {g['tags']}")
        if any(o.name == name for o in out):
            raise ConfigError(f"{shorten(path)}: duplicate measurement name")
        out.append(m)
    return out


def parse_sweep(tab):
    """Magnitude sweep (B_T list/range along ``direction``) or angle sweep
    (``angle_deg`` list/range about ``axis`` at fixed magnitude ``B_T``,
    starting from ``direction``)."""
    check_keys("sweep", tab, {"B_T", "direction", "angle_deg", "axis", "method", "workers",
                              "parameter", "values"})  # parameter, values: config.parameters
    method = string("sweep.method", tab.get("method"), allowed=("auto", "reduced", "direct"),
                    default="auto")
    extra = {"method": method,
             "workers": integer("sweep.workers", tab.get("workers"), low=1, high=256, default=1)}
    direction = vector3("sweep.direction", tab.get("direction", [1.0, 0.0, 0.0]), nonzero=True)
    u = unit(direction)
    if "angle_deg" in tab:
        mag = number("sweep.B_T", tab.get("B_T"))
        ang = range_or_list("sweep.angle_deg", tab["angle_deg"])
        axis = vector3("sweep.axis", tab.get("axis", [0.0, 0.0, 1.0]), nonzero=True)
        a = unit(axis)
        th = np.radians(ang)[:, None]
        # Rodrigues rotation of u about a
        rot = (u * np.cos(th) + np.cross(a, u) * np.sin(th)
               + a * (a @ u) * (1 - np.cos(th)))
        return SweepSpec(kind="angle", angle_deg=ang, B_T=mag, direction=u, axis=a,
                         fields=mag * rot, **extra)
    if "axis" in tab:
        raise ConfigError("sweep.axis: only used with sweep.angle_deg (an angle sweep)")
    if "B_T" not in tab:
        raise ConfigError("sweep.B_T: missing (magnitudes in T, or {start, stop, num}; "
                          "or angle_deg for an angle sweep)")
    mags = range_or_list("sweep.B_T", tab["B_T"])
    return SweepSpec(kind="magnitude", B_T=mags, direction=u, fields=mags[:, None] * u, **extra)


def parse_output(tab, sweep, g):
    check_keys("output", tab, {"vtu_sweep_points", "strip_overlay"})
    pts = tab.get("vtu_sweep_points", [])
    nf = 0 if sweep is None else len(sweep.fields)
    if not isinstance(pts, list):
        raise ConfigError(bad_value("output.vtu_sweep_points", pts, "expected a list of sweep "
                                    "indices"))
    pts = [integer(f"output.vtu_sweep_points[{k}]", p, low=0, high=max(nf - 1, 0))
           for k, p in enumerate(pts)]
    if pts and sweep is None:
        raise ConfigError("output.vtu_sweep_points: there is no [sweep]")
    overlay = boolean("output.strip_overlay", tab.get("strip_overlay"),
                      g["kind"] == "rectangle")
    if overlay and g["kind"] not in ("rectangle", "hall_bar"):
        raise ConfigError(f"output.strip_overlay: needs a channel width; a {g['kind']} has none")
    return OutputSpec(vtu_sweep_points=tuple(pts), strip_overlay=overlay)


__all__ = ["parse_materials", "parse_contacts", "check_drive", "parse_measurements", "parse_sweep",
           "parse_output", "SINGLE", "table"]

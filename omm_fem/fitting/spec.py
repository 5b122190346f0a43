"""FIT.toml: datasets (a run config, a CSV of measured points, a measure) and the
parameters fitted to them; everything is checked here, before any solve.

A parameter is a dotted path to a number in the ``[material]`` section of every
dataset config (``material.alpha``, ``material.channel.tau``, ``material.X.zz``
for an entry of the 3x3 X, in the config's ``X_unit``). Its value, bounds and
the fitted result are in the config's own units (SI, X in ``X_unit``).
"""
from __future__ import annotations

import copy
import csv
import io
import itertools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..checks import file_problem, fits_float
from ..config import load_toml, parse_config
from ..config.geometry import strip_width
from ..config.sections import MATERIAL_KEYS, SINGLE, parse_materials
from ..config.values import check_keys, string, table, vector3
from ..errors import ConfigError, bad_value, shorten
from ..problem import boundary_layer_length

QUANTITIES = {"mr": "(R(B) - R(0)) / R(0)", "R_ohm": "R(B) [Ohm]", "rho": "the solver's rho(B)"}
POSITIVE = {"D", "tau", "sigma"}  # fitted on a log scale
X_INDEX = {"xx": (0, 0), "yy": (1, 1), "zz": (2, 2), "xy": (0, 1), "xz": (0, 2), "yz": (1, 2)}
DATASET_KEYS = {"name", "config", "data", "measure", "quantity", "direction"}
PARAMETER_KEYS = {"value", "min", "max", "fixed"}
FIT_KEYS = {"compare_formula", "max_evaluations", "tol"}
MAX_CSV_BYTES = 50_000_000
ALPHA_BOUND = 0.999  # the widest bounds of a fitted alpha (|alpha| < 1 in Material)
MAX_POINTS = 100_000


@dataclass(frozen=True)
class Parameter:
    """One fitted (or held) scalar: a dotted path into every dataset config."""

    path: str
    value: float
    min: float
    max: float
    fixed: bool

    @property
    def key(self):
        """The material key (D, tau, alpha, sigma, mobility, X)."""
        return self.path.split(".")[-2] if self.is_x else self.path.split(".")[-1]

    @property
    def is_x(self):
        return self.path.split(".")[-2:-1] == ["X"]

    @property
    def log(self):
        """Fitted as ln(value): a positive quantity, or bounds spanning a decade or more."""
        return self.key in POSITIVE or (self.min > 0 and self.max / self.min >= 10)


@dataclass(frozen=True)
class Dataset:
    """One measured curve and the run it is compared with."""

    name: str
    config: dict  # the run config, [sweep] and [output] removed
    base_dir: Path
    measure: str
    quantity: str
    fields: np.ndarray  # (n, 3) [T]
    B_T: np.ndarray  # (n,) the abscissa of plots and fit.csv (|B| or B along direction)
    data: np.ndarray
    sigma: np.ndarray | None
    source: str  # the CSV file
    direction: np.ndarray | None = None  # unit vector of a B_T column (None: Bx_T, By_T, Bz_T)

    @property
    def weights(self):
        return np.ones_like(self.data) if self.sigma is None else 1.0 / self.sigma


@dataclass(frozen=True)
class FitSpec:
    datasets: tuple
    parameters: tuple
    compare_formula: bool
    max_evaluations: int
    tol: float

    @property
    def free(self):
        return [p for p in self.parameters if not p.fixed]


# ------------------------------------------------------------------ dotted paths
def _locate(cfg, path):
    """(container, key) of a parameter path in a config dict; ConfigError if absent."""
    parts = path.split(".")
    if parts[0] != "material" or len(parts) < 2:
        raise ConfigError(f"parameters: {path!r} is invalid: only scalars of [material] can be "
                          "fitted (material.KEY, material.REGION.KEY, material.X.zz); a geometry "
                          "length would need a new mesh at every evaluation")
    node = cfg.get("material")
    if not isinstance(node, dict):
        raise ConfigError(f"parameters: {path!r}: the config has no [material] table")
    x = parts[-2] == "X"
    keys = parts[1:-2] if x else parts[1:-1]
    for k in keys:
        node = node.get(k) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            raise ConfigError(f"parameters: {path!r}: no table [material.{k}] in the config")
    last = parts[-2] if x else parts[-1]
    if last not in MATERIAL_KEYS or last == "X_unit":
        raise ConfigError(f"parameters: {path!r}: {last!r} is not a material number; allowed: "
                          f"{sorted(MATERIAL_KEYS - {'X', 'X_unit'})} or X.xx .. X.yz")
    if not x:
        return node, last
    if parts[-1] not in X_INDEX:
        raise ConfigError(f"parameters: {path!r}: X entries are {sorted(X_INDEX)}")
    X = node.get("X")
    if not (isinstance(X, list) and len(X) == 3 and all(isinstance(r, list) and len(r) == 3
                                                        for r in X)):
        raise ConfigError(f"parameters: {path!r}: X of the config is not a 3x3 array of numbers "
                          "(an X from a tight-binding model cannot be fitted entry by entry)")
    i, j = X_INDEX[parts[-1]]
    return X, (i, j)


def get_value(cfg, path):
    node, key = _locate(cfg, path)
    v = node[key[0]][key[1]] if isinstance(key, tuple) else node.get(key)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ConfigError(f"parameters: {path!r} = {v!r} in the config is not a number")
    return float(v)


def with_values(cfg, values):
    """A deep copy of ``cfg`` with ``{path: value}`` set (X entries symmetrically)."""
    out = copy.deepcopy(cfg)
    for path, v in values.items():
        node, key = _locate(out, path)
        if isinstance(key, tuple):
            i, j = key
            node[i][j] = node[j][i] = float(v)
        else:
            node[key] = float(v)
    return out


def materials_of(cfg, spec):
    """Materials (name -> Material) of a config dict with the geometry of a parsed spec."""
    return parse_materials(cfg["material"], spec.geometry, {})


def finest_corner(ds, params, spec0):
    """Values at the corner of the bounds with the smallest boundary layer ell.

    Only D, tau and X entries move ell; an infinite bound (or a log bound at 0)
    is replaced by the start value.
    """
    moving = [p for p in params if not p.fixed and p.key in ("D", "tau", "X")]
    sides = []
    for p in moving:
        ends = [v for v in (p.min, p.max) if math.isfinite(v) and not (p.log and v <= 0)]
        sides.append(ends or [p.value])
    base = {p.path: p.value for p in params}
    best, best_ell = {}, math.inf
    fields = list(ds.fields) + [np.zeros(3)]
    for combo in itertools.product(*sides) if moving else [()]:
        vals = {**base, **{p.path: v for p, v in zip(moving, combo)}}
        try:
            mats = materials_of(with_values(ds.config, vals), spec0)
            ell = boundary_layer_length(mats.values(), fields)
        except (ConfigError, ValueError):
            continue  # an unphysical corner (e.g. X not positive there): not a candidate
        if ell < best_ell:
            best, best_ell = {p.path: v for p, v in zip(moving, combo)}, ell
    return best


def formula_width(ds, spec0):
    """Channel width [m] for the strip formula of a dataset; ConfigError where it does not apply."""
    width = strip_width(spec0.geometry)
    if width is None:
        raise ConfigError(f"fit.compare_formula: dataset {ds.name!r} has geometry kind "
                          f"{spec0.geometry['kind']!r}; the strip formula needs a rectangle "
                          "or hall_bar (its channel width)")
    F = ds.fields
    if np.abs(F[:, 1:]).max(initial=0.0) > 1e-12 * max(np.abs(F).max(), 1e-300):
        raise ConfigError(f"fit.compare_formula: dataset {ds.name!r} has fields off the x "
                          "axis; the strip formula is for B along the channel (x)")
    if len(spec0.materials) != 1:
        raise ConfigError(f"fit.compare_formula: dataset {ds.name!r} has several materials")
    return float(width)


# ------------------------------------------------------------------ CSV
def _read_csv(path, where):
    p = Path(path)
    why = file_problem(p, MAX_CSV_BYTES)
    if why is not None:
        raise ConfigError(f"{where}: {shorten(str(p))!r} {why}")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where}: {str(p)!r} cannot be read: {exc}") from None
    try:
        rows = [r for r in csv.reader(io.StringIO(text))
                if r and not r[0].lstrip().startswith("#")]
    except csv.Error as exc:  # a field above csv.field_size_limit() (131072 characters)
        raise ConfigError(f"{where}: {shorten(str(p))!r} is not a readable CSV table: "
                          f"{shorten(exc)}") from None
    if len(rows) < 2:
        raise ConfigError(f"{where}: {str(p)!r} needs a header line and at least one data row")
    header = [h.strip() for h in rows[0]]
    cols = {}
    for k, name in enumerate(header):
        vals = []
        for line, r in enumerate(rows[1:], start=2):
            try:
                vals.append(float(r[k]))
            except (IndexError, ValueError):
                raise ConfigError(f"{where}: {str(p)!r} row {line}, column {name!r}: "
                                  f"{(r[k] if k < len(r) else '')!r} is not a number") from None
        arr = np.array(vals)
        if not np.all(np.isfinite(arr)):
            raise ConfigError(f"{where}: {str(p)!r} column {name!r} has non-finite values")
        cols[name] = arr
    if len(rows) - 1 > MAX_POINTS:
        raise ConfigError(f"{where}: {str(p)!r} has more than {MAX_POINTS} rows")
    return cols


def _fields(cols, direction, where, source):
    if {"Bx_T", "By_T", "Bz_T"} <= set(cols):
        if direction is not None:
            raise ConfigError(f"{where}.direction: not used with Bx_T, By_T, Bz_T columns; remove it")
        F = np.column_stack([cols["Bx_T"], cols["By_T"], cols["Bz_T"]])
        return F, np.linalg.norm(F, axis=1)
    if "B_T" in cols:
        if direction is None:
            raise ConfigError(f"{where}.direction: required with a B_T column, e.g. [1.0, 0.0, 0.0]")
        return cols["B_T"][:, None] * direction[None, :], cols["B_T"]
    raise ConfigError(f"{where}: {source!r} needs a B_T column (with direction) or Bx_T, By_T, "
                      f"Bz_T columns; it has {sorted(cols)}")


def _dataset(k, entry, folder):
    where = f"dataset[{k}]"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: expected a table [[dataset]]")
    check_keys(where, entry, DATASET_KEYS)
    for key in ("config", "data", "measure"):
        if key not in entry:
            raise ConfigError(f"{where}.{key}: missing (required)")
    name = string(f"{where}.name", entry.get("name"), default=f"dataset{k}")
    cpath = folder / string(f"{where}.config", entry["config"])
    cfg = load_toml(cpath)
    if "transient" in cfg or "waveform" in cfg:
        raise ConfigError(f"{where}.config: {str(cpath)!r} is a transient run; fits use steady "
                          "field sweeps")
    spec = parse_config(cfg, base_dir=cpath.parent)
    if spec.mesh_opts.error_estimate or spec.parameter_sweep is not None:
        raise ConfigError(f"{where}.config: {str(cpath)!r} has [mesh] error_estimate/tolerance "
                          "or a [sweep] parameter; a fit solves each dataset on its own mesh")
    measure = string(f"{where}.measure", entry["measure"])
    names = ["two_terminal"] + [m.name for m in spec.measurements]
    if measure not in names:
        raise ConfigError(f"{where}.measure = {measure!r} is invalid: the config {str(cpath)!r} "
                          f"has the measurements {names}")
    quantity = string(f"{where}.quantity", entry.get("quantity"), allowed=sorted(QUANTITIES),
                      default="mr")
    direction = None
    if "direction" in entry:
        d = vector3(f"{where}.direction", entry["direction"], nonzero=True)
        direction = d / np.linalg.norm(d)
    source = str(folder / string(f"{where}.data", entry["data"]))
    cols = _read_csv(source, f"{where}.data")
    if quantity not in cols:
        raise ConfigError(f"{where}.data: {source!r} has no column {quantity!r} (the quantity); "
                          f"columns: {sorted(cols)}")
    F, B = _fields(cols, direction, where, source)
    sigma = cols.get("sigma")
    if sigma is not None and not np.all(sigma > 0):
        raise ConfigError(f"{where}.data: {source!r} column 'sigma' must be > 0 everywhere")
    cfg = {k: v for k, v in cfg.items() if k not in ("sweep", "output")}
    return Dataset(name=name, config=cfg, base_dir=cpath.parent, measure=measure,
                   quantity=quantity, fields=F, B_T=B, data=cols[quantity], sigma=sigma,
                   source=source, direction=direction if "B_T" in cols else None)


def _parameter(path, entry, datasets):
    where = f"parameters.{path!r}"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: expected a table {{value = .., min = .., max = ..}}")
    check_keys(where, entry, PARAMETER_KEYS)
    found = {d.name: get_value(d.config, path) for d in datasets}
    num = {}
    for key in ("value", "min", "max"):
        v = entry.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))
                              or not fits_float(v) or math.isnan(float(v))):
            raise ConfigError(bad_value(f"{where}.{key}", v, "expected a number" + (
                "" if fits_float(v) else " (got an integer beyond the float range)")))
        num[key] = None if v is None else float(v)
    value = num["value"]
    if value is None:
        if len(set(found.values())) > 1:
            raise ConfigError(f"{where}.value: missing, and the configs disagree: {found}")
        value = next(iter(found.values()))
    fixed = entry.get("fixed", False)
    if not isinstance(fixed, bool):
        raise ConfigError(f"{where}.fixed = {fixed!r} is invalid: expected true or false")
    key = path.split(".")[-1]
    lo = num["min"] if num["min"] is not None else (0.0 if key in POSITIVE else -math.inf)
    hi = num["max"] if num["max"] is not None else math.inf
    if key == "alpha":  # Material refuses |alpha| >= 1 (the model is first order in alpha)
        lo, hi = max(lo, -ALPHA_BOUND), min(hi, ALPHA_BOUND)
        for name, v in (("min", num["min"]), ("max", num["max"])):
            if v is not None and not abs(v) <= ALPHA_BOUND:
                raise ConfigError(f"{where}.{name} = {v!r} is invalid: alpha must stay within "
                                  f"[-{ALPHA_BOUND}, {ALPHA_BOUND}] (the model is first order "
                                  "in the orbital Hall angle)")
    if not math.isfinite(value):
        raise ConfigError(f"{where}.value = {value!r} is invalid: must be finite")
    if not lo < hi:
        raise ConfigError(f"{where}: min = {lo!r} must be below max = {hi!r}")
    if not lo <= value <= hi:
        raise ConfigError(f"{where}.value = {value!r} is invalid: outside its bounds "
                          f"[{lo!r}, {hi!r}]")
    if key in POSITIVE and not value > 0:
        raise ConfigError(f"{where}.value = {value!r} is invalid: {key} must be > 0")
    if key in POSITIVE and lo < 0:
        raise ConfigError(f"{where}.min = {lo!r} is invalid: {key} must be > 0")
    return Parameter(path=path, value=value, min=lo, max=hi, fixed=fixed)


def parse_fit(cfg, base_dir):
    """Validate a FIT.toml dict -> :class:`FitSpec` (data read, configs parsed, no meshing)."""
    if not isinstance(cfg, dict):
        raise ConfigError("fit configuration must be a table")
    check_keys("fit config", cfg, {"dataset", "parameters", "fit"})
    entries = cfg.get("dataset")
    if not isinstance(entries, list) or not entries:
        raise ConfigError("[[dataset]]: at least one is required (config, data, measure)")
    folder = Path(base_dir or ".")
    datasets = tuple(_dataset(k, e, folder) for k, e in enumerate(entries))
    names = [d.name for d in datasets]
    if len(set(names)) != len(names):
        raise ConfigError(f"dataset names must be unique: {names}")
    ptab = table(cfg, "parameters", required=True)
    if not ptab:
        raise ConfigError("[parameters]: give at least one parameter to fit")
    for d in datasets:
        mats = parse_config(d.config, base_dir=d.base_dir).materials
        if list(mats) != [SINGLE] and any(p.split(".")[1] in MATERIAL_KEYS for p in ptab):
            raise ConfigError(f"parameters: dataset {d.name!r} has one material per region "
                              f"({sorted(mats)}); name the region, e.g. material.REGION.alpha")
    params = tuple(_parameter(p, e, datasets) for p, e in ptab.items())
    if not any(not p.fixed for p in params):
        raise ConfigError("[parameters]: every parameter is fixed; nothing to fit")
    opts = table(cfg, "fit")
    check_keys("fit", opts, FIT_KEYS)
    compare = opts.get("compare_formula", False)
    if not isinstance(compare, bool):
        raise ConfigError(f"fit.compare_formula = {compare!r} is invalid: expected true or false")
    max_eval = opts.get("max_evaluations", 200)
    if isinstance(max_eval, bool) or not isinstance(max_eval, int) or not 1 <= max_eval <= 100000:
        raise ConfigError(f"fit.max_evaluations = {max_eval!r} is invalid: an integer in [1, 100000]")
    tol = opts.get("tol", 1e-8)
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not 0 < tol < 1:
        raise ConfigError(f"fit.tol = {tol!r} is invalid: a number in (0, 1)")
    n_free = sum(not p.fixed for p in params)
    n_data = sum(d.data.size for d in datasets)
    if n_data <= n_free:
        raise ConfigError(f"the datasets have {n_data} points for {n_free} free parameters; "
                          "a fit needs more points than parameters")
    for d in datasets:  # the mesh the fit will need, refused now if too large
        spec0 = parse_config(with_values(d.config, {p.path: p.value for p in params}),
                             base_dir=d.base_dir)
        corner = finest_corner(d, params, spec0)
        if compare:
            formula_width(d, spec0)
        try:
            parse_config(with_values(spec0.config, corner), base_dir=d.base_dir).with_fields(
                list(d.fields))
        except ConfigError as exc:
            raise ConfigError(f"dataset {d.name!r}, meshed for the smallest boundary layer the "
                              f"parameter bounds allow ({corner}): {exc}; or narrow the bounds") \
                from None
    return FitSpec(datasets=datasets, parameters=params, compare_formula=compare,
                   max_evaluations=max_eval, tol=float(tol))


def load_fit(path):
    """Read and validate FIT.toml; relative paths are taken against its folder."""
    path = Path(path)
    return parse_fit(load_toml(path), path.parent)

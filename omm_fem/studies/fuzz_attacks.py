"""Hypothesis strategies of hostile inputs run end to end through ``omm-fem``.

Each strategy draws a *case*: a plain dict (picklable, JSON-like) that
:mod:`omm_fem.studies.fuzz_runner` turns into files in a fresh folder and runs
through the command line (``omm-fem run CONFIG --out OUT [--resume]``) or
through :func:`omm_fem.fitting.load_fit`, then classifies (clean error, valid
run, failure). The six strategies (:data:`STRATEGIES`):

* ``type_confusion``: one value of :data:`RUN_STEADY` or :data:`RUN_TRANSIENT`
  (any leaf, table or array, list items too) replaced by a value of another
  TOML type: string, integer, float, boolean, offset or local date-time, date,
  time, array, table (empty ones included);
* ``extreme_numbers``: one to three values replaced by +-1e308, 5e-324, -0.0,
  the smallest normal, integers beyond the float range, +-2**63, inf, nan, or
  the value scaled by 1e+-300;
* ``deep_nesting``: arrays, inline tables, dotted keys or table headers nested
  50..2000 deep in a key's place, as TOML text;
* ``special_files``: the config, mesh file, initial_file, FIT.toml, a fit's
  config or data, ``--out``, a transient checkpoint or a sweep chunk being a
  folder, /dev/null, a FIFO (never opened for writing), a dangling or looping
  symbolic link, an empty file, a file without read permission (only where
  permissions bind, see :func:`permission_enforced`) or a sparse file above or
  below the size cap (nothing written);
* ``crafted_checkpoints``: a real transient checkpoint (after the last step or
  mid-run), a sweep chunk or a final_state.npz, its metadata or arrays edited
  with the fingerprint kept valid (keys dropped, shapes changed, NaN, times past
  t_end, other dtypes) or the fingerprint / the archive itself damaged, then
  resumed with ``--resume`` (or read as ``initial_file``);
* ``fit_inputs``: FIT.toml, its run config or its CSV mutated (missing columns,
  non-numbers, NaN, empty, BOM, NUL, huge lines, ...), read by ``load_fit`` only.

Strategies 1-3 are here, 4-6 in :mod:`omm_fem.studies.fuzz_io_attacks` (the files
they make: :mod:`omm_fem.studies.fuzz_files`); :func:`case_strategy` gives any of
them by name. The run bases are :data:`~omm_fem.studies.fuzz_cases.BASE` and
:data:`~omm_fem.studies.fuzz_cases.BASE_TRANSIENT` with the same keys and cheaper
values (a coarser mesh through a longer L_m, a shorter transient) plus
``mesh.max_dofs = 20000``, so that every accepted mutation runs in seconds.
"""
from __future__ import annotations

import copy
import datetime as dt

from hypothesis import strategies as st

from . import fuzz_toml
from .fuzz_cases import BASE, BASE_TRANSIENT, _paths

__all__ = ["STRATEGIES", "RUN_STEADY", "RUN_TRANSIENT", "RUN_MESH", "EXTREMES", "TOML_TYPES",
           "case_strategy", "any_case"]

RUN_STEADY = copy.deepcopy(BASE)
RUN_STEADY["material"]["D"] = 10.0  # L_m = 3.2 um: about 1000 nodes
RUN_STEADY["mesh"].update(size=5e-7, max_dofs=20000)

RUN_TRANSIENT = copy.deepcopy(BASE_TRANSIENT)
RUN_TRANSIENT["material"] = copy.deepcopy(RUN_STEADY["material"])
RUN_TRANSIENT["material"]["D"] = 1.0  # L_m = 1 um: 25 nodes
RUN_TRANSIENT["mesh"]["max_dofs"] = 20000
RUN_TRANSIENT["transient"].update(t_end=5e-13)  # 10 steps
RUN_TRANSIENT["transient"]["output"].update(vtu_times=[2.5e-13], checkpoint_every=4)
RUN_TRANSIENT["waveform"][1].update(t0=2.5e-13, sigma=1e-13)
RUN_TRANSIENT["waveform"][2]["t"] = [0.0, 2.5e-13, 5e-13]

RUN_MESH = {  # a mesh file: meshes/cross.geo meshed coarsely by the runner (mesh.msh)
    "geometry": {"kind": "mesh", "file": "mesh.msh"}, "mesh": {"order": 1, "max_dofs": 20000},
    "material": copy.deepcopy(RUN_STEADY["material"]), "field": {"B": [0.5, 0.0, 0.0]},
    "contacts": {"c1": {"current": 1e-6}, "c3": {"voltage": 0.0}}}

BASES = {"steady": RUN_STEADY, "transient": RUN_TRANSIENT}
PATHS = {name: [p for p, _ in _paths(cfg)] for name, cfg in BASES.items()}


def _run(base_name, cfg, strategy, label, detail, **extra):
    return {"strategy": strategy, "label": label, "detail": detail, "call": "run",
            "files": {"case.toml": fuzz_toml.dumps(cfg)}, "config": "case.toml", **extra}


def _set(cfg, path, value):
    node = cfg
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value


def _get(cfg, path):
    for k in path:
        cfg = cfg[k]
    return cfg


def _show(path):
    return ".".join(str(p) for p in path) or "<root>"


# ----------------------------------------------------------------- 1. type confusion
UTC7 = dt.timezone(dt.timedelta(hours=-7))
TOML_TYPES = {
    "string": st.one_of(st.sampled_from(["", "1e-6", "0.5", "inf", "nan", "true", "source",
                                         "rectangle", "cn", "1/m_e", "/dev/null", "\x00", "a" * 300,
                                         "B.x", "contacts.source", "é∞"]), st.text(max_size=10)),
    "integer": st.one_of(st.sampled_from([0, 1, -1, 2, 3, 5, 10**6]), st.integers(-10**9, 10**9)),
    "float": st.one_of(st.sampled_from([0.0, 0.5, -1.0, 1e-6, 1.5, 3.0, 2e-7]),
                       st.floats(-1e3, 1e3)),
    "boolean": st.booleans(),
    "offset_datetime": st.sampled_from([dt.datetime(1979, 5, 27, 7, 32, tzinfo=dt.timezone.utc),
                                        dt.datetime(1979, 5, 27, 0, 32, 0, 999999, tzinfo=UTC7)]),
    "local_datetime": st.sampled_from([dt.datetime(1979, 5, 27, 7, 32),
                                       dt.datetime(2000, 1, 1, 0, 0, 0, 5)]),
    "date": st.sampled_from([dt.date(1979, 5, 27), dt.date(1, 1, 1)]),
    "time": st.sampled_from([dt.time(7, 32), dt.time(0, 0, 0, 999999)]),
    "array": None,  # built from the original value (below)
    "table": None,
}


def toml_type(v):
    if isinstance(v, bool):
        return "boolean"
    return {int: "integer", float: "float", str: "string", list: "array",
            dict: "table"}.get(type(v), "string")


def _of_type(name, original):
    if name == "array":
        return st.sampled_from([[], [original], [original, original], ["a"], [[]], [{}],
                                [1, "a"], [[[]]]])
    if name == "table":
        return st.sampled_from([{}, {"value": original}, {"x": 1}, {"": original},
                                {"a": {"b": {}}}, {"start": 0.0, "stop": 1.0, "num": 2}])
    return TOML_TYPES[name]


@st.composite
def type_confusion(draw):
    base = draw(st.sampled_from(sorted(BASES)))
    cfg = copy.deepcopy(BASES[base])
    path = draw(st.sampled_from(PATHS[base]))
    original = _get(cfg, path)
    kind = draw(st.sampled_from([t for t in TOML_TYPES if t != toml_type(original)]))
    value = draw(_of_type(kind, copy.deepcopy(original)))
    _set(cfg, path, value)
    return _run(base, cfg, "type_confusion", kind, f"{base} {_show(path)} = {value!r}"[:300])


# ----------------------------------------------------------------- 2. huge and subnormal numbers
EXTREMES = [1e308, -1e308, 1.7976931348623157e308, -1.7976931348623157e308, 5e-324, -5e-324,
            2.2250738585072014e-308, 1e-308, -0.0, 0.0, 10**400, -10**400, 2**63, -(2**63),
            2**63 - 1, -(2**63) - 1, 2**64, 2**1024, 2**53 + 1, 10**4299, float("nan"),
            float("inf"), float("-inf")]


def _numeric_paths(base):
    return [p for p, v in _paths(BASES[base]) if toml_type(v) in ("integer", "float")]


NUMERIC = {name: _numeric_paths(name) for name in BASES}


@st.composite
def extreme_numbers(draw):
    base = draw(st.sampled_from(sorted(BASES)))
    cfg = copy.deepcopy(BASES[base])
    changes = []
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(NUMERIC[base] if draw(st.integers(0, 5)) else PATHS[base]))
        try:
            old = _get(cfg, path)
        except (TypeError, KeyError, IndexError):  # under a value an earlier change replaced
            continue
        how = draw(st.sampled_from(["extreme", "extreme", "scaled"]))
        if how == "scaled" and toml_type(old) in ("integer", "float") and abs(old) < 1e300:
            value = float(old) * draw(st.sampled_from([1e300, 1e-300, -1e300, 2.0**-1074]))
        else:
            value = draw(st.sampled_from(EXTREMES))
        _set(cfg, path, value)
        changes.append(f"{_show(path)} = {value!r}"[:80])
    label = "one value" if len(changes) == 1 else f"{len(changes)} values"
    return _run(base, cfg, "extreme_numbers", label, f"{base} " + "; ".join(changes))


# ----------------------------------------------------------------- 3. deep nesting
DEPTHS = st.one_of(st.integers(50, 2000), st.sampled_from([50, 100, 300, 499, 500, 998, 999, 1000,
                                                           1001, 2000]))


def _table_paths(base):
    """Paths of the tables written as [headers] (not inside an array)."""
    return [()] + [p for p, v in _paths(BASES[base])
                   if isinstance(v, dict) and not any(isinstance(k, int) for k in p)]


TABLES = {name: _table_paths(name) for name in BASES}
SENTINEL = "@@omm-fuzz-deep@@"


@st.composite
def deep_nesting(draw):
    base = draw(st.sampled_from(sorted(BASES)))
    cfg = copy.deepcopy(BASES[base])
    kind = draw(st.sampled_from(fuzz_toml.DEEP_KINDS + ("dotted_header", "dotted_key")))
    depth = draw(DEPTHS)
    if kind in fuzz_toml.DEEP_KINDS:
        path = draw(st.sampled_from(PATHS[base]))
        _set(cfg, path, SENTINEL)
        text = fuzz_toml.dumps(cfg).replace(f'"{SENTINEL}"', fuzz_toml.deep_value(kind, depth))
        where = _show(path)
    else:
        table = draw(st.sampled_from(TABLES[base]))
        keys = [k for k, v in _get(cfg, table).items()]
        key = draw(st.sampled_from(keys + ["a", "extra"]))
        if key in keys and draw(st.booleans()):
            _get(cfg, table).pop(key)  # the deep chain takes the key's place
        chain = [key] + ["a"] * (depth - 1)
        text = fuzz_toml.dumps(cfg)
        if kind == "dotted_header":
            text += "[" + ".".join(fuzz_toml.key_text(k) for k in (*table, *chain)) + "]\n"
            text += '"x" = 1\n'
        else:
            line = ".".join(fuzz_toml.key_text(k) for k in chain) + " = 1"
            head = "[" + ".".join(fuzz_toml.key_text(k) for k in table) + "]\n"
            text = (line + "\n" + text if not table
                    else text.replace(head, head + line + "\n", 1))
        where = _show((*table, key))
    return {"strategy": "deep_nesting", "label": kind, "call": "run",
            "detail": f"{base} {where}: {kind} {depth} deep", "files": {"case.toml": text},
            "config": "case.toml"}


STRATEGIES = ("type_confusion", "extreme_numbers", "deep_nesting", "special_files",
              "crafted_checkpoints", "fit_inputs")


def case_strategy(name):
    """The strategy of one attack, by name (one of :data:`STRATEGIES`)."""
    from . import fuzz_io_attacks

    own = {"type_confusion": type_confusion, "extreme_numbers": extreme_numbers,
           "deep_nesting": deep_nesting}
    return (own.get(name) or getattr(fuzz_io_attacks, name))()


def any_case():
    """A case of any of the six strategies."""
    return st.one_of(*(case_strategy(name) for name in STRATEGIES))

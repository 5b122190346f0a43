"""Hypothesis strategies of mutated inputs: steady and transient configs, damaged meshes.

Used by tests/test_fuzz.py (a fixed set in the default suite, new random cases
under ``pytest -m slow``) and by :mod:`omm_fem.studies.fuzz_report` (the
outcome counts). Requires ``hypothesis`` (the ``test`` extra).

* :func:`mutated_config` (``mutated_config(BASE, PATHS)``, the default):
  one leaf or table of a valid config replaced by junk, deleted, renamed, or
  given an extra key; draws ``(config, path)``.
* :data:`TRANSIENT_CASES`: the same for :data:`BASE_TRANSIENT`.
* :func:`damaged_mesh`: ``meshes/cross.msh`` truncated, a character flipped, a
  line dropped, duplicated, swapped or replaced; draws ``(text, kind)``.

:data:`KEY_PATTERN` is what a rejection message must contain (a key name).
"""
from __future__ import annotations

import copy
import functools

import numpy as np
from hypothesis import strategies as st

from ..material import Material
from ..units import M_E
from . import MESHES

__all__ = ["BASE", "PATHS", "BASE_TRANSIENT", "PATHS_TRANSIENT", "KEY_PATTERN", "junk",
           "mutated_config", "TRANSIENT_CASES", "MESH_FILE", "mesh_text", "damaged_mesh", "MAT"]

BASE = {
    "geometry": {"kind": "hall_bar", "length": 8e-6, "width": 1e-6, "arms": [3e-6, 5e-6],
                 "arm_width": 0.3e-6, "arm_length": 0.6e-6},
    "mesh": {"order": 1, "size": 2e-7},
    "material": {"D": 1e-2, "tau": 1e-12, "alpha": 0.05, "sigma": 1e-3, "mobility": 1.0,
                 "X": [[24.4, 0, 0], [0, 24.4, 0], [0, 0, 2.44]], "X_unit": "1/m_e"},
    "field": {"B": [0.5, 0.0, 0.0]},
    "sweep": {"B_T": {"start": 0.0, "stop": 2.0, "num": 5}, "direction": [1.0, 0.0, 0.0]},
    "contacts": {"source": {"current": 1e-6, "omm": "sink"}, "drain": {"voltage": 0.0}},
    "measure": [{"name": "Rxx", "current": ["source", "drain"],
                 "voltage": ["probe_1_top", "probe_2_top"]}],
    "solver": {"drift": True},
    "output": {"strip_overlay": True},
}


def _paths(node, prefix=()):
    """All (path, value) leaves and tables of a nested config."""
    out = []
    if isinstance(node, dict):
        for k, v in node.items():
            out.append((prefix + (k,), v))
            out += _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.append((prefix + (i,), v))
            out += _paths(v, prefix + (i,))
    return out


PATHS = [p for p, _ in _paths(BASE)]
# a rejection message names a key: section.key, [section], or a contact/measure/waveform entry
KEY_PATTERN = r"[A-Za-z_]+\.[A-Za-z_\[]|\[[a-z]+\]|contacts|measure|waveform"

junk = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -1.0, 1e300, -1e-300, float("nan"), float("inf")]),
    st.text(max_size=12), st.sampled_from(["__import__('os')", "sink", "gate", "1/kg", "mesh"]),
    st.lists(st.floats(allow_nan=True), max_size=4),
    st.lists(st.lists(st.integers(-3, 3), max_size=4), max_size=4),
    st.dictionaries(st.text(max_size=6), st.integers(), max_size=3),
)


BASE_TRANSIENT = {
    "geometry": {"kind": "rectangle", "length": 4e-7, "width": 3e-7},
    "mesh": {"order": 1, "size": 5e-8},
    "material": BASE["material"],
    "field": {"B": [0.0, 0.0, 0.0]},
    "contacts": {"source": {"current": 0.0, "omm": "reflecting"},
                 "drain": {"voltage": 0.0, "omm": "sink"}},
    "transient": {"t_end": 2e-12, "dt": 5e-14, "scheme": "cn", "adaptive": False, "tol": 1e-4,
                  "damped_steps": 2, "initial": "zero",
                  "output": {"trace_every": 1, "vtu_times": [1e-12], "gif_frames": 5,
                             "checkpoint_every": 10, "points": {"centre": [2e-7, 0.0]}}},
    "waveform": [{"target": "contacts.source", "kind": "step", "amplitude": 1e-6},
                 {"target": "B.x", "kind": "pulse", "shape": "gaussian", "amplitude": 2.0,
                  "t0": 1e-12, "sigma": 2e-13},
                 {"target": "B.y", "kind": "table", "t": [0.0, 1e-12, 2e-12],
                  "values": [0.0, 1.0, 0.0]}],
}
PATHS_TRANSIENT = [p for p, _ in _paths(BASE_TRANSIENT)]


@st.composite
def mutated_config(draw, base=BASE, paths=PATHS):
    cfg = copy.deepcopy(base)
    path = draw(st.sampled_from(paths))
    parent = cfg
    for k in path[:-1]:
        parent = parent[k]
    action = draw(st.sampled_from(["replace", "delete", "add_key", "rename"]))
    last = path[-1]
    if action == "delete":
        parent.pop(last)
    elif action == "add_key" and isinstance(parent, dict):
        parent[draw(st.text(min_size=1, max_size=8))] = draw(junk)
    elif action == "rename" and isinstance(parent, dict):
        parent[draw(st.sampled_from(["gate", "probe_9_top", "Source", "x", "edge"]))] = parent.pop(last)
    else:
        parent[last] = draw(junk)
    return cfg, path


TRANSIENT_CASES = mutated_config(BASE_TRANSIENT, PATHS_TRANSIENT)

MESH_FILE = MESHES / "cross.msh"
MAT = Material(D=1e-2, tau=1e-12, alpha=0.1, sigma=1e-3, X=np.eye(3) / M_E)


@functools.cache
def mesh_text():
    """The text of meshes/cross.msh, the mesh that :func:`damaged_mesh` damages."""
    return MESH_FILE.read_text()


@st.composite
def damaged_mesh(draw):
    text = mesh_text()
    lines = text.splitlines()
    kind = draw(st.sampled_from(["truncate", "flip", "drop_line", "dup_line", "swap", "garbage"]))
    if kind == "truncate":
        n = draw(st.integers(0, len(text) - 1))
        return text[:n], kind
    k = draw(st.integers(0, len(lines) - 1))
    if kind == "flip":
        line = lines[k]
        if line:
            j = draw(st.integers(0, len(line) - 1))
            line = line[:j] + draw(st.sampled_from(list("0123456789-.eE x$"))) + line[j + 1:]
        lines[k] = line
    elif kind == "drop_line":
        del lines[k]
    elif kind == "dup_line":
        lines.insert(k, lines[k])
    elif kind == "swap":
        j = draw(st.integers(0, len(lines) - 1))
        lines[k], lines[j] = lines[j], lines[k]
    else:
        lines[k] = draw(st.text(max_size=30))
    return "\n".join(lines) + "\n", kind

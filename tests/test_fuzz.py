"""Input fuzzing: mutated configurations and damaged meshes end in an OmmError
that names the key or the problem -- never in another exception type.

CI runs a fixed set (``derandomize``: the same cases every run, so a landing
never depends on luck) of a few hundred cases of each kind; the slow suite
(``pytest -m slow``) draws >= 1000 new random cases of each kind per run.
"""
import copy
import math
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omm_fem.config import parse_config
from omm_fem.errors import OmmError
from omm_fem.geometry import load_mesh
from omm_fem.problem import Contact, Problem
from omm_fem.transient import parse_transient
from omm_fem.material import Material
from omm_fem.units import M_E

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


def _check_config(case):
    cfg, path = case
    try:
        parse_config(cfg)
    except OmmError as exc:
        msg = str(exc)
        # the message names a key (section.key, [section] or a contact/measure name)
        assert re.search(KEY_PATTERN, msg), msg


@settings(max_examples=250, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(mutated_config())
def test_fuzz_config(case):
    _check_config(case)


@pytest.mark.slow
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_config())
def test_fuzz_config_many(case):
    _check_config(case)


def _check_transient(case):
    cfg, path = case
    try:
        parse_transient(cfg, parse_config(cfg))
    except OmmError as exc:
        msg = str(exc)
        assert re.search(KEY_PATTERN, msg), msg


TRANSIENT_CASES = mutated_config(BASE_TRANSIENT, PATHS_TRANSIENT)


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(TRANSIENT_CASES)
def test_fuzz_transient_config(case):
    _check_transient(case)


@pytest.mark.slow
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TRANSIENT_CASES)
def test_fuzz_transient_config_many(case):
    _check_transient(case)


MESH_TEXT = (Path(__file__).resolve().parents[1] / "meshes" / "cross.msh").read_text()
MAT = Material(D=1e-2, tau=1e-12, alpha=0.1, sigma=1e-3, X=np.eye(3) / M_E)


@st.composite
def damaged_mesh(draw):
    lines = MESH_TEXT.splitlines()
    kind = draw(st.sampled_from(["truncate", "flip", "drop_line", "dup_line", "swap", "garbage"]))
    if kind == "truncate":
        n = draw(st.integers(0, len(MESH_TEXT) - 1))
        return MESH_TEXT[:n], kind
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


def _check_mesh(tmp_path_factory, case):
    text, _ = case
    path = tmp_path_factory.mktemp("m") / "cross.msh"
    path.write_text(text)
    try:
        mesh = load_mesh(path)
        Problem(mesh=mesh, materials=MAT, contacts=[Contact("c1", current=1e-6),
                                                    Contact("c3", voltage=0.0)])
    except OmmError as exc:
        assert str(exc)


@settings(max_examples=100, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(damaged_mesh())
def test_fuzz_meshes(tmp_path_factory, case):
    _check_mesh(tmp_path_factory, case)


@pytest.mark.slow
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                    HealthCheck.function_scoped_fixture])
@given(damaged_mesh())
def test_fuzz_meshes_many(tmp_path_factory, case):
    _check_mesh(tmp_path_factory, case)


def test_fuzz_helpers_cover_every_section():
    assert {p[0] for p in PATHS} == set(BASE)
    assert {p[0] for p in PATHS_TRANSIENT} == set(BASE_TRANSIENT)
    # the unmutated bases are valid: every rejection comes from a mutation
    parse_config(copy.deepcopy(BASE))
    parse_transient(BASE_TRANSIENT, parse_config(copy.deepcopy(BASE_TRANSIENT)))
    assert math.isfinite(len(MESH_TEXT))

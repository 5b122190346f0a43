"""Input fuzzing: mutated configurations and damaged meshes end in an OmmError
that names the key or the problem -- never in another exception type.

CI runs a fixed set (``derandomize``: the same cases every run, so a landing
never depends on luck) of a few hundred cases of each kind; the slow suite
(``pytest -m slow``) draws >= 1000 new random cases of each kind per run.
"""
import copy
import re

import pytest
from hypothesis import HealthCheck, given, settings

from omm_fem.config import parse_config
from omm_fem.errors import OmmError
from omm_fem.geometry import load_mesh
from omm_fem.problem import Contact, Problem
from omm_fem.studies.fuzz_cases import (
    BASE,
    BASE_TRANSIENT,
    KEY_PATTERN,
    MAT,
    PATHS,
    PATHS_TRANSIENT,
    TRANSIENT_CASES,
    damaged_mesh,
    mesh_text,
    mutated_config,
)
from omm_fem.transient import parse_transient


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
    assert mesh_text().startswith("$MeshFormat")

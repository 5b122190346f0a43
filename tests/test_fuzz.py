"""Input fuzzing: mutated configurations and damaged meshes end in an OmmError
that names the key or the problem -- never in another exception type.

CI runs a fixed set (``derandomize``: the same cases every run, so a landing
never depends on luck) of a few hundred cases of each kind; the slow suite
(``pytest -m slow``) draws >= 1000 new random cases of each kind per run.

End to end (omm_fem.studies.fuzz_attacks, run by fuzz_runner): type confusion, huge and
subnormal numbers, deep nesting, special files, crafted checkpoints and fit inputs run
through the command line, each within a time limit, and end in a clean error or a valid
run with finite observables; 6 cases per strategy in CI, >= 2000 new ones when slow.
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


# ----------------------------------------------------------------- end to end (fuzz_attacks)
# Cases of six strategies run through ``omm-fem run`` (or load_fit) in worker processes, each
# within TIME_LIMIT_S: every one ends in a clean error (exit 2, "omm-fem: error: ...") or a
# valid run (exit 0, finite observables). CI: a fixed set of CI_CASES per strategy (36 cases,
# about 20 s with the workers' start); the slow suite: >= 2000 new random cases.
CI_CASES = 6
SLOW_CASES = {"type_confusion": 400, "extreme_numbers": 450, "deep_nesting": 200,
              "special_files": 300, "crafted_checkpoints": 450, "fit_inputs": 450}
# special_files has about 180 distinct cases (targets x kinds x paths): hypothesis stops there,
# so about 2130 cases in all


@pytest.fixture(scope="module")
def runner():
    from omm_fem.studies.fuzz_runner import Runner

    with Runner() as r:
        yield r


def _failures(results):
    bad = [r for r in results if r["outcome"] == "failure"]
    return "\n".join(f"{r['strategy']} / {r['label']}: {r['detail']}\n  {r.get('why', '')[-1500:]}"
                     for r in bad[:10])


@pytest.mark.parametrize("name", ["type_confusion", "extreme_numbers", "deep_nesting",
                                  "special_files", "crafted_checkpoints", "fit_inputs"])
def test_fuzz_attacks_fixed_set(runner, name):
    from omm_fem.studies.fuzz_attacks import case_strategy
    from omm_fem.studies.fuzz_runner import draw_cases

    cases = draw_cases(case_strategy(name), CI_CASES, derandomize=True)
    results = runner.run(cases)
    assert len(results) == len(cases) >= CI_CASES // 2
    assert not _failures(results), _failures(results)
    assert {r["outcome"] for r in results} <= {"clean", "valid"}
    assert all(r["strategy"] == name and r["seconds"] < runner.time_limit for r in results)


@pytest.mark.slow
def test_fuzz_attacks_many(runner):
    from collections import Counter

    from omm_fem.studies.fuzz_attacks import STRATEGIES, case_strategy
    from omm_fem.studies.fuzz_runner import draw_cases

    assert set(SLOW_CASES) == set(STRATEGIES)
    cases = [c for name, n in SLOW_CASES.items() for c in draw_cases(case_strategy(name), n)]
    assert len(cases) >= 2000
    results = runner.run(cases)
    assert len(results) == len(cases)
    counts = Counter((r["strategy"], r["outcome"]) for r in results)
    kinds = Counter(r.get("kind") for r in results if r["outcome"] == "failure")
    print("failures by kind:", dict(kinds))  # tracebacks, hangs, null observables, ...
    print({f"{s}/{o}": n for (s, o), n in sorted(counts.items())})
    warned = Counter(w.split(":")[0] for r in results for w in r.get("warnings", []))
    print("warnings:", dict(warned))
    for r in [r for r in results if any(w.startswith("RuntimeWarning") for w in
                                        r.get("warnings", []))][:10]:
        print(f"  {r['outcome']}: {r['detail']} -- {r['warnings']}")
    assert not _failures(results), _failures(results)


def test_the_runner_reports_a_hang_and_goes_on(runner):
    """A case past the time limit is a ``hang`` failure; its worker is replaced and the next
    case runs (here a valid steady run given 0.05 s, then a config refused by name)."""
    from omm_fem.studies import fuzz_toml
    from omm_fem.studies.fuzz_attacks import RUN_STEADY

    case = {"strategy": "t", "label": "t", "detail": "t", "call": "run", "config": "case.toml",
            "files": {"case.toml": fuzz_toml.dumps(RUN_STEADY)}}
    limit, runner.time_limit = runner.time_limit, 0.05
    try:
        hung = runner.run([case])
    finally:
        runner.time_limit = limit
    assert hung[0]["outcome"] == "failure" and hung[0]["kind"] == "hang", hung
    assert hung[0]["why"] == "hang: no outcome within 0.05 s"
    bad = {**case, "files": {"case.toml": fuzz_toml.dumps({**RUN_STEADY, "extra": 1})}}
    after = runner.run([bad, bad])
    assert [r["outcome"] for r in after] == ["clean", "clean"], after
    assert "extra" in after[0]["message"]

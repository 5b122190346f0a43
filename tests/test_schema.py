"""The JSON Schemas of the result files (omm_fem/schemas): valid draft 2020-12, shipped as
package data, accepting the recorded results and rejecting broken ones. Every results.json
and fit.json that the test suite writes is validated by tests/conftest.py."""
import copy
import json
import re
from pathlib import Path

import jsonschema
import pytest

from omm_fem.config import tomllib  # tomllib or tomli (Python 3.10)
from omm_fem.errors import OmmError
from omm_fem.schemas import KINDS, SCHEMA_VERSION, kind_of, load_schema, schema_path, validate

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
RUN_EXTRAS = {"timing": {"total_s": 1.0}, "provenance": {}}  # not recorded in the goldens


def _golden(name):
    data = json.loads((GOLDEN / f"{name}.json").read_text())
    data.setdefault("schema_version", SCHEMA_VERSION)
    if name != "validate":
        data = {**RUN_EXTRAS, **data}
    return data


def test_schemas_are_valid_draft_2020_12_and_shipped_as_package_data():
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = conf["tool"]["setuptools"]["package-data"]["omm_fem.schemas"]
    for kind in KINDS:
        path = schema_path(kind)
        assert path.is_file() and path.match(patterns[0])
        schema = load_schema(kind)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["properties"]["schema_version"] == {"const": SCHEMA_VERSION,
                                                           "description": "version of this schema "
                                                                          "(an integer)"}
        assert "schema_version" in schema["required"]
        assert "raised by one" in schema["description"]  # the rule for bumping it
    assert isinstance(SCHEMA_VERSION, int)
    assert "jsonschema" in " ".join(conf["project"]["optional-dependencies"]["test"])


@pytest.mark.parametrize("name, kind", [("default", "results"), ("flake", "results"),
                                        ("transient", "transient"), ("validate", "validate")])
def test_recorded_results_follow_their_schema(name, kind):
    data = _golden(name)
    assert kind_of(data) == kind
    validate(data)
    validate({**data, "a_key_added_later": {"x": 1}})  # additional keys are allowed


def _broken(data, path, value=None, delete=False):
    """A copy of ``data`` with the entry at ``path`` (keys, list indices) deleted or replaced."""
    data = copy.deepcopy(data)
    target = data
    for k in path[:-1]:
        target = target[k]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


@pytest.mark.parametrize("name, path, value, delete, where", [
    ("default", ["schema_version"], None, True, "(top level)"),
    ("default", ["schema_version"], 2, False, "schema_version"),
    ("default", ["rho"], "0.1", False, "rho"),
    ("default", ["mesh", "order"], 3, False, "mesh/order"),
    ("default", ["sweep", "fields_T"], [[1.0, 0.0]], False, "sweep/fields_T/0"),
    ("default", ["sweep", "B_T"], 1.0, False, "sweep/B_T"),  # a magnitude sweep: a list
    ("default", ["sweep", "rho_inf"], None, True, "sweep"),
    ("default", ["contacts", "source", "current_A"], None, True, "contacts/source"),
    ("flake", ["measurements", "R_c2_c4", "voltage"], ["c2"], False,
     "measurements/R_c2_c4/voltage"),
    ("transient", ["traces", "rho"], [0.1, "x"], False, "traces/rho/1"),
    ("transient", ["transient", "scheme"], "rk4", False, "transient/scheme"),
    ("validate", ["cases", 0, "passed"], "yes", False, "cases/0/passed"),
])
def test_a_broken_file_is_rejected_naming_the_key(name, path, value, delete, where):
    data = _golden(name)
    broken = _broken(data, path, value, delete)
    with pytest.raises(OmmError, match=rf"broken\.json does not follow \w+\.schema\.json "
                                       rf"\(schema_version {SCHEMA_VERSION}\): at {re.escape(where)}: "):
        validate(broken, kind=kind_of(data), name="broken.json")


def test_a_written_results_json_has_no_negative_zero(tmp_path):
    """rho_inf = kappa rho(0) with kappa = 0 and rho(0) < 0 is -0.0 in memory; the writer
    normalises it (and any other negative zero) to 0.0."""
    from omm_fem.io import write_json

    path = write_json(tmp_path / "x.json", {"rho_inf": -0.0 * 1.0, "a": [-0.0, 1.0]})
    text = Path(path).read_text()
    assert "-0.0" not in text and json.loads(text) == {"rho_inf": 0.0, "a": [0.0, 1.0]}


def test_fit_json_follows_its_schema():
    from omm_fem.fitting import FitResult

    res = FitResult(parameters={"material.alpha": {"value": 0.02, "stderr": 1e-4, "initial": 0.01,
                                                   "min": 0.0, "max": 0.2, "fixed": False}},
                    parameter_names=["material.alpha"], correlation=[[1.0]], covariance=[[1e-8]],
                    chi2=3.0, reduced_chi2=1.0, n_data=4, evaluations=5,
                    datasets=[{"name": "d", "measure": "two_terminal", "quantity": "mr",
                               "rms_residual": 0.1}], warnings=[], optimizer={}, seconds=0.1)
    data = {"schema_version": SCHEMA_VERSION, **res.to_dict()}
    validate(data, kind="fit")
    with pytest.raises(OmmError, match=r"at parameters/material\.alpha: 'value' is a required"):
        bad = copy.deepcopy(data)
        del bad["parameters"]["material.alpha"]["value"]
        validate(bad, kind="fit")


def test_an_unknown_schema_kind_is_refused():
    with pytest.raises(OmmError, match=r"schema kind 'steady' is unknown; allowed: results, "):
        schema_path("steady")


@pytest.mark.foreign_results_json  # it writes a broken results.json on purpose
def test_the_suite_checks_the_result_files_it_writes(tmp_path, request):
    """tests/conftest.py validates, after every test, the results.json and fit.json files
    under its tmp_path (and, at the end of the session, under every tmp_path_factory
    directory): here its checker on a good and on a broken file."""
    from conftest import check_result_files

    assert "_result_files_follow_their_schema" in request.fixturenames
    good = tmp_path / "good"
    good.mkdir()
    (good / "results.json").write_text(json.dumps(_golden("transient")))
    check_result_files(good)
    bad = tmp_path / "bad" / "deeper"
    bad.mkdir(parents=True)
    broken = _broken(_golden("default"), ["mesh", "dofs"], 0)
    (bad / "results.json").write_text(json.dumps(broken))
    with pytest.raises(OmmError, match=r"bad/deeper/results\.json does not follow "
                                       r"results\.schema\.json .* at mesh/dofs: 0 is less than"):
        check_result_files(tmp_path / "bad")
    (bad / "fit.json").write_text(json.dumps({"schema_version": SCHEMA_VERSION}))
    (bad / "results.json").unlink()
    with pytest.raises(OmmError, match=r"fit\.json does not follow fit\.schema\.json"):
        check_result_files(tmp_path / "bad")

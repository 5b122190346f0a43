"""Caps checked before any work and end-to-end fuzz findings (omm_fem.studies.fuzz_attacks):
the waveform drive of a contact against the contact caps, fit inputs beyond the CSV
reader's and the float range, and the fuzz runner's own classification of outcomes."""
import copy
import re

import pytest

from omm_fem.config import parse_config
from omm_fem.errors import MESSAGE_MAX, ConfigError, OmmError
from omm_fem.problem import CURRENT_MAX, VOLTAGE_MAX, Contact
from omm_fem.studies import fuzz_toml
from omm_fem.studies.fuzz_attacks import RUN_TRANSIENT
from omm_fem.transient import Schedule, make_waveform, parse_transient
from omm_fem.transient.waveforms import check_drive


def _transient(**source):
    """RUN_TRANSIENT with waveform[0] (a step on contacts.source) updated by ``source``."""
    cfg = copy.deepcopy(RUN_TRANSIENT)
    cfg["waveform"][0].update(source)
    return cfg


# ------------------------------------------------------------ 1. waveform drive caps
@pytest.mark.parametrize("wave,peak", [
    ({"amplitude": 1e4}, "1e+04"), ({"amplitude": 600.0, "offset": 600.0}, "1.2e+03"),
    ({"amplitude": 1e308, "offset": 1e308}, "inf"),
    ({"kind": "table", "t": [0.0, 5e-13], "values": [0.0, -2e3], "amplitude": None}, "2e+03"),
    ({"kind": "sine", "frequency": 1e12, "offset": 999.0, "amplitude": 2.0}, "1e+03")])
def test_a_waveform_beyond_the_current_cap_is_refused_before_any_work(wave, peak):
    """A contact waveform above CURRENT_MAX was refused only when the step reached it, naming
    contacts.source.current instead of the waveform (after meshing and assembly)."""
    cfg = _transient(**wave)
    cfg["waveform"][0] = {k: v for k, v in cfg["waveform"][0].items() if v is not None}
    spec = parse_config(cfg)  # no mesh is built by either parse
    with pytest.raises(ConfigError, match=r"^waveform\[0\] \(target = 'contacts\.source'\): the "
                       rf"current reaches up to {re.escape(peak)} A .* beyond the contact cap "
                       rf"\|current\| <= {CURRENT_MAX:g} A \(CURRENT_MAX"):
        parse_transient(cfg, spec)


def test_the_waveforms_on_one_contact_add_up():
    cfg = _transient(amplitude=600.0)
    cfg["waveform"].append({"target": "contacts.source", "kind": "sine", "amplitude": 500.0,
                            "frequency": 1e12})
    with pytest.raises(ConfigError, match=r"^waveform\[0\], waveform\[3\] \(target = "
                                          r"'contacts\.source'\): the current reaches up to 1\.1e\+03"):
        parse_transient(cfg, parse_config(cfg))
    cfg["waveform"][0]["amplitude"] = 500.0  # 500 + 500 A: at the cap, accepted
    assert len(parse_transient(cfg, parse_config(cfg)).waveforms) == 4


def test_a_step_down_from_its_offset_stays_within_the_cap():
    """max(|offset|, |offset + amplitude|) bounds a step, ramp or pulse: 600 A stepping to 0."""
    cfg = _transient(amplitude=-600.0, offset=600.0)
    w = parse_transient(cfg, parse_config(cfg)).waveforms[0]
    assert w.peak() == 600.0 and w.value(0.0) == 0.0 and w.value(-1.0) == 600.0


def test_a_voltage_waveform_is_checked_against_the_voltage_cap():
    contacts = {"source": Contact("source", current=1e-6), "drain": Contact("drain", voltage=0.0)}
    ok = make_waveform({"target": "contacts.drain", "kind": "ramp", "amplitude": VOLTAGE_MAX,
                        "duration": 1e-12})
    check_drive([ok], contacts)
    big = make_waveform({"target": "contacts.drain", "kind": "ramp", "amplitude": -2e6,
                         "duration": 1e-12})
    with pytest.raises(OmmError, match=r"^waveform\[0\], waveform\[1\] \(target = 'contacts\.drain'"
                                       r"\): the voltage reaches up to 3e\+06 V .*\|voltage\| <= "
                                       r"1e\+06 V \(VOLTAGE_MAX"):
        check_drive([ok, big], contacts)
    with pytest.raises(OmmError, match=r"the voltage reaches up to 2e\+06 V"):  # the API path
        Schedule([big], B=[0.0, 0.0, 0.0], contacts=contacts)


# ------------------------------------------------------------ 2. fit inputs
def test_a_csv_field_above_the_csv_limit_is_a_config_error(tmp_path):
    """csv.Error escaped omm_fem/fitting/spec.py _read_csv for a field above
    csv.field_size_limit() (131072 characters)."""
    from omm_fem.fitting import load_fit
    from omm_fem.studies.fuzz_io_attacks import FIT, FIT_CONFIG

    (tmp_path / "fit.toml").write_text(fuzz_toml.dumps(FIT))
    (tmp_path / "run.toml").write_text(fuzz_toml.dumps(FIT_CONFIG))
    (tmp_path / "data.csv").write_text("B_T,mr,sigma\n0.5,1" + "0" * 200_000 + ",1e-5\n")
    with pytest.raises(ConfigError, match=r"dataset\[0\]\.data.*data\.csv.* is not a readable "
                                          r"CSV table: field larger than field limit"):
        load_fit(tmp_path / "fit.toml")


def test_a_parameter_bound_beyond_the_float_range_is_a_config_error(tmp_path):
    """OverflowError escaped omm_fem/fitting/spec.py _parameter (float(2**1024))."""
    from omm_fem.fitting import load_fit
    from omm_fem.studies.fuzz_io_attacks import FIT, FIT_CONFIG, FIT_CSV

    fit = {**FIT, "parameters": {**FIT["parameters"], "material.D": {"value": 10.0, "min": 1.0,
                                                                     "max": 2**1024}}}
    for name, text in (("fit.toml", fuzz_toml.dumps(fit)), ("run.toml", fuzz_toml.dumps(
            FIT_CONFIG)), ("data.csv", FIT_CSV)):
        (tmp_path / name).write_text(text)
    with pytest.raises(ConfigError, match=r"parameters\.'material\.D'\.max = 1797693134.* \(309 "
                                          r"characters\) is invalid: expected a number \(got an "
                                          r"integer beyond the float range\)"):
        load_fit(tmp_path / "fit.toml")


# ------------------------------------------------------------ 3. the runner's classification
def test_observable_problems_flags_nulls_without_a_documented_reason():
    from omm_fem.studies.fuzz_runner import observable_problems

    good = {"rho": 1e-3, "input": {"x": None}, "sweep": {"rho_star": None,
                                                       "rho_star_note": "rho(0) = 0"}}
    assert observable_problems(good) == []
    bad = {"rho": None, "sweep": {"rho": [1.0, float("nan")], "R_ohm": [float("inf")]}}
    assert observable_problems(bad) == ["rho = null", "sweep.rho.1 = nan", "sweep.R_ohm.0 = inf"]
    ref = {"strip_reference": {"nz_max_error_rel": None, "delta_I_over_I0_rel_error": None}}
    assert len(observable_problems(ref)) == 2  # null without a reason
    ref["strip_reference"]["error_note"] = "relative errors undefined (alpha = 0)"
    assert observable_problems(ref) == []


def test_run_case_classifies_a_clean_error_and_a_valid_fit(tmp_path):
    from omm_fem.studies.fuzz_io_attacks import FIT, FIT_CONFIG, FIT_CSV
    from omm_fem.studies.fuzz_runner import run_case

    files = {"fit.toml": fuzz_toml.dumps(FIT), "run.toml": fuzz_toml.dumps(FIT_CONFIG),
             "data.csv": FIT_CSV}
    case = {"strategy": "t", "label": "t", "detail": "t", "call": "load_fit",
            "config": "fit.toml", "files": files}
    assert run_case(case, tmp_path, {})["outcome"] == "valid"
    bad = {**case, "files": {**files, "data.csv": "B_T,mr\n0.5,x\n"}}
    res = run_case(bad, tmp_path, {})
    assert res["outcome"] == "clean" and res["exit"] == 2
    assert res["message"].startswith("omm-fem: error: dataset[0].data")
    assert res["message_chars"] < MESSAGE_MAX
    cfg = {"case.toml": "[geometry]\nkind = 'rectangle'\n"}  # no contacts: a clean error
    res = run_case({**case, "call": "run", "config": "case.toml", "files": cfg}, tmp_path, {})
    assert res["outcome"] == "clean", res
    assert list(tmp_path.iterdir()) == []  # every case folder removed

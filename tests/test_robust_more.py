"""Regressions of the end-to-end fuzz cases (omm_fem.studies.fuzz_attacks): stores that are
not regular files, nesting without a parser limit, fit inputs, crafted stores and states."""
import os
import re
import threading

import numpy as np
import pytest

from omm_fem.checks import MAX_NESTING, too_deep
from omm_fem.cli import main
from omm_fem.config import load_toml, parse_config
from omm_fem.errors import ConfigError, OmmError
from omm_fem.persist import NpzStore
from omm_fem.studies import fuzz_toml
from omm_fem.studies.fuzz_attacks import RUN_STEADY, RUN_TRANSIENT


def _within(seconds, fn, fifo):
    """fn() in a thread; if it is still blocked after ``seconds`` (reading the FIFO), a writer
    end is opened to release it and the test fails."""
    box = {}

    def call():
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 -- re-raised in the test's thread
            box["error"] = exc

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        thread.join(5)
        pytest.fail(f"blocked reading the FIFO {fifo}")
    if "error" in box:
        raise box["error"]
    return box.get("value")


# ------------------------------------------------------------ 1. a FIFO or a folder as a store
@pytest.mark.parametrize("kind", ["fifo", "dir"])
def test_a_store_that_is_not_a_regular_file_is_refused_unopened(tmp_path, kind):
    path = tmp_path / "checkpoint.npz"
    os.mkfifo(path) if kind == "fifo" else path.mkdir()
    with pytest.raises(OmmError, match=r"checkpoint .*checkpoint\.npz.* cannot be read \(it is "
                                       r"not a regular file .*run without --resume"):
        _within(10, NpzStore(path, {}).load, path)


@pytest.mark.parametrize("store", ["checkpoint.npz", ".sweep-checkpoint/chunk_0000.npz"])
def test_resume_from_a_fifo_is_a_clean_error(tmp_path, capsys, store):
    """A FIFO in the checkpoint's place blocked ``--resume`` forever (np.load opened it)."""
    cfg = RUN_TRANSIENT if store == "checkpoint.npz" else RUN_STEADY
    (tmp_path / "case.toml").write_text(fuzz_toml.dumps(cfg))
    fifo = tmp_path / "out" / store
    fifo.parent.mkdir(parents=True)
    os.mkfifo(fifo)
    argv = ["run", str(tmp_path / "case.toml"), "--out", str(tmp_path / "out"), "--quiet",
            "--resume"]
    assert _within(60, lambda: main(argv), fifo) == 2
    err = capsys.readouterr().err
    assert err.startswith("omm-fem: error: ") and "is not a regular file" in err, err


# ------------------------------------------------------------ 2. nesting without a parser limit
def test_a_dotted_key_nested_2000_deep_names_the_key(tmp_path, capsys):
    """A dotted key nests tables without a TOML parser limit; the repr of the value in the
    message raised RecursionError (transient.output.points.a.a... in _points)."""
    text = fuzz_toml.dumps(RUN_TRANSIENT).replace(
        '["transient"."output"."points"]\n',
        '["transient"."output"."points"]\n' + ".".join(['"a"'] * 2000) + " = 1\n")
    path = tmp_path / "case.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=r"config file .*case\.toml.*: transient\.output\."
                                          r"points\.a\.a.* is nested too deeply: more than 32 "
                                          r"levels of arrays or tables \(MAX_NESTING\)"):
        load_toml(path)
    assert main(["run", str(path), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    assert "nested too deeply" in capsys.readouterr().err


def test_nesting_is_checked_for_a_dict_too():
    deep = 1
    for _ in range(5000):
        deep = {"a": deep}
    cfg = {**RUN_STEADY, "output": {"strip_overlay": deep}}
    with pytest.raises(ConfigError, match=r"^output\.strip_overlay\.a\.a.* is nested too deeply"):
        parse_config(cfg)
    assert too_deep([[[1]]], limit=3) is None and too_deep([[[[1]]]], limit=3) == (0, 0, 0, 0)
    assert MAX_NESTING == 32


def test_nesting_at_the_limit_is_left_to_the_schema(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[geometry]\nlength = " + "[" * 30 + "1" + "]" * 30 + "\n")  # 32 levels
    load_toml(path)  # read: the schema refuses it by its type
    with pytest.raises(ConfigError, match=r"geometry\.length = \[\[\[.* is invalid"):
        parse_config(load_toml(path))


# ------------------------------------------------------------ 4. directions of under/overflowing length
@pytest.mark.parametrize("direction", [[1e-308, 0.0, 0.0], [1e-200, 1e-200, 0.0],
                                       [1e200, 0.0, 0.0], [1e308, 1e308, 0.0]])
def test_a_direction_whose_length_under_or_overflows_is_refused(tmp_path, direction):
    """direction / |v| was 0/0 or x/inf: fit datasets got NaN fields (LinAlgError in
    boundary_layer_length) or zero fields."""
    from omm_fem.fitting import load_fit
    from omm_fem.studies.fuzz_io_attacks import FIT, FIT_CONFIG, FIT_CSV

    cfg = {**RUN_STEADY, "sweep": {**RUN_STEADY["sweep"], "direction": direction}}
    with pytest.raises(ConfigError, match=r"sweep\.direction = .* must be a direction whose "
                                          r"length .* neither overflows nor underflows"):
        parse_config(cfg)
    fit = {**FIT, "dataset": [{**FIT["dataset"][0], "direction": direction}]}
    for name, text in (("fit.toml", fuzz_toml.dumps(fit)), ("run.toml", fuzz_toml.dumps(
            FIT_CONFIG)), ("data.csv", FIT_CSV)):
        (tmp_path / name).write_text(text)
    with pytest.raises(ConfigError, match=r"dataset\[0\]\.direction = .* neither overflows"):
        load_fit(tmp_path / "fit.toml")
    parse_config({**RUN_STEADY, "sweep": {**RUN_STEADY["sweep"], "direction": [1e150, 0, 1]}})


# ------------------------------------------------------------ 5. states too large, no drive
@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    from omm_fem.studies.fuzz_files import produce_resources

    return produce_resources(tmp_path_factory.mktemp("stores"))


def _transient_case(tmp_path, **transient):
    cfg = {**RUN_TRANSIENT, "transient": {**RUN_TRANSIENT["transient"], **transient}}
    (tmp_path / "case.toml").write_text(fuzz_toml.dumps(cfg))
    return ["run", str(tmp_path / "case.toml"), "--out", str(tmp_path / "out"), "--quiet"]


def test_an_initial_state_too_large_is_refused(tmp_path, stores, capsys):
    """n = 1e308 in final_state.npz ran to exit code 0 with null traces (overflow)."""
    import numpy as np

    with np.load(stores["state"]) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["n_C_per_m2"] = arrays["n_C_per_m2"].copy()
    arrays["n_C_per_m2"].flat[0] = 1e308
    np.savez(tmp_path / "state.npz", **arrays)
    argv = _transient_case(tmp_path, initial="file", initial_file="state.npz")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert re.search(r"transient\.initial_file = .*state\.npz.* is invalid: \|n\| reaches 1e\+308 "
                     r"C/m\^2, above MAX_STATE_C_PER_M2 = 1e\+100", err), err


def test_a_resumed_state_that_overflows_is_a_clean_error(tmp_path, stores, capsys):
    """A checkpoint whose n holds 1e300 (fingerprint intact) resumed to null traces."""
    import json

    import numpy as np

    out = tmp_path / "out"
    out.mkdir()
    with np.load(stores["checkpoint_mid"]) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["stepper_n"] = np.full_like(arrays["stepper_n"], 1e300)
    np.savez(out / "checkpoint.npz", **arrays)
    json.loads(str(arrays["meta"]))  # the metadata (and fingerprint) are untouched
    assert main(_transient_case(tmp_path) + ["--resume"]) == 2
    err = capsys.readouterr().err
    assert re.search(r"^omm-fem: error: --resume: checkpoint .* is damaged: array 'stepper_n' "
                     r"holds values up to 1e\+300, above .* \(n of at most MAX_STATE_C_PER_M2 = "
                     r"1e\+100 C/m\^2\)", err), err


def test_a_run_whose_traces_overflow_is_a_clean_error():
    """The last line of defence after the steps: only ratios may be NaN, nothing infinite."""
    import numpy as np

    from omm_fem.transient.config import TransientSpec
    from omm_fem.transient.run import _check_finite

    tspec = TransientSpec(t_end=1e-12, dt=1e-13)
    ok = {"t_s": np.zeros(2), "rho": np.array([np.nan, 1.0]), "M.R_ohm": np.array([np.nan, 2.0])}
    _check_finite(np.zeros((3, 4)), ok, tspec, resumed=False)
    for bad in ({"int_n_z_C": np.array([0.0, np.nan])}, {"rho": np.array([np.inf, 0.0])}):
        with pytest.raises(OmmError, match=r"transient: the run produced non-finite values "
                                           r"\((int_n_z_C|rho)\): the input holds values too large"):
            _check_finite(np.zeros((3, 4)), {**ok, **bad}, tspec, resumed=False)
    with pytest.raises(OmmError, match=r"\(n\): the resumed checkpoint"):
        _check_finite(np.full((3, 4), np.inf), ok, tspec, resumed=True)


def test_a_transient_without_drive_at_t_end_reports_why(tmp_path, capsys):
    """No drive at t_end: the steady reference was NaN/None without a reason and the summary
    printed 'nan'."""
    import json

    cfg = {**RUN_TRANSIENT, "waveform": [{**RUN_TRANSIENT["waveform"][0], "amplitude": 0.0},
                                         *RUN_TRANSIENT["waveform"][1:]]}
    (tmp_path / "case.toml").write_text(fuzz_toml.dumps(cfg))
    assert main(["run", str(tmp_path / "case.toml"), "--out", str(tmp_path / "out")]) == 0
    text = capsys.readouterr().out
    assert "nan" not in text.lower(), text
    assert "Delta I/I0 and rho undefined (no drive at t_end)" in text
    res = json.loads((tmp_path / "out" / "results.json").read_text())
    ref = res["steady_at_t_end"]
    assert ref["note"].startswith("Delta I/I0, rho and the relative differences are undefined")
    assert ref["rho"] is None and ref["final_delta_I_over_I0_rel_diff"] is None
    assert res["final"]["current0_A"] == 0.0 and res["final"]["rho"] is None


def test_a_steady_state_that_underflows_has_a_note(tmp_path):
    """A drive of 1e-306 A: the steady state's norm underflows to 0, final_state_rel_diff was
    null without a reason."""
    import json

    cfg = {**RUN_TRANSIENT, "waveform": [{**RUN_TRANSIENT["waveform"][0], "amplitude": 1e-306},
                                         *RUN_TRANSIENT["waveform"][1:]]}
    (tmp_path / "case.toml").write_text(fuzz_toml.dumps(cfg))
    assert main(["run", str(tmp_path / "case.toml"), "--out", str(tmp_path / "out"),
                 "--quiet"]) == 0
    ref = json.loads((tmp_path / "out" / "results.json").read_text())["steady_at_t_end"]
    assert ref["final_state_rel_diff"] is None
    assert ref["note"].startswith("final_state_rel_diff is undefined: the steady state of the "
                                  "t_end drive is zero to floating-point precision")


# ------------------------------------------------------------ 6. sweep chunks: format and info
def _chunk(tmp_path, stores, change=None, npy=False, arrays_change=None):
    import json

    import numpy as np

    (tmp_path / "case.toml").write_text(fuzz_toml.dumps(RUN_STEADY))
    path = tmp_path / "out" / ".sweep-checkpoint" / "chunk_0000.npz"
    path.parent.mkdir(parents=True)
    with np.load(stores["chunk"]) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays.pop("meta")))
    if change:
        change(meta["info"])
    if arrays_change:
        arrays_change(arrays)
    if npy:
        with open(path, "wb") as fh:
            np.save(fh, np.zeros(3))
    else:
        np.savez(path, meta=np.array(json.dumps(meta)), **arrays)
    return ["run", str(tmp_path / "case.toml"), "--out", str(tmp_path / "out"), "--quiet",
            "--resume"]


def test_a_bare_npy_array_as_a_chunk_is_refused(tmp_path, stores, capsys):
    """np.load of an .npy file returns an array: a TypeError in NpzStore.load."""
    assert main(_chunk(tmp_path, stores, npy=True)) == 2
    assert re.search(r"checkpoint .*chunk_0000\.npz.* cannot be read \(it is a single array, "
                     r"not an \.npz archive", capsys.readouterr().err)


@pytest.mark.parametrize("change,what", [
    (lambda info: info.update(fallback=float("nan")), r"info\.fallback = nan is invalid"),
    (lambda info: info.update(fallback=[0, -1]), r"info\.fallback\[1\] = -1 is invalid"),
    (lambda info: info.update(extra=1), r"its solver info has \['extra', 'fallback'\]"),
    (lambda info: info.update(tol=float("inf")), r"info\.tol = inf"),
])
def test_the_solver_info_of_a_chunk_is_checked(tmp_path, stores, capsys, change, what):
    """The info of a chunk is echoed into results.json: NaN there was a null (exit 0)."""
    assert main(_chunk(tmp_path, stores, change)) == 2
    err = capsys.readouterr().err
    assert re.search(r"--resume: checkpoint .*chunk_0000\.npz.* is damaged: " + what, err), err


@pytest.mark.parametrize("edit,what", [
    (lambda a: a.update(resp_I=np.zeros_like(a["resp_I"])),
     r"its contact 'source' has current \[A\] 0\.0 in field 0 of the chunk, where this run "
     r"drives 1e-06"),
    (lambda a: a.update(resp_V=a["resp_V"] + 1.0), r"its contact 'drain' has voltage \[V\] 1\.0"),
    (lambda a: a.update(resp_I=a["resp_I"][:, :1]), r"array 'resp_I' has shape \(5, 1\)"),
    (lambda a: a["resp_V"].__setitem__((0, 0), 1e308), r"array 'resp_V' holds 1e\+308 V in field "
     r"0 of the chunk, beyond 1000 times this run's largest alpha\^0 value"),
    (lambda a: a["resp_dI_fixed"].__setitem__((1, 0), -1e300), r"array 'resp_dI_fixed' holds -1e\+300"),
])
def test_a_chunk_without_the_run_s_drive_is_refused(tmp_path, stores, capsys, edit, what):
    """Currents zeroed in a chunk (fingerprint intact) gave R = V/0: null resistances."""
    assert main(_chunk(tmp_path, stores, arrays_change=edit)) == 2
    err = capsys.readouterr().err
    assert re.search(r"--resume: checkpoint .*chunk_0000\.npz.* is damaged: " + what, err), err


def test_an_intact_chunk_is_reused(tmp_path, stores):
    import json

    assert main(_chunk(tmp_path, stores)) == 0
    res = json.loads((tmp_path / "out" / "results.json").read_text())
    assert res["sweep"]["method_info"] == {"fallback": []}


# ------------------------------------------------------------ 7. the strip reference
def test_an_overflowing_anisotropy_has_no_strip_overlay(tmp_path):
    """X_yy = 1.2e-322 (in 1/m_e) with X_zz = 2.44: theta = X_zz / X_yy overflowed, the strip
    overlay's rho and rho* were null (a RuntimeWarning under warnings-as-errors)."""
    import json

    cfg = {**RUN_STEADY, "material": {**RUN_STEADY["material"], "X": [
        [24.4, 0, 0], [0, 1.2e-322, 0], [0, 0, 2.44]]}}
    (tmp_path / "case.toml").write_text(fuzz_toml.dumps(cfg))
    assert main(["run", str(tmp_path / "case.toml"), "--out", str(tmp_path / "out"),
                 "--quiet"]) == 0
    res = json.loads((tmp_path / "out" / "results.json").read_text())
    assert "strip" not in res["sweep"]
    from omm_fem.studies.fuzz_runner import observable_problems

    assert observable_problems(res) == []


def test_a_truncated_store_leaves_no_open_file(tmp_path):
    """numpy's np.load(path) does not close the file when the zip is damaged (a
    ResourceWarning per refused checkpoint); NpzStore opens and closes it itself."""
    import gc
    import warnings

    path = tmp_path / "checkpoint.npz"
    np.savez(path, meta=np.array("{}"), a=np.zeros(100))
    path.write_bytes(path.read_bytes()[:120])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(OmmError, match="cannot be read"):
            NpzStore(path, {}).load()
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


def test_a_transient_at_alpha_zero_says_why_its_difference_is_undefined(tmp_path):
    import json

    cfg = {**RUN_TRANSIENT, "material": {**RUN_TRANSIENT["material"], "alpha": 0.0}}
    (tmp_path / "case.toml").write_text(fuzz_toml.dumps(cfg))
    assert main(["run", str(tmp_path / "case.toml"), "--out", str(tmp_path / "out"),
                 "--quiet"]) == 0
    ref = json.loads((tmp_path / "out" / "results.json").read_text())["steady_at_t_end"]
    assert ref["final_delta_I_over_I0_rel_diff"] is None and ref["delta_I_over_I0"] == 0.0
    assert "final_delta_I_over_I0_rel_diff is undefined: the steady Delta I/I0" in ref["note"]


def test_a_mesh_size_near_the_float_maximum_is_a_coarse_mesh():
    """mesh.size = 1.8e308: the dof estimate overflowed (a RuntimeWarning, then 'about inf
    unknowns'); an element larger than the outline meshes like one of the outline's size."""
    for size in (1.7976931348623157e308, 1e300):
        spec = parse_config({**RUN_STEADY, "mesh": {**RUN_STEADY["mesh"], "size": size}})
        assert spec.resolved["estimated_dofs"] < 2000


@pytest.mark.parametrize("mobility", [1e308, 1e300, 1.1e6])
def test_a_mobility_beyond_the_cap_is_refused(mobility):
    """mobility = 1e308 overflowed in the drift term (a RuntimeWarning) before any check."""
    cfg = {**RUN_TRANSIENT, "material": {**RUN_TRANSIENT["material"], "mobility": mobility}}
    with pytest.raises(ConfigError, match=r"material\.mobility = .* is invalid: must be in "
                                          r"\[0, 1e\+06\] m\^2/\(V s\) \(MOBILITY_MAX"):
        parse_config(cfg)
    parse_config({**cfg, "material": {**cfg["material"], "mobility": 1e6}})


def test_a_tau_near_the_float_maximum_is_refused_by_name():
    """tau = 1.8e308: ell = sqrt(D / max|eig A|) overflowed (a RuntimeWarning), then 'about
    inf unknowns for edge_size = inf m'."""
    cfg = {**RUN_TRANSIENT, "material": {**RUN_TRANSIENT["material"], "tau": 1.7976931348623157e308}}
    with pytest.raises(ConfigError, match=r"^material: the boundary-layer length .* overflows "
                                          r"\(material\.tau = 1\.79.*e\+308\)"):
        parse_config(cfg)

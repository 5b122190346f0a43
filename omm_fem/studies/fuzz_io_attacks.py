"""Strategies 4-6 of :mod:`omm_fem.studies.fuzz_attacks`: special files, crafted
checkpoints and fit inputs (the files themselves: :mod:`omm_fem.studies.fuzz_files`)."""
from __future__ import annotations

import copy
import os
import tempfile

from hypothesis import strategies as st

from . import fuzz_toml
from .fuzz_attacks import (
    EXTREMES,
    RUN_MESH,
    RUN_STEADY,
    RUN_TRANSIENT,
    TOML_TYPES,
    _get,
    _of_type,
    _set,
    _show,
    toml_type,
)
from .fuzz_cases import _paths

__all__ = ["FIT", "FIT_CONFIG", "FIT_CSV", "permission_enforced", "special_files",
           "crafted_checkpoints", "fit_inputs"]

FIT_CONFIG = {k: copy.deepcopy(v) for k, v in RUN_STEADY.items() if k not in ("sweep", "output")}
FIT = {
    "dataset": [{"name": "d", "config": "run.toml", "data": "data.csv", "measure": "Rxx",
                 "quantity": "mr", "direction": [1.0, 0.0, 0.0]}],
    "parameters": {"material.alpha": {"value": 0.05, "min": 0.0, "max": 0.2},
                   "material.D": {"value": 10.0, "min": 1.0, "max": 100.0},
                   "material.tau": {"value": 1e-12, "fixed": True}},
    "fit": {"compare_formula": False, "max_evaluations": 50, "tol": 1e-6},
}
FIT_CSV = "# measured\nB_T,mr,sigma\n0.5,1.0e-4,1e-5\n1.0,2.0e-4,1e-5\n1.5,3.0e-4,1e-5\n"

FIT_PATHS = [p for p, _ in _paths(FIT)]


# ----------------------------------------------------------------- 4. special files
_PERMISSION = []


def permission_enforced():
    """Whether a file without read permission is unreadable here (not as root)."""
    if not _PERMISSION:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "f")
            with open(path, "w") as fh:
                fh.write("x")
            os.chmod(path, 0)
            _PERMISSION.append(not os.access(path, os.R_OK))
    return _PERMISSION[0]


SPECIAL_TARGETS = ("config", "mesh_file", "initial_file", "fit_toml", "fit_config", "fit_data",
                   "out", "checkpoint", "sweep_chunk", "sweep_dir")


def special_kinds():
    kinds = ["dir", "devnull", "fifo", "dangling", "loop", "empty", "sparse_over", "sparse_under",
             "regular"]
    return kinds + (["unreadable"] if permission_enforced() else [])


def _fit_files():
    return {"fit.toml": fuzz_toml.dumps(FIT), "run.toml": fuzz_toml.dumps(FIT_CONFIG),
            "data.csv": FIT_CSV}


@st.composite
def special_files(draw):
    target = draw(st.sampled_from(SPECIAL_TARGETS))
    kind = draw(st.sampled_from(special_kinds()))
    via = draw(st.sampled_from(["name", "link"]))  # link: a symbolic link to the special file
    case = {"strategy": "special_files", "label": target, "call": "run", "config": "case.toml",
            "detail": f"{target} is {kind}" + (" (through a symbolic link)" if via == "link"
                                               else "")}
    steady, transient = fuzz_toml.dumps(RUN_STEADY), fuzz_toml.dumps(RUN_TRANSIENT)
    special = {"special": kind, "via": via}
    if target == "config":
        case["files"] = {"case.toml": special if kind != "regular" else steady}
    elif target == "mesh_file":
        case["files"] = {"case.toml": fuzz_toml.dumps(RUN_MESH),
                         "mesh.msh": special if kind != "regular" else {"resource": "mesh"}}
    elif target == "initial_file":
        cfg = copy.deepcopy(RUN_TRANSIENT)
        cfg["transient"].update(initial="file", initial_file="state.npz")
        case["files"] = {"case.toml": fuzz_toml.dumps(cfg),
                         "state.npz": special if kind != "regular" else {"resource": "state"}}
    elif target.startswith("fit_"):
        name = {"fit_toml": "fit.toml", "fit_config": "run.toml", "fit_data": "data.csv"}[target]
        case.update(call="load_fit", config="fit.toml", files=_fit_files())
        if kind != "regular":
            case["files"][name] = special
    elif target == "out":
        case["files"] = {"case.toml": steady}
        if kind not in ("regular", "dir"):
            case["files"]["out"] = special
    else:  # a store that --resume reads
        store = {"checkpoint": "out/checkpoint.npz", "sweep_chunk": "out/.sweep-checkpoint/"
                 "chunk_0000.npz", "sweep_dir": "out/.sweep-checkpoint"}[target]
        resource = {"resource": "checkpoint_mid" if target == "checkpoint" else "chunk"}
        case.update(files={"case.toml": transient if target == "checkpoint" else steady,
                           store: special if kind != "regular" else resource}, resume=True)
        if target == "sweep_dir" and kind == "regular":
            case["files"] = {"case.toml": steady}
    return case


# ----------------------------------------------------------------- 5. crafted checkpoints
STORES = ("checkpoint_final", "checkpoint_mid", "chunk", "state")
ARRAY_OPS = ("nan", "inf", "huge", "zero", "negate", "drop_row", "add_row", "drop_col",
             "flatten", "scalar", "transpose", "add_axis", "int", "bool", "complex", "str",
             "float32", "empty", "object")
FILE_OPS = ("truncate", "flip_byte", "append_junk", "empty_zip", "npy", "meta_not_json",
            "meta_list", "meta_2d", "meta_bytes", "no_meta")
FINGERPRINT_OPS = ("config_hash", "mesh_hash", "format", "version", "drop", "not_a_table")
TIME_VALUES = ("t_end_plus", "2_t_end", "1e308", "-0.0", "nan_json", "neg")
SELECTOR = st.integers(0, 10**6)
META_VALUES = st.one_of(st.sampled_from(EXTREMES[:10] + [2**63, 10**30, -1, 0, 1, "8", True,
                                                         None, [], {}, [[0, 1]], "t_s"]),
                        st.floats(allow_nan=True, allow_infinity=True))


@st.composite
def _store_op(draw):
    op = draw(st.sampled_from(["meta_drop", "meta_set", "meta_set", "time", "array_drop",
                               "array", "array", "array_add", "file", "fingerprint"]))
    if op == "meta_set":
        return [op, draw(SELECTOR), draw(META_VALUES)]
    if op == "time":
        return [op, draw(SELECTOR), draw(st.sampled_from(TIME_VALUES))]
    if op == "array":
        return [op, draw(SELECTOR), draw(st.sampled_from(ARRAY_OPS))]
    if op == "array_add":
        return [op, draw(st.sampled_from(["stepper_junk", "recorder_junk", "resp_junk",
                                          "kept_99_B", "kept_x_B", "kept_0_B", "traces2",
                                          "n_C_per_m2", "points_m", "order"])),
                draw(st.sampled_from(ARRAY_OPS[:4]))]
    if op == "file":
        return [op, draw(SELECTOR), draw(st.sampled_from(FILE_OPS))]
    if op == "fingerprint":
        return [op, 0, draw(st.sampled_from(FINGERPRINT_OPS))]
    return [op, draw(SELECTOR)]


@st.composite
def crafted_checkpoints(draw):
    store = draw(st.sampled_from(STORES))
    ops = draw(st.lists(_store_op(), min_size=0, max_size=3))
    if store == "state":
        cfg = copy.deepcopy(RUN_TRANSIENT)
        cfg["transient"].update(initial="file", initial_file="state.npz")
        files, resume, where = {"case.toml": fuzz_toml.dumps(cfg)}, False, "state.npz"
    else:
        where = "out/checkpoint.npz" if store.startswith("checkpoint") else \
            "out/.sweep-checkpoint/chunk_0000.npz"
        base = RUN_TRANSIENT if store.startswith("checkpoint") else RUN_STEADY
        files, resume = {"case.toml": fuzz_toml.dumps(base)}, True
    files[where] = {"resource": store, "ops": ops}
    label = store + (": intact" if not ops else "")
    return {"strategy": "crafted_checkpoints", "label": label, "call": "run",
            "config": "case.toml", "files": files, "resume": resume,
            "detail": f"{store} {ops}"[:300]}


# ----------------------------------------------------------------- 6. fit inputs
CSV_OPS = ("drop_column", "drop_quantity", "rename_header", "not_a_number", "nan", "inf",
           "empty", "header_only", "bom", "nul", "huge_field", "huge_line", "crlf",
           "extra_column", "missing_cell",
           "duplicate_header", "sigma_zero", "sigma_negative", "latin1", "many_rows",
           "too_many_rows", "no_header", "blank_lines", "quoted", "semicolons", "bx_by_bz",
           "header_spaces", "binary")
PARAMETER_NAMES = ("material.X.zz", "material.X.qq", "material.nope", "geometry.length", "",
                   "material..alpha", "material.channel.alpha", "material", "material.X_unit",
                   "material.alpha.x", "material.X.xy")


@st.composite
def fit_inputs(draw):
    files = _fit_files()
    family = draw(st.sampled_from(["fit_toml", "fit_toml", "csv", "csv", "run_config",
                                   "parameter_name"]))
    fit = copy.deepcopy(FIT)
    if family == "fit_toml":
        path = draw(st.sampled_from(FIT_PATHS))
        how = draw(st.sampled_from(["type", "extreme", "delete", "add_key"]))
        node = _get(fit, path[:-1])
        if how == "delete":
            node.pop(path[-1])
            value = "<deleted>"
        elif how == "add_key" and isinstance(node, dict):
            value = draw(st.sampled_from(["extra", "Value", "min "]))
            node[value] = 1.0
        else:
            original = _get(fit, path)
            value = draw(st.sampled_from(EXTREMES) if how == "extreme" else _of_type(
                draw(st.sampled_from([t for t in TOML_TYPES if t != toml_type(original)])),
                copy.deepcopy(original)))
            _set(fit, path, value)
        detail, label = f"{_show(path)} {how}: {value!r}"[:300], f"fit.toml {how}"
    elif family == "parameter_name":
        name = draw(st.sampled_from(PARAMETER_NAMES))
        fit["parameters"][name] = {"value": draw(st.sampled_from([0.05, 1.0, 24.4, -1.0]))}
        detail, label = f"parameter {name!r}", "parameter name"
    elif family == "csv":
        ops = draw(st.lists(st.sampled_from(CSV_OPS), min_size=1, max_size=2))
        files["data.csv"] = {"csv": ops}
        detail, label = f"data.csv {ops}", "csv " + ops[0]
    else:
        cfg = copy.deepcopy(FIT_CONFIG)
        path = draw(st.sampled_from([p for p, _ in _paths(cfg)]))
        original = _get(cfg, path)
        value = draw(st.one_of(st.sampled_from(EXTREMES), _of_type(
            draw(st.sampled_from([t for t in TOML_TYPES if t != toml_type(original)])),
            copy.deepcopy(original))))
        _set(cfg, path, value)
        files["run.toml"] = fuzz_toml.dumps(cfg)
        detail, label = f"run.toml {_show(path)} = {value!r}"[:300], "run config"
    files["fit.toml"] = fuzz_toml.dumps(fit)
    return {"strategy": "fit_inputs", "label": label, "detail": detail, "call": "load_fit",
            "config": "fit.toml", "files": files}



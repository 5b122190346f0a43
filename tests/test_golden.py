"""Every number unchanged: results.json of the built-in example, of both examples and
of ``omm-fem validate --quick`` against the files recorded before the engine was
consolidated (tests/golden/, timing and provenance removed).

Tolerances:

* a number agrees to 1e-12 relative (the engine was reorganised, not changed:
  only the order of floating-point operations may differ);
* an array agrees to 1e-12 of its largest entry (entries that are zero by
  symmetry are rounding noise, e.g. n^x in a strip);
* a quantity that is itself a relative error, difference or balance (names with
  "error", "rel_diff", "balance", and rho, rho0, rho_inf, rho_star: rho =
  (R(B) - R_0)/R(B) and rho* are normalised differences of resistances) agrees to
  1e-12 absolute: it is already normalised by the scale of what it compares, and
  a change of 1e-16 in the compared values moves it by 1e-16 / (its own size),
  far above 1e-12 relative (the flake's rho*(B) = 0.0099 differs by 4e-11
  relative between two machines);
* so do validate's cases whose reference is 0 (identities: a current balance, an
  off-diagonal X), and its differences rho(B) - rho(0) (the Mn maximum ~1e-7
  differs by 1e-16 absolute, 1e-9 relative, between two machines); quantities
  derived from them (the Mn case's relative error, the BLG/Mn ratio) at the same
  1e-12 propagated through the division;
* a reduced model's a-posteriori error estimate, once converged, is rounding
  noise (epsilon times a condition number): it agrees to 10 % of the tolerance
  it is checked against -- the new run is as converged as the recorded one;
* a contact current agrees to 1e-12 of the largest contact current (a floating
  contact carries ~1e-22 A of rounding against a 1e-6 A drive);
* a transient's ``final`` values (the last trace row) agree to 1e-12 of the
  largest value of their trace; the integrals of n over the sample, zero by
  symmetry here (~1e-34 C of rounding), to 1e-12 of their Cauchy-Schwarz bound
  ``max ||n||_L2 * sqrt(area)``;
* a convergence order fitted through errors e_k (validate's transient study) to
  1e-12 / min e_k: the errors are normalised differences, compared at 1e-12
  absolute, and a change of de in each moves the log-log slope by about
  de / min e_k (errors ~1e-5 here: rounding of 1e-16 in the state, summed over
  160 steps, moves the order by ~3e-11);
* strings, integers and booleans exactly.
"""
import json
import math
import re
from pathlib import Path

from omm_fem.cli import main

GOLDEN = Path(__file__).parent / "golden"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
IGNORED = {"timing", "provenance", "seconds"}
RTOL = 1e-12
NORMALISED = re.compile(r"error|rel_diff|balance|^rho(0|_inf|_star)?$")


def _leaves(obj, path=""):
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k not in IGNORED:
                yield from _leaves(v, f"{path}.{k}" if path else k)
    elif isinstance(obj, list) and obj and all(isinstance(v, (int, float)) or v is None
                                               for v in _flat(obj)):
        yield path, ("array", list(_flat(obj)))
    elif isinstance(obj, list):
        for k, v in enumerate(obj):
            yield from _leaves(v, f"{path}[{k}]")
    else:
        yield path, ("scalar", obj)


def _flat(obj):
    for v in obj:
        if isinstance(v, list):
            yield from _flat(v)
        else:
            yield v


def _close(a, b, scale, atol=0.0):
    if a is None or b is None:
        return a is b
    if isinstance(a, bool) or isinstance(b, bool) or isinstance(a, str):
        return a == b
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    return abs(a - b) <= RTOL * scale + atol


def compare(new, old, scales=None):
    """List of 'path: new vs old' for every leaf that differs beyond the tolerances."""
    scales = scales or {}
    a, b = dict(_leaves(new)), dict(_leaves(old))
    bad = [f"{p}: missing in the new results" for p in b if p not in a]
    bad += [f"{p}: not in the recorded results" for p in a if p not in b]
    for p in a.keys() & b.keys():
        (ka, va), (kb, vb) = a[p], b[p]
        atol = RTOL if NORMALISED.search(p.split(".")[-1]) else 0.0
        if ka != kb or (ka == "array" and len(va) != len(vb)):
            bad.append(f"{p}: {ka} of {len(va) if ka == 'array' else 1} vs {kb}")
        elif ka == "array":
            nums = [abs(x) for x in va + vb if isinstance(x, (int, float)) and x is not None]
            scale = scales.get(p, max(nums, default=0.0))
            for i, (x, y) in enumerate(zip(va, vb)):
                if not _close(x, y, scale, atol):
                    bad.append(f"{p}[{i}]: {x!r} vs {y!r}")
                    break
        else:
            scale = scales.get(p, abs(vb) if isinstance(vb, (int, float)) else 0.0)
            if not _close(va, vb, scale, atol):
                bad.append(f"{p}: {va!r} vs {vb!r}")
    return bad


def _run(args, out):
    assert main(args + ["--out", str(out)]) == 0
    return json.loads((out / "results.json").read_text())


def _golden(name):
    return json.loads((GOLDEN / f"{name}.json").read_text())


def test_the_comparison_catches_a_change():
    old = {"R_ohm": 150.0, "sweep": {"R_ohm": [0.0, 1e-3]}, "n_error_rel": 1e-8,
           "mesh": {"dofs": 7}, "rho": 1e-3}
    assert compare(old, old) == []
    assert compare({**old, "R_ohm": 150.0 * (1 + 1e-11)}, old)  # relative 1e-11 > 1e-12
    assert compare({**old, "sweep": {"R_ohm": [1e-14, 1e-3]}}, old)
    assert compare({**old, "sweep": {"R_ohm": [1e-16, 1e-3]}}, old) == []  # 1e-13 of max
    assert compare({**old, "rho": 1e-3 + 5e-13}, old) == []  # rho is normalised: absolute
    assert compare({**old, "rho": 1e-3 + 2e-12}, old)
    assert compare({**old, "n_error_rel": 1e-8 + 5e-13}, old) == []  # absolute 1e-12
    assert compare({**old, "mesh": {"dofs": 8}}, old)
    assert compare({"rho": 1e-3}, old)  # keys missing


def steady_unchanged(new, name):
    """Differences of a steady run's results.json (dict) from the recorded one."""
    new = dict(new)
    new.pop("input", None)  # echoes the config; file paths differ between checkouts
    old = _golden(name)
    old.pop("input", None)
    drive = max(abs(v) for c in old["contacts"].values() for k, v in c.items() if "current" in k)
    scales = {f"contacts.{c}.{k}": drive for c, d in old["contacts"].items() for k in d
              if "current" in k}
    info = old.get("sweep", {}).get("method_info", {})
    if "max_error_estimate" in info:
        scales["sweep.method_info.max_error_estimate"] = 0.1 * info["tol"] / RTOL
    return compare(new, old, scales)


def test_flake_example_unchanged(tmp_path):
    # the built-in example is compared in test_cli.py, on the run its tests share
    assert steady_unchanged(_run(["run", str(EXAMPLES / "flake.toml"), "--quiet"],
                                 tmp_path / "flake"), "flake") == []


def test_transient_results_unchanged(tmp_path):
    new = _run(["run", str(EXAMPLES / "transient_pulse.toml"), "--quiet"], tmp_path / "tr")
    old = _golden("transient")
    geometry = old["input"]["geometry"]
    for d in (new, old):
        d.pop("input", None)
        d.get("resolved", {}).pop("initial_file", None)
    scales = {f"final.{k}": max((abs(x) for x in v if x is not None), default=0.0)
              for k, v in old["traces"].items()}
    area = geometry["length"] * geometry["width"]
    bound = max(old["traces"]["norm_n_C_per_m"]) * area**0.5
    for k in ("int_n_x_C", "int_n_y_C", "int_n_z_C"):
        scales[f"traces.{k}"] = scales[f"final.{k}"] = bound
    assert compare(new, old, scales) == []


def validate_unchanged(new):
    """Differences of ``omm-fem validate --quick``'s results.json (dict) from the recorded
    one (compared in test_validate.py, on the run its tests share)."""
    old = _golden("validate")
    scales = {}
    for scheme, d in old["studies"]["transient"]["data"]["uniform"].items():
        scale = 1.0 / min(d["errors"])
        scales[f"studies.transient.data.uniform.{scheme}.order"] = scale
        k = next(i for i, c in enumerate(old["cases"]) if c["id"] == f"transient.uniform_{scheme}")
        scales[f"cases[{k}].fem"] = scale
        scales[f"cases[{k}].error"] = scale
    assert len(scales) >= 6
    for k, c in enumerate(old["cases"]):
        if c["reference"] == 0.0:
            scales[f"cases[{k}].fem"] = scales[f"cases[{k}].error"] = 1.0
        if c["id"] == "claims.mn_max_value":  # fem = rho(B) - rho(0); error relative to it
            scales[f"cases[{k}].fem"], scales[f"cases[{k}].error"] = 1.0, 1.0 / c["reference"]
    claims = "studies.claims.data"
    for B in old["studies"]["claims"]["data"]["mn_max"]:
        scales[f"{claims}.mn_max.{B}.value_fem"] = 1.0
    for i, row in enumerate(old["studies"]["claims"]["data"]["blg"]):
        scales[f"{claims}.blg[{i}].mn_max"] = scales[f"{claims}.blg[{i}].max_fem"] = 1.0
        scales[f"{claims}.blg[{i}].ratio"] = row["ratio"] / row["mn_max"]
    scales[f"{claims}.max_fem"] = 1.0
    # Digits that depend on the CPU and the sparse solver, not on the code: the nonlocal
    # q are far-field potential differences ~1e-2 of the drive (moved by <= 9e-9 relative
    # between LU and Cholesky charge solves, and by 1.4e-9 between two CPUs running the
    # same commit), the W -> 0 extrapolations, orders and errors built on them amplify that
    # (<= 6e-6); the position of the Mn maximum is the argmax of a flat curve (moved 1.6e-7
    # and 1.4e-7). Compared to 1e-7 (q) and 2e-5 (the rest) of their size instead of 1e-12.
    curves = old["studies"]["nonlocal"]["data"]["curves"]
    for i, c in enumerate(curves):
        base = f"studies.nonlocal.data.curves[{i}]"
        qmax = max(abs(v) for v in _flat(c["q"]))
        scales[f"{base}.q"] = 1e-7 / RTOL * qmax
        for key in ("error", "extrapolated"):
            scales[f"{base}.{key}"] = 2e-5 / RTOL * qmax
        scales[f"{base}.order"] = 2e-5 / RTOL * abs(c["order"])
    for k, c in enumerate(old["cases"]):
        if c["id"] in ("nonlocal.order", "claims.mn_max_position"):
            scales[f"cases[{k}].fem"] = scales[f"cases[{k}].error"] = 2e-5 / RTOL * abs(c["fem"])
    scales[f"{claims}.t_max_fem"] = 2e-5 / RTOL * abs(old["studies"]["claims"]["data"]["t_max_fem"])
    return compare(new, old, scales)


def test_golden_files_are_finite():
    for f in GOLDEN.glob("*.json"):
        for path, (_, v) in _leaves(json.loads(f.read_text())):
            vals = v if isinstance(v, list) else [v]
            assert all(not isinstance(x, float) or math.isfinite(x) for x in vals), path

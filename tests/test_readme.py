"""Every TOML and Python block of README.md and docs/ runs exactly as printed: the
documentation cannot drift from the code.

* the main configuration block is run by ``omm-fem run`` as printed (it is what
  ``omm-fem init --kind hall_bar`` writes);
* the Python blocks are executed verbatim, in order, in one namespace (each block
  continues the previous one, as a reader types them);
* the [transient] fragment is a part of ``examples/transient_pulse.toml``: the stated
  base is that file without its [transient] and [[waveform]] tables, and base plus
  fragment is the example, which tests/test_golden.py runs and compares with its
  recorded results;
* the FIT.toml block is the start of ``examples/fit_mn/fit_mn.toml`` and is fitted as
  printed (its relative paths taken against examples/fit_mn, as for that file).
"""
import json
import re
from pathlib import Path

import numpy as np

from omm_fem.cli import main
from omm_fem.config import load_toml, parse_config, tomllib  # tomllib or tomli (Python 3.10)
from omm_fem.starter import starter_config
from omm_fem.transient import parse_transient

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
FENCE = re.compile(r"^```(toml|python)\n(.*?)^```", re.S | re.M)
RST = re.compile(r"^\.\. code-block:: (toml|python)\n\n((?:(?:   .*)?\n)+)", re.M)


def _blocks(lang, text=README):
    return [body for kind, body in FENCE.findall(text) if kind == lang]


def doc_blocks():
    """(file, language, text) of every TOML and Python block of README.md, docs/*.md
    and docs/*.rst (fenced, or an RST code-block directive)."""
    out = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
                 *sorted((ROOT / "docs").glob("*.rst"))]:
        text = path.read_text()
        out += [(path.name, lang, body) for lang, body in FENCE.findall(text)]
        out += [(path.name, lang, re.sub(r"^   ", "", body, flags=re.M))
                for lang, body in RST.findall(text)]
    return out


def test_every_block_is_run_by_a_test(tmp_path):
    """README.md holds exactly the blocks the tests below run; a block in docs/ (none
    today) is run here: Python executed, TOML run with omm-fem run."""
    readme = [(lang, body) for name, lang, body in doc_blocks() if name == "README.md"]
    assert [lang for lang, _ in readme] == ["toml"] * 4 + ["python"] * 4
    assert "parameter = " in readme[1][1]
    assert "[transient]" in readme[2][1] and "[[dataset]]" in readme[3][1]
    others = [b for b in doc_blocks() if b[0] != "README.md"]
    for k, (name, lang, body) in enumerate(others):
        if lang == "python":
            exec(compile(body, name, "exec"), {"__name__": name})
        else:
            cfg = tmp_path / f"block{k}.toml"
            cfg.write_text(body)
            assert main(["run", str(cfg), "--out", str(tmp_path / f"out{k}"), "--quiet"]) == 0


def test_main_config_runs_as_printed(tmp_path, capsys):
    block = _blocks("toml")[0]
    assert tomllib.loads(block) == tomllib.loads(starter_config("hall_bar"))
    cfg = tmp_path / "CONFIG.toml"
    cfg.write_text(block)
    assert main(["run", str(cfg), "--out", str(tmp_path / "DIR"), "--quiet"]) == 0
    res = json.loads((tmp_path / "DIR" / "results.json").read_text())
    assert res["warnings"] == [] and set(res["measurements"]) == {"Rxx", "Rxy"}
    assert res["measurements"]["Rxx"]["rho"] < 0 and res["measurements"]["Rxy"]["rho"] is None
    assert len(res["sweep"]["measurements"]["Rxx"]["rho"]) == 5
    assert "measure Rxx" in capsys.readouterr().out


def test_python_examples_run_verbatim(capsys):
    code = "\n".join(_blocks("python"))
    assert "sweep_terminals" in code and "Pipeline(problem)" in code
    scope = {"__name__": "README"}
    exec(compile(code, "README.md", "exec"), scope)
    printed = capsys.readouterr().out.split("\n")
    assert len([ln for ln in printed if ln.strip()]) == 6  # one line per field of the loop
    # the sweep's rho at the loop's fields equals the single-field solves
    loop = {float(b): float(r) for b, r in (ln.split() for ln in printed if ln.strip())}
    for B in (0.0, 3.0):
        k = int(np.argmin(np.abs(scope["fields"][:, 0] - B)))
        assert abs(scope["fields"][k, 0] - B) < 1e-12
        assert abs(scope["rho"][k] - loop[B]) <= 1e-6 * abs(loop[B])
    assert scope["fig"].axes and scope["table"]["B_T"][-1] == 6.0
    # the accuracy block: a first estimate above the tolerance, refined until below it
    assert 0 < scope["err"] <= scope["checked"].accuracy["error_estimate"]["max_rel"]
    ref = scope["fine"].accuracy["refinement"]
    assert ref["met"] and ref["steps"][-1]["max_rel"] <= 1e-3 < ref["steps"][0]["max_rel"]
    assert scope["fine"].pipeline.disc.ndofs == ref["steps"][-1]["dofs"] and scope["hist"].axes


def test_parameter_sweep_config_runs_as_printed(tmp_path):
    """The parameter-sweep block is a whole config: run as printed, its sweep.csv is a
    tau x B grid of floats (pandas), one row per (tau, field)."""
    import pandas as pd

    block = next(b for b in _blocks("toml") if "parameter = " in b)
    cfg = tmp_path / "grid.toml"
    cfg.write_text(block)
    assert main(["run", str(cfg), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    table = pd.read_csv(tmp_path / "out" / "sweep.csv")
    conf = tomllib.loads(block)["sweep"]
    assert len(table) == conf["values"]["num"] * len(conf["B_T"])
    assert table.columns[0] == "material.tau_s"
    assert all(str(dt) == "float64" for dt in table.dtypes)
    taus = np.unique(table["material.tau_s"])
    assert np.allclose(taus, np.geomspace(conf["values"]["start"], conf["values"]["stop"],
                                          conf["values"]["num"]), rtol=1e-12)
    res = json.loads((tmp_path / "out" / "results.json").read_text())
    assert len(res["parameter_sweep"]["points"]) == conf["values"]["num"]
    assert (tmp_path / "out" / "hmr.png").stat().st_size > 10_000  # one curve per tau


def test_parameter_grid_figure_has_a_curve_per_value(tmp_path):
    """hmr.png of a parameter x field grid draws rho(B) of the first measurement once
    per swept value, labelled with the value and its SI prefix."""
    from omm_fem.config import parse_config
    from omm_fem.run import run
    from omm_fem.run_figures import hmr_figure

    conf = tomllib.loads(next(b for b in _blocks("toml") if "parameter = " in b))
    conf["sweep"].update(values=[0.5e-12, 1e-12], B_T=[0.0, 1.0])
    conf["geometry"].update(length=1.2e-6, arms=[0.4e-6, 0.8e-6], arm_width=0.1e-6,
                            arm_length=0.15e-6)
    res = run(parse_config(conf), progress=False)
    fig = hmr_figure(res)
    labels = [ln.get_label() for ln in fig.axes[0].get_lines()]
    assert labels == ["material.tau = 500 fs", "material.tau = 1 ps"]
    assert any("measurement Rxx" in t.get_text() for t in fig.texts)
    rho = [p["measurements"]["Rxx"]["rho"] for p in res.results["parameter_sweep"]["points"]]
    drawn = [ln.get_ydata()[0] for ln in fig.axes[0].get_lines()]
    assert np.allclose(drawn, rho, rtol=1e-12)  # B = 0 is the run's own field


def test_transient_fragment_is_the_example():
    """Base (the example without [transient], [[waveform]]) + the README fragment, as
    printed, is examples/transient_pulse.toml; test_golden.py runs that file."""
    fragment = tomllib.loads(next(b for b in _blocks("toml") if "[transient]" in b))
    assert set(fragment) == {"transient", "waveform"}
    example = load_toml(ROOT / "examples" / "transient_pulse.toml")
    base = {k: v for k, v in example.items() if k not in fragment}
    full = {**base, **fragment}
    assert full == example
    tspec = parse_transient(full, parse_config(full))
    assert tspec.scheme == "strang" and len(tspec.waveforms) == 2


def test_fit_snippet_is_the_shipped_example_and_fits():
    """The README's FIT.toml block is the start of examples/fit_mn/fit_mn.toml (its first
    dataset, the parameters and [fit]) and fits as printed (one thickness: alpha and D
    are not separated, but every value stays within its bounds)."""
    from omm_fem.fitting import fit, parse_fit

    block = next(b for b in _blocks("toml") if "[[dataset]]" in b)
    example = tomllib.loads((ROOT / "examples" / "fit_mn" / "fit_mn.toml").read_text())
    readme = tomllib.loads(block)
    assert readme["dataset"] == example["dataset"][:1]
    assert readme["parameters"] == example["parameters"] and readme["fit"] == example["fit"]
    spec = parse_fit(readme, ROOT / "examples" / "fit_mn")
    assert [p.path for p in spec.free] == ["material.alpha", "material.D"]
    res = fit(spec, progress=False)
    for path, bounds in readme["parameters"].items():
        value = res.parameters[path]["value"]
        assert bounds.get("min", value) <= value <= bounds.get("max", value), path
    assert np.isfinite(res.chi2) and res.formula is not None


def test_license_and_the_two_commands():
    """A LICENSE file (MIT, as pyproject.toml says); the README's two commands name the
    console script and the test extras pyproject.toml defines (tests/test_cli.py runs the
    built-in example), and the README says how long the tests take."""
    license_text = (ROOT / "LICENSE").read_text()
    assert license_text.startswith("MIT License") and "WITHOUT WARRANTY" in license_text
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert conf["project"]["license"] == {"text": "MIT"}
    assert "MIT license (`LICENSE`)" in README
    assert "    pip install -e . && omm-fem run\n" in README
    assert '    pip install -e ".[test]" && pytest\n' in README
    assert conf["project"]["scripts"]["omm-fem"] == "omm_fem.cli:main"
    assert any(d.startswith("pytest") for d in conf["project"]["optional-dependencies"]["test"])
    assert re.search(r"The tests .* take about \d+\s+minutes", README, re.S)

"""The README's examples run as written (Python) and its TOML snippets use only
keys the parser accepts: the documentation cannot drift from the code."""
import re
from pathlib import Path

import numpy as np

from omm_fem.config import parse_config, tomllib  # tomllib or tomli (Python 3.10)
from omm_fem.transient import parse_transient

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _blocks(lang):
    return re.findall(rf"```{lang}\n(.*?)```", README, re.S)


def test_python_examples_run(capsys):
    code = "\n".join(_blocks("python"))
    assert "sweep_terminals" in code and "Pipeline(problem)" in code
    # the only change: a coarser boundary mesh, to keep the test fast
    assert code.count("edge_size=6e-9") == 1
    scope = {}
    exec(compile(code.replace("edge_size=6e-9", "edge_size=2e-8"), "README.md", "exec"), scope)
    printed = capsys.readouterr().out.split("\n")
    assert len([ln for ln in printed if ln.strip()]) == 6  # one line per field of the loop
    # the sweep's rho at the loop's fields equals the single-field solves
    loop = {float(b): float(r) for b, r in (ln.split() for ln in printed if ln.strip())}
    for B in (0.0, 3.0):
        k = int(np.argmin(np.abs(scope["fields"][:, 0] - B)))
        assert abs(scope["fields"][k, 0] - B) < 1e-12
        assert abs(scope["rho"][k] - loop[B]) <= 1e-6 * abs(loop[B])


def test_toml_snippets_are_accepted():
    blocks = _blocks("toml")
    assert len(blocks) >= 2
    main = tomllib.loads(blocks[0])
    main["geometry"] = {"kind": "hall_bar", "length": 8e-6, "width": 1e-6, "arms": [3e-6, 5e-6],
                        "arm_width": 0.3e-6, "arm_length": 0.6e-6}  # has the probes it measures
    parse_config(main)
    steady = {k: v for k, v in main.items() if k not in ("sweep", "measure")}
    steady["geometry"] = {"kind": "rectangle", "length": 4e-7, "width": 6e-7}
    for block in blocks[1:]:
        cfg = tomllib.loads(block)
        if "transient" in cfg:
            full = {**steady, **cfg}
            parse_transient(full, parse_config(full))


def test_fit_snippet_is_the_shipped_example():
    """The README's FIT.toml block is the start of examples/fit_mn/fit_mn.toml (its first
    dataset, the parameters and [fit]) and parses as a fit."""
    from omm_fem.fitting import parse_fit

    block = next(b for b in _blocks("toml") if "[[dataset]]" in b)
    example = tomllib.loads((ROOT / "examples" / "fit_mn" / "fit_mn.toml").read_text())
    readme = tomllib.loads(block)
    assert readme["dataset"] == example["dataset"][:1]
    assert readme["parameters"] == example["parameters"] and readme["fit"] == example["fit"]
    spec = parse_fit(readme, ROOT / "examples" / "fit_mn")
    assert [p.path for p in spec.free] == ["material.alpha", "material.D"]

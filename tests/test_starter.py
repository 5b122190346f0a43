"""``omm-fem init --kind KIND``: a commented starter configuration that runs as written."""
import json
import re
from pathlib import Path

import pytest

from omm_fem import starter
from omm_fem.cli import main
from omm_fem.config import load_toml, parse_config, tomllib
from omm_fem.config.geometry import KINDS as GEOMETRY_KINDS
from omm_fem.errors import OmmError
from omm_fem.starter import KINDS, starter_config

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ("geometry", "mesh", "material", "field", "sweep", "contacts", "measure", "solver")


def _readme_block():
    return re.findall(r"^```toml\n(.*?)^```", (ROOT / "README.md").read_text(), re.S | re.M)[0]


def test_every_geometry_kind_has_a_starter():
    assert set(GEOMETRY_KINDS) <= set(KINDS)


def test_shipped_meshes_are_found_relative_to_the_file(monkeypatch, tmp_path):
    """Inside the source tree the path is relative to the written file (as in
    examples/flake.toml); elsewhere absolute. Without the meshes/ folder: a clear error."""
    text = starter_config("mesh", ROOT / "examples" / "start.toml")
    assert 'file = "../meshes/flake.msh"' in text
    text = starter_config("van_der_pauw", ROOT / "start.toml")
    assert 'file = "meshes/cross.msh"' in text
    monkeypatch.setattr(starter, "MESHES", tmp_path / "nowhere")
    with pytest.raises(OmmError, match=r"the shipped mesh .*flake\.msh' is missing .* use "
                                       r"--kind polygon"):
        starter_config("mesh", tmp_path / "start.toml")


@pytest.mark.parametrize("kind", list(KINDS))
def test_init_then_run_as_written(kind, tmp_path, monkeypatch, capsys):
    """Each starter runs as written (a few seconds): no warnings, every [[measure]] reported,
    a sweep; every key and section commented. The shipped mesh is found relative to the
    written file, wherever it is."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cfg").mkdir()
    assert main(["init", "--kind", kind, "--out", "cfg/start.toml"]) == 0
    assert "run it with: omm-fem run cfg/start.toml" in capsys.readouterr().out
    path = tmp_path / "cfg" / "start.toml"
    text = path.read_text()
    cfg = load_toml(path)
    assert set(SECTIONS) <= set(cfg) and "[output]" in text
    seen, previous = set(), ""
    for line in text.splitlines():  # every key is explained where it first appears: a
        key = line.split("=")[0].strip()  # trailing comment or a comment line above
        if line.strip() and not line.lstrip().startswith(("#", "[")) and "=" in line:
            assert key in seen or "#" in line or previous.lstrip().startswith("#"), line
            seen.add(key)
        previous = line
    parse_config(cfg, base_dir=path.parent)
    if kind == "hall_bar":  # the README's main block, run as printed in tests/test_readme.py
        assert cfg == tomllib.loads(_readme_block())
        return
    assert main(["run", "cfg/start.toml", "--out", "out", "--quiet"]) == 0
    res = json.loads((tmp_path / "out" / "results.json").read_text())
    assert res["warnings"] == []
    assert set(res["measurements"]) == {m["name"] for m in cfg["measure"]}
    assert len(res["sweep"]["rho"]) == cfg["sweep"]["B_T"]["num"]
    assert res["mesh"]["dofs"] < 40_000  # small enough for a few seconds


def test_init_refuses_to_overwrite_without_force(tmp_path, capsys):
    out = tmp_path / "mine.toml"
    out.write_text("# my own config\n")
    assert main(["init", "--kind", "rectangle", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "mine.toml' exists; choose another name or pass --force" in err
    assert out.read_text() == "# my own config\n"
    assert main(["init", "--kind", "rectangle", "--out", str(out), "--force"]) == 0
    assert out.read_text() == starter_config("rectangle", out)
    assert main(["init", "--kind", "rectangle", "--out", str(tmp_path)]) == 2
    assert "is a directory; give a file name" in capsys.readouterr().err
    assert main(["init", "--kind", "rectangle", "--out", str(tmp_path / "no" / "x.toml")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_init_default_file_name_and_unknown_kind(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "--kind", "hall_bar"]) == 0
    assert (tmp_path / "hall_bar.toml").read_text() == starter_config("hall_bar", "hall_bar.toml")
    with pytest.raises(SystemExit) as exc:
        main(["init", "--kind", "disc"])
    assert exc.value.code == 2 and "invalid choice: 'disc'" in capsys.readouterr().err

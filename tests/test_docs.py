"""The documentation builds with warnings as errors, gallery included.

``sphinx-build -W --keep-going -b html docs OUT`` in a subprocess: every
gallery script runs (docs/gallery/plot_*.py), every docstring of the API
reference is parsed, docs/SPEC.md and README.md are rendered, and the
configuration reference is generated from the config code
(docs/_ext/configref.py). About 40 s on 2 cores.

The HTML and the doctrees go to a temporary folder; sphinx-gallery and
autosummary write their generated sources into docs/auto_gallery,
docs/generated and docs/sg_execution_times.rst (ignored by git).
"""
import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from omm_fem.config.sections import CONTACT_KEYS, MATERIAL_KEYS

DOCS = Path(__file__).resolve().parent.parent / "docs"

pytest.importorskip("sphinx")
pytest.importorskip("sphinx_gallery")
pytest.importorskip("numpydoc")
pytest.importorskip("myst_parser")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("docs")
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html",
         "-d", str(out / "doctrees"), str(DOCS), str(out / "html")],
        capture_output=True, text=True, env=env, timeout=900)
    assert proc.returncode == 0, (f"sphinx-build failed ({proc.returncode}):\n"
                                  f"{proc.stderr[-6000:]}\n{proc.stdout[-3000:]}")
    return out / "html"


def _row(page, section):
    """The text of the table row of the configuration reference naming ``section``."""
    for row in re.findall(r"<tr.*?</tr>", page, flags=re.S):
        text = html.unescape(re.sub(r"<[^>]+>", " ", row))
        if section in text.split():
            return text
    raise AssertionError(f"no row for {section} in the configuration reference")


def test_docs_build_and_config_reference(site):
    page = (site / "config.html").read_text(encoding="utf-8")
    material = _row(page, "[material]").split()
    for key in sorted(MATERIAL_KEYS):
        assert key in material, f"[material] key {key!r} missing from the configuration reference"
    contacts = _row(page, "[contacts.NAME]").split()
    for key in sorted(CONTACT_KEYS):
        assert key in contacts, f"[contacts] key {key!r} missing from the configuration reference"
    assert "sphx_glr_plot_strip_limit_001.png" in (site / "auto_gallery" /
                                                    "plot_strip_limit.html").read_text()
    for name in ("SPEC.html", "api.html", "getting_started.html", "readme.html",
                 "generated/omm_fem.solve.html"):
        assert (site / name).is_file(), name

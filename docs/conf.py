"""Sphinx configuration of the omm_fem documentation.

Build (warnings are errors; the gallery runs its scripts)::

    pip install -e ".[docs]"
    sphinx-build -W --keep-going -b html docs docs/_build/html
"""
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # document the checkout, not some other installed copy
sys.path.insert(0, str(HERE / "_ext"))
os.environ.setdefault("MPLBACKEND", "Agg")

import omm_fem  # noqa: E402

project = "omm_fem"
author = "the omm_fem authors"
copyright = "the omm_fem authors, MIT license"
version = release = omm_fem.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
    "configref",  # docs/_ext/configref.py: the configuration reference from the config code
    "apicheck",  # docs/_ext/apicheck.py: api.rst must list every name of omm_fem.__all__
    "plaintext_docstrings",  # docs/_ext/plaintext_docstrings.py: |B| is a magnitude, not markup
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
# gallery/ holds the example scripts (sphinx-gallery reads them and writes auto_gallery/)
exclude_patterns = ["_build", "gallery", "Thumbs.db", ".DS_Store"]
templates_path = ["_templates"]

# ---------------------------------------------------------------------- Markdown (myst)
# docs/SPEC.md and README.md are plain Markdown with Unicode symbols: no myst
# extensions are needed. SPEC.md's headings are "## 1. ...": anchors let other
# pages link to them (SPEC.md#1-fields-parameters-units).
myst_heading_anchors = 3

# ---------------------------------------------------------------------- API (autodoc)
autosummary_generate = True
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"  # the numpydoc Parameters sections carry the types
autodoc_preserve_defaults = True
# numpydoc lists a class's members as an autosummary table; autodoc already
# documents them (members: True), so the table would only repeat them.
numpydoc_show_class_members = False
numpydoc_xref_param_type = False

# ---------------------------------------------------------------------- gallery
sphinx_gallery_conf = {
    "examples_dirs": "gallery",
    "gallery_dirs": "auto_gallery",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "galleryorder.ExampleOrder",
    "doc_module": ("omm_fem",),
    "backreferences_dir": "generated/backreferences",  # "Gallery examples using" on API pages
    "download_all_examples": False,
    # run every example on every build, changed or not: the pages show what the code
    # does now (an unchanged script can still break when the package changes)
    "run_stale_examples": True,
    "remove_config_comments": True,
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    "show_memory": False,
    # a failing example fails the build (no "expected failures")
    "only_warn_on_example_error": False,
    "abort_on_example_error": False,
}

# ---------------------------------------------------------------------- HTML
html_theme = "alabaster"
html_title = f"omm_fem {release}"
html_theme_options = {
    "description": "orbital magnetic moment dynamics and the orbital Hanle magnetoresistance",
    "page_width": "1100px",
    "sidebar_width": "230px",
}
html_static_path = []

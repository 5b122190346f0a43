"""Sphinx extension: ``api.rst`` must list every public name of ``omm_fem.__all__``.

A name added to ``omm_fem.__all__`` without a place in the API reference is
a build warning (an error under ``sphinx-build -W``). The constants are
listed in a table of api.rst rather than by autosummary; their names are
looked for as ``NAME`` in the page's text.
"""
import re
from pathlib import Path


def check(app):
    from sphinx.util import logging

    import omm_fem

    page = Path(app.srcdir) / "api.rst"
    text = page.read_text(encoding="utf-8")
    listed = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
    missing = [n for n in omm_fem.__all__ if n != "__version__" and n not in listed]
    if missing:
        logging.getLogger(__name__).warning(
            f"api.rst does not list these names of omm_fem.__all__: {missing}",
            location=str(page))


def setup(app):
    app.connect("builder-inited", check)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}

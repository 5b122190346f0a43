"""Sphinx extension: the configuration reference, generated from the config code.

The page ``config.rst`` holds the directive ``.. omm-config-reference::``; it
is replaced by tables built at documentation time from the code that
validates a configuration, so the reference cannot drift from it:

* the top-level sections are ``omm_fem.config.SECTIONS``;
* the allowed keys of each section are the sets the validators pass to
  ``check_keys`` / ``checks.keys``: a module constant (``MATERIAL_KEYS``,
  ``CONTACT_KEYS``, ``TRANSIENT_KEYS``, the geometry ``KINDS`` table, ...)
  or a literal set in a function body, read with :mod:`ast` from the source;
  ``[[waveform]]`` keys are the tables ``omm_fem.transient.waveforms.make_waveform``
  checks against (``COMMON``, ``KEYS``, ``REQUIRED``), ``X = {model = ...}`` keys
  ``omm_fem.xtensor.spec.SPEC_KEYS``; a FIT.toml's those of ``omm_fem.fitting.spec``;
* the allowed values of the string-valued keys are the ``allowed`` arguments
  of the validators' ``string`` / ``checks.choice`` calls, found the same way;
* the built-in example is ``omm_fem.config.DEFAULT_CONFIG``.

Nothing here lists a key by hand. Every ``check_keys`` call of the scanned
modules must be placed in a section below, and every entry of ``SECTIONS``
documented: otherwise the build warns (and ``sphinx-build -W`` fails), so a
new section or a new validator is noticed.

``python docs/_ext/configref.py`` prints the generated reStructuredText.
"""
from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import textwrap
from dataclasses import dataclass

# modules whose check_keys / checks.keys / string / choice calls are read
SCANNED = ("omm_fem.config", "omm_fem.config.sections", "omm_fem.config.geometry",
           "omm_fem.config.values", "omm_fem.transient.config", "omm_fem.transient.waveforms",
           "omm_fem.fitting.spec")
KEY_CHECKS = {"check_keys", "keys"}  # check_keys(section, table, allowed); checks.keys(...)
CHOICES = {"string", "choice"}  # string(path, value, allowed=...); checks.choice(path, value, allowed)


class ReferenceError_(Exception):
    """A call site or constant the generator cannot read (the code changed shape)."""


@dataclass
class KeySite:
    """One ``check_keys(section, table, allowed)`` call."""

    module: str
    function: str
    section: str  # the first argument: a literal, or its source text (e.g. "path")
    allowed_src: str
    allowed: object  # a set of keys, or a dict kind -> set (``KINDS[kind]``)
    line: int
    literal: bool = True  # whether the section argument is a string literal
    used: bool = False


@dataclass
class ChoiceSite:
    """One ``string(path, value, allowed=...)`` / ``checks.choice(path, value, allowed)`` call."""

    module: str
    function: str
    path: str  # e.g. "sweep.method", "{path}.omm"
    allowed: list
    line: int


def _callee(node):
    f = node.func
    if isinstance(f, ast.Name):
        return f.id
    if isinstance(f, ast.Attribute):
        return f.attr
    return None


def _path_text(node):
    """A call's first argument as text: a literal, an f-string with ``{name}`` holes, or the
    source of an expression."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        out = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                out.append(str(part.value))
            else:
                out.append("{" + ast.unparse(part.value) + "}")
        return "".join(out)
    return ast.unparse(node)


def _local_imports(fn, module):
    """Names bound by ``from X import NAME`` inside the function ``fn`` -> their values."""
    out = {}
    for node in ast.walk(fn):
        if isinstance(node, ast.ImportFrom):
            source = importlib.util.resolve_name("." * node.level + (node.module or ""),
                                                 module.__package__ or module.__name__)
            for alias in node.names:
                target = importlib.import_module(source)
                if hasattr(target, alias.name):
                    out[alias.asname or alias.name] = getattr(target, alias.name)
    return out


def _resolve(node, module, local):
    """The value of an ``allowed`` argument: a literal, a constant of the module (or imported
    in the function), ``sorted(C)``, ``list(C)`` or ``C[...]`` (the whole table C)."""
    try:
        return ast.literal_eval(node)
    except ValueError:
        pass
    if isinstance(node, ast.Name):
        if node.id in local:
            return local[node.id]
        if not hasattr(module, node.id):
            raise ReferenceError_(f"{module.__name__}: {node.id} is not a module constant")
        return getattr(module, node.id)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
            node.func.id in ("sorted", "list", "tuple", "set") and len(node.args) == 1:
        inner = _resolve(node.args[0], module, local)
        return list(inner) if node.func.id != "sorted" else sorted(inner)
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        return _resolve(node.value, module, local)  # the table itself; the page shows all of it
    raise ReferenceError_(f"{module.__name__}: cannot read {ast.unparse(node)!r}")


def _functions(tree):
    """(function name, node) for every def, innermost name for nested calls."""
    out = []
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.append(fn)
    return out


def _forwarded(node, fn):
    """Whether ``node`` is a parameter of the function ``fn`` (a wrapper, not a section)."""
    params = {a.arg for a in fn.args.args + fn.args.kwonlyargs + fn.args.posonlyargs}
    return isinstance(node, ast.Name) and node.id in params


def scan():
    """Every key check and string choice in :data:`SCANNED`."""
    keys, choices = [], []
    for name in SCANNED:
        module = importlib.import_module(name)
        tree = ast.parse(inspect.getsource(module))
        seen = set()
        for fn in _functions(tree):
            local = _local_imports(fn, module)
            for node in ast.walk(fn):
                if not isinstance(node, ast.Call) or id(node) in seen:
                    continue
                callee = _callee(node)
                if callee in KEY_CHECKS and len(node.args) >= 3:
                    seen.add(id(node))
                    if _forwarded(node.args[2], fn):
                        continue  # a wrapper passing its own argument on (values.check_keys)
                    first = node.args[0]
                    keys.append(KeySite(name, fn.name, _path_text(first),
                                        ast.unparse(node.args[2]),
                                        _resolve(node.args[2], module, local), node.lineno,
                                        literal=isinstance(first, ast.Constant)))
                elif callee in CHOICES and node.args:
                    allowed = [kw.value for kw in node.keywords if kw.arg == "allowed"]
                    if not allowed and callee == "choice" and len(node.args) >= 3:
                        allowed = [node.args[2]]
                    if not allowed or (isinstance(allowed[0], ast.Constant)
                                       and allowed[0].value is None) or _forwarded(allowed[0], fn):
                        continue
                    seen.add(id(node))
                    choices.append(ChoiceSite(name, fn.name, _path_text(node.args[0]),
                                              list(_resolve(allowed[0], module, local)),
                                              node.lineno))
    return keys, choices


# ------------------------------------------------------------------------------ page
def _literal(v):
    return f"``{v}``"


def _keys_text(keys):
    return ", ".join(_literal(k) for k in sorted(keys))


def _values_text(values):
    return " | ".join(_literal(f'"{v}"') for v in values)


class Reference:
    """Builds the page from the scanned sites; records which sites it used."""

    def __init__(self):
        self.keys, self.choices = scan()
        self.warnings = []

    def site(self, module, function, section=None):
        found = [k for k in self.keys if k.module == module and k.function == function
                 and (section is None or k.section == section)]
        if len(found) != 1:
            raise ReferenceError_(f"expected one check_keys call in {module}.{function}"
                                  f"{'' if section is None else f' for {section!r}'}, "
                                  f"found {len(found)}")
        found[0].used = True
        return found[0]

    def choice_values(self, module, suffix, function=None):
        """Allowed values of the string key whose path ends with ``suffix``."""
        found = [c for c in self.choices if c.module == module and c.path.endswith(suffix)
                 and (function is None or c.function == function)]
        values = []
        for c in found:
            for v in c.allowed:
                if v not in values:
                    values.append(v)
        return values

    def values_for(self, site):
        """"key: values; ..." of the string keys validated next to a key check: the
        ``string``/``choice`` calls of the same function whose path is the section's
        path plus one key (``sweep.method``; ``{path}.omm`` for ``check_keys(path, ...)``)."""
        prefix = f"{site.section}." if site.literal else f"{{{site.section}}}."
        parts = {}
        for c in self.choices:
            key = c.path[len(prefix):]
            if (c.module, c.function) == (site.module, site.function) and \
                    c.path.startswith(prefix) and key and not set(key) & set(".{}"):
                parts.setdefault(key, [])
                parts[key] += [v for v in c.allowed if v not in parts[key]]
        return "; ".join(f"{k}: {_values_text(v)}" for k, v in parts.items())

    # -------------------------------------------------------------------- blocks
    def section_table(self, rows):
        """rows of (section, keys text, values text, source text) -> list-table lines."""
        lines = [".. list-table::", "   :header-rows: 1", "   :widths: 18 22 35 25", "",
                 "   * - section", "     - allowed keys", "     - string values", "     - read from"]
        for section, keys, values, source in rows:
            lines += [f"   * - ``{section}``", f"     - {keys or '(none)'}",
                      f"     - {values or ''}", f"     - {source}"]
        return lines + [""]

    def _src(self, site):
        if site.allowed_src.isidentifier() or "[" in site.allowed_src:
            return f"``{site.module}.{site.function}`` (``{site.allowed_src}``)"
        return f"``{site.module}.{site.function}`` (a literal set)"

    def run_config(self):
        import omm_fem.config as cfg
        from omm_fem.config import geometry as geom
        from omm_fem.transient import config as tcfg
        from omm_fem.transient import waveforms as wf
        from omm_fem.xtensor import spec as xspec

        top = self.site("omm_fem.config", "_parse", "config")
        if set(top.allowed) != set(cfg.SECTIONS):
            self.warnings.append("omm_fem.config._parse checks another set than SECTIONS")
        documented = set()
        rows = []

        def row(section, site, owner=None, keys=None):
            documented.add(owner or section.strip("[]").split(".")[0])
            rows.append((section, keys or _keys_text(site.allowed), self.values_for(site),
                         self._src(site)))

        g = self.site("omm_fem.config.geometry", "parse_geometry", "geometry")
        row("[geometry]", g, keys="``kind`` and the keys of that kind (below)")
        row("[mesh]", self.site("omm_fem.config", "_parse", "mesh"))
        row("[material] / [material.REGION]", self.site("omm_fem.config.sections", "_material"),
            owner="material")
        row("[field]", self.site("omm_fem.config", "_parse", "field"))
        row("[sweep]", self.site("omm_fem.config.sections", "parse_sweep", "sweep"))
        row("[contacts.NAME]", self.site("omm_fem.config.sections", "parse_contacts"),
            owner="contacts")
        row("[[measure]]", self.site("omm_fem.config.sections", "parse_measurements"),
            owner="measure")
        row("[solver]", self.site("omm_fem.config", "_parse", "solver"))
        row("[output]", self.site("omm_fem.config.sections", "parse_output", "output"))
        row("[transient]", self.site("omm_fem.transient.config", "_parse", "transient"))
        row("[transient.output]", self.site("omm_fem.transient.config", "_parse",
                                            "transient.output"), owner="transient")
        rng = self.site("omm_fem.config.values", "range_or_list")

        out = [
            "Top-level sections",
            "------------------",
            "",
            f"``omm_fem.config.SECTIONS``: {_keys_text(cfg.SECTIONS)} (``transient`` and "
            f"``waveform`` belong to ``omm_fem.transient.config``, whose ``SECTIONS`` is "
            f"{_keys_text(tcfg.SECTIONS)}). Any other top-level key is an error.",
            "",
            "Sections and their keys",
            "-----------------------",
            "",
        ]
        out += self.section_table(rows)
        out += [
            f"A range (``sweep.B_T``, ``sweep.angle_deg``) is a list of numbers or an inline "
            f"table with the keys {_keys_text(rng.allowed)} "
            f"(``omm_fem.config.values.range_or_list``).",
            "",
            "[geometry]",
            "----------",
            "",
            "``kind`` selects the sample; each kind allows its own keys "
            f"(``omm_fem.config.geometry.KINDS``, checked by {self._src(g)}); "
            "the region is the material region name of a generated geometry "
            "(``omm_fem.config.geometry.REGION``).",
            "",
            ".. list-table::",
            "   :header-rows: 1",
            "   :widths: 15 60 25",
            "",
            "   * - kind",
            "     - allowed keys",
            "     - region",
        ]
        for kind, keys in geom.KINDS.items():
            out += [f"   * - ``{kind}``", f"     - {_keys_text(keys)}",
                    f"     - {_literal(geom.REGION[kind]) if kind in geom.REGION else '(from the file)'}"]
        kinds = self.choice_values("omm_fem.config.geometry", "geometry.kind")
        if list(kinds) != list(geom.KINDS):
            self.warnings.append("geometry.kind is validated against another list than KINDS")
        out += [
            "",
            "X from a model",
            "--------------",
            "",
            "``X`` in ``[material]`` is a 3x3 array of numbers, or an inline table naming a "
            "tight-binding model, e.g. ``X = {model = \"blg\", mu = 0.2, T = 300.0, V = 0.1}``, "
            f"with the keys ``omm_fem.xtensor.spec.SPEC_KEYS``: {_keys_text(xspec.SPEC_KEYS)}; "
            f"``model``: {_values_text(sorted(xspec.MODELS))} (``omm_fem.xtensor.spec.MODELS``). "
            "``X_unit`` does not apply to a model.",
            "",
            "[[waveform]]",
            "------------",
            "",
            "A transient's time dependences (``omm_fem.transient.waveforms``). Every waveform "
            f"has the keys {_keys_text(wf.COMMON)} (``COMMON``); ``target`` is one of "
            f"{_keys_text(wf.FIELD_TARGETS)} (``FIELD_TARGETS``, T) or ``contacts.NAME`` "
            "(its voltage in V or current in A); ``kind`` is one of "
            f"{_values_text(wf.KINDS)} (``KINDS``); a pulse has a ``shape``, one of "
            f"{_values_text(wf.PULSE_SHAPES)} (``PULSE_SHAPES``). The further keys per kind "
            "(``KEYS``, of which ``REQUIRED`` must be given):",
            "",
            ".. list-table::",
            "   :header-rows: 1",
            "   :widths: 25 45 30",
            "",
            "   * - kind / shape",
            "     - allowed keys",
            "     - required",
        ]
        for kind, keys in wf.KEYS.items():
            out += [f"   * - ``{kind}``", f"     - {_keys_text(keys)}",
                    f"     - {_keys_text(wf.REQUIRED.get(kind, ()))}"]
        out.append("")
        documented.add("waveform")
        missing = sorted(set(cfg.SECTIONS) - documented)
        if missing:
            self.warnings.append(f"sections of omm_fem.config.SECTIONS not documented: {missing}")
        if not set(tcfg.SECTIONS) <= set(cfg.SECTIONS):
            self.warnings.append("omm_fem.transient.config.SECTIONS is not part of SECTIONS")
        return out

    def fit_config(self):
        from omm_fem.fitting import spec as fspec

        rows = []
        for section, site in (
                ("FIT.toml top level", self.site("omm_fem.fitting.spec", "parse_fit", "fit config")),
                ("[[dataset]]", self.site("omm_fem.fitting.spec", "_dataset")),
                ('[parameters] "material.KEY" = {...}', self.site("omm_fem.fitting.spec",
                                                                  "_parameter")),
                ("[fit]", self.site("omm_fem.fitting.spec", "parse_fit", "fit"))):
            rows.append((section, _keys_text(site.allowed), self.values_for(site),
                         self._src(site)))
        out = ["Fit configuration (``omm-fem fit``)", "-----------------------------------", "",
               "A FIT.toml (``omm_fem.fitting.spec``) names datasets, each an ordinary run "
               "configuration with its data, and the parameters to fit: dotted paths to numbers "
               "of ``[material]`` (one of "
               f"{_keys_text(sorted(set(fspec.MATERIAL_KEYS) - {'X', 'X_unit'}))}, or "
               f"{_keys_text('X.' + c for c in fspec.X_INDEX)}).", ""]
        return out + self.section_table(rows)

    def default_config(self):
        from omm_fem.config import DEFAULT_CONFIG

        return ([".. _config-default:", "", "The built-in example", "--------------------", "",
                 "``omm_fem.config.DEFAULT_CONFIG``, what ``omm-fem run`` solves without a "
                 "configuration file (the files it writes are listed in :doc:`getting_started`):", "",
                 ".. code-block:: toml", ""]
                + textwrap.indent(DEFAULT_CONFIG, "   ").splitlines() + [""])

    def text(self):
        """The whole generated reference (reStructuredText) and its warnings."""
        lines = self.run_config() + self.fit_config() + self.default_config()
        for k in self.keys:
            if not k.used:
                self.warnings.append(f"check_keys call not in the configuration reference: "
                                     f"{k.module}.{k.function} line {k.line} "
                                     f"(section {k.section!r}, keys {k.allowed_src})")
        return "\n".join(lines) + "\n", list(self.warnings)


def generate():
    """(reStructuredText, warnings) of the configuration reference."""
    return Reference().text()


# ------------------------------------------------------------------------ directive
def setup(app):
    from docutils import nodes
    from docutils.statemachine import StringList
    from sphinx.util import logging
    from sphinx.util.docutils import SphinxDirective

    logger = logging.getLogger(__name__)

    class ConfigReference(SphinxDirective):
        has_content = False

        def run(self):
            for name in SCANNED:  # rebuild the page when the config code changes
                self.env.note_dependency(inspect.getsourcefile(importlib.import_module(name)))
            try:
                text, warnings = generate()
            except ReferenceError_ as exc:
                logger.warning(f"configuration reference: {exc}; update docs/_ext/configref.py",
                               location=(self.env.docname, self.lineno))
                return []
            for w in warnings:
                logger.warning(w, location=(self.env.docname, self.lineno))
            container = nodes.container()
            self.state.nested_parse(StringList(text.splitlines(), source="configref"),
                                    self.content_offset, container, match_titles=True)
            return container.children

    app.add_directive("omm-config-reference", ConfigReference)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    text, warnings = generate()
    print(text)
    for w in warnings:
        print("WARNING:", w)

"""JSON Schemas (draft 2020-12) of the result files the project writes.

Every result file carries ``schema_version`` (an integer, :data:`SCHEMA_VERSION`):

* ``results.json`` of a steady run or sweep (``omm-fem run``): ``results.schema.json``;
* ``results.json`` of a transient run (``[transient]``): ``transient.schema.json``;
* ``results.json`` of ``omm-fem validate``: ``validate.schema.json``;
* ``fit.json`` of ``omm-fem fit``: ``fit.schema.json``.

The schemas list the keys every such file has, with their types, and allow
additional keys. The rule for ``schema_version``: it is raised by one when a
key that a schema requires is removed or renamed, or changes its type, unit or
meaning (a reader written for the old files could misread a new one). Adding a
key, required or not, keeps the version: a reader of the old files still reads
the new ones.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from ..errors import OmmError, shorten

SCHEMA_VERSION = 1
HERE = Path(__file__).resolve().parent
KINDS = ("results", "transient", "validate", "fit")

__all__ = ["KINDS", "SCHEMA_VERSION", "kind_of", "load_schema", "schema_path", "validate"]


def schema_path(kind="results"):
    """Path of the schema file of ``kind`` (one of :data:`KINDS`)."""
    if kind not in KINDS:
        raise OmmError(f"schema kind {kind!r} is unknown; allowed: {', '.join(KINDS)}")
    return HERE / f"{kind}.schema.json"


@lru_cache(maxsize=None)
def load_schema(kind="results"):
    """The schema of ``kind`` as a dict (read once)."""
    return json.loads(schema_path(kind).read_text(encoding="utf-8"))


def kind_of(data, name="results.json"):
    """Which schema a parsed result file follows: ``fit`` for a fit.json, ``transient``
    for a results.json with a ``transient`` entry, ``validate`` with ``cases``, else
    ``results``."""
    if name == "fit.json":
        return "fit"
    if isinstance(data, dict) and "transient" in data:
        return "transient"
    if isinstance(data, dict) and "cases" in data:
        return "validate"
    return "results"


@lru_cache(maxsize=None)
def _validator(kind):
    try:
        import jsonschema
    except ImportError:  # pragma: no cover - jsonschema is in the test extras
        raise OmmError("validating a result file needs the jsonschema package "
                       "(pip install jsonschema, or the test extras)") from None
    schema = load_schema(kind)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def validate(data, kind=None, name="results.json"):
    """Check a parsed result file against its schema.

    Parameters
    ----------
    data : dict
        The file's content (``json.loads``).
    kind : str, optional
        One of :data:`KINDS`; default: :func:`kind_of`.
    name : str
        File name used in the message (and to recognise a ``fit.json``).

    Raises
    ------
    OmmError
        Naming the file, the path of the first offending key and what the schema expects.
    """
    kind = kind or kind_of(data, name)
    errors = sorted(_validator(kind).iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        where = "/".join(str(p) for p in e.absolute_path) or "(top level)"
        raise OmmError(f"{name} does not follow {schema_path(kind).name} (schema_version "
                       f"{SCHEMA_VERSION}): at {where}: {shorten(e.message)}"
                       + (f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""))

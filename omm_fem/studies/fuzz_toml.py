"""TOML text of fuzz cases: any config dict (every TOML type), and deep nesting.

:func:`dumps` writes what :func:`omm_fem.config.load_toml` reads back as the
same dict: strings, integers of any size, floats (``inf``, ``nan``, ``-0.0``),
booleans, offset and local date-times, dates and times, arrays and tables.
Tables of tables become ``[a.b]`` headers, everything else an inline value, so
a header or dotted key can later be added under any table
(:func:`deep_text`). Keys are always quoted.
"""
from __future__ import annotations

import datetime as dt
import math

__all__ = ["dumps", "value_text", "key_text", "deep_value", "DEEP_KINDS"]


def _string(s):
    out = []
    for ch in s:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif code < 0x20 or code == 0x7F or 0xD800 <= code <= 0xDFFF:
            out.append(f"\\u{code:04X}" if code < 0x10000 else f"\\U{code:08X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def key_text(k):
    return _string(str(k))


def value_text(v):
    """One inline TOML value."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, dt.datetime):
        return v.isoformat()
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(value_text(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{key_text(k)} = {value_text(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"no TOML form for {type(v).__name__}")


def dumps(cfg):
    """TOML text of a dict: plain keys first, then one ``[a.b]`` header per sub-table."""
    lines = []

    def table(node, prefix):
        subs = [k for k, v in node.items() if isinstance(v, dict)]
        for k, v in node.items():
            if k not in subs:
                lines.append(f"{key_text(k)} = {value_text(v)}")
        for k in subs:
            head = prefix + (k,)
            lines.append("[" + ".".join(key_text(p) for p in head) + "]")
            table(node[k], head)

    table(cfg, ())
    return "\n".join(lines) + "\n"


DEEP_KINDS = ("array", "inline_table", "mixed", "array_of_tables_tail")


def deep_value(kind, depth, leaf="1"):
    """An inline value nested ``depth`` levels deep (built as text, no recursion)."""
    if kind == "array":
        return "[" * depth + leaf + "]" * depth
    if kind == "inline_table":
        return '{"a" = ' * depth + leaf + "}" * depth
    if kind == "mixed":  # [{a = [{a = ... }]}]
        half = depth // 2
        return '[{"a" = ' * half + leaf + "}]" * half
    if kind == "array_of_tables_tail":  # one long array whose last item is deep
        return "[" + ", ".join(["0"] * depth) + ", " + "[" * depth + leaf + "]" * depth + "]"
    raise ValueError(kind)

"""Validators of single input values: real numbers, integers, flags, names, tables.

Each function returns the (normalised) value or raises ``error``
(:class:`~omm_fem.errors.OmmError` unless the caller asks for a subclass such
as :class:`~omm_fem.errors.ConfigError`) with a message built by
:func:`~omm_fem.errors.bad_value`: ``path = value is invalid: what is allowed``.

The wording options exist because the public messages differ in detail
between input kinds (configuration keys, model parameters, function
arguments); they select a wording, never a looser rule.
"""
from __future__ import annotations

import math
import os
import stat

import numpy as np

from .errors import OmmError, bad_value, shorten

__all__ = ["is_real", "is_integer", "real", "finite", "integer", "boolean", "choice", "keys",
           "fits_float", "OVERFLOW", "file_problem", "size_text", "MAX_NESTING", "too_deep",
           "path_text"]

_REAL = (int, float)
_REAL_NUMPY = (int, float, np.integer, np.floating)
_INT_NUMPY = (int, np.integer)
_FLOAT_MAX = int(np.finfo(float).max)
OVERFLOW = "(got an integer beyond the float range)"  # the note of such a value's message


def fits_float(value):
    """False for an ``int`` whose magnitude exceeds the largest float (``float()`` would
    raise ``OverflowError``); True for every other value."""
    return not (isinstance(value, int) and abs(value) > _FLOAT_MAX)


def is_real(value, *, numpy=False):
    """True for an ``int`` or ``float`` that is not a ``bool`` and converts to a float
    (an integer beyond the float range, such as ``10**400``, does not).

    Parameters
    ----------
    value : object
    numpy : bool
        Also accept numpy integer and floating scalars.

    Returns
    -------
    bool
    """
    return (not isinstance(value, bool) and isinstance(value, _REAL_NUMPY if numpy else _REAL)
            and fits_float(value))


def is_integer(value, *, numpy=False):
    """True for an ``int`` that is not a ``bool`` (numpy integers too with ``numpy=True``).

    See :func:`is_real` for the parameters; returns a ``bool``.
    """
    return not isinstance(value, bool) and isinstance(value, _INT_NUMPY if numpy else int)


def _range_text(low, high, low_open, high_open):
    return f"in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"


def real(path, value, *, positive=False, nonneg=False, low=None, high=None, low_open=False,
         high_open=False, numpy=False, required=None, default=None, error=OmmError,
         expected="expected a number", joined=False, as_float=False, message=None,
         allow_inf=False):
    """A finite real number, optionally bounded; returns it as ``float``.

    An integer beyond the float range (``10**400``) is not finite: its message
    adds :data:`OVERFLOW`.

    Parameters
    ----------
    path : str
        Field name shown in the message (e.g. ``"material.D"``).
    value : object
        The value to check.
    positive, nonneg : bool
        Require ``value > 0`` or ``value >= 0``.
    low, high : float, optional
        Require ``low <= value <= high`` (either side may be omitted).
    low_open, high_open : bool
        Make the bound strict: ``low < value`` or ``value < high``.
    numpy : bool
        Also accept numpy integer and floating scalars.
    required : bool or None
        ``True``: ``None`` raises ``"path: missing (required)"``; ``False``:
        ``None`` returns ``default``; ``None`` (default): ``None`` is checked
        like any other value (and is not a number).
    default : object
        Returned for a missing value when ``required=False``.
    error : type
        Exception class raised (``OmmError`` or a subclass).
    expected : str
        Message for a value that is not a number.
    joined : bool
        Report every range failure as one rule, ``"must be finite and > 0"``;
        otherwise the first failing rule alone (``"must be finite"``,
        ``"must be > 0"``, ...).
    as_float : bool
        Show the value converted to ``float`` in range failures.
    message : str, optional
        One message for every failure (type and range), replacing the above.
    allow_inf : bool
        Also accept ``inf`` and ``-inf`` when the bounds allow them (``nan``
        is still refused).

    Returns
    -------
    float or object
        ``float(value)``, or ``default`` for a missing optional value.

    Raises
    ------
    OmmError
        Of class ``error``, naming ``path``, the value and the rule.
    """
    if value is None and required is not None:
        if required:
            raise error(f"{path}: missing (required)")
        return default
    overflow = not isinstance(value, bool) and not fits_float(value)
    if not overflow and not is_real(value, numpy=numpy):
        raise error(bad_value(path, value, message or expected))
    v, as_float = (math.inf, False) if overflow else (float(value), as_float)
    rules = []
    if positive:
        rules.append(("> 0", v > 0))
    if nonneg:
        rules.append((">= 0", v >= 0))
    if low is not None or high is not None:
        ok = ((low is None or (v > low if low_open else v >= low))
              and (high is None or (v < high if high_open else v <= high)))
        rules.append((_range_text(low, high, low_open, high_open), ok))
    bad = [text for text, ok in rules if not ok]
    number = not math.isnan(v) if allow_inf else math.isfinite(v)
    if number and not bad:
        return v
    shown = v if as_float else value
    if message is None:
        what = "a number (not nan)" if allow_inf else "finite"
        if joined:
            message = " and ".join([f"must be {what}"] + [text for text, _ in rules])
        else:
            message = "must be " + (bad[0] if number else what)
    if overflow:
        message = f"{message} {OVERFLOW}"
    raise error(bad_value(path, shown, message))


def finite(path, value, *, positive=False, low=None, high=None, low_open=False, error=OmmError):
    """A finite real number given as a function argument (numpy scalars accepted).

    The wording of model parameters: ``"expected a real number"``, then one
    joined rule such as ``"must be finite and > 0"`` showing ``float(value)``.

    Parameters
    ----------
    path, value, positive, low, high, low_open, error
        As for :func:`real`.

    Returns
    -------
    float
    """
    return real(path, value, positive=positive, low=low, high=high, low_open=low_open, numpy=True,
                error=error, expected="expected a real number", joined=True, as_float=True)


def integer(path, value, *, low=None, high=None, numpy=False, default=None, error=OmmError,
            message=None, integral=False):
    """An integer (not a ``bool``) in ``[low, high]`` and within the float range (no count of
    this package is larger; ``10**400`` is refused as "must be finite"); returned unchanged.

    Parameters
    ----------
    path, value, numpy, error
        As for :func:`real` (``numpy``: numpy integer scalars).
    low, high : int, optional
        Inclusive bounds (either may be omitted).
    default : object, optional
        Returned when ``value`` is ``None`` and ``default`` is not ``None``.
    message : str, optional
        Replaces ``"expected an integer in [low, high]"`` (``">= low"``,
        ``"<= high"`` or nothing when only one or no bound is given).
    integral : bool
        Also accept a float with a whole value such as ``2.0`` (numpy floating
        scalars too with ``numpy=True``).

    Returns
    -------
    int or object
        ``value`` or ``default``.
    """
    if value is None and default is not None:
        return default
    whole = is_integer(value, numpy=numpy) or (
        integral and is_real(value, numpy=numpy) and float(value).is_integer())
    if not whole or (low is not None and value < low) or (high is not None and value > high):
        if message is None:
            message = "expected an integer" + (
                f" in [{low}, {high}]" if low is not None and high is not None
                else f" >= {low}" if low is not None
                else f" <= {high}" if high is not None else "")
        raise error(bad_value(path, value, message))
    if not fits_float(value):  # no count or index of this package is that large
        raise error(bad_value(path, value, f"must be finite {OVERFLOW}"))
    return value


def boolean(path, value, *, default=None, error=OmmError):
    """``True`` or ``False`` (no numbers, no strings); else ``"expected true or false"``.

    Parameters
    ----------
    path, value, error
        As for :func:`real`.
    default : bool, optional
        Returned when ``value`` is ``None`` and ``default`` is not ``None``.

    Returns
    -------
    bool
    """
    if value is None and default is not None:
        return default
    if not isinstance(value, bool):
        raise error(bad_value(path, value, "expected true or false"))
    return value


def choice(path, value, allowed=None, *, default=None, error=OmmError, message=None):
    """A string, one of ``allowed`` when given; returned unchanged.

    Parameters
    ----------
    path, value, error
        As for :func:`real`.
    allowed : iterable of str, optional
        The permitted values; any string when omitted.
    default : str, optional
        Returned when ``value`` is ``None`` and ``default`` is not ``None``.
    message : str, optional
        Replaces ``"allowed [...]"`` (or ``"expected a string"``).

    Returns
    -------
    str
    """
    if value is None and default is not None:
        return default
    if not isinstance(value, str) or (allowed is not None and value not in allowed):
        if message is None:
            message = f"allowed {list(allowed)}" if allowed is not None else "expected a string"
        raise error(bad_value(path, value, message))
    return value


def keys(section, tab, allowed=None, *, error=OmmError):
    """A table (``dict``) whose keys, when ``allowed`` is given, all belong to it.

    A non-table gives ``"section = ... is invalid: expected a table [section]"``;
    an unknown key ``"section.key: unknown key; allowed keys in [section]: [...]"``.

    Parameters
    ----------
    section, tab : str, object
        Section name for the message (e.g. ``"transient.output"``) and the table.
    allowed : collection of str, optional
        The permitted keys; any keys when omitted.
    error : type
        Exception class raised.

    Returns
    -------
    dict
        ``tab`` unchanged.
    """
    if not isinstance(tab, dict):
        raise error(bad_value(section, tab, f"expected a table [{section}]"))
    for k in tab:
        if allowed is not None and k not in allowed:
            raise error(f"{shorten(f'{section}.{k}')}: unknown key; allowed keys in "
                        f"[{section}]: {sorted(allowed)}")
    return tab


def size_text(nbytes):
    """A byte count as text in decimal units: ``"10 MB"``, ``"2 GB"``, ``"512 bytes"``."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if nbytes >= scale:
            return f"{nbytes / scale:.3g} {unit}"
    return f"{int(nbytes)} bytes"


def file_problem(path, limit):
    """Why ``path`` cannot be read as an input file, or ``None`` when it can.

    The file must exist, be a regular file (symbolic links are followed: a link
    to ``/dev/zero`` or a pipe is refused, because it would be read until memory
    runs out) and hold at most ``limit`` bytes. Checked with ``os.stat`` before
    anything is read.

    Returns
    -------
    str or None
        ``"does not exist"``, ``"cannot be accessed: ..."``, ``"is not a regular
        file ..."`` or ``"is ... , above the limit of ..."``, to follow the file's name.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "does not exist"
    except OSError as exc:  # e.g. a name too long, a component that is not a folder
        return f"cannot be accessed: {exc.strerror or type(exc).__name__}"
    except (ValueError, TypeError):  # an embedded null character, not a path at all
        return "cannot be accessed: not a valid file name"
    if not stat.S_ISREG(st.st_mode):
        return ("is not a regular file (a folder, device or pipe cannot be read as an input "
                "file)")
    if st.st_size > limit:
        return f"is {size_text(st.st_size)}, above the limit of {size_text(limit)}"
    return None


MAX_NESTING = 32  # the deepest arrays and tables an input holds (the schemas need 5)


def too_deep(data, limit=MAX_NESTING):
    """The key path of the first value of ``data`` nested more than ``limit`` arrays or
    tables deep, or ``None``.

    Walked without recursion, so that no depth exhausts the stack: deeper values
    (a dotted key has no depth limit in TOML) would break ``repr``, ``copy`` and
    JSON of the input further on.

    Returns
    -------
    tuple or None
        The keys (str) and list indices (int) from the top down to the first value
        below ``limit`` levels.
    """
    stack = [(data, ())]
    while stack:
        node, path = stack.pop()
        if len(path) > limit:
            return path
        if isinstance(node, dict):
            stack.extend((v, path + (k,)) for k, v in node.items())
        elif isinstance(node, (list, tuple)):
            stack.extend((v, path + (i,)) for i, v in enumerate(node))
    return None


def path_text(path, limit=60):
    """``a.b[0].c`` of a key path, shortened to about ``limit`` characters."""
    text = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in path).lstrip(".")
    return shorten(text, limit, limit // 2 - 3)

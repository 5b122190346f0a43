"""Package exceptions.

Every problem with user input surfaces as an :class:`OmmError` (a
``ValueError``) whose message names the offending field, the value received
and what is allowed. Values in messages are shortened (:func:`show`), and a
message itself never exceeds :data:`MESSAGE_MAX` characters.
"""

SHOW_MAX = 200  # a value's text longer than this is shortened to its two ends
SHOW_END = 80  # characters kept at each end of a shortened value
MESSAGE_MAX = 4000  # longest message; a longer one keeps its start and its end


def shorten(text, limit=SHOW_MAX, end=SHOW_END):
    """``text`` itself, or its first and last ``end`` characters when longer than ``limit``."""
    text = str(text)
    if len(text) <= limit:
        return text
    return f"{text[:end]} ... {text[-end:]} ({len(text)} characters)"


def show(value):
    """``repr(value)``, shortened by :func:`shorten`.

    A value whose ``repr`` itself fails (an integer of more than 4300 digits,
    nesting too deep for ``repr``) is described instead of shown.
    """
    try:
        text = repr(value)
    except ValueError:  # int -> str digit limit
        return f"<an integer of about {value.bit_length() * 0.30103:.0f} digits>" if isinstance(
            value, int) else f"<a {type(value).__name__}>"
    except RecursionError:
        return f"<a {type(value).__name__} nested too deeply to show>"
    return shorten(text)


class OmmError(ValueError):
    """Invalid input or an impossible request; the message says which field."""

    def __init__(self, message="", *args):
        if isinstance(message, str) and len(message) > MESSAGE_MAX:
            keep = MESSAGE_MAX // 2
            message = (f"{message[:keep]} ... {message[-(keep // 2):]} (message of "
                       f"{len(message)} characters shortened)")
        super().__init__(message, *args)


class ConfigError(OmmError):
    """A configuration file or dictionary is malformed."""


class MeshError(OmmError):
    """A mesh is unreadable, lacks a required tag, or is geometrically bad."""


def bad_value(field, value, allowed):
    """Build the standard message: ``field = value is invalid: allowed``.

    A long value (e.g. a polygon of thousands of points) is shortened to its
    first and last 80 characters of text (:func:`show`); so is a long field
    name (e.g. a table key of thousands of characters).
    """
    return f"{shorten(field)} = {show(value)} is invalid: {allowed}"

"""Package exceptions.

Every problem with user input surfaces as an :class:`OmmError` (a
``ValueError``) whose message names the offending field, the value received
and what is allowed.
"""


class OmmError(ValueError):
    """Invalid input or an impossible request; the message says which field."""


class ConfigError(OmmError):
    """A configuration file or dictionary is malformed."""


class MeshError(OmmError):
    """A mesh is unreadable, lacks a required tag, or is geometrically bad."""


def bad_value(field, value, allowed):
    """Build the standard message: ``field = value is invalid: allowed``.

    A long value (e.g. a polygon of thousands of points) is shortened to its
    first and last 80 characters of text.
    """
    text = repr(value)
    if len(text) > 200:
        text = f"{text[:80]} ... {text[-80:]} ({len(text)} characters)"
    return f"{field} = {text} is invalid: {allowed}"

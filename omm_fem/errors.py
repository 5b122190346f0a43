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
    """Build the standard message: ``field = value is invalid: allowed``."""
    return f"{field} = {value!r} is invalid: {allowed}"

"""Exceptions raised by ``sim``.

Every error that reports bad input subclasses :class:`ValueError` and names *where* the
value came from (a file or a parameter path), *what* the value was and *what is allowed*,
so that a message alone is enough to fix the input.
"""

from __future__ import annotations

#: Longest excerpt of a value quoted in an error message [characters].
MAX_SHOWN = 400


def short_repr(value) -> str:
    """``repr(value)``, cut to :data:`MAX_SHOWN` characters with a note of the full length
    (an error quotes at most a short excerpt of a value, never a whole array or file)."""
    try:
        text = repr(value)
    except Exception:  # pragma: no cover - a broken __repr__
        text = f"<{type(value).__name__}>"
    if len(text) > MAX_SHOWN:
        text = f"{text[:MAX_SHOWN - 40]}... ({len(text)} characters)"
    return text


class SimError(Exception):
    """Base class of every error ``sim`` raises on purpose."""


class SpecError(SimError, ValueError):
    """A vehicle file or a parameter value is invalid.

    Attributes
    ----------
    source : str
        The file (or ``"<set_params>"``, ``"<argument>"``) the value came from.
    field : str
        Dotted path of the offending field, e.g. ``"packs.front.energy_kwh"``.
    value : object
        The offending value (for a batch, the first offending member).
    allowed : str
        Human-readable description of what is allowed.
    """

    def __init__(self, source: str, field: str, value: object, allowed: str):
        self.source = source
        self.field = field
        self.value = value
        self.allowed = allowed
        shown = "(missing)" if value is _MISSING else short_repr(value)
        super().__init__(f"{source}: {field} = {shown}: {allowed}")


class UnknownVehicleError(SpecError):
    """A vehicle name that is neither a built-in variant nor an existing file."""

    def __init__(self, name: str, known: list[str]):
        self.known = list(known)
        super().__init__(
            "<vehicle name>",
            "vehicle",
            name,
            "unknown variant; built-in variants are " + ", ".join(self.known)
            + " (or give the path of a .toml file)",
        )


class UnknownNameError(SpecError, KeyError):
    """A name (channel, metric, flag) that a result does not hold. Both a
    :class:`SpecError` (so a ``ValueError``) and a ``KeyError`` (as a mapping lookup would
    raise); the message names the argument, the value and the names that exist."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


def check_index(index, n: int, name: str = "index", source: str = "<argument>") -> int:
    """``index`` as a non-negative int in ``[0, n)`` (negative counts from the end, as in
    Python); a SpecError naming ``name``, the value and the range otherwise."""
    import numbers

    if isinstance(index, bool) or not isinstance(index, numbers.Integral) \
            or not -n <= index < n:
        raise SpecError(source, name, index,
                        f"a member index in [0, {n}) (or [-{n}, -1] from the end)")
    return int(index) % n


class _Missing:
    def __repr__(self) -> str:  # pragma: no cover - repr only used in messages
        return "(missing)"


#: Sentinel used as ``SpecError.value`` for a required field that is absent.
_MISSING = _Missing()
MISSING = _MISSING

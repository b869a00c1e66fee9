"""Why the domain refused a change, as one line a form can show.

``Refused`` (status 400: the form is shown again with the message) has kinds that no form
re-shows (``on_form`` false), which the web answers as plain errors: ``Malformed`` (400: a
value no form sends), ``NotFound`` (404) and ``Conflict`` (409: e.g. a row that follows the
config file). ``NeedsConfirmation`` carries a warning the admin may overrule by ticking
"confirm". The message is final text, already translated where the page translates it.
"""

from __future__ import annotations

from pydantic import ValidationError


class Refused(Exception):
    """A change the domain will not make; ``message`` is the one line to show."""

    status = 400
    on_form = True

    def __init__(self, message: str | None, *, warning: str | None = None) -> None:
        super().__init__(message or warning or "")
        self.message = message
        self.warning = warning


class Malformed(Refused):
    """A value no form sends (an unknown action): an error answer, not the form again."""

    on_form = False


class NotFound(Refused):
    """The row to change does not exist (or is not the caller's to see)."""

    status = 404
    on_form = False


class Conflict(Refused):
    """The row exists but may not be changed here (config rows: edit the file)."""

    status = 409
    on_form = False


class Unprocessable(Refused):
    """A value of the right form that cannot be used (422), answered as an error."""

    status = 422
    on_form = False


class NeedsConfirmation(Refused):
    """Refused until the admin confirms ``warning``."""


def one_line(exc: ValidationError) -> str:
    """The first problem of a failed validation as "field: message"."""
    first = exc.errors()[0]
    return f"{'.'.join(str(p) for p in first['loc']) or 'entry'}: {first['msg'].removeprefix('Value error, ')}"

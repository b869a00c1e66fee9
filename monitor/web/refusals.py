"""The web's answer to a change the domain refused (``monitor.review.errors``)."""

from __future__ import annotations

from fastapi import HTTPException

from monitor.review.errors import Refused


def as_http(exc: Refused) -> HTTPException:
    """The plain HTTP error for a refusal (its status, its message as the detail)."""
    return HTTPException(status_code=exc.status, detail=exc.message)


def unless_form(exc: Refused) -> None:
    """Raise the plain HTTP error for a refusal no form re-shows (404, 409, a malformed value);
    return for one the route shows on its form."""
    if not exc.on_form:
        raise as_http(exc) from exc

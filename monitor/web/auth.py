"""Login and logout. The session stores only the user id; ``deps.optional_user`` checks it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from monitor.users import authenticate
from monitor.web.csrf import rotate_csrf_token
from monitor.web.deps import SESSION_USER_KEY, SessionDep, optional_user, render

router = APIRouter(include_in_schema=False)


@router.get("/login")
def login_form(request: Request, session: SessionDep) -> Response:
    """The login form; a visitor who is already logged in goes straight to the queue."""
    if optional_user(request, session) is not None:
        return RedirectResponse("/review", status_code=303)
    return render(request, "login.html", email="", error=None)


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    """Check the password; on success start a fresh session and go to the queue."""
    user = authenticate(session, email=email, password=password)
    if user is None:
        return render(request, "login.html", status_code=401, email=email, error="Wrong email or password.")
    # A new session at login: nothing an attacker planted before it survives.
    request.session.clear()
    request.session[SESSION_USER_KEY] = user.id
    rotate_csrf_token(request)
    return RedirectResponse("/review", status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    """End the session."""
    request.session.clear()
    return RedirectResponse("/login", status_code=303)

"""Helpers for the sign-in tests: a settable TOTP clock, enrolment through the pages, and reading
the audit log's sign-in entries."""

from __future__ import annotations

import re

from sqlmodel import select

from monitor.core.db import session_scope
from monitor.core.models import AuditEntry
from monitor.core.settings import get_settings
from monitor.review.signin import totp

START_STEP = 60_000_000  # a TOTP time step far from the real clock: the test alone decides time


class Clock:
    """The TOTP time step the app sees (``totp.current_step``), moved by the test."""

    def __init__(self, monkeypatch) -> None:
        self.step = START_STEP
        monkeypatch.setattr(totp, "current_step", lambda now=None: self.step)

    def code(self, secret: str, offset: int = 0) -> str:
        return totp.code_at(secret, self.step + offset)


def secret_from(html: str) -> str:
    found = re.search(r'id="totp-secret">([A-Z2-7]+)<', html)
    assert found, "no TOTP secret on the page"
    return found.group(1)


def codes_from(html: str) -> list[str]:
    block = re.search(r'id="recovery-codes">(.*?)</ul>', html, re.DOTALL)
    assert block, "no recovery codes on the page"
    return re.findall(r"<code>([^<]+)</code>", block.group(1))


def signin_actions(user_id: int | None = None) -> list[tuple[str, dict | None]]:
    """(action, after) of every sign-in audit entry, oldest first (of one user when given)."""
    with session_scope(get_settings().database_url) as session:
        statement = select(AuditEntry).where(AuditEntry.target.startswith("signin:")).order_by(AuditEntry.id)
        if user_id is not None:
            statement = statement.where(AuditEntry.user_id == user_id)
        return [(entry.action, entry.after) for entry in session.exec(statement)]

"""Changes to a user's second factors and to the site's policy, with their rules and audit.

While the policy requires a second factor, a user's last one cannot be removed (``Refused``,
409, shown on the two-factor page); recovery codes need a factor to recover, and go when the
last factor goes. An admin's reset removes a user's factors and ends their sessions. Every
change is audited through ``factors.audit``, which commits.
"""

from __future__ import annotations

from sqlmodel import Session

from monitor import i18n
from monitor.core.models import User
from monitor.core.storage import sessions
from monitor.review.errors import NotFound, Refused
from monitor.review.signin import factors, recovery

LAST_FACTOR = i18n.N_("A second factor is required here: add another before removing your last one.")


class FactorRefused(Refused):
    """A factor change the policy forbids; the page shows it with 409."""

    status = 409


def confirm_totp(session: Session, *, user_id: int, code: str) -> bool:
    """Confirm the user's pending authenticator app with a code from it, audited; False when the code did not hold."""
    if not factors.confirm_totp(session, user_id=user_id, text=code):
        return False
    factors.audit(session, user_id=user_id, action="totp-added")
    return True


def first_recovery_codes(session: Session, *, user_id: int) -> list[str] | None:
    """Recovery codes for a user who has none left (after adding a factor), audited; else None."""
    if recovery.remaining(session, user_id=user_id) != 0:
        return None
    codes = recovery.issue(session, user_id=user_id)
    factors.audit(session, user_id=user_id, action="recovery-codes-new", after={"count": len(codes)})
    return codes


def new_recovery_codes(session: Session, *, user_id: int) -> list[str]:
    """Ten new recovery codes replacing the old ones, audited; ``FactorRefused`` without a factor."""
    if not factors.has_factor(session, user_id):
        raise FactorRefused(i18n.gettext("Set up an authenticator app or a passkey first."))
    codes = recovery.issue(session, user_id=user_id)
    factors.audit(session, user_id=user_id, action="recovery-codes-new", after={"count": len(codes)})
    return codes


def remove_totp(session: Session, *, user_id: int) -> None:
    """Remove the user's authenticator app (refused when it is the last factor and one is required)."""
    if factors.second_factor_required(session) and not factors.passkeys_of(session, user_id):
        raise FactorRefused(i18n.gettext(LAST_FACTOR))
    if factors.remove_totp(session, user_id):
        factors.drop_recovery_codes_if_bare(session, user_id)
        factors.audit(session, user_id=user_id, action="totp-removed")


def remove_passkey(session: Session, *, user_id: int, passkey_id: int) -> None:
    """Remove one of the user's passkeys (refused when it is the last factor and one is required)."""
    others = len(factors.passkeys_of(session, user_id)) - 1 + factors.has_totp(session, user_id)
    if factors.second_factor_required(session) and others < 1:
        raise FactorRefused(i18n.gettext(LAST_FACTOR))
    if factors.remove_passkey(session, user_id=user_id, passkey_id=passkey_id):
        factors.drop_recovery_codes_if_bare(session, user_id)
        factors.audit(session, user_id=user_id, action="passkey-removed", after={"passkey": passkey_id})


def require_second_factor(session: Session, *, required: bool, actor: User) -> None:
    """Require a second factor of everyone, or stop requiring it; audited."""
    before = factors.set_second_factor_required(session, required=required, by_user_id=actor.id)
    factors.audit(session, user_id=actor.id, action="require-2fa", after={"before": before, "required": required})


def reset_user(session: Session, *, user_id: int, actor: User) -> dict:
    """Remove a user's factors and recovery codes and end their sessions (a lost phone with no
    code left); returns what was removed. ``NotFound`` for an unknown user."""
    if session.get(User, user_id) is None:
        raise NotFound(f"no user {user_id}")
    removed = factors.reset(session, user_id)
    sessions.end_all(session, user_id=user_id)  # commits the removal too
    factors.audit(session, user_id=actor.id, subject_id=user_id, action="2fa-reset", after=removed)
    return removed

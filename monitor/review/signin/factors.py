"""The sign-in factors of users in the database, and the site's policy.

TOTP: ``start_totp`` keeps a new secret unconfirmed until ``confirm_totp`` sees a code from
it; ``check_totp`` accepts a code once: the accepted time step is written with a conditional
UPDATE (``last_step`` below it), so a replayed code — or two requests racing with one code —
is refused. ``audit`` appends sign-in events to the audit log (``AuditEntry``); it never
records a code, a secret or a password.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select

from monitor.core.models import AuditEntry, utcnow
from monitor.core.models_access import Passkey, RecoveryCode, SigninPolicy, TotpFactor
from monitor.review.signin import totp

POLICY_ID = 1
AUDIT_TARGET = "signin:"  # every sign-in entry's target starts so


def audit(
    session: Session, *, user_id: int | None, action: str, after: dict | None = None, subject_id: int | None = None
) -> None:
    """Append one sign-in audit entry by ``user_id`` about ``subject_id`` (the same user unless
    given): target ``signin:ID``, ``signin:unknown`` for an unknown account (the audit page
    filters on it); commits."""
    subject = subject_id if subject_id is not None else user_id
    target = f"{AUDIT_TARGET}{subject if subject is not None else 'unknown'}"
    session.add(AuditEntry(at=utcnow(), user_id=user_id, action=action[:32], target=target, after=after))
    session.commit()


def totp_row(session: Session, user_id: int) -> TotpFactor | None:
    """The user's TOTP row, confirmed or not."""
    return session.exec(select(TotpFactor).where(TotpFactor.user_id == user_id)).first()


def has_totp(session: Session, user_id: int) -> bool:
    """True when the user has a confirmed TOTP secret."""
    row = totp_row(session, user_id)
    return row is not None and row.confirmed_at is not None


def passkeys_of(session: Session, user_id: int) -> list[Passkey]:
    """The user's passkeys, oldest first."""
    return list(session.exec(select(Passkey).where(Passkey.user_id == user_id).order_by(Passkey.id)).all())


def has_factor(session: Session, user_id: int) -> bool:
    """True when the user has a second factor: a confirmed TOTP secret or a passkey."""
    return has_totp(session, user_id) or bool(passkeys_of(session, user_id))


def pending_secret(session: Session, user_id: int) -> str:
    """The secret being enrolled: the unconfirmed one, or a new one (stored encrypted; commits).

    Raises ValueError when the user's TOTP is already confirmed (remove it first)."""
    row = totp_row(session, user_id)
    if row is not None and row.confirmed_at is not None:
        raise ValueError("an authenticator app is already set up: remove it before setting up another")
    if row is not None:
        try:
            return totp.decrypt(row.secret_encrypted)
        except totp.SecretUnreadable:
            session.delete(row)
            session.flush()
    secret = totp.new_secret()
    session.add(TotpFactor(user_id=user_id, secret_encrypted=totp.encrypt(secret), created_at=utcnow()))
    session.commit()
    return secret


def confirm_totp(session: Session, *, user_id: int, text: str) -> bool:
    """Confirm the pending secret with a code from it; True on success (commits)."""
    row = totp_row(session, user_id)
    if row is None or row.confirmed_at is not None:
        return False
    if not _claim_step(session, row, text):
        return False
    session.execute(
        sa.update(TotpFactor.__table__).where(TotpFactor.__table__.c.id == row.id).values(confirmed_at=utcnow())
    )
    session.commit()
    return True


def check_totp(session: Session, *, user_id: int, text: str) -> bool:
    """True when ``text`` is a current code of the user's confirmed secret not used before (commits)."""
    row = totp_row(session, user_id)
    return row is not None and row.confirmed_at is not None and _claim_step(session, row, text)


def _claim_step(session: Session, row: TotpFactor, text: str) -> bool:
    code = totp.parse_code(text)
    if code is None:
        return False
    try:
        step = totp.matching_step(totp.decrypt(row.secret_encrypted), code)
    except totp.SecretUnreadable:
        return False
    if step is None:
        return False
    table = TotpFactor.__table__
    claimed = (
        session.execute(
            sa.update(table)
            .where(table.c.id == row.id, sa.or_(table.c.last_step.is_(None), table.c.last_step < step))
            .values(last_step=step)
        ).rowcount
        == 1
    )
    session.commit()
    return claimed


def remove_totp(session: Session, user_id: int) -> bool:
    """Delete the user's TOTP secret; True when there was a confirmed one. Does not commit."""
    table = TotpFactor.__table__
    confirmed = has_totp(session, user_id)
    session.execute(sa.delete(table).where(table.c.user_id == user_id))
    return confirmed


def remove_passkey(session: Session, *, user_id: int, passkey_id: int) -> bool:
    """Delete one of the user's passkeys (another user's id deletes nothing). Does not commit."""
    table = Passkey.__table__
    return session.execute(sa.delete(table).where(table.c.user_id == user_id, table.c.id == passkey_id)).rowcount == 1


def drop_recovery_codes_if_bare(session: Session, user_id: int) -> None:
    """Recovery codes stand in for a factor: once the user has none, they go too. Does not commit."""
    if not has_factor(session, user_id):
        session.execute(sa.delete(RecoveryCode.__table__).where(RecoveryCode.__table__.c.user_id == user_id))


def second_factor_required(session: Session) -> bool:
    """The admin setting: every user must have a second factor."""
    row = session.get(SigninPolicy, POLICY_ID)
    return bool(row and row.require_second_factor)


def set_second_factor_required(session: Session, *, required: bool, by_user_id: int) -> bool:
    """Set the admin setting; returns the previous value. Does not commit."""
    row = session.get(SigninPolicy, POLICY_ID) or SigninPolicy(id=POLICY_ID)
    before = bool(row.require_second_factor)
    row.require_second_factor, row.updated_at, row.updated_by = required, utcnow(), by_user_id
    session.add(row)
    return before


def reset(session: Session, user_id: int) -> dict:
    """Remove every factor and recovery code of the user (an admin's help after a lost phone);
    returns what was removed. Does not commit."""
    removed = {"totp": has_totp(session, user_id), "passkeys": len(passkeys_of(session, user_id))}
    for table in (TotpFactor.__table__, Passkey.__table__, RecoveryCode.__table__):
        session.execute(sa.delete(table).where(table.c.user_id == user_id))
    return removed


def add_passkey(
    session: Session, *, user_id: int, credential_id: str, public_key: bytes, sign_count: int, rp_id: str, name: str
) -> bool:
    """Keep a verified new passkey of the user, named ``name`` ("passkey" when blank), and audit
    it (commits); False, writing nothing, when that credential is registered already."""
    taken = session.exec(select(Passkey.id).where(Passkey.credential_id == credential_id)).first()
    if taken is not None:
        return False
    name = name.strip() or "passkey"
    session.add(
        Passkey(
            user_id=user_id,
            credential_id=credential_id,
            public_key=public_key,
            sign_count=sign_count,
            rp_id=rp_id,
            name=name,
            created_at=utcnow(),
        )
    )
    audit(session, user_id=user_id, action="passkey-added", after={"name": name})
    return True


def passkey_for(session: Session, *, user_id: int, rp_id: str, credential_id: str) -> Passkey | None:
    """The user's passkey with this credential for this relying party, or None."""
    return session.exec(
        select(Passkey).where(
            Passkey.user_id == user_id, Passkey.rp_id == rp_id, Passkey.credential_id == credential_id
        )
    ).first()


def claim_passkey_use(session: Session, *, passkey_id: int, issued, sign_count: int) -> bool:
    """Record a use of the passkey, unless it was used since ``issued`` (the challenge's time);
    True when this use counts (commits). The challenge sits in a cookie, which can be copied,
    and many passkeys keep their counter at 0: the claim is a conditional UPDATE."""
    table = Passkey.__table__
    claimed = (
        session.execute(
            sa.update(table)
            .where(table.c.id == passkey_id, sa.or_(table.c.last_used_at.is_(None), table.c.last_used_at < issued))
            .values(last_used_at=utcnow(), sign_count=sign_count)
        ).rowcount
        == 1
    )
    session.commit()
    return claimed

"""Six-digit SMS codes (SPEC §3, §4): kept only as a hash, valid 10 minutes, 5 tries, resend throttled.

Used for a client's sign-in to the bonus page and for a client's confirmation of an order.
"""
from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.errors import DomainError
from portal.extensions import db
from portal.models.types import OneTimeCode

CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
RESEND_AFTER = timedelta(seconds=60)


class CodeRefused(DomainError):
    code = "code_refused"


class Throttled(DomainError):
    code = "rate_limited"

    def __init__(self, seconds: int):
        super().__init__(_l("A code was sent a moment ago. You can ask for a new one in %(n)d s.", n=seconds))
        self.seconds = seconds


def code_hash(purpose: str, subject_id: int, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{purpose}:{subject_id}:{code}".encode(), hashlib.sha256).hexdigest()


def latest(model: type[OneTimeCode], *where, lock: bool = False) -> OneTimeCode | None:
    stmt = db.select(model).where(*where).order_by(model.id.desc()).limit(1)
    return db.session.scalar(stmt.with_for_update() if lock else stmt)


def issue(model: type[OneTimeCode], purpose: str, subject_id: int, now: datetime, *where,
          **columns) -> tuple[OneTimeCode, str]:
    """A new code row for the subject (added to the session, not committed) and the code itself.

    Raises Throttled when the subject's last code is younger than RESEND_AFTER."""
    last = latest(model, *where)
    if last is not None and now - last.created_at < RESEND_AFTER:
        raise Throttled(math.ceil((RESEND_AFTER - (now - last.created_at)).total_seconds()))
    code = f"{secrets.randbelow(10 ** 6):06d}"
    row = model(code_hash=code_hash(purpose, subject_id, code), created_at=now, expires_at=now + CODE_TTL,
                **columns)
    db.session.add(row)
    return row, code


def normalise(code: str | None) -> str | None:
    """The six digits typed, spaces removed; None when it cannot be a code."""
    code = "".join((code or "").split())
    return code if code.isdigit() and len(code) == 6 else None


def usable(row: OneTimeCode | None, now: datetime) -> bool:
    return row is not None and row.used_at is None and row.expires_at > now and row.attempts < MAX_ATTEMPTS


def check(row: OneTimeCode | None, purpose: str, subject_id: int, code: str | None, now: datetime) -> bool:
    """Whether `code` matches the (locked) latest row. A wrong code uses up one try; a right one
    marks the row used. The caller commits either way."""
    code = normalise(code)
    if code is None or not usable(row, now):
        return False
    if not hmac.compare_digest(row.code_hash, code_hash(purpose, subject_id, code)):
        row.attempts += 1
        return False
    row.used_at = now
    return True

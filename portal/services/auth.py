"""Signing in staff: password check, lock-out after repeated failures."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import User, utcnow
from . import audit

MIN_PASSWORD_LENGTH = 8
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_dummy_hash: str | None = None


def hash_password(plain: str) -> str:
    return generate_password_hash(plain, method=current_app.config["PASSWORD_HASH_METHOD"])


def generate_password(length: int = 12) -> str:
    """A random password without look-alike characters, to be read out or typed once."""
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))


def _spend_equal_time(password: str) -> None:
    """Check against a throw-away hash so an unknown e-mail costs as long as a known one."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hash_password(generate_password())
    check_password_hash(_dummy_hash, password)


def is_locked(user: User, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def authenticate(email: str, password: str, now: datetime | None = None) -> User | None:
    """The active, unlocked user with this e-mail and password, or None.

    Every failed try on an existing account counts; the configured number of failures in a
    row locks it for the configured minutes. The caller shows one message whatever the
    reason, so nobody learns whether an e-mail exists or an account is locked.
    """
    now = now or utcnow()
    email = (email or "").strip().lower()
    user = db.session.scalar(db.select(User).where(User.email == email)) if email else None
    if user is None:
        _spend_equal_time(password or "")
        return None
    if is_locked(user, now):
        _spend_equal_time(password or "")
        return None
    if not check_password_hash(user.password_hash, password or ""):
        user.failed_logins += 1
        if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
            user.locked_until = now + timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
            user.failed_logins = 0
            audit.record(None, "login_locked", user, after={"locked_until": user.locked_until.isoformat()})
        db.session.commit()
        return None
    if not user.active:
        return None
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    db.session.commit()
    return user


def load_session_user(session_id: str) -> User | None:
    """flask-login's loader: the id carries the session version, so resets end old sessions."""
    try:
        user_id, version = (int(part) for part in session_id.split(":"))
    except (ValueError, AttributeError):
        return None
    user = db.session.get(User, user_id)
    if user is None or user.session_version != version or not user.active:
        return None
    return user

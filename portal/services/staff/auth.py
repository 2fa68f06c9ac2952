"""Signing in staff: password check, lock-out after repeated failures."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app, has_request_context, request
from werkzeug.security import check_password_hash, generate_password_hash

from portal.extensions import db
from portal.models import StaffSession, User, utcnow
from portal.services import audit

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


SESSION_TOUCH_EVERY = timedelta(minutes=5)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _request_facts() -> dict:
    if not has_request_context():
        return {}
    return {"user_agent": (request.user_agent.string or "")[:200], "ip": (request.remote_addr or "")[:45]}


def start_session(user: User, now: datetime | None = None) -> str:
    """Record a new server-side session of the user and return the flask-login id naming it:
    "user id:session version:random token". Only the token's SHA-256 is stored."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    db.session.add(StaffSession(user_id=user.id, token_hash=token_hash(token), created_at=now,
                                last_seen_at=now, **_request_facts()))
    db.session.commit()
    return f"{user.id}:{user.session_version}:{token}"


def end_session(session_id: str | None, now: datetime | None = None) -> None:
    """Sign-out: end this one session (the user's other devices stay signed in)."""
    parts = (session_id or "").split(":")
    if len(parts) != 3:
        return
    db.session.execute(db.update(StaffSession).where(
        StaffSession.token_hash == token_hash(parts[2]), StaffSession.ended_at.is_(None)).values(
        ended_at=now or utcnow()))
    db.session.commit()


def load_session_user(session_id: str) -> User | None:
    """flask-login's loader: one indexed lookup of the live session by its token's hash.

    The id also carries the user's session version, so a password reset or a deactivation (which
    bump it) ends every session of that person at once; a sign-out ends its own row. The row's
    last_seen_at is refreshed at most every SESSION_TOUCH_EVERY (web/__init__.py loads the user
    at the start of a request, so this commit never carries a view's half-done work)."""
    try:
        user_part, version_part, token = session_id.split(":")
        user_id, version = int(user_part), int(version_part)
    except (ValueError, AttributeError):
        return None
    row = db.session.execute(db.select(StaffSession, User).join(User, User.id == StaffSession.user_id).where(
        StaffSession.token_hash == token_hash(token), StaffSession.ended_at.is_(None))).first()
    if row is None:
        return None
    staff_session, user = row
    if user.id != user_id or user.session_version != version or not user.active:
        return None
    now = utcnow()
    if now - staff_session.last_seen_at >= SESSION_TOUCH_EVERY:
        staff_session.last_seen_at = now
        db.session.commit()
    return user

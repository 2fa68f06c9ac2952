"""Signing in staff: password check, lock-out after repeated failures, server-side sessions.

Passwords are hashed with Argon2id (PASSWORD_HASH_METHOD "argon2id", costs ARGON2_TIME_COST and
ARGON2_MEMORY_COST); hashes of Werkzeug's formats ("scrypt:…", "pbkdf2:…") still verify, and such a
hash, or an Argon2 one with outdated costs, is replaced by a current one at the next sign-in."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_request_context, request
from werkzeug import security as werkzeug_security

from portal.extensions import db
from portal.models import StaffSession, User, utcnow
from portal.services import audit
from portal.services.transactions import one_transaction, operation

MIN_PASSWORD_LENGTH = 8
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ARGON2ID = "argon2id"
_dummy_hashes: dict[tuple, str] = {}


def _argon2() -> PasswordHasher:
    """Argon2id with the configured costs (parallelism, salt and hash lengths: the library's defaults)."""
    config = current_app.config
    return PasswordHasher(time_cost=int(config["ARGON2_TIME_COST"]), memory_cost=int(config["ARGON2_MEMORY_COST"]))


def _is_argon2(stored: str) -> bool:
    return stored.startswith("$argon2")


def hash_password(plain: str) -> str:
    """A hash of the password by PASSWORD_HASH_METHOD: "argon2id", or a Werkzeug method (tests' cheap one)."""
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method == ARGON2ID:
        return _argon2().hash(plain)
    return werkzeug_security.generate_password_hash(plain, method=method)


def check_password_hash(stored: str, plain: str) -> bool:
    """Whether the password matches the stored hash, an Argon2 one or one of Werkzeug's formats."""
    if _is_argon2(stored):
        try:
            return _argon2().verify(stored, plain)
        except (VerificationError, InvalidHashError):
            return False
    return werkzeug_security.check_password_hash(stored, plain)


def password_needs_rehash(stored: str) -> bool:
    """Under "argon2id": whether the hash is of another format or has outdated Argon2 costs. Under a
    Werkzeug method nothing is rehashed (that setting is for tests and benchmarks)."""
    if current_app.config["PASSWORD_HASH_METHOD"] != ARGON2ID:
        return False
    if not _is_argon2(stored):
        return True
    try:
        return _argon2().check_needs_rehash(stored)
    except (InvalidHashError, ValueError):
        return True


def generate_password(length: int = 12) -> str:
    """A random password without look-alike characters, to be read out or typed once."""
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))


def _dummy_hash() -> str:
    """A throw-away hash made as real accounts' are now (one per hash setting, made once)."""
    config = current_app.config
    settings = (config["PASSWORD_HASH_METHOD"], config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"])
    if settings not in _dummy_hashes:
        _dummy_hashes[settings] = hash_password(generate_password())
    return _dummy_hashes[settings]


def _spend_equal_time(password: str) -> None:
    """Check against a throw-away hash so an unknown e-mail costs as long as a known one."""
    check_password_hash(_dummy_hash(), password)


def is_locked(user: User, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


@operation
def authenticate(email: str, password: str, now: datetime | None = None) -> User | None:
    """The active, unlocked user with this e-mail and password, or None.

    Every failed try on an existing account counts; the configured number of failures in a
    row locks it for the configured minutes. The caller shows one message whatever the
    reason, so nobody learns whether an e-mail exists or an account is locked. A successful sign-in
    stores a current hash of the password when the old one is outdated (password_needs_rehash),
    in the same commit that records the sign-in.
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
        return None
    if not user.active:
        return None
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    return user


SESSION_TOUCH_EVERY = timedelta(minutes=5)


def _idle_limit() -> timedelta:
    """SESSION_IDLE_MINUTES: a staff session with no request for longer ends."""
    return timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])


def _touch_every(idle: timedelta) -> timedelta:
    """How stale a staff session's last_seen_at may grow before it is written again: SESSION_TOUCH_EVERY,
    or a tenth of the idle limit when that is shorter. last_seen_at is thus at most this much behind the
    last request, so a session ends after the idle limit at the latest, and at most this much earlier."""
    return min(SESSION_TOUCH_EVERY, idle / 10)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _request_facts() -> dict:
    if not has_request_context():
        return {}
    return {"user_agent": (request.user_agent.string or "")[:200], "ip": (request.remote_addr or "")[:45]}


@operation
def start_session(user: User, now: datetime | None = None) -> str:
    """Record a new server-side session of the user and return the flask-login id naming it:
    "user id:session version:random token". Only the token's SHA-256 is stored."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    db.session.add(StaffSession(user_id=user.id, token_hash=token_hash(token), created_at=now,
                                last_seen_at=now, **_request_facts()))
    return f"{user.id}:{user.session_version}:{token}"


@operation
def end_session(session_id: str | None, now: datetime | None = None) -> None:
    """Sign-out: end this one session (the user's other devices stay signed in)."""
    parts = (session_id or "").split(":")
    if len(parts) != 3:
        return
    db.session.execute(db.update(StaffSession).where(
        StaffSession.token_hash == token_hash(parts[2]), StaffSession.ended_at.is_(None)).values(
        ended_at=now or utcnow()))


def load_session_user(session_id: str) -> User | None:
    """flask-login's loader: one indexed lookup of the live session by its token's hash.

    The id also carries the user's session version, so a password reset or a deactivation (which
    bump it) ends every session of that person at once; a sign-out ends its own row, and so does a
    request after more than SESSION_IDLE_MINUTES without one (the visitor is then signed out). The
    row's last_seen_at is refreshed at most every _touch_every (web/__init__.py loads the user at the
    start of a request, so these writes never carry a view's half-done work)."""
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
    now, idle = utcnow(), _idle_limit()
    if now - staff_session.last_seen_at > idle:
        one_transaction(lambda: _set_session(staff_session.id, ended_at=now))
        return None
    if user.id != user_id or user.session_version != version or not user.active:
        return None
    if now - staff_session.last_seen_at >= _touch_every(idle):
        one_transaction(lambda: _set_session(staff_session.id, last_seen_at=now))
    return user


def _set_session(session_row_id: int, **values) -> None:
    db.session.execute(db.update(StaffSession).where(StaffSession.id == session_row_id).values(**values))

"""How a client opens their read-only bonus page: an SMS code or a signed expiring link."""
from __future__ import annotations

import secrets
from datetime import datetime

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from portal.extensions import db
from portal.models import Client, ClientLoginCode, ClientSession, utcnow
from portal.services.clients import clients as client_service
from portal.services.messaging import codes, sms
from portal.services.messaging.codes import CodeRefused, Throttled  # noqa: F401 (the doors catch them from here)
from portal.services.staff.auth import SESSION_TOUCH_EVERY, _request_facts, token_hash
from portal.services.transactions import one_transaction, operation

LINK_SALT = "client-bonus-link"
PURPOSE = "client-login"


@operation
def request_code(phone: str, now: datetime | None = None) -> None:
    """Send a 6-digit code to the client with this phone. An unknown phone gets the same answer
    and no SMS, so nobody learns who is a client."""
    now = now or utcnow()
    found = client_service.find_by_phone(phone, current_app.config["PORTAL_COUNTRY"])
    if not found:
        return
    client = found[0]
    row, code = codes.issue(ClientLoginCode, PURPOSE, client.id, now, ClientLoginCode.client_id == client.id,
                            client_id=client.id)
    db.session.flush()
    message = sms.queue(client.primary_phone, _sms_text(code), f"sms:client-code:{row.id}", hide=[code],
                        valid_for=row.expires_at - row.created_at)
    sms.send_queued(message)


def _sms_text(code: str) -> str:
    return gettext("Your code for the bonus page: %(code)s. It is valid for 10 minutes.", code=code)


def verify_code(phone: str, code: str, now: datetime | None = None) -> int:
    """The client's id if `code` is the latest valid one; CodeRefused otherwise (5 tries per code).
    A wrong code uses up a try, which is kept although the code is refused."""
    now = now or utcnow()
    refused = CodeRefused(_l("The code is wrong or has expired. Ask for a new one."))

    def check() -> int | None:
        found = client_service.find_by_phone(phone, current_app.config["PORTAL_COUNTRY"])
        if not found or codes.normalise(code) is None:
            return None
        client = found[0]
        last = codes.latest(ClientLoginCode, ClientLoginCode.client_id == client.id, lock=True)
        return client.id if codes.check(last, PURPOSE, client.id, code, now) else None

    client_id = one_transaction(check)
    if client_id is None:
        raise refused
    return client_id


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=LINK_SALT)


def signed_link(client_id: int) -> str:
    token = _serializer().dumps({"client": client_id})
    return current_app.config["PORTAL_BASE_URL"].rstrip("/") + "/my/link/" + token


def client_from_link(token: str) -> int | None:
    """The client a link was made for, or None when it is forged or older than CLIENT_LINK_DAYS."""
    max_age = int(current_app.config["CLIENT_LINK_DAYS"]) * 86400
    try:
        data = _serializer().loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return None
    client_id = data.get("client") if isinstance(data, dict) else None
    if not isinstance(client_id, int) or db.session.get(Client, client_id) is None:
        return None  # a link for a client since removed opens nothing
    return client_id


@operation
def start_session(client_id: int, now: datetime | None = None) -> str:
    """Record a bonus-page session of the client (after a code or a link) and return its random
    token for the cookie; only the token's SHA-256 is stored."""

    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    db.session.add(ClientSession(client_id=client_id, token_hash=token_hash(token), created_at=now,
                                 last_seen_at=now, **_request_facts()))
    return token


@operation
def session_client(client_id: int | None, token: str | None) -> int | None:
    """The client of a live session with this token (one indexed lookup), else None."""
    if not isinstance(client_id, int) or not isinstance(token, str) or not token:
        return None
    row = db.session.scalar(db.select(ClientSession).where(
        ClientSession.token_hash == token_hash(token), ClientSession.ended_at.is_(None)))
    if row is None or row.client_id != client_id:
        return None
    now = utcnow()
    if now - row.last_seen_at >= SESSION_TOUCH_EVERY:
        row.last_seen_at = now
    return row.client_id


@operation
def end_session(token: str | None, now: datetime | None = None) -> None:
    """The client signs out: this session's cookie opens nothing any more."""
    if not isinstance(token, str) or not token:
        return
    db.session.execute(db.update(ClientSession).where(
        ClientSession.token_hash == token_hash(token), ClientSession.ended_at.is_(None)).values(
        ended_at=now or utcnow()))

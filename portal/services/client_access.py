"""How a client opens their read-only bonus page: an SMS code or a signed expiring link."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..extensions import db
from ..integrations.sms import send_sms
from ..models import ClientLoginCode, utcnow
from . import clients as client_service
from .errors import DomainError

CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
RESEND_AFTER = timedelta(seconds=60)
LINK_SALT = "client-bonus-link"


class CodeRefused(DomainError):
    code = "code_refused"


class Throttled(DomainError):
    code = "rate_limited"

    def __init__(self, seconds: int):
        super().__init__(_l("A code was sent a moment ago. You can ask for a new one in %(n)d s.", n=seconds))
        self.seconds = seconds


def _hash(client_id: int, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{client_id}:{code}".encode(), hashlib.sha256).hexdigest()


def request_code(phone: str, now: datetime | None = None) -> None:
    """Send a 6-digit code to the client with this phone. An unknown phone gets the same answer
    and no SMS, so nobody learns who is a client."""
    now = now or utcnow()
    found = client_service.find_by_phone(phone, current_app.config["PORTAL_COUNTRY"])
    if not found:
        return
    client = found[0]
    last = db.session.scalar(db.select(ClientLoginCode).where(ClientLoginCode.client_id == client.id)
                             .order_by(ClientLoginCode.id.desc()).limit(1))
    if last is not None and now - last.created_at < RESEND_AFTER:
        raise Throttled(int((RESEND_AFTER - (now - last.created_at)).total_seconds()) + 1)
    code = f"{secrets.randbelow(10 ** 6):06d}"
    db.session.add(ClientLoginCode(client_id=client.id, code_hash=_hash(client.id, code), created_at=now,
                                   expires_at=now + CODE_TTL))
    db.session.commit()
    send_sms(client.primary_phone, _sms_text(code))


def _sms_text(code: str) -> str:
    from flask_babel import gettext
    return gettext("Your code for the bonus page: %(code)s. It is valid for 10 minutes.", code=code)


def verify_code(phone: str, code: str, now: datetime | None = None) -> int:
    """The client's id if `code` is the latest valid one; CodeRefused otherwise (5 tries per code)."""
    now = now or utcnow()
    refused = CodeRefused(_l("The code is wrong or has expired. Ask for a new one."))
    found = client_service.find_by_phone(phone, current_app.config["PORTAL_COUNTRY"])
    code = "".join((code or "").split())
    if not found or not (code.isdigit() and len(code) == 6):
        raise refused
    client = found[0]
    last = db.session.scalar(db.select(ClientLoginCode).where(ClientLoginCode.client_id == client.id)
                             .order_by(ClientLoginCode.id.desc()).limit(1).with_for_update())
    if last is None or last.used_at is not None or last.expires_at <= now or last.attempts >= MAX_ATTEMPTS:
        raise refused
    if not hmac.compare_digest(last.code_hash, _hash(client.id, code)):
        last.attempts += 1
        db.session.commit()
        raise refused
    last.used_at = now
    db.session.commit()
    return client.id


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
    return client_id if isinstance(client_id, int) else None

"""API keys for the web shop and other systems. A key is shown once; only its SHA-256 is kept."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask_babel import lazy_gettext as _l

from portal.errors import ValidationError
from portal.extensions import db
from portal.models import ApiKey, utcnow
from portal.services import audit
from portal.services.transactions import operation
from portal.text import squash

PREFIX = "pk_"
LAST_USED_EVERY = timedelta(minutes=1)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@operation
def create_key(name: str) -> tuple[ApiKey, str]:
    name = squash(name)
    if not name or len(name) > 100:
        raise ValidationError({"name": _l("Give the key a name of 1–100 characters.")})
    key = PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey(name=name, prefix=key[:10], key_hash=_digest(key))
    db.session.add(api_key)
    db.session.flush()
    # Keys are made from the command line only: the event names it.
    audit.record(None, "api_key_created", api_key, None, {"name": name, "prefix": api_key.prefix},
                 source=audit.current_source() or "cli")
    return api_key, key


@operation
def authenticate(key: str | None) -> ApiKey | None:
    """The active key matching this secret, or None. Keys are high-entropy, so a fast hash is enough."""
    if not key or len(key) > 200:
        return None
    api_key = db.session.scalar(db.select(ApiKey).where(ApiKey.key_hash == _digest(key), ApiKey.revoked_at.is_(None)))
    if api_key is not None:
        # At most once a minute: every request writing this one row would queue them all behind it.
        now = utcnow()
        if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_EVERY:
            api_key.last_used_at = now
    return api_key


@operation
def revoke(name_or_prefix: str) -> int:
    keys = db.session.scalars(db.select(ApiKey).where(
        db.or_(ApiKey.name == name_or_prefix, ApiKey.prefix == name_or_prefix), ApiKey.revoked_at.is_(None))).all()
    for api_key in keys:
        api_key.revoked_at = utcnow()
        audit.record(None, "api_key_revoked", api_key, {"revoked_at": None},
                     {"revoked_at": api_key.revoked_at.isoformat()}, source=audit.current_source() or "cli")
    return len(keys)


def list_keys() -> list[ApiKey]:
    return list(db.session.scalars(db.select(ApiKey).order_by(ApiKey.id)))

"""Idempotent POSTs: the same key and body replay the first answer, a refusal included; another body
is a conflict."""
from __future__ import annotations

import hashlib
import json
from functools import wraps

from flask import Response, g, make_response, request
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import IdempotentResponse
from portal.errors import DomainError
from portal.api.errors import ApiError, refusal_response


def _key() -> str:
    key = request.headers.get("Idempotency-Key")
    if key is None or not 1 <= len(key) <= 200 or not key.isprintable():
        raise ApiError("validation_error", "Every POST needs an Idempotency-Key header of 1–200 printable characters.",
                       {"Idempotency-Key": "required, 1–200 printable characters"})
    return key


def _request_hash() -> str:
    raw = request.get_data(cache=True)
    try:  # the same JSON written differently is the same request
        canonical = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeError, RecursionError):
        canonical = raw
    return hashlib.sha256(request.path.encode() + b"\n" + canonical).hexdigest()


def idempotent(view):
    """Wrap a POST view. The view gets `g.idempotency_scope`, a key unique to this API key and
    Idempotency-Key, to pass to the service, so even a crash between the service's commit and
    the remembering of the answer cannot do the work twice."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        key = _key()
        digest = _request_hash()
        api_key_id = g.api_key.id
        found = db.session.scalar(db.select(IdempotentResponse).where(
            IdempotentResponse.api_key_id == api_key_id, IdempotentResponse.key == key))
        if found is not None:
            if found.request_hash != digest:
                raise ApiError("idempotency_conflict",
                               "This Idempotency-Key was used with a different request.")
            return Response(found.body, status=found.status, mimetype="application/json")
        g.idempotency_scope = f"api:{api_key_id}:{key}"
        try:
            response = make_response(view(*args, **kwargs))
        except (ApiError, DomainError) as refusal:
            # A refusal is an answer too: the same request again gets it again, even when what
            # refused it (stock, bonus) has changed since (API.md: the original status and body).
            db.session.rollback()
            response = make_response(refusal_response(refusal))
        if response.status_code < 500:
            try:
                db.session.add(IdempotentResponse(api_key_id=api_key_id, key=key, request_hash=digest,
                                                  status=response.status_code, body=response.get_data(as_text=True)))
                db.session.commit()
            except IntegrityError:
                db.session.rollback()  # a concurrent twin remembered it first; its answer is the same
        return response

    return wrapped

"""Idempotent POSTs: the same key and body replay the first answer, a refusal included; another body
is a conflict."""
from __future__ import annotations

import hashlib
import json
from functools import wraps

from flask import Response, g, make_response, request

from portal.api.errors import ApiError, refusal_response
from portal.errors import DomainError
from portal.extensions import db
from portal.models import IdempotentResponse
from portal.services.transactions import one_transaction


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


def _remember(api_key_id: int, key: str, digest: str, response: Response) -> None:
    db.session.add(IdempotentResponse(api_key_id=api_key_id, key=key, request_hash=digest,
                                      status=response.status_code, body=response.get_data(as_text=True)))


def idempotent(view):
    """Wrap a POST view. The view's work and the answer remembered under the Idempotency-Key are
    one transaction, so no crash can leave the work done without its answer: a retry gets the first
    answer, or `idempotency_conflict` when its body differs. The view also gets
    `g.idempotency_scope`, a key unique to this API key and Idempotency-Key, to pass to the service."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        key = _key()
        digest = _request_hash()
        api_key_id = g.api_key.id
        g.idempotency_scope = f"api:{api_key_id}:{key}"

        def remembered() -> Response | None:
            found = db.session.scalar(db.select(IdempotentResponse).where(
                IdempotentResponse.api_key_id == api_key_id, IdempotentResponse.key == key))
            if found is None:
                return None
            if found.request_hash != digest:
                raise ApiError("idempotency_conflict", "This Idempotency-Key was used with a different request.")
            return Response(found.body, status=found.status, mimetype="application/json")

        def work() -> Response:
            response = make_response(view(*args, **kwargs))
            if response.status_code < 500:
                _remember(api_key_id, key, digest, response)
            return response

        try:
            return one_transaction(work, replay=remembered)
        except (ApiError, DomainError) as refusal:
            if isinstance(refusal, ApiError) and refusal.code == "idempotency_conflict":
                raise
            # A refusal is an answer too: the same request again gets it again, even when what
            # refused it (stock, bonus) has changed since (API.md: the original status and body).
            # It wrote nothing, so it is remembered on its own.
            response = make_response(refusal_response(refusal))

            def remember_refusal() -> Response:
                _remember(api_key_id, key, digest, response)
                return response

            return one_transaction(remember_refusal, replay=remembered)

    return wrapped

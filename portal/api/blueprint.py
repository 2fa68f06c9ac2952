"""The API's blueprint: bearer keys, rate limit of refused keys, errors as the contract fixes them."""
from __future__ import annotations

from flask import Blueprint, current_app, g, request
from flask_limiter.errors import RateLimitExceeded
from werkzeug.exceptions import HTTPException

from portal.api.errors import ApiError, error_response, refusal_response
from portal.errors import DomainError, ValidationError
from portal.extensions import csrf, db, limiter, retry_after
from portal.services.staff import api_keys

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


def _auth_limit() -> str:
    return current_app.config["API_AUTH_RATE_LIMIT"]


def _key_refused(response) -> bool:
    return response.status_code == 401


# Missing or wrong keys per address (API_AUTH_RATE_LIMIT). Requests with a valid key cost nothing,
# so a shop's normal traffic is never throttled by it; but once an address is over the limit every
# request from it gets 429 until the window passes, valid key or not (otherwise a guessed key would
# still be told apart from a wrong one).
limiter.shared_limit(_auth_limit, scope="api-auth", deduct_when=_key_refused)(bp)


@bp.before_request
def require_key():
    if any("\x00" in value for value in request.args.values()):
        return error_response("validation_error", "Query parameters must not contain NUL characters.",
                              {"query": "contains %00"})
    if request.endpoint == "api.openapi":
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    api_key = api_keys.authenticate(token.strip()) if scheme.lower() == "bearer" else None
    if api_key is None:
        body, status = error_response("unauthorized", "A valid API key is required: Authorization: Bearer <key>.")
        # RFC 6750: a 401 names the scheme the client must use.
        return body, status, {"WWW-Authenticate": 'Bearer realm="api"'}
    g.api_key = api_key
    return None


@bp.errorhandler(ApiError)
@bp.errorhandler(ValidationError)
@bp.errorhandler(DomainError)
def refused(exc: Exception):
    db.session.rollback()
    return refusal_response(exc)


@bp.errorhandler(RateLimitExceeded)
def rate_limited(_exc: RateLimitExceeded):
    seconds = retry_after()
    response, status = error_response("rate_limited", f"Too many requests. Try again in {seconds} s.")
    response.headers["Retry-After"] = str(seconds)
    return response, status


@bp.errorhandler(413)  # by its code, so that it comes before the web pages' 413 handler
@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    code = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed", 413: "payload_too_large",
            429: "rate_limited"}.get(exc.code, "validation_error")
    response, status = error_response(code, exc.description or exc.name)
    return response, exc.code if 400 <= (exc.code or 0) < 500 else status


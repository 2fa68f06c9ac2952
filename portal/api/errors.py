"""JSON errors as the API contract fixes them: {"error": code, "message": text[, "fields": {...}]}."""
from __future__ import annotations

from flask import jsonify

from portal.errors import ValidationError

STATUS = {
    "unauthorized": 401, "not_found": 404, "method_not_allowed": 405, "validation_error": 422,
    "insufficient_bonus": 409, "insufficient_stock": 409, "not_returnable": 409, "idempotency_conflict": 409,
    "conflict": 409, "rate_limited": 429, "payload_too_large": 413,
}


class ApiError(Exception):
    def __init__(self, code: str, message: str, fields: dict | None = None):
        super().__init__(message)
        self.code, self.message, self.fields = code, message, fields


def error_response(code: str, message, fields: dict | None = None):
    body = {"error": code, "message": str(message)}
    if fields:
        body["fields"] = {name: str(text) for name, text in fields.items()}
    return jsonify(body), STATUS.get(code, 422)


def refusal_response(exc: Exception):
    """The contract's answer to a refusal raised by a view: an ApiError or a service's DomainError."""
    if isinstance(exc, ApiError):
        return error_response(exc.code, exc.message, exc.fields)
    if isinstance(exc, ValidationError):
        return error_response("validation_error", exc.message, exc.fields)
    return error_response(exc.code, exc.message)

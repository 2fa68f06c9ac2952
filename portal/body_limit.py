"""The largest request body the portal reads, and the 413 each door answers above it.

MAX_CONTENT_LENGTH (env PORTAL_MAX_BODY_MB, 16 MiB) caps the web pages and the API. The 1C
exchange tells 1C `file_limit=ONEC_FILE_LIMIT` and then receives files in parts of up to that many
bytes, so its own cap is never below ONEC_FILE_LIMIT, whatever MAX_CONTENT_LENGTH says.

A body announced larger than the cap (Content-Length) is refused before any other work (no session
lookup, no CSRF check, no API key check). A chunked body (no Content-Length; the server, gunicorn,
ends the stream) is read here first, at most cap + 1 bytes, and refused the same way when it is
larger; otherwise the view reads it as if it had come with its length. (Left to Werkzeug, reading a
chunked body stops silently at the cap: a 1C file part or a form would be cut short, not refused.)
Each door answers the RequestEntityTooLarge in its own format, with its own error handler:

- web pages: the translated error page, as the other error pages (portal/web/__init__.py);
- the API (/api/v1): the contract's JSON error {"error": "payload_too_large", "message": …}, 413
  (portal/api/blueprint.py maps 413 to that code);
- the 1C exchange: its plain text `failure` and the reason, 413 (portal/integrations/onec/routes.py).
"""
from __future__ import annotations

import io

from flask import Flask, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

MIB = 1024 * 1024
CHUNK = 64 * 1024


def exchange_limit(config) -> int | None:
    """The cap of the 1C exchange: MAX_CONTENT_LENGTH, but at least ONEC_FILE_LIMIT."""
    limit = config.get("MAX_CONTENT_LENGTH")
    onec = config.get("ONEC_FILE_LIMIT")
    if limit is None:
        return None
    return max(int(limit), int(onec or 0))


def _is_exchange() -> bool:
    return request.blueprint == "onec" or request.path == "/exchange"


def refuse_oversized_body() -> None:
    """before_request: set this request's cap and refuse a body larger than it."""
    if _is_exchange():
        request.max_content_length = exchange_limit(current_app.config)
    limit = request.max_content_length
    if limit is None:
        return
    if request.content_length is not None:
        if request.content_length > limit:
            raise RequestEntityTooLarge()
    elif "chunked" in request.headers.get("Transfer-Encoding", "").lower() \
            and request.environ.get("wsgi.input_terminated"):
        _read_chunked_body(limit)


def _read_chunked_body(limit: int) -> None:
    """Read a chunked body (at most limit + 1 bytes); RequestEntityTooLarge when it is larger, else
    hand it on as a body of known length."""
    environ = request.environ
    stream, data = environ["wsgi.input"], bytearray()
    while len(data) <= limit:
        chunk = stream.read(min(CHUNK, limit + 1 - len(data)))
        if not chunk:
            break
        data += chunk
    request.content_length = len(data)  # Werkzeug caches the None it saw first (more, when too large)
    if len(data) > limit:
        raise RequestEntityTooLarge()
    environ["wsgi.input"] = io.BytesIO(bytes(data))
    environ["CONTENT_LENGTH"] = str(len(data))
    environ.pop("HTTP_TRANSFER_ENCODING", None)


def init_app(app: Flask) -> None:
    """Call right after the configuration is read, so this check runs before every other hook."""
    app.before_request(refuse_oversized_body)

"""/exchange: the door 1C knocks on (GET or POST, `type` and `mode` in the query string).

checkauth (HTTP Basic) → init → file … → import … (catalog) or query → success / file (sale).
Every answer is plain text in ONEC_ENCODING except the orders document of `query`.
"""
from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from portal.extensions import csrf, db
from portal.integrations.onec import catalog_exchange, protocol, sale_exchange
from portal.integrations.onec.protocol import COOKIE_NAME, ExchangeError, failure, reply

log = logging.getLogger(__name__)

bp = Blueprint("onec", __name__)
csrf.exempt(bp)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_exc):
    return failure(f"the request body is larger than the portal accepts ({request.max_content_length} bytes at "
                   "most): send files in parts of at most file_limit bytes", 413)


KINDS = ("catalog", "sale")


@bp.route("/exchange", methods=["GET", "POST"])
def exchange() -> Response:
    kind, mode = request.args.get("type", ""), request.args.get("mode", "")
    if kind not in KINDS:
        return failure(f"unknown type {kind!r}: the portal exchanges catalog and sale", 400)
    basic_ok = protocol.credentials_valid(request.headers.get("Authorization"))
    if mode == "checkauth":
        if not basic_ok:
            return failure("wrong login or password for the 1C exchange", 401)
        token = protocol.open_session(kind)
        return reply("success", COOKIE_NAME, token)
    session = protocol.find_session(request.cookies.get(COOKIE_NAME))
    if session is None:
        if not basic_ok:
            return failure("not signed in: start with mode=checkauth and send its cookie back", 401)
        session = protocol.latest_session(kind)
    try:
        return _serve(kind, mode, session.id)
    except ExchangeError as exc:
        db.session.rollback()
        return failure(str(exc))
    except RequestEntityTooLarge:  # a part larger than the exchange's cap: portal/body_limit.py answers
        db.session.rollback()
        raise
    except Exception:
        db.session.rollback()
        log.exception("1C exchange: %s/%s failed", kind, mode)
        return failure("the portal could not complete this step; nothing of it was saved", 500)


def _serve(kind: str, mode: str, session_id: int) -> Response:
    config = current_app.config
    if mode == "init":
        if kind == "catalog":  # a new catalogue exchange starts from no files and no progress
            catalog_exchange.forget_session_imports(session_id)
            protocol.clear_folder(session_id)
        return reply(f"zip={'yes' if config.get('ONEC_ZIP', True) else 'no'}",
                     f"file_limit={int(config.get('ONEC_FILE_LIMIT'))}")
    if mode == "file":
        data = request.get_data(cache=False)
        if kind == "catalog":
            protocol.receive_file(session_id, request.args.get("filename"), data)
            return reply("success")
        name = request.args.get("filename") or "orders.xml"
        protocol.receive_file(session_id, name, data, unzip=False)
        if len(data) >= int(config.get("ONEC_FILE_LIMIT")):
            return reply("success")  # a part of a file larger than the limit: the rest follows
        return reply("success", *_apply_status_file(session_id, name))
    if kind == "sale" and mode == "import":  # newer 1C versions ask for the upload to be processed
        leftover = protocol.folder_of(session_id) / (protocol.safe_filename(request.args.get("filename")
                                                                            or "orders.xml") or "-")
        return reply("success", *(_apply_status_file(session_id, leftover.name) if leftover.is_file() else []))
    if kind == "catalog" and mode == "import":
        result = catalog_exchange.import_step(session_id, request.args.get("filename"))
        return reply(result.state, result.message)
    if kind == "sale" and mode == "query":
        body = sale_exchange.query(session_id)
        response = Response(body, content_type=f"application/xml; charset={protocol.encoding()}")
        response.headers["Cache-Control"] = "no-store"
        return response
    if kind == "sale" and mode == "success":
        marked = sale_exchange.confirm(session_id)
        return reply("success", f"{marked} events confirmed")
    if kind == "catalog" and mode in ("complete", "deactivate"):  # sent by newer 1C versions at the end
        return reply("success")
    raise ExchangeError(f"unknown mode {mode!r} for type={kind}")


def _apply_status_file(session_id: int, name: str) -> list[str]:
    """Apply 1C's uploaded orders file (XML, or a zip of them) and remove it; the notes per order."""
    path = protocol.stored_file(session_id, name)
    try:
        notes: list[str] = []
        for _member, xml in protocol.body_files(path.read_bytes()):
            notes += sale_exchange.apply_status_file(xml)
        return notes
    finally:
        path.unlink(missing_ok=True)

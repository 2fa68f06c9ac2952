"""The exchange user, sessions, plain-text replies and uploaded files of the 1C exchange.

* 1C signs in with HTTP Basic as ONEC_LOGIN / ONEC_PASSWORD (no login configured: the exchange is
  off and every request is refused). `checkauth` answers `success`, the cookie name and a random
  cookie value; 1C sends that cookie with every later request. Only the value's SHA-256 is stored;
  a session unused for SESSION_HOURS is gone. Basic credentials are accepted on any request too.
* Uploaded files live in `<instance>/onec/<session id>/`: a name is reduced to its last part and
  must be letters, digits, `.`, `_`, `-` (no path, no `..`); parts of a file larger than the
  limit are appended in order. A complete zip is unpacked there (members named the same safe way,
  at most MAX_UNPACKED bytes in all) and removed. Pictures (`import_files/...`) are accepted and
  dropped: the portal shows no product pictures.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import io
import re
import secrets
import shutil
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

from flask import Response, current_app

from portal.extensions import db
from portal.models import OnecSession, utcnow
from portal.services.transactions import operation

COOKIE_NAME = "portal_1c"
SESSION_HOURS = 24
MAX_UNPACKED = 2 * 1024 ** 3
_SAFE_NAME = re.compile(r"^[\w.\-]{1,200}$")


class ExchangeError(Exception):
    """The request cannot be served; the message goes to 1C after `failure`."""


# ------------------------------------------------------------------------------------ replies

def encoding() -> str:
    return current_app.config.get("ONEC_ENCODING") or "utf-8"


def reply(*lines: str, status: int = 200) -> Response:
    """The protocol's plain-text answer: `success` / `failure` / `progress` and what follows."""
    body = "\n".join(lines).encode(encoding(), errors="replace")
    response = Response(body, status=status, content_type=f"text/plain; charset={encoding()}")
    response.headers["Cache-Control"] = "no-store"
    return response


def failure(message: str, status: int = 200) -> Response:
    response = reply("failure", message, status=status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="1C exchange", charset="UTF-8"'
    return response


# ------------------------------------------------------------------------------------ authentication

def credentials_valid(header: str | None) -> bool:
    """HTTP Basic for the configured exchange user, compared in constant time."""
    login, password = current_app.config.get("ONEC_LOGIN", ""), current_app.config.get("ONEC_PASSWORD", "")
    if not login or not header:
        return False
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
    except ValueError:
        return False
    for charset in ("utf-8", "cp1251"):  # 1C 8.2 sends its credentials in the Windows code page
        try:
            given_login, sep, given_password = raw.decode(charset).partition(":")
        except UnicodeDecodeError:
            continue
        if sep:
            ok_login = hmac.compare_digest(given_login.encode(), login.encode())
            ok_password = hmac.compare_digest(given_password.encode(), password.encode())
            return ok_login and ok_password
    return False


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@operation
def open_session(kind: str, now: datetime | None = None) -> str:
    """A new exchange session; returns the cookie value (shown once, kept only as a hash)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    db.session.add(OnecSession(token_hash=_hash(token), kind=kind, created_at=now, last_seen_at=now))
    _forget_old_sessions(now)
    return token


@operation
def find_session(token: str | None, now: datetime | None = None) -> OnecSession | None:
    if not token:
        return None
    now = now or utcnow()
    found = db.session.scalar(db.select(OnecSession).where(OnecSession.token_hash == _hash(token)))
    if found is None or found.last_seen_at < now - timedelta(hours=SESSION_HOURS):
        return None
    found.last_seen_at = now
    return found


@operation
def latest_session(kind: str, now: datetime | None = None) -> OnecSession:
    """For a request with valid Basic credentials but no cookie (some 1C versions send only the
    credentials): the newest live session of that kind, or a new one. Files and import progress
    belong to a session, so a new session per request would lose them."""
    now = now or utcnow()
    found = db.session.scalar(db.select(OnecSession).where(
        OnecSession.kind == kind, OnecSession.last_seen_at >= now - timedelta(hours=SESSION_HOURS))
        .order_by(OnecSession.last_seen_at.desc(), OnecSession.id.desc()).limit(1))
    if found is None:
        return find_session(open_session(kind, now), now)
    found.last_seen_at = now
    return found


def _forget_old_sessions(now: datetime) -> None:
    """Sessions idle for a day go, with their files (their import progress is of no use any more)."""
    old = list(db.session.scalars(db.select(OnecSession).where(
        OnecSession.last_seen_at < now - timedelta(hours=SESSION_HOURS))))
    for session in old:
        shutil.rmtree(folder_of(session.id), ignore_errors=True)
        db.session.delete(session)


# ------------------------------------------------------------------------------------ files

def folder_of(session_id: int) -> Path:
    return Path(current_app.instance_path) / "onec" / str(int(session_id))


def safe_filename(name: str | None) -> str | None:
    """The file's name to keep, None for a picture (dropped), or ExchangeError."""
    name = (name or "").replace("\\", "/").strip()
    if not name:
        raise ExchangeError("filename is missing")
    parts = [p for p in name.split("/") if p]
    if any(p in (".", "..") for p in parts) or name.startswith("/"):
        raise ExchangeError(f"filename {name!r} is not allowed")
    if len(parts) > 1 and parts[0] == "import_files":
        return None
    if len(parts) != 1 or not _SAFE_NAME.match(parts[0]) or parts[0].startswith("."):
        raise ExchangeError(f"filename {name!r} is not allowed")
    return parts[0]


def clear_folder(session_id: int) -> None:
    shutil.rmtree(folder_of(session_id), ignore_errors=True)


def receive_file(session_id: int, filename: str | None, data: bytes, *, unzip: bool = True) -> None:
    """Append a part of an uploaded file; unpack a zip once it is complete (unless told not to)."""
    name = safe_filename(filename)
    if name is None:
        return
    folder = folder_of(session_id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    with path.open("ab") as out:
        out.write(data)
    if unzip and name.lower().endswith(".zip") and zipfile.is_zipfile(path):
        try:
            unpack(path, folder)
        finally:
            path.unlink(missing_ok=True)


def unpack(path: Path, folder: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if sum(m.file_size for m in members) > MAX_UNPACKED:
            raise ExchangeError("the archive unpacks to more than the portal accepts")
        for member in members:
            try:
                name = safe_filename(member.filename)
            except ExchangeError:
                raise ExchangeError(f"the archive holds a file named {member.filename!r}, which is not allowed") \
                    from None
            if name is None:
                continue
            with archive.open(member) as source, (folder / name).open("wb") as target:
                shutil.copyfileobj(source, target, 1024 * 1024)


def stored_file(session_id: int, filename: str | None) -> Path:
    name = safe_filename(filename)
    if name is None:
        raise ExchangeError(f"{filename} is not a file the portal imports")
    path = folder_of(session_id) / name
    if not path.is_file():
        raise ExchangeError(f"{name} has not been uploaded in this session")
    return path


def body_files(data: bytes) -> list[tuple[str, bytes]]:
    """A request body as (name, bytes) of XML documents: itself, or the members of a zip."""
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return [(m.filename, archive.read(m)) for m in archive.infolist()
                        if not m.is_dir() and m.filename.lower().endswith(".xml")]
        except zipfile.BadZipFile:
            raise ExchangeError("the uploaded archive is damaged") from None
    return [("", data)]

"""GET /healthz for load balancers, and the line the portal logs when it starts.

/healthz answers 200 {"status": "ok", "database": "ok", "migrations": "head"} when the database
answers `SELECT 1` and its alembic_version is the head of migrations/; otherwise 503 with
"status": "fail" and what failed: {"database": "error: OperationalError"} (the details go to the
log, not to whoever asks) or {"migrations": "behind: db 0012, head 0014"}.

It is a route of no blueprint, so the web's before-request hook does not load the signed-in user:
no session is read from the database, none is written, no cookie is set, and no CSRF or rate limit
applies. It costs one pooled connection and two tiny queries; the head revision is read from the
migration scripts once per process.
"""
from __future__ import annotations

import functools
import logging
from pathlib import Path

import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Flask, current_app, jsonify

from portal.extensions import db

log = logging.getLogger("portal.health")


@functools.cache
def _script(directory: str):
    config = Config()
    config.set_main_option("script_location", directory)
    return ScriptDirectory.from_config(config)


@functools.cache
def _heads_and_count(directory: str) -> tuple[tuple[str, ...], int]:
    """The head revision(s) of the migrations folder and how many revisions it has (read once)."""
    script = _script(directory)
    return tuple(sorted(script.get_heads())), sum(1 for _ in script.walk_revisions())


def migrations_folder(app: Flask) -> str:
    migrate_state = app.extensions.get("migrate")
    folder = getattr(migrate_state, "directory", None)
    return str(Path(folder or Path(app.root_path).parent / "migrations").resolve())


def check(app: Flask | None = None) -> tuple[dict, bool]:
    """The health report and whether everything is fine; a database that fails is part of the report."""
    app = app or current_app
    folder = migrations_folder(app)
    head = _heads_and_count(folder)[0]
    try:
        with db.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
            try:
                found = tuple(sorted(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()))
            except sa.exc.DBAPIError:  # no alembic_version table: no migration has run
                found = ()
            conn.rollback()
    except Exception as exc:  # noqa: BLE001 - any failure to reach the database is the answer
        log.warning("health check: the database does not answer: %s: %s", type(exc).__name__, exc)
        return {"status": "fail", "database": f"error: {type(exc).__name__}"}, False
    if found == head:
        return {"status": "ok", "database": "ok", "migrations": "head"}, True
    return {"status": "fail", "database": "ok",
            "migrations": f"{_how_far(folder, found)}: db {_names(found)}, head {_names(head)}"}, False


def _names(revisions: tuple[str, ...]) -> str:
    return "+".join(revisions) if revisions else "none"


def _how_far(folder: str, found: tuple[str, ...]) -> str:
    """"behind" when the database has revisions of the folder (or none), "unknown" when it has one
    the folder lacks (a database migrated by newer code, or by another application)."""
    script = _script(folder)
    for revision in found:
        try:
            if script.get_revision(revision) is None:
                return "unknown"
        except Exception:  # noqa: BLE001 - alembic raises for an id it has never seen
            return "unknown"
    return "behind"


def healthz():
    report, ok = check()
    response = jsonify(report)
    response.status_code = 200 if ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.add_url_rule("/healthz", endpoint="healthz", view_func=healthz, methods=["GET"])


def log_started(app: Flask) -> None:
    """One line when the app is made (not in tests, which make hundreds): where the database is and
    whether its schema is at the head of the migrations. WARNING when it is not."""
    if app.testing:
        return
    with app.app_context():
        url = db.engine.url.render_as_string(hide_password=True)
        head, count = _heads_and_count(migrations_folder(app))
        report, ok = check(app)
    if ok:
        log.info("portal started: database %s, %d migrations, at head %s", url, count, _names(head))
    else:
        log.warning("portal started: database %s, %d migrations, head %s: %s", url, count, _names(head),
                    ", ".join(f"{k} {v}" for k, v in report.items() if k != "status" and v != "ok"))

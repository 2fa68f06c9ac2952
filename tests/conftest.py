"""Fixtures as in the Flask tutorial (`app`, `client`, `runner`) on a real, migrated database.

The database is SQLite in a temporary folder, or, with TEST_DATABASE_URL pointing at a
PostgreSQL server, a fresh database created on that server for this run and dropped after it.
The schema always comes from the migrations. Every test starts with empty tables.
"""
from __future__ import annotations

import os
import shutil
import uuid

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.extensions import db
from portal.integrations.onec import orders_document

from .e2e.support import playwright_plugin_active
from .factories import DEFAULT_PASSWORD, make_staff
from .integration.onec import document_check

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    # A cheap hash keeps the suite fast; production uses Argon2id (tested explicitly in test_auth.py).
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    "SMS_BACKEND": "file",
    "PORTAL_COUNTRY": "RU",
    "PORTAL_CURRENCY": "RUB",
    "BABEL_DEFAULT_LOCALE": "en",
    "RATELIMIT_ENABLED": False,  # on only in tests marked `ratelimit`
}


def _server_admin_url(url: str) -> sa.URL:
    return sa.make_url(url).set(drivername="postgresql+psycopg", database="postgres")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "portal-test.sqlite3")
        return
    name = f"portal_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(_server_admin_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        # Tests need no durability: without waiting for the WAL flush on every commit the suite
        # runs several times faster on a small machine.
        yield sa.make_url(url).set(drivername="postgresql+psycopg", database=name).update_query_dict(
            {"options": "-c synchronous_commit=off"}).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def migrated(database_url):
    """Build the schema once per run, from the migrations only."""
    from flask_migrate import upgrade

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


# Tables that refuse DELETE (the ledger's append-only trigger): emptied with TRUNCATE.
APPEND_ONLY = ("ledger_entries", "bonus_lot_moves")


def empty_all_tables() -> None:
    """Leave every table empty and every id counting from 1 again, as a fresh database.

    On PostgreSQL a TRUNCATE of all tables costs a quarter of a second (new files for each), so
    only the tables a test wrote to are emptied: DELETE for most, TRUNCATE for the append-only
    ones, then every sequence starts again at 1."""
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        probe = " UNION ALL ".join(f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")" for t in tables)
        written = {name for name, in db.session.execute(sa.text(probe))}
        frozen = [name for name in APPEND_ONLY if name in written]
        if frozen:
            db.session.execute(sa.text("TRUNCATE " + ", ".join(f'"{n}"' for n in frozen) + " CASCADE"))
        for table in tables:
            if table.name in written and table.name not in APPEND_ONLY:
                db.session.execute(table.delete())
        db.session.execute(sa.text("SELECT setval(c.oid, 1, false) FROM pg_class c WHERE c.relkind = 'S'"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def app(request, migrated):
    config = {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": migrated,
              "WTF_CSRF_ENABLED": request.node.get_closest_marker("csrf") is not None,
              "RATELIMIT_ENABLED": request.node.get_closest_marker("ratelimit") is not None}
    app = create_app(config)
    yield app
    with app.app_context():
        db.session.rollback()
        empty_all_tables()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def orders_documents_are_checked(monkeypatch):
    """Every CommerceML orders document a test makes (through `mode=query` or directly) passes the
    structural check of tests/integration/onec/document_check before anyone reads it."""
    build = orders_document.build

    def checked(*args, **kwargs):
        data = build(*args, **kwargs)
        document_check.check(data)
        return data

    checked.__wrapped__ = build
    monkeypatch.setattr(orders_document, "build", checked)


@pytest.fixture
def ctx(app):
    """An application context for calling services directly."""
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def login(app, client):
    """login("manager") creates a staff member of that role (with what it needs) and signs in."""

    def do_login(role: str, **kwargs):
        with app.app_context():
            user = make_staff(role, **kwargs)
            email, user_id = user.email, user.id
        response = client.post("/login", data={"email": email, "password": DEFAULT_PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        return user_id

    return do_login


def pytest_configure(config):
    config.addinivalue_line("markers", "csrf: run this test with CSRF protection switched on")
    config.addinivalue_line("markers", "ratelimit: run this test with rate limiting switched on")
    config.addinivalue_line("markers", "e2e: browser test (Playwright driving Chromium)")
    config.addinivalue_line("markers", "postgres: needs PostgreSQL")
    if playwright_plugin_active(config.pluginmanager):
        # pytest-playwright (the browser tests): a failed test leaves a full-page screenshot of
        # every page it opened in test-artifacts/<test>/ (--output DIR and --screenshot on still apply).
        if config.option.output == "test-results":  # the plugin's default
            config.option.output = str(config.rootpath / "test-artifacts")
        if config.option.screenshot == "off":  # the plugin's default
            config.option.screenshot = "only-on-failure"
        config.option.full_page_screenshot = True


def pytest_sessionstart(session):
    """The browser tests' artifacts folder holds this run's only: emptied once, before any test, by
    the process that runs them or, under xdist, by the controller (see `delete_output_dir`)."""
    config = session.config
    if playwright_plugin_active(config.pluginmanager) and not hasattr(config, "workerinput"):
        shutil.rmtree(config.option.output, ignore_errors=True)


@pytest.fixture(scope="session")
def delete_output_dir():
    """Replaces pytest-playwright's autouse fixture of this name, which empties the artifacts folder
    in each xdist worker at its first test, possibly after another worker has saved a failed test's
    screenshots there. pytest_sessionstart empties it instead."""


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` run on the suite's database when it is PostgreSQL, and otherwise on a
    fresh PostgreSQL database of their own. PORTAL_POSTGRES_TESTS=suite-only leaves them out of a
    run on SQLite (CI sets it for its SQLite pass: its PostgreSQL pass runs them), as deselected
    tests, which the summary counts; they are not skipped."""
    if os.environ.get("PORTAL_POSTGRES_TESTS") != "suite-only":
        return
    if sa.make_url(os.environ.get("TEST_DATABASE_URL") or "sqlite://").get_backend_name() == "postgresql":
        return
    chosen, left_out = [], []
    for item in items:
        (left_out if item.get_closest_marker("postgres") else chosen).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = chosen


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """With PORTAL_NO_SKIPS=1 (CI), a skipped test is a failed test: CI has every dependency."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("PORTAL_NO_SKIPS") == "1" and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.longrepr = f"skipped in CI, where nothing may be skipped: {reason}"

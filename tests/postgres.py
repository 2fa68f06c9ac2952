"""PostgreSQL for the tests that need it (concurrency, crash safety), whichever engine the suite runs on.

`postgres_database(migrated, prefix)` yields the suite's database when the suite runs on PostgreSQL
(TEST_DATABASE_URL); otherwise it creates a fresh database on the server at TEST_POSTGRES_URL
(default the local one), builds it with the migrations, yields its URL and drops it afterwards. It
skips with the reason only when no server is reachable (CI, with PORTAL_NO_SKIPS=1, counts that
skip as a failure)."""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def reachable(url: str) -> str | None:
    """None when a connection to `url` opens; else why not, in one line."""
    try:
        engine = sa.create_engine(url)
        with engine.connect():
            pass
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure to connect means: not reachable
        return f"{type(exc).__name__}: {exc}".splitlines()[0]


def postgres_database(migrated: str, prefix: str) -> Iterator[str]:
    """The body of a module-scoped fixture: `yield from postgres_database(migrated, "portal_x")`."""
    backend = sa.make_url(migrated).get_backend_name()
    if backend == "postgresql":
        yield migrated
        return
    problem = reachable(POSTGRES_URL)
    if problem:
        pytest.skip(f"the suite runs on {backend} and no PostgreSQL server is reachable at {POSTGRES_URL} "
                    f"(set TEST_POSTGRES_URL): {problem}")
    from flask_migrate import upgrade

    from portal import create_app
    from portal.extensions import db

    from .conftest import TEST_CONFIG

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(sa.make_url(POSTGRES_URL).set(drivername="postgresql+psycopg"),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        # As the suite's own PostgreSQL database: no waiting for the WAL flush on each commit.
        url = sa.make_url(POSTGRES_URL).set(drivername="postgresql+psycopg", database=name).update_query_dict(
            {"options": "-c synchronous_commit=off"}).render_as_string(hide_password=False)
        builder = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
        with builder.app_context():
            upgrade()
            db.engine.dispose()
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

"""The schema comes only from the migrations, and they agree with the models, on both engines."""
import os
import uuid
import warnings

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from portal import create_app
from portal.extensions import db

from ..conftest import TEST_CONFIG

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _postgres_available() -> bool:
    try:
        engine = sa.create_engine(POSTGRES_URL)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_database(request, tmp_path):
    if request.param == "sqlite":
        yield "sqlite:///" + str(tmp_path / "fresh.sqlite3")
        return
    if not _postgres_available():
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_URL} (set TEST_POSTGRES_URL)")
    name = f"portal_migr_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


EXPRESSION_INDEXES = ("ix_products_sku_lower",)
# Made by the migrations on PostgreSQL only, not in the models (a trigram index for product search).
POSTGRESQL_ONLY_INDEXES = ("ix_products_search_trgm",)


def test_migrations_build_exactly_the_models_schema(fresh_database):
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": fresh_database})
    with app.app_context():
        upgrade()
        sqlite = db.engine.dialect.name == "sqlite"

        def comparable(obj, name, kind, reflected, compare_to):
            # SQLite's reflection skips an index on an expression (lower(sku)); it is checked below.
            return not (kind == "index" and (sqlite and name in EXPRESSION_INDEXES or name in POSTGRESQL_ONLY_INDEXES))

        with db.engine.connect() as conn, warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Skipped unsupported reflection of expression-based index")
            diff = compare_metadata(MigrationContext.configure(
                conn, opts={"compare_type": True, "include_object": comparable}), db.metadata)
            if sqlite:
                made = set(conn.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'index'")).scalars())
                assert set(EXPRESSION_INDEXES) <= made
            else:
                made = set(conn.execute(sa.text("SELECT indexname FROM pg_indexes WHERE tablename = 'products'"))
                           .scalars())
                assert set(POSTGRESQL_ONLY_INDEXES) <= made
        assert diff == [], f"models and migrations disagree: {diff}"
        # Every migration can be undone and redone.
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert "users" in sa.inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_money_columns_are_integers_of_minor_units():
    from portal import models  # noqa: F401
    money_columns = {("products", "price"), ("clients", "credit_limit")}
    for table, column in money_columns:
        col = db.metadata.tables[table].c[column]
        assert isinstance(col.type, sa.Integer), (table, column, col.type)
    for table in db.metadata.tables.values():
        for col in table.c:
            assert not isinstance(col.type, (sa.Float, sa.Numeric)) or isinstance(col.type, sa.Integer), \
                f"{table.name}.{col.name} must not be a float/numeric money column"

"""On PostgreSQL, product search reads the trigram index of migration 0018 on products.search_text
rather than the whole table; the column is computed as the model says."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.extensions import db
from portal.models import Product
from portal.models.catalog import SEARCH_TEXT

from ...conftest import TEST_CONFIG, empty_all_tables
from ...postgres import postgres_database

pytestmark = pytest.mark.postgres

MIGRATION = Path(__file__).parents[3] / "migrations" / "versions" / "0018_product_search.py"


@pytest.fixture(scope="module")
def pg_database(migrated):
    yield from postgres_database(migrated, "portal_search")


def test_the_model_and_the_migration_compute_the_same_search_text():
    spec = importlib.util.spec_from_file_location("migration_0018", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert SEARCH_TEXT == migration.SEARCH_TEXT


def test_search_reads_the_trigram_index(pg_database):
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": pg_database})
    with app.app_context():
        empty_all_tables()
        try:
            query = sa.select(Product.id).where(Product.search_text.like("%шаров%"),
                                                Product.search_text.like("%valtec%"))
            compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
            db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
            plan = "\n".join(db.session.execute(sa.text(f"EXPLAIN {compiled}")).scalars())
            assert "ix_products_search_trgm" in plan, plan
        finally:
            db.session.rollback()
            db.engine.dispose()

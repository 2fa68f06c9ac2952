"""Many tills at once on PostgreSQL: no overdraft, no deadlock, no error but InsufficientBonus, and the
append-only trigger.

When the suite itself runs on PostgreSQL (TEST_DATABASE_URL) these tests use its database; on
the SQLite run they create one fresh PostgreSQL database for this module (TEST_POSTGRES_URL,
default the local server), build it with the migrations, and drop it afterwards. They skip only when no PostgreSQL
server is reachable (and CI, with PORTAL_NO_SKIPS=1, counts that skip as a failure).
"""
from __future__ import annotations

import os
import threading
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from portal import create_app, ledger
from portal.extensions import db
from portal.models import Channel, Order, Stock
from portal.services import sales
from portal.services.sales import Sale, SaleLine

from ...conftest import TEST_CONFIG, empty_all_tables
from ...factories import make_client, make_location, make_product, make_staff

pytestmark = pytest.mark.postgres

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
THREADS = 20
ENGINE_OPTIONS = {"pool_size": THREADS + 2, "max_overflow": 5, "pool_timeout": 60}


def _reachable(url) -> str | None:
    try:
        engine = sa.create_engine(url)
        with engine.connect():
            pass
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure to connect means: not reachable
        return f"{type(exc).__name__}: {exc}".splitlines()[0]


@pytest.fixture(scope="module")
def pg_database(migrated):
    """The suite's database when it is PostgreSQL; otherwise a fresh one for this module."""
    backend = sa.make_url(migrated).get_backend_name()
    if backend == "postgresql":
        yield migrated
        return
    problem = _reachable(POSTGRES_URL)
    if problem:
        pytest.skip(f"the suite runs on {backend} and no PostgreSQL server is reachable at {POSTGRES_URL} "
                    f"(set TEST_POSTGRES_URL): {problem}")
    from flask_migrate import upgrade
    name = f"portal_conc_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(sa.make_url(POSTGRES_URL).set(drivername="postgresql+psycopg"),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        url = sa.make_url(POSTGRES_URL).set(drivername="postgresql+psycopg", database=name).render_as_string(
            hide_password=False)
        builder = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
        with builder.app_context():
            upgrade()
            db.engine.dispose()
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_app(pg_database):
    """An app on PostgreSQL with a pool big enough for every thread to hold a connection; every
    test starts and ends with empty tables."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": pg_database,
                      "SQLALCHEMY_ENGINE_OPTIONS": ENGINE_OPTIONS})
    with app.app_context():
        assert db.engine.dialect.name == "postgresql"
        empty_all_tables()
    yield app
    with app.app_context():
        db.session.rollback()
        empty_all_tables()
        db.engine.dispose()


@pytest.fixture
def funded(pg_app):
    """A shop with drills in stock and a client holding 1000.00 of available bonus."""
    with pg_app.app_context():
        warehouse = make_location("warehouse", code="MAIN", is_main=True)
        make_product("DRILL", 1_000_00, stock={warehouse: 1000})
        client = make_client(name="Contested")
        boss = make_staff("supervisor")
        ledger.adjust(boss, client.id, 1_000_00, "opening balance", "opening")
        db.session.commit()
        assert ledger.bonus_of(client.id).available == 1_000_00
        return {"app": pg_app, "client_id": client.id, "warehouse_id": warehouse.id}


def run_at_once(app, client_id, work):
    """Run work(i) in THREADS threads released together, each in its own app context (own session).
    Returns each thread's result or exception, and the client's available balance as each thread
    read it after its own commit or rollback."""
    barrier = threading.Barrier(THREADS)
    outcomes: list = [None] * THREADS
    seen_balances: list[int] = []

    def worker(i):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                outcomes[i] = work(i)
            except Exception as exc:  # noqa: BLE001 - every outcome is inspected by the test
                db.session.rollback()
                outcomes[i] = exc
            finally:
                # Whatever happened, the balance as another till would read it now.
                seen_balances.append(ledger.bonus_of(client_id).available)
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a till is still waiting: deadlock?"
    return outcomes, seen_balances


class Redeem:
    def __init__(self, client_id, amount):
        self.client_id, self.amount = client_id, amount

    def __call__(self, i):
        try:
            ledger.redeem(self.client_id, self.amount, f"till:{i}:{uuid.uuid4().hex}")
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        return self.amount


class SellWithBonus:
    def __init__(self, client_id, warehouse_id, bonus):
        self.client_id, self.warehouse_id, self.bonus = client_id, warehouse_id, bonus

    def __call__(self, i):
        order = sales.place_paid_order(Sale(
            channel=Channel.SHOP, lines=[SaleLine(qty=1, sku="DRILL")], location_id=self.warehouse_id,
            client_id=self.client_id, bonus_to_redeem=self.bonus))
        return order.bonus_redeemed


def check_outcomes(app, client_id, outcomes, seen, amount):
    errors = [o for o in outcomes if isinstance(o, Exception)]
    others = [e for e in errors if not isinstance(e, ledger.InsufficientBonus)]
    assert not others, f"only InsufficientBonus may fail a till: {others!r}"
    spent = sum(o for o in outcomes if not isinstance(o, Exception))
    assert spent == amount * (THREADS - len(errors))
    with app.app_context():
        final = ledger.bonus_of(client_id).available
        check = ledger.verify()
    assert spent <= 1_000_00
    assert spent == 1_000_00 - final
    if errors:  # a till is refused only when what is left cannot pay it
        assert final < amount
    assert min(seen) >= 0 and final >= 0
    assert check.ok, check.problems
    return spent, final


def test_twenty_tills_redeeming_at_once_never_overdraw(funded):
    app, client_id = funded["app"], funded["client_id"]
    outcomes, seen = run_at_once(app, client_id, Redeem(client_id, 75_00))
    spent, final = check_outcomes(app, client_id, outcomes, seen, 75_00)
    assert (spent, final) == (975_00, 25_00)   # 13 of 20 succeed: 13 x 75.00 = 975.00 <= 1000.00 < 14 x 75.00


def test_twenty_tills_selling_with_bonus_at_once_never_overdraw(funded):
    app, client_id = funded["app"], funded["client_id"]
    outcomes, seen = run_at_once(app, client_id, SellWithBonus(client_id, funded["warehouse_id"], 75_00))
    spent, final = check_outcomes(app, client_id, outcomes, seen, 75_00)
    assert (spent, final) == (975_00, 25_00)
    sold = len([o for o in outcomes if not isinstance(o, Exception)])
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Order.id))) == sold == 13
        assert db.session.scalar(sa.select(Stock.quantity)) == 1000 - sold
        bonus = ledger.bonus_of(client_id)
        assert bonus.pending == sold * 46_25   # 5 % of 925.00 paid in money per sale


@pytest.mark.parametrize("statement", [
    "UPDATE ledger_entries SET amount = amount + 1",
    "DELETE FROM ledger_entries",
    "UPDATE bonus_lot_moves SET amount = amount - 1",
    "DELETE FROM bonus_lot_moves",
])
def test_the_ledger_is_append_only_in_the_database(funded, statement):
    app = funded["app"]
    with app.app_context():
        ledger.redeem(funded["client_id"], 10_00, "one move")
        db.session.commit()
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(sa.text(statement))
        db.session.rollback()
        assert ledger.verify().ok

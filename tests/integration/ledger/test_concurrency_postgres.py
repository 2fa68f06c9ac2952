"""Many tills at once on PostgreSQL: fifty tills selling with bonus to one client (no overdraft, no
deadlock or lock error reaching a cashier, every refusal the till's clean "not enough bonus"), and
the append-only trigger.

When the suite itself runs on PostgreSQL (TEST_DATABASE_URL) these tests use its database; on
the SQLite run they create one fresh PostgreSQL database for this module (TEST_POSTGRES_URL,
default the local server), build it with the migrations, and drop it afterwards. They skip only when no PostgreSQL
server is reachable (and CI, with PORTAL_NO_SKIPS=1, counts that skip as a failure).
"""
from __future__ import annotations

import logging
import os
import random
import re
import threading
from dataclasses import dataclass
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from portal import create_app, ledger
from portal.errors import ValidationError
from portal.extensions import db
from portal.models import LedgerOperation, OperationKind, Order, Shift, Stock, User
from portal.services import transactions
from portal.services.clients import bonus as bonus_service
from portal.services.sales import shifts, stock, till
from portal.services.sales.pricing import price_lines

from ...conftest import TEST_CONFIG, empty_all_tables
from ...factories import make_client, make_location, make_product, make_staff
from ...postgres import postgres_database

pytestmark = pytest.mark.postgres

TILLS = 50
# One connection per till and one for the test itself: under the 55 a module may use (the
# server's max_connections is 100 and other xdist workers run beside it).
ENGINE_OPTIONS = {"pool_size": TILLS + 1, "max_overflow": 0, "pool_timeout": 60}


@pytest.fixture(scope="module")
def pg_database(migrated):
    """The suite's database when it is PostgreSQL; otherwise a fresh one for this module."""
    yield from postgres_database(migrated, "portal_conc")


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
        bonus_service.adjust(boss, client.id, 1_000_00, "opening balance", "opening")
        db.session.commit()
        assert ledger.bonus_of(client.id).available == 1_000_00
        return {"app": pg_app, "client_id": client.id, "warehouse_id": warehouse.id}


# --- fifty tills, one client ---------------------------------------------------------------------

SHOPS = 5                  # TILLS cashiers with open shifts, ten tills in each of five shops
# Sales each till tries. The soak size is 200 (10 000 attempts: PORTAL_TILL_ATTEMPTS=200),
# which passes but takes about 13 minutes on the 2-CPU CI machine (some 50 ms of Python per attempt
# through the whole till path, all 50 threads sharing one interpreter); CI uses 6 (300 attempts,
# about 15 s). The 10 000 attempts run on the redemption itself, in the test after this one.
ATTEMPTS_PER_TILL = int(os.environ.get("PORTAL_TILL_ATTEMPTS", "6"))
CARD = "C-777"
CATALOGUE = [("DRILL", 1_000_00), ("VALVE", 99_99), ("NUT", 33_33)]
IN_EACH_SHOP = 10_000      # more of each product than the attempts can sell
# What the till says when the bonus cannot pay: at the cart (set_bonus) and at "Pay" (checkout).
AT_MOST = re.compile(r"At most (\d+\.\d\d) of bonus can be spent on this cart\.")
NOT_ENOUGH = re.compile(r"Not enough bonus: (\d+\.\d\d) available, (\d+\.\d\d) wanted\.")


@dataclass(frozen=True)
class Attempt:
    lines: tuple[tuple[int, int], ...]   # (product id, qty), in the order the cashier scans them
    bonus: int                           # what the client wants to spend (within the order's cap)
    tendered: int                        # cash handed over: the shelf price, always enough


def plan_attempts(products: dict[int, int], seed: int) -> list[Attempt]:
    """One till's sales: mostly one line, some two lines scanned in either order, any bonus up
    to the programme's cap of the cart."""
    rng = random.Random(seed)
    ids, programme = sorted(products), ledger.settings.Programme()
    attempts = []
    for _ in range(ATTEMPTS_PER_TILL):
        picked = rng.sample(ids, 2 if rng.random() < 0.2 else 1)
        lines = tuple((pid, rng.randint(1, 3)) for pid in picked)
        priced = price_lines([(products[pid], qty, True) for pid, qty in lines], discount_bp=500, bonus=0,
                             max_redeem_share_bp=programme.max_redeem_share_bp,
                             accrual_rate_bp=programme.accrual_rate_bp)
        attempts.append(Attempt(lines, rng.randint(1, priced.redeem_cap),
                                sum(products[pid] * qty for pid, qty in lines)))
    return attempts


def _amount(text: str) -> int:
    return int(Decimal(text) * 100)


def till_at_work(app, cashier_id: int, attempts: list[Attempt], barrier: threading.Barrier) -> list[tuple]:
    """A cashier ringing up `attempts` one after another at the till, as the cashier's screens do:
    scan, attach the client by card, spend bonus, pay cash. Returns one outcome per attempt."""
    outcomes = []
    with app.app_context():
        try:
            cashier = db.session.get(User, cashier_id)
            barrier.wait(timeout=60)
            for attempt in attempts:
                try:
                    for product_id, qty in attempt.lines:
                        till.add(cashier, product_id, by=qty)
                    till.attach_client(cashier, CARD)
                    try:
                        till.set_bonus(cashier, attempt.bonus)
                    except ValidationError as refused:
                        outcomes.append(("refused at the cart", attempt, str(refused.fields.get("bonus", refused))))
                        till.clear(cashier)
                        continue
                    version = till.cart_of(cashier).version
                    try:
                        done = till.checkout(cashier, card=0, cash_tendered=attempt.tendered, version=version)
                    except ledger.InsufficientBonus as refused:
                        outcomes.append(("refused at pay", attempt, str(refused.message)))
                        till.clear(cashier)
                        continue
                    outcomes.append(("sold", attempt, done.order.id))
                except Exception as exc:  # noqa: BLE001 - anything else is what the test looks for
                    db.session.rollback()
                    outcomes.append(("error", attempt, f"{type(exc).__module__}.{type(exc).__name__}: {exc}"))
                    till.clear(cashier)
        finally:
            db.session.remove()
    return outcomes


@pytest.fixture
def fifty_tills(pg_app):
    """Five shops with ten cashiers each on an open shift, three products in every shop, and one
    5 % client funded with 60 % of the bonus the tills' planned sales will ask for."""
    with pg_app.app_context():
        shops = [make_location("shop", code=f"SHOP{n}") for n in range(SHOPS)]
        products = {make_product(sku, price, stock=dict.fromkeys(shops, IN_EACH_SHOP)).id: price
                    for sku, price in CATALOGUE}
        cashiers = []
        for n in range(TILLS):
            cashier = make_staff("cashier", shop=shops[n % SHOPS])
            shifts.open_shift(cashier, 0)
            cashiers.append(cashier.id)
        plans = {cashier_id: plan_attempts(products, seed=n) for n, cashier_id in enumerate(cashiers)}
        asked = sum(a.bonus for plan in plans.values() for a in plan)
        funded = asked * 3 // 5    # 60 %, exactly in minor units
        client = make_client(name="Contested", card_number=CARD, discount_bp=500)
        bonus_service.adjust(make_staff("supervisor"), client.id, funded, "opening balance", "opening")
        db.session.commit()
        assert ledger.bonus_of(client.id).available == funded
        return {"app": pg_app, "client_id": client.id, "plans": plans, "funded": funded, "asked": asked,
                "shops": [s.id for s in shops], "products": products}


def test_fifty_tills_selling_with_bonus_to_one_client_never_overdraw_and_refuse_cleanly(fifty_tills, caplog):
    app, client_id, plans, funded = (fifty_tills[k] for k in ("app", "client_id", "plans", "funded"))
    caplog.set_level(logging.WARNING, logger=transactions.__name__)
    barrier = threading.Barrier(TILLS)
    results: dict[int, list] = {}

    def run(cashier_id):
        results[cashier_id] = till_at_work(app, cashier_id, plans[cashier_id], barrier)

    threads = [threading.Thread(target=run, args=(cashier_id,)) for cashier_id in plans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not any(t.is_alive() for t in threads), "a till is still waiting: deadlock?"
    assert sorted(results) == sorted(plans) and all(len(r) == ATTEMPTS_PER_TILL for r in results.values())
    outcomes = [o for r in results.values() for o in r]

    # Nothing but the two clean refusals ever reaches a cashier: no deadlock, serialization
    # failure, lock timeout or integrity error, and each refusal tells the truth.
    errors = [o[2] for o in outcomes if o[0] == "error"]
    assert not errors, f"{len(errors)} tills got an error that is not a bonus refusal: {errors[:5]}"
    # Nor was one hidden by a retry: locks are taken in one order, so no deadlock happened at all.
    retried = [r.getMessage() for r in caplog.records if r.name == transactions.__name__]
    assert not retried, retried[:5]
    for kind, attempt, message in outcomes:
        if kind == "refused at the cart":
            shown = AT_MOST.fullmatch(message)
            assert shown and _amount(shown.group(1)) < attempt.bonus, message
        elif kind == "refused at pay":
            shown = NOT_ENOUGH.fullmatch(message)
            assert shown and _amount(shown.group(1)) < _amount(shown.group(2)) == attempt.bonus, message

    sold = {o[2]: o[1] for o in outcomes if o[0] == "sold"}
    refused = sum(1 for o in outcomes if o[0] in ("refused at the cart", "refused at pay"))
    assert len(sold) + refused == TILLS * ATTEMPTS_PER_TILL
    assert sold and refused, "the balance must run out part way through"
    spent = sum(a.bonus for a in sold.values())
    sold_qty: dict[tuple[int, int], int] = {}
    with app.app_context():
        orders = {o.id: o for o in db.session.scalars(sa.select(Order))}
        bonus = ledger.bonus_of(client_id)
        check = ledger.verify()
        levels = {(row.location_id, row.product_id): row.quantity for row in db.session.scalars(sa.select(Stock))}
        per_shift = dict(db.session.execute(sa.select(Shift.cashier_id, sa.func.count(Order.id))
                                            .join(Order, Order.shift_id == Shift.id).group_by(Shift.cashier_id)).all())
        for order_id, attempt in sold.items():
            order = orders[order_id]
            assert (order.client_id, order.bonus_redeemed) == (client_id, attempt.bonus)
            assert sorted((line.product_id, line.qty) for line in order.lines) == sorted(attempt.lines)
            for product_id, qty in attempt.lines:
                sold_qty[(order.location_id, product_id)] = sold_qty.get((order.location_id, product_id), 0) + qty
        accrued = sum(o.accrual for o in orders.values())

    assert len(orders) == len(sold)                      # every acknowledged sale, and only those, is in the DB
    assert per_shift == {cid: sum(1 for o in r if o[0] == "sold") for cid, r in results.items() if
                         any(o[0] == "sold" for o in r)}
    assert bonus.available >= 0
    assert bonus.available == funded - spent             # exact, in minor units
    assert bonus.pending == accrued
    assert check.ok, check.problems[:10]
    assert levels == {(shop, product): IN_EACH_SHOP - sold_qty.get((shop, product), 0)
                     for shop in fifty_tills["shops"] for product in fifty_tills["products"]}


# --- ten thousand redemptions, fifty tills, one client -------------------------------------------

REDEMPTIONS_PER_TILL = 200   # 50 x 200 = the 10 000 attempts


def test_ten_thousand_redemptions_by_fifty_tills_for_one_client_never_overdraw(pg_app, caplog):
    """The redemption every till payment makes (`ledger.redeem`, one business transaction each),
    10 000 times from 50 threads released together, all on one client funded for about a fifth of them:
    the balance never goes below zero and ends exact, every refusal is InsufficientBonus with the
    true figures, no deadlock or lock error reaches a till, and the ledger verifies."""
    caplog.set_level(logging.WARNING, logger=transactions.__name__)
    rng = random.Random(2026)
    plans = [[rng.randint(1, 500_00) for _ in range(REDEMPTIONS_PER_TILL)] for _ in range(TILLS)]
    asked = sum(map(sum, plans))
    funded = asked // 5
    with pg_app.app_context():
        client_id = make_client(name="Contested").id
        bonus_service.adjust(make_staff("supervisor"), client_id, funded, "opening balance", "opening")
        db.session.commit()
    barrier = threading.Barrier(TILLS)
    results: dict[int, list] = {}

    def till_redeeming(n):
        outcomes = results.setdefault(n, [])
        with pg_app.app_context():
            try:
                barrier.wait(timeout=60)
                for i, amount in enumerate(plans[n]):
                    key = f"till-{n}-{i}"
                    try:
                        transactions.one_transaction(lambda: ledger.redeem(client_id, amount, key))
                        outcomes.append(("spent", amount, None))
                    except ledger.InsufficientBonus as refused:
                        outcomes.append(("refused", amount, refused))
                    except Exception as exc:  # noqa: BLE001 - anything else is what the test looks for
                        outcomes.append(("error", amount, f"{type(exc).__name__}: {exc}"))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=till_redeeming, args=(n,)) for n in range(TILLS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not any(t.is_alive() for t in threads), "a till is still waiting: deadlock?"
    outcomes = [o for r in results.values() for o in r]
    assert len(outcomes) == TILLS * REDEMPTIONS_PER_TILL == 10_000
    errors = [o[2] for o in outcomes if o[0] == "error"]
    assert not errors, f"{len(errors)} redemptions failed with something else than a refusal: {errors[:5]}"
    assert not [r for r in caplog.records if r.name == transactions.__name__], "a retry hid a lock error"
    for kind, amount, refused in outcomes:
        if kind == "refused":
            assert refused.available < refused.wanted == amount
    spent = sum(amount for kind, amount, _ in outcomes if kind == "spent")
    assert 0 < spent <= funded and any(kind == "refused" for kind, _, _ in outcomes)
    with pg_app.app_context():
        bonus = ledger.bonus_of(client_id)
        redemptions = db.session.scalar(sa.select(sa.func.count()).select_from(LedgerOperation).where(
            LedgerOperation.kind == OperationKind.REDEMPTION))
        check = ledger.verify()
    assert bonus.available == funded - spent >= 0          # exact, in minor units
    assert redemptions == sum(1 for kind, _, _ in outcomes if kind == "spent")
    assert check.ok, check.problems[:10]


def test_a_deadlock_victim_is_run_again_whole_and_logged(pg_app, caplog):
    """The safety net under the lock order: two transactions taking two rows in opposite orders
    deadlock; PostgreSQL aborts one, and retry_when_busy runs it again from the start."""
    caplog.set_level(logging.WARNING, logger=transactions.__name__)
    with pg_app.app_context():
        shop = make_location("shop", code="SHOP")
        first, second = (make_product(sku, 1_00, stock={shop: 10}).id for sku in ("A", "B"))
        shop_id = shop.id
    barrier, results = threading.Barrier(2), {}

    def take_both(name, order):
        runs = []

        def operation():
            runs.append(1)
            stock.take(order[0], "X", shop_id, 1)
            if len(runs) == 1:
                barrier.wait(timeout=10)  # both hold their first row: each now waits for the other's
            stock.take(order[1], "X", shop_id, 1)
            db.session.commit()
            return len(runs)

        with pg_app.app_context():
            try:
                results[name] = transactions.one_transaction(operation)
            except Exception as exc:  # noqa: BLE001 - inspected below
                results[name] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=take_both, args=("ab", (first, second))),
               threading.Thread(target=take_both, args=("ba", (second, first)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results.values()) == [1, 2]   # one went through at once, the victim on its second run
    with pg_app.app_context():
        assert sorted(db.session.scalars(sa.select(Stock.quantity))) == [8, 8]
    retried = [r.getMessage() for r in caplog.records if r.name == transactions.__name__]
    assert len(retried) == 1 and "deadlock detected" in retried[0]


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

"""Two tills tap *Resume* on the same parked cart at the same instant (PostgreSQL, real threads):
the conditional delete lets exactly one of them bring the lines back; the other is told the cart
was resumed already, and no line is doubled. (Uses the ledger concurrency tests' PostgreSQL app.)"""
from __future__ import annotations

import threading

import pytest

from portal.errors import NotFound
from portal.extensions import db
from portal.models import ParkedCart, User
from portal.services.sales import parked, till

from ...factories import make_location, make_product, make_staff
from ..ledger.test_concurrency_postgres import pg_app, pg_database  # noqa: F401 (fixtures)

pytestmark = pytest.mark.postgres
ROUNDS = 10


def test_two_tills_resuming_one_parked_cart_at_once_bring_it_back_once(pg_app):
    with pg_app.app_context():
        shop = make_location("shop", code="ARB")
        drill = make_product("DRILL", 1_000_00, stock={shop: 100})
        cashiers = [make_staff("cashier", shop=shop).id for _ in range(2)]
        drill_id = drill.id
    for round_no in range(ROUNDS):
        with pg_app.app_context():
            first = db.session.get(User, cashiers[0])
            for cashier_id in cashiers:
                till.clear(db.session.get(User, cashier_id))
            till.add(first, drill_id, by=3)
            cart_id = parked.park(first, f"round {round_no}").id
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def tap(cashier_id: int) -> None:
            with pg_app.app_context():
                cashier = db.session.get(User, cashier_id)
                barrier.wait()
                try:
                    parked.resume(cashier, cart_id)
                    outcomes.append("resumed")
                except NotFound:
                    outcomes.append("gone")

        threads = [threading.Thread(target=tap, args=(cashier_id,)) for cashier_id in cashiers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(outcomes) == ["gone", "resumed"], outcomes
        with pg_app.app_context():
            carts = [{line.product.sku: line.qty for line in till.view(db.session.get(User, c)).lines}
                     for c in cashiers]
            assert sorted(carts, key=len) == [{}, {"DRILL": 3}]
            assert db.session.scalar(db.select(db.func.count(ParkedCart.id))) == 0

"""Parked carts: park with a label, resume by any cashier of the shop (not of another shop), the age,
no stock held, no spent bonus kept, a second resume adds nothing, the till's own cart set aside."""
from __future__ import annotations

from datetime import timedelta

import pytest

from portal.errors import NotFound, ValidationError
from portal.extensions import db
from portal.models import ParkedCart, Stock
from portal.services.clients import bonus as bonus_service
from portal.services.sales import parked, shifts, till
from portal.services.sales.stock import InsufficientStock

from ...factories import make_client, make_location, make_product, make_staff


@pytest.fixture
def counter(ctx):
    arbat, tver = make_location("shop", code="ARB", name="Arbat"), make_location("shop", code="TVR", name="Tver")
    kate, olga, tim = (make_staff("cashier", shop=arbat, name="Kate"), make_staff("cashier", shop=arbat, name="Olga"),
                       make_staff("cashier", shop=tver, name="Tim"))
    drill = make_product("DRILL", 1_000_00, stock={arbat: 3, tver: 3})
    valve = make_product("VALVE", 50_00, stock={arbat: 10, tver: 10})
    vera = make_client(name="Vera", phone="+79161234567")
    bonus_service.adjust(make_staff("supervisor"), vera.id, 500_00, "gift", "test:parked:gift")
    db.session.commit()
    for cashier in (kate, olga, tim):
        shifts.open_shift(cashier, 0)
    return {"arbat": arbat, "tver": tver, "kate": kate, "olga": olga, "tim": tim, "drill": drill, "valve": valve,
            "vera": vera}


def lines(cashier) -> dict[str, int]:
    return {line.product.sku: line.qty for line in till.view(cashier).lines}


def units(product, shop) -> int:
    return db.session.scalar(db.select(Stock.quantity).where(Stock.product_id == product.id,
                                                             Stock.location_id == shop.id))


def test_a_parked_cart_empties_the_till_and_comes_back_on_another_till_of_the_shop(counter):
    kate, olga = counter["kate"], counter["olga"]
    till.add(kate, counter["drill"].id, by=2)
    till.add(kate, counter["valve"].id)
    till.attach_client(kate, "+79161234567")
    cart = parked.park(kate, "  Anna   at the window ")
    assert (cart.label, cart.location_id, cart.client_id, cart.parked_by_id) == (
        "Anna at the window", counter["arbat"].id, counter["vera"].id, kate.id)
    assert till.view(kate).is_empty and till.view(kate).client is None

    [listed] = parked.of_shop(counter["arbat"].id)
    assert (listed.cart.label, listed.units, listed.client.name, listed.age_minutes) == ("Anna at the window", 3, "Vera", 0)
    listed.now += timedelta(minutes=7, seconds=30)
    assert listed.age_minutes == 7
    assert parked.of_shop(counter["tver"].id) == []

    done = parked.resume(olga, cart.id)
    assert (done.cart.label, done.set_aside) == ("Anna at the window", None)
    assert lines(olga) == {"DRILL": 2, "VALVE": 1} and till.view(olga).client.id == counter["vera"].id
    assert parked.of_shop(counter["arbat"].id) == []


def test_numbers_as_labels_and_an_empty_cart_is_not_parked(counter):
    kate = counter["kate"]
    with pytest.raises(ValidationError) as empty:
        parked.park(kate)
    assert set(empty.value.fields) == {"cart"}
    for _ in range(3):
        till.add(kate, counter["valve"].id)
        parked.park(kate)
    assert [p.cart.label for p in parked.of_shop(counter["arbat"].id)] == ["#1", "#2", "#3"]
    parked.resume(kate, parked.of_shop(counter["arbat"].id)[1].cart.id)
    till.clear(kate)
    till.add(kate, counter["valve"].id)
    assert parked.park(kate).label == "#2"  # the free number again
    with pytest.raises(ValidationError) as long:
        till.add(kate, counter["valve"].id)
        parked.park(kate, "x" * 61)
    assert set(long.value.fields) == {"label"}
    assert lines(kate) == {"VALVE": 1}  # nothing was parked


def test_another_shops_cashier_cannot_resume_or_drop_it(counter):
    till.add(counter["kate"], counter["valve"].id)
    cart = parked.park(counter["kate"])
    with pytest.raises(NotFound):
        parked.resume(counter["tim"], cart.id)
    with pytest.raises(NotFound):
        parked.discard(counter["tim"], cart.id)
    assert till.view(counter["tim"]).is_empty
    assert [p.cart.id for p in parked.of_shop(counter["arbat"].id)] == [cart.id]
    parked.discard(counter["olga"], cart.id)  # the customer left
    assert parked.of_shop(counter["arbat"].id) == []


def test_a_second_resume_adds_nothing(counter):
    kate, olga = counter["kate"], counter["olga"]
    till.add(kate, counter["drill"].id, by=2)
    cart_id = parked.park(kate).id
    parked.resume(olga, cart_id)
    with pytest.raises(NotFound, match="resumed already"):
        parked.resume(olga, cart_id)  # a double tap
    with pytest.raises(NotFound):
        parked.resume(kate, cart_id)  # another till a moment later
    assert lines(olga) == {"DRILL": 2} and till.view(kate).is_empty
    assert db.session.scalar(db.select(db.func.count(ParkedCart.id))) == 0


def test_resuming_sets_the_tills_own_cart_aside_first(counter):
    kate = counter["kate"]
    till.add(kate, counter["drill"].id)
    first = parked.park(kate)                      # "#1"
    till.add(kate, counter["valve"].id, by=4)      # the next customer
    done = parked.resume(kate, first.id)
    assert done.set_aside.label == "#2"            # not "#1", the number of the cart coming back
    assert lines(kate) == {"DRILL": 1}
    assert [(p.cart.label, p.units) for p in parked.of_shop(counter["arbat"].id)] == [("#2", 4)]


def test_a_parked_cart_holds_no_stock_and_keeps_no_spent_bonus(counter):
    kate, olga = counter["kate"], counter["olga"]
    drill, arbat = counter["drill"], counter["arbat"]
    till.add(kate, drill.id, by=3)
    till.attach_client(kate, "+79161234567")
    assert till.set_bonus(kate, None) > 0
    cart = parked.park(kate)
    assert units(drill, arbat) == 3  # nothing taken by parking

    # Meanwhile Olga sells two of the three drills.
    till.add(olga, drill.id, by=2)
    till.checkout(olga, card=till.view(olga).to_pay, cash_tendered=None, version=till.view(olga).cart.version)
    assert units(drill, arbat) == 1

    parked.resume(kate, cart.id)
    view = till.view(kate)
    assert view.cart.bonus == 0 and view.pricing.bonus == 0          # the bonus is chosen again
    [line] = view.lines
    assert (line.qty, line.in_shop) == (3, 1)                      # kept, the till shows the shortage
    with pytest.raises(InsufficientStock) as short:
        till.checkout(kate, card=view.to_pay, cash_tendered=None, version=view.cart.version)
    assert (short.value.wanted, short.value.available, short.value.place) == (3, 1, "Arbat")
    till.set_quantity(kate, drill.id, 1)
    view = till.view(kate)
    till.checkout(kate, card=view.to_pay, cash_tendered=None, version=view.cart.version)
    assert units(drill, arbat) == 0

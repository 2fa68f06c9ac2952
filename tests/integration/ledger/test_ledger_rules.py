"""The bonus ledger's rules (SPEC §5), one at a time, with exact amounts and explicit times."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from portal import ledger
from portal.errors import ValidationError
from portal.extensions import db
from portal.ledger.reading import account_summary
from portal.models import Channel, LedgerEntry, LedgerOperation
from portal.services.clients import bonus as bonus_service
from portal.services.sales import returns, sales
from portal.services.sales.returns import ReturnRequest
from portal.services.sales.sales import Sale, SaleLine

from ...factories import make_client, make_location, make_product, make_staff

T = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)


@pytest.fixture
def shop(ctx):
    warehouse = make_location("warehouse", code="MAIN", is_main=True)
    make_product("DRILL", 1_000_00, stock={warehouse: 1000})
    make_product("PENNY", 1, stock={warehouse: 10_000})
    return {
        "warehouse": warehouse,
        "ann": make_client(name="Ann", discount_bp=500).id,   # 5 %: a drill costs her 950.00, accrues 47.50
        "bob": make_client(name="Bob").id,                    # no discount: a drill accrues 50.00
        "boss": make_staff("supervisor"),
    }


def sell(shop, who, lines, *, at, bonus=0):
    return sales.place_paid_order(Sale(
        channel=Channel.SHOP, lines=[SaleLine(qty=q, sku=s) for s, q in lines], location_id=shop["warehouse"].id,
        client_id=shop[who], bonus_to_redeem=bonus, now=at))


def adjust(shop, who, amount, key, *, at, reason="goodwill"):
    operation = bonus_service.adjust(shop["boss"], shop[who], amount, reason, key, now=at)
    db.session.commit()
    return operation


def balance(shop, who, at):
    bonus = ledger.bonus_of(shop[who], at)
    return bonus.available, bonus.pending


def entries_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(LedgerEntry.id)))


# --- accrual and release ---

def test_accrual_is_pending_and_released_exactly_at_hold_days(shop):
    order = sell(shop, "ann", [("DRILL", 1)], at=T)
    assert (order.paid, order.accrual) == (950_00, 47_50)
    bonus = ledger.bonus_of(shop["ann"], T)
    assert (bonus.available, bonus.pending) == (0, 47_50)
    assert (bonus.next_release_at, bonus.next_release_amount) == (T + 14 * DAY, 47_50)
    assert bonus.releases == [(T + 14 * DAY, 47_50)]

    assert ledger.settle(shop["ann"], T + 14 * DAY - SECOND) == (0, 0)   # not a second before
    db.session.commit()
    assert balance(shop, "ann", T + 14 * DAY - SECOND) == (0, 47_50)

    assert ledger.settle(shop["ann"], T + 14 * DAY) == (1, 0)            # exactly at hold_days
    db.session.commit()
    bonus = ledger.bonus_of(shop["ann"], T + 14 * DAY)
    assert (bonus.available, bonus.pending, bonus.next_release_at, bonus.releases) == (47_50, 0, None, [])
    assert ledger.settle(shop["ann"], T + 20 * DAY) == (0, 0)            # released once only
    db.session.commit()
    assert balance(shop, "ann", T + 20 * DAY) == (47_50, 0)
    assert ledger.verify().ok


def test_release_is_lazy_on_touch_and_done_for_everyone_by_the_sweep(shop):
    sell(shop, "ann", [("DRILL", 1)], at=T)          # 47.50 pending until T+14d
    sell(shop, "bob", [("DRILL", 2)], at=T)          # 100.00 pending until T+14d
    later = T + 15 * DAY
    # Reading does not release: the balances stay as they were written.
    assert balance(shop, "ann", later) == (0, 47_50)
    assert balance(shop, "bob", later) == (0, 100_00)
    # Touching Ann's account (spending) releases hers first, and only hers.
    ledger.redeem(shop["ann"], 7_50, "spend:ann", now=later)
    db.session.commit()
    assert balance(shop, "ann", later) == (40_00, 0)
    assert balance(shop, "bob", later) == (0, 100_00)
    # The sweep releases whatever is due on every account, and nothing twice.
    result = bonus_service.sweep(later)
    assert (result.accounts, result.released, result.expired) == (1, 1, 0)
    assert balance(shop, "bob", later) == (100_00, 0)
    result = bonus_service.sweep(later)
    assert (result.accounts, result.released, result.expired) == (0, 0, 0)
    assert ledger.verify().ok


def test_a_lot_expires_expiry_days_after_it_became_available_and_shows_as_expiring(shop):
    adjust(shop, "bob", 100_00, "gift", at=T)                 # available now: expires T+365d
    sell(shop, "ann", [("DRILL", 1)], at=T)                   # released T+14d: expires T+379d
    # Released lazily much later: expiry still counts from the release date, not the touch.
    assert ledger.settle(shop["ann"], T + 100 * DAY) == (1, 0)
    db.session.commit()

    assert ledger.bonus_of(shop["bob"], T + 334 * DAY).expiring_30d == 0           # T+364d < T+365d
    assert ledger.bonus_of(shop["bob"], T + 335 * DAY).expiring_30d == 100_00      # T+365d is within 30 days
    assert ledger.bonus_of(shop["ann"], T + 348 * DAY).expiring_30d == 0
    assert ledger.bonus_of(shop["ann"], T + 349 * DAY).expiring_30d == 47_50

    assert ledger.settle(shop["bob"], T + 365 * DAY - SECOND) == (0, 0)
    db.session.commit()
    assert balance(shop, "bob", T + 365 * DAY - SECOND) == (100_00, 0)
    assert ledger.settle(shop["bob"], T + 365 * DAY) == (0, 1)
    db.session.commit()
    assert balance(shop, "bob", T + 365 * DAY) == (0, 0)
    assert ledger.bonus_of(shop["bob"], T + 365 * DAY).expiring_30d == 0

    result = bonus_service.sweep(T + 379 * DAY)
    assert (result.accounts, result.released, result.expired) == (1, 0, 1)
    assert balance(shop, "ann", T + 379 * DAY) == (0, 0)
    assert account_summary()["system"]["expired"] == 147_50
    legs, _ = ledger.legs_of(shop["ann"])
    assert (legs[0].kind, legs[0].bucket.value, legs[0].amount) == ("expiry", "available", -47_50)
    assert ledger.verify().ok


def test_redemption_takes_the_lot_that_expires_first(shop):
    adjust(shop, "bob", 100_00, "first", at=T)                # lot 1 expires T+365d
    adjust(shop, "bob", 50_00, "second", at=T + 10 * DAY)     # lot 2 expires T+375d
    ledger.redeem(shop["bob"], 120_00, "spend", now=T + 20 * DAY)
    db.session.commit()
    assert balance(shop, "bob", T + 20 * DAY) == (30_00, 0)
    # Lot 1 is empty, so nothing expires at T+365d; lot 2 keeps 30.00.
    assert ledger.bonus_of(shop["bob"], T + 340 * DAY).expiring_30d == 0
    assert ledger.bonus_of(shop["bob"], T + 345 * DAY).expiring_30d == 30_00
    assert ledger.settle(shop["bob"], T + 365 * DAY) == (0, 0)
    db.session.commit()
    assert balance(shop, "bob", T + 365 * DAY) == (30_00, 0)
    assert ledger.settle(shop["bob"], T + 375 * DAY) == (0, 1)
    db.session.commit()
    assert balance(shop, "bob", T + 375 * DAY) == (0, 0)
    assert account_summary()["system"]["expired"] == 30_00


def test_oldest_means_soonest_to_expire_not_first_created(shop):
    sell(shop, "bob", [("DRILL", 1)], at=T)                   # accrual lot created first: expires T+379d
    adjust(shop, "bob", 20_00, "later gift", at=T + 5 * DAY)  # created second: expires T+370d
    ledger.redeem(shop["bob"], 30_00, "spend", now=T + 20 * DAY)   # releases the accrual, then spends
    db.session.commit()
    assert balance(shop, "bob", T + 20 * DAY) == (40_00, 0)
    # The gift went first (20.00), then 10.00 of the accrual: 40.00 left, expiring at T+379d.
    assert ledger.bonus_of(shop["bob"], T + 341 * DAY).expiring_30d == 0
    assert ledger.bonus_of(shop["bob"], T + 349 * DAY).expiring_30d == 40_00
    assert ledger.settle(shop["bob"], T + 370 * DAY) == (0, 0)
    db.session.commit()
    assert ledger.settle(shop["bob"], T + 379 * DAY) == (0, 1)
    db.session.commit()
    assert account_summary()["system"]["expired"] == 40_00


# --- adjustments ---

def test_a_negative_adjustment_beyond_available_is_refused(shop):
    adjust(shop, "bob", 10_00, "gift", at=T)
    sell(shop, "bob", [("DRILL", 1)], at=T)                   # 50.00 pending does not count
    before = entries_count()
    with pytest.raises(ledger.InsufficientBonus) as refused:
        bonus_service.adjust(shop["boss"], shop["bob"], -10_01, "correction", "too-much", now=T)
    db.session.rollback()
    assert (refused.value.available, refused.value.wanted) == (10_00, 10_01)
    assert balance(shop, "bob", T) == (10_00, 50_00)
    assert entries_count() == before
    # A refused adjustment does not use up its key.
    adjust(shop, "bob", -10_00, "too-much", at=T)
    assert balance(shop, "bob", T) == (0, 50_00)
    assert ledger.verify().ok


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_an_adjustment_needs_a_reason(shop, reason):
    with pytest.raises(ValidationError) as err:
        bonus_service.adjust(shop["boss"], shop["bob"], 5_00, reason, "no-reason", now=T)
    db.session.rollback()
    assert "reason" in err.value.fields
    with pytest.raises(ValidationError) as err:
        bonus_service.adjust(shop["boss"], shop["bob"], 0, "zero", "zero", now=T)
    db.session.rollback()
    assert "amount" in err.value.fields
    assert balance(shop, "bob", T) == (0, 0)
    assert db.session.scalar(sa.select(sa.func.count(LedgerOperation.id))) == 0


# --- idempotency ---

def test_a_replayed_key_returns_the_same_operation_and_changes_nothing(shop):
    first = adjust(shop, "bob", 100_00, "adj:1", at=T)
    again = adjust(shop, "bob", 100_00, "adj:1", at=T + DAY)
    different = adjust(shop, "bob", -55_00, "adj:1", at=T + DAY, reason="another reason")
    assert first.id == again.id == different.id and different.amount == 100_00
    assert balance(shop, "bob", T + DAY) == (100_00, 0)

    spend = ledger.redeem(shop["bob"], 30_00, "redeem:1", now=T + DAY)
    db.session.commit()
    count = entries_count()
    assert ledger.redeem(shop["bob"], 30_00, "redeem:1", now=T + 2 * DAY).id == spend.id
    accrual = ledger.accrue(shop["bob"], 5_00, "accrual:1", now=T + DAY)
    db.session.commit()
    assert ledger.accrue(shop["bob"], 5_00, "accrual:1", now=T + DAY).id == accrual.id
    db.session.commit()
    assert entries_count() == count + 1
    assert balance(shop, "bob", T + DAY) == (70_00, 5_00)
    assert ledger.verify().ok


def test_a_replayed_return_key_gives_back_nothing_twice(shop):
    adjust(shop, "bob", 300_00, "gift", at=T)
    order = sell(shop, "bob", [("DRILL", 2)], at=T, bonus=200_00)     # paid 1800.00, accrual 90.00
    first = returns.return_goods(order.id, [ReturnRequest(qty=1, sku="DRILL")], key="ret:1", now=T + DAY)
    count = entries_count()
    again = returns.return_goods(order.id, [ReturnRequest(qty=1, sku="DRILL")], key="ret:1", now=T + 2 * DAY)
    assert again.id == first.id
    assert (again.refund_total, again.bonus_restored, again.accrual_reversed) == (900_00, 100_00, 45_00)
    assert entries_count() == count
    assert balance(shop, "bob", T + DAY) == (200_00, 45_00)
    assert ledger.verify().ok


# --- returns meeting expiry ---

def test_bonus_restored_into_an_expired_lot_expires_again_at_the_next_settle(shop):
    adjust(shop, "bob", 100_00, "gift", at=T)                 # expires T+365d
    spent_at = T + 365 * DAY - SECOND
    order = sell(shop, "bob", [("DRILL", 1)], at=spent_at, bonus=100_00)   # all of it, a second before expiry
    assert (order.paid, order.accrual) == (900_00, 45_00)
    assert ledger.settle(shop["bob"], T + 366 * DAY) == (0, 0)   # nothing left in the lot to expire
    db.session.commit()
    ret = returns.return_goods(order.id, [ReturnRequest(qty=1, sku="DRILL")], key="back", now=T + 366 * DAY)
    assert (ret.refund_total, ret.withheld, ret.bonus_restored, ret.accrual_reversed) == (900_00, 0, 100_00, 45_00)
    # The bonus went back into the lot it came from, which has expired, so the same return's touch of
    # the account (it then takes back the accrual) writes it off again: nothing lingers.
    db.session.commit()
    assert balance(shop, "bob", T + 366 * DAY) == (0, 0)
    assert ledger.settle(shop["bob"], T + 366 * DAY) == (0, 0)
    assert account_summary()["system"]["expired"] == 100_00
    assert ledger.verify().ok


def test_restored_bonus_left_in_an_expired_lot_is_written_off_by_the_next_settle(shop):
    adjust(shop, "bob", 5, "gift", at=T)                      # expires T+365d
    # 19 pennies: cap floor(30 % of 0.19) = 0.05, paid 0.14, accrual floor(5 % of 0.14) = 0: a return
    # of it restores bonus but has no accrual to take back, so it does not settle the account.
    order = sell(shop, "bob", [("PENNY", 19)], at=T + 365 * DAY - SECOND, bonus=5)
    assert (order.paid, order.bonus_redeemed, order.accrual) == (14, 5, 0)
    ret = returns.return_goods(order.id, [ReturnRequest(qty=19, sku="PENNY")], key="back", now=T + 366 * DAY)
    assert (ret.refund_total, ret.withheld, ret.bonus_restored, ret.accrual_reversed) == (14, 0, 5, 0)
    bonus = ledger.bonus_of(shop["bob"], T + 366 * DAY)
    assert (bonus.available, bonus.pending, bonus.expiring_30d) == (5, 0, 5)   # back in the expired lot
    assert ledger.verify().ok
    assert ledger.settle(shop["bob"], T + 366 * DAY) == (0, 1)                  # expires again
    db.session.commit()
    assert balance(shop, "bob", T + 366 * DAY) == (0, 0)
    assert account_summary()["system"]["expired"] == 5
    assert ledger.verify().ok


# --- verify ---

def test_verify_detects_a_tampered_balance(shop, runner):
    adjust(shop, "bob", 10_00, "gift", at=T)
    assert ledger.verify().ok
    account = ledger.find_client_account(shop["bob"])
    db.session.execute(sa.text("UPDATE ledger_accounts SET available = available + 1 WHERE id = :id"),
                       {"id": account.id})
    db.session.commit()
    result = ledger.verify()
    assert not result.ok
    assert any(p.startswith(f"account {account.id} available: stored 1001, entries say 1000") for p in result.problems)
    assert any(f"account {account.id} available: balance 1001, lots hold 1000" in p for p in result.problems)
    assert any("sum over all accounts is 1" in p for p in result.problems)
    cli = runner.invoke(args=["ledger", "verify"])
    assert cli.exit_code == 1
    assert f"account {account.id}" in cli.output


# --- history ---

def test_legs_page_by_cursor_and_a_release_is_two_legs(shop):
    order = sell(shop, "bob", [("DRILL", 1)], at=T)                    # accrual: +50.00 pending
    adjust(shop, "bob", 10_00, "gift", at=T + DAY)                     # +10.00 available
    ledger.redeem(shop["bob"], 25_00, "spend", now=T + 15 * DAY)       # release (dated T+14d), then -25.00
    db.session.commit()
    adjust(shop, "bob", -5_00, "fix", at=T + 16 * DAY)                 # -5.00 available

    def read(legs):
        return [(leg.kind, leg.bucket.value, leg.amount) for leg in legs]

    # Newest first: adjustment, redemption, release (two legs: +available, -pending), gift, accrual.
    everything, end = ledger.legs_of(shop["bob"], limit=100)
    assert end is None
    assert read(everything) == [
        ("adjustment", "available", -5_00), ("redemption", "available", -25_00),
        ("release", "available", 50_00), ("release", "pending", -50_00),
        ("adjustment", "available", 10_00), ("accrual", "pending", 50_00)]
    release = everything[2:4]
    assert release[0].entry_id == release[1].entry_id and release[0].at == T + 14 * DAY
    assert [leg.id for leg in release] == [f"{release[0].entry_id}-available", f"{release[0].entry_id}-pending"]
    assert all(leg.order_id == order.id for leg in release)
    assert len({leg.id for leg in everything}) == 6
    totals = {"pending": 0, "available": 0}
    for leg in everything:
        totals[leg.bucket.value] += leg.amount
    assert (totals["available"], totals["pending"]) == balance(shop, "bob", T + 16 * DAY) == (30_00, 0)

    # Pages of `limit` legs; the cursor is where the next page starts, even inside a release.
    for limit in (1, 2, 3, 4, 5):
        pages, cursor = [], None
        while True:
            page, cursor = ledger.legs_of(shop["bob"], limit=limit, start=cursor)
            assert 0 < len(page) <= limit
            pages.append(page)
            if cursor is None:
                break
        assert [leg for page in pages for leg in page] == everything, limit
        assert all(len(page) == limit for page in pages[:-1])
    page, cursor = ledger.legs_of(shop["bob"], limit=3)
    assert read(page) == read(everything[:3]) and cursor is not None        # stops between the two release legs
    page, cursor = ledger.legs_of(shop["bob"], limit=1, start=cursor)
    assert read(page) == [("release", "pending", -50_00)]
    assert ledger.legs_of(shop["bob"], limit=6)[1] is None                   # exactly one page: no cursor
    assert ledger.legs_of(shop["bob"], limit=5)[1] is not None


# --- a defect found while writing these tests (negative refund), since fixed in services/returns.py ---

def test_a_refund_is_never_negative(shop):
    adjust(shop, "ann", 28, "gift", at=T)
    # 100 pennies at 5 %: net 0.95, bonus 0.28 (the cap), paid 0.67, accrual floor(5 % of 0.67) = 0.03.
    order = sell(shop, "ann", [("PENNY", 100)], at=T, bonus=28)
    assert (order.paid, order.bonus_redeemed, order.accrual) == (67, 28, 3)
    first = returns.return_goods(order.id, [ReturnRequest(qty=33, sku="PENNY")], key="r1", now=T + DAY)
    # 67*33//100 = 22 back, 28*33//100 = 9 bonus restored, 3*33//100 = 0 accrual reversed
    assert (first.refund_total, first.bonus_restored, first.accrual_reversed) == (22, 9, 0)
    # At the last instant of the return window the accrual is released and the client spends all.
    end = T + 14 * DAY
    adjust(shop, "ann", -12, "spent at the till", at=end)
    assert balance(shop, "ann", end) == (0, 0)
    # The 34th penny: money 67*34//100 - 22 = 0, accrual 3*34//100 - 0 = 1, already spent. There is
    # no money in this return to keep it from, so nothing is kept now (never a negative refund) ...
    ret = returns.return_goods(order.id, [ReturnRequest(qty=1, sku="PENNY")], key="r2", now=end)
    assert (ret.refund_total, ret.accrual_reversed, ret.withheld) == (0, 1, 0)
    # ... and it is kept from the next return that has money: 67 - 22 = 45 back less that kopeck. The
    # 2 kopecks of accrual this return reverses come out of the 19 kopecks of bonus it gives back.
    last = returns.return_goods(order.id, [ReturnRequest(qty=66, sku="PENNY")], key="r3", now=end)
    assert (last.bonus_restored, last.accrual_reversed, last.withheld, last.refund_total) == (19, 2, 1, 44)
    assert balance(shop, "ann", end) == (17, 0)
    all_returns = [first, ret, last]
    assert sum(r.refund_total + r.withheld for r in all_returns) == order.paid
    assert sum(r.accrual_reversed for r in all_returns) == order.accrual
    assert sum(r.bonus_restored for r in all_returns) == order.bonus_redeemed
    assert all(r.refund_total >= 0 for r in all_returns)
    assert ledger.verify().ok

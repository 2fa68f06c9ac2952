"""The bonus ledger against a plain in-memory model, driven by random sales, returns, releases,
expiries, adjustments and replayed idempotency keys (SPEC §5).

The model is written from the specification and the operations' documented behaviour, with
integers only: per client `pending`/`available`, lots (remaining, release and expiry dates,
creation order), and per order line what was paid, spent in bonus, accrued and returned. After
every step the database must agree with it to the minor unit, `verify()` must pass, the legs of
each client's history must add up to the balances, and every fully returned order must have
given back exactly what it took.

Time is simulated: every call gets `now=` from the machine's clock, which only rules advance.
"""
from __future__ import annotations

import collections
import copy
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from portal import ledger
from portal.errors import ValidationError
from portal.extensions import db
from portal.ledger.reading import account_summary
from portal.models import Channel, PaymentMethod, Refund, Return
from portal.services.clients import bonus as bonus_service
from portal.services.sales import returns, sales
from portal.services.sales.returns import NotReturnable, ReturnRequest
from portal.services.sales.sales import Sale, SaleLine

from ...conftest import empty_all_tables
from ...factories import make_client, make_location, make_product, make_staff

UTC = UTC
START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
HOLD = timedelta(days=14)          # programme default hold_days
EXPIRY = timedelta(days=365)       # programme default expiry_days
WINDOW = timedelta(days=14)        # PORTAL_RETURN_DAYS default
RATE_BP, SHARE_BP = 500, 3000      # accrual rate, max redeemable share

# sku: (price in minor units, discountable)
PRODUCTS = {
    "DRILL": (1_000_00, True),
    "PIPE": (333_33, True),
    "VALVE": (99_99, False),
    "ODD": (123_47, True),
    "PENNY": (1, True),
}
CLIENT_DISCOUNTS = [0, 500, 1250]

# How often the interesting paths were taken (printed at the end of the test; run with -s to see).
SEEN: collections.Counter = collections.Counter()


def event(what: str) -> None:
    SEEN[what] += 1


# --- the model's arithmetic, written independently of portal.money / portal.services.sales.pricing ---

def half_up_bp(amount: int, bp: int) -> int:
    return (amount * bp + 5000) // 10000


def largest_remainder(total: int, weights: list[int]) -> list[int]:
    s = sum(weights)
    if total == 0:
        return [0] * len(weights)
    base = [total * w // s for w in weights]
    rest = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % s), i))
    for i in rest[:total - sum(base)]:
        base[i] += 1
    return base


@dataclass
class Priced:
    discounts: list[int]
    bonuses: list[int]
    paids: list[int]
    accruals: list[int]
    cap: int

    @property
    def paid(self):
        return sum(self.paids)


def expected_pricing(lines: list[tuple[str, int]], discount_bp: int, bonus: int, accrues: bool) -> Priced:
    discounts, nets = [], []
    for sku, qty in lines:
        price, discountable = PRODUCTS[sku]
        d = half_up_bp(price * qty, discount_bp) if discountable else 0
        discounts.append(d)
        nets.append(price * qty - d)
    cap = sum(nets) * SHARE_BP // 10000
    bonuses = largest_remainder(bonus, nets)
    paids = [n - b for n, b in zip(nets, bonuses)]
    accrual_total = sum(paids) * RATE_BP // 10000 if accrues else 0
    accruals = largest_remainder(accrual_total, paids) if accrual_total else [0] * len(lines)
    return Priced(discounts, bonuses, paids, accruals, cap)


def share(amount: int, part: int, whole: int) -> int:
    return amount * part // whole


# --- the model ---

@dataclass(eq=False)
class Lot:
    seq: int               # creation order = the order of BonusLot ids
    client: int
    status: str            # "pending" | "available"
    amount: int
    remaining: int
    available_at: datetime
    expires_at: datetime | None = None


@dataclass
class Account:
    pending: int = 0
    available: int = 0


@dataclass(eq=False)
class Line:
    line_id: int
    line_no: int
    qty: int
    paid: int
    bonus: int
    accrual: int
    returned: int = 0
    lot: Lot | None = None


@dataclass(eq=False)
class MOrder:
    id: int
    client: int | None
    paid_at: datetime
    lines: list[Line]
    payments: dict
    bonus: int
    paid: int
    accrual: int
    # this order's redemption/restore moves per lot: lot seq -> [net amount, last move seq]
    moves: dict = field(default_factory=dict)
    # spent accrual its returns could not take back and had no money to keep it from yet
    unkept: int = 0


class Model:
    def __init__(self, client_ids):
        self.accounts = {cid: Account() for cid in client_ids}
        self.lots: list[Lot] = []
        self.lot_seq = 0
        self.move_seq = 0
        self.system = {"issued": 0, "redeemed": 0, "expired": 0, "adjustments": 0}
        self.orders: dict[int, MOrder] = {}

    def lots_of(self, cid):
        return [lot for lot in self.lots if lot.client == cid]

    def new_lot(self, cid, amount, status, available_at):
        self.lot_seq += 1
        lot = Lot(self.lot_seq, cid, status, amount, amount, available_at,
                  available_at + EXPIRY if status == "available" else None)
        self.lots.append(lot)
        return lot

    def move(self, lot, amount, order=None):
        lot.remaining += amount
        assert 0 <= lot.remaining <= lot.amount
        self.move_seq += 1
        if order is not None:
            entry = order.moves.setdefault(lot.seq, [0, 0])
            entry[0] += amount
            entry[1] = self.move_seq

    def available_lots(self, cid):
        return sorted((lot for lot in self.lots_of(cid) if lot.status == "available" and lot.remaining > 0),
                      key=lambda lot: (lot.expires_at, lot.seq))

    def take(self, lots, amount, order=None):
        taken = 0
        for lot in lots:
            if taken == amount:
                break
            part = min(lot.remaining, amount - taken)
            if part:
                self.move(lot, -part, order)
                taken += part
        return taken

    def due(self, cid, now):
        """(lots to release, would anything expire) at `now`."""
        pending = [lot for lot in self.lots_of(cid) if lot.status == "pending" and lot.remaining > 0
                   and lot.available_at <= now]
        lapsing = [lot for lot in self.lots_of(cid) if lot.status == "available" and lot.remaining > 0
                   and lot.expires_at <= now]
        return pending, lapsing

    def settle(self, cid, now):
        acc = self.accounts[cid]
        # A pending lot whose accrual was wholly taken back has nothing to release and stays pending.
        due = sorted((lot for lot in self.lots_of(cid) if lot.status == "pending" and lot.remaining > 0
                      and lot.available_at <= now), key=lambda lot: (lot.available_at, lot.seq))
        for lot in due:
            lot.status = "available"
            lot.expires_at = lot.available_at + EXPIRY
            acc.pending -= lot.remaining
            acc.available += lot.remaining
        lapsed = sorted((lot for lot in self.lots_of(cid) if lot.status == "available" and lot.remaining > 0
                         and lot.expires_at <= now), key=lambda lot: (lot.expires_at, lot.seq))
        for lot in lapsed:
            event("a lot expired")
            acc.available -= lot.remaining
            self.system["expired"] += lot.remaining
            self.move(lot, -lot.remaining)
        return len(due), len(lapsed)

    def available_after_settle(self, cid, now):
        probe = copy.deepcopy(self)
        probe.settle(cid, now)
        return probe.accounts[cid].available

    def redeem(self, cid, amount, now, order):
        self.settle(cid, now)
        acc = self.accounts[cid]
        assert acc.available >= amount
        acc.available -= amount
        self.system["redeemed"] += amount
        assert self.take(self.available_lots(cid), amount, order) == amount

    def accrue(self, cid, amount, now):
        self.accounts[cid].pending += amount
        self.system["issued"] -= amount
        return self.new_lot(cid, amount, "pending", now + HOLD)

    def restore(self, order, amount, now):
        cid = order.client
        self.accounts[cid].available += amount
        self.system["redeemed"] -= amount
        left = amount
        for lot_seq, (net, _last) in sorted(order.moves.items(), key=lambda kv: -kv[1][1]):
            if not left:
                break
            part = min(-net, left)
            if part > 0:
                self.move(next(lot for lot in self.lots if lot.seq == lot_seq), part, order)
                left -= part
        if left:  # "cannot happen": a fresh lot, as the code does
            self.new_lot(cid, left, "available", now)

    def reverse_accrual(self, order, line, amount, now):
        """Returns the shortfall (what is withheld from the money refund)."""
        cid = order.client
        self.settle(cid, now)
        acc = self.accounts[cid]
        lot = line.lot
        if lot is not None and lot.status == "pending":
            part = min(amount, lot.remaining)
            if part:
                acc.pending -= part
                self.system["issued"] += part
                self.move(lot, -part)
            return amount - part
        lots = self.available_lots(cid)
        if lot is not None and lot in lots:
            lots.remove(lot)
            lots.insert(0, lot)
        taken = self.take(lots, amount)
        acc.available -= taken
        self.system["issued"] += taken
        return amount - taken

    def adjust(self, cid, amount, now):
        self.settle(cid, now)
        acc = self.accounts[cid]
        self.system["adjustments"] -= amount
        if amount > 0:
            acc.available += amount
            self.new_lot(cid, amount, "available", now)
        else:
            assert acc.available >= -amount
            acc.available += amount
            assert self.take(self.available_lots(cid), -amount) == -amount


# --- the machine ---

class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        db.session.rollback()
        empty_all_tables()
        db.session.remove()
        self.warehouse = make_location("warehouse", code="MAIN", is_main=True)
        self.products = {sku: make_product(sku, price, discountable=discountable, stock={self.warehouse: 10**7},
                                           warranty_months=12 if sku == "DRILL" else 0).id
                         for sku, (price, discountable) in PRODUCTS.items()}
        self.discounts = {}
        for bp in CLIENT_DISCOUNTS:
            self.discounts[make_client(discount_bp=bp).id] = bp
        self.client_ids = list(self.discounts)
        self.boss = make_staff("supervisor")
        self.now = START
        self.model = Model(self.client_ids)
        self.counter = 0
        self.return_keys: dict[str, tuple] = {}   # key -> (order id, return id, requests, figures)
        self.adjust_keys: dict[str, tuple] = {}   # key -> (operation id, client id, amount)
        # A client and an order the next steps favour, so that rare sequences get exercised:
        # "accrual released at the window's last instant, spent, then returned" and "bonus spent
        # from a lot just before it expires, then returned after it expired".
        self.focus: MOrder | None = None
        self.focus_client: int | None = None

    def pick_client(self, data, allow_none=False):
        options = [st.sampled_from(self.client_ids)]
        if allow_none:
            options.append(st.none())
        if self.focus_client is not None:
            options.append(st.just(self.focus_client))
        return data.draw(st.one_of(*options), label="client")

    def next_key(self, prefix):
        self.counter += 1
        return f"{prefix}-{self.counter}"

    # ---- sales ----

    @rule(data=st.data())
    def sale(self, data):
        self.place_sale(data, self.pick_client(data, allow_none=True))

    @rule(data=st.data())
    def sale_spending_bonus(self, data):
        """A second sale rule (so sales are frequent): always a known client, mostly spending bonus."""
        self.place_sale(data, self.pick_client(data), spend=True)

    def place_sale(self, data, cid, spend=False):
        n = data.draw(st.integers(1, 3), label="lines")
        lines = []
        for _ in range(n):
            sku = data.draw(st.sampled_from(sorted(PRODUCTS)), label="sku")
            qty = data.draw(st.integers(1, 150) if sku == "PENNY" else st.integers(1, 5), label="qty")
            lines.append((sku, qty))
        discount_bp = self.discounts.get(cid, 0)
        cap = expected_pricing(lines, discount_bp, 0, cid is not None).cap
        bonus, expect = 0, None
        if cid is not None:
            available = self.model.available_after_settle(cid, self.now)
            modes = [] if spend and min(cap, available) > 0 else ["none"]
            if min(cap, available) > 0:
                modes += ["some", "some", "max", "max"]
            if data.draw(st.integers(0, 4), label="refused?") == 0:  # now and then, a sale that must be refused
                modes = (["too_much"] if available < cap else []) + ["over_cap"]
            mode = data.draw(st.sampled_from(modes), label="bonus mode")
            if mode == "some":
                bonus = data.draw(st.integers(1, min(cap, available)), label="bonus")
            elif mode == "max":
                bonus = min(cap, available)
            elif mode == "too_much":
                bonus = data.draw(st.integers(available + 1, cap), label="bonus")
                expect = ledger.InsufficientBonus
            elif mode == "over_cap":
                bonus, expect = cap + 1, ValidationError
        # a sale refused for its bonus is refused whole; its payments must still add up to what it would cost
        priced = expected_pricing(lines, discount_bp, 0 if expect is ValidationError else bonus, cid is not None)
        payments = None
        if priced.paid and data.draw(st.booleans(), label="split payment"):
            cash = data.draw(st.integers(0, priced.paid), label="cash")
            payments = {PaymentMethod.CASH: cash, PaymentMethod.CARD: priced.paid - cash}
        channel = data.draw(st.sampled_from([Channel.WEB, Channel.SHOP, Channel.MANAGER]), label="channel")
        sale = Sale(channel=channel, lines=[SaleLine(qty=q, product_id=self.products[s]) for s, q in lines],
                    location_id=self.warehouse.id, client_id=cid, bonus_to_redeem=bonus, payments=payments,
                    now=self.now)
        if expect is not None:
            with pytest.raises(expect):
                sales.place_paid_order(sale)
            event(f"sale refused: {expect.__name__}")
            return
        order = sales.place_paid_order(sale)
        event("sale" + (" with client" if cid else "") + (" with bonus" if bonus else ""))
        assert (order.bonus_redeemed, order.paid, order.accrual) == (bonus, priced.paid, sum(priced.accruals))
        assert order.subtotal - order.discount == order.bonus_redeemed + order.paid
        db_lines = sorted(order.lines, key=lambda line: line.line_no)
        for line, d, b, p, a in zip(db_lines, priced.discounts, priced.bonuses, priced.paids, priced.accruals):
            assert (line.discount, line.bonus, line.paid, line.accrual) == (d, b, p, a), line.line_no
        m = MOrder(order.id, cid, self.now,
                   [Line(line.id, line.line_no, line.qty, line.paid, line.bonus, line.accrual) for line in db_lines],
                   {p.method: p.amount for p in order.payments}, bonus, priced.paid, sum(priced.accruals))
        self.model.orders[order.id] = m
        if cid is not None:
            self.model.settle(cid, self.now)  # a sale touches the account: what is due is released/expired
            if bonus:
                self.model.redeem(cid, bonus, self.now, m)
                if cid == self.focus_client:
                    self.focus = m
            for line in m.lines:
                if line.accrual:
                    line.lot = self.model.accrue(cid, line.accrual, self.now)

    # ---- returns ----

    def open_orders(self, in_window: bool):
        return [o for o in self.model.orders.values()
                if any(line.returned < line.qty for line in o.lines)
                and ((self.now - o.paid_at <= WINDOW) == in_window)]

    @precondition(lambda self: self.open_orders(True) or self.open_orders(False))
    @rule(data=st.data())
    def give_back(self, data):
        in_window, late = self.open_orders(True), self.open_orders(False)
        if not in_window or (late and data.draw(st.integers(0, 5), label="too late?") == 0):
            order = data.draw(st.sampled_from(late), label="late order")
            line = next(line for line in order.lines if line.returned < line.qty)
            with pytest.raises(NotReturnable):
                returns.return_goods(order.id, [ReturnRequest(qty=1, order_line_id=line.line_id)],
                                     key=self.next_key("late"), now=self.now)
            event("return refused: past the window")
            return
        if self.focus in in_window and data.draw(st.integers(0, 3), label="the focused order?"):
            order = self.focus
        else:
            order = data.draw(st.sampled_from(in_window), label="order")
        open_lines = [line for line in order.lines if line.returned < line.qty]
        chosen = data.draw(st.one_of(
            st.just(open_lines),
            st.lists(st.sampled_from(open_lines), min_size=1, max_size=len(open_lines),
                     unique_by=lambda line: line.line_no)), label="lines")
        qtys = {line.line_no: data.draw(st.one_of(st.just(line.qty - line.returned),
                                                  st.integers(1, line.qty - line.returned)), label="qty")
                for line in chosen}
        requests = [ReturnRequest(qty=qtys[line.line_no], order_line_id=line.line_id) for line in chosen]
        key = self.next_key("return")
        event("return" + (" focus" if order is self.focus else ""))
        # What the model expects, in the code's order: the bonus spent comes back first, then the
        # accruals are taken back line by line; what cannot be taken back is kept from the money,
        # never more than this return's money (the rest is kept from the order's next return).
        gross = shortfall = restored = reversed_ = 0
        per_line = {}
        for line in sorted(chosen, key=lambda line: line.line_no):
            before, after = line.returned, line.returned + qtys[line.line_no]
            refund = share(line.paid, after, line.qty) - share(line.paid, before, line.qty)
            bonus = share(line.bonus, after, line.qty) - share(line.bonus, before, line.qty)
            accrual = share(line.accrual, after, line.qty) - share(line.accrual, before, line.qty)
            per_line[line.line_id] = (refund, bonus, accrual)
            line.returned = after
            gross += refund
            restored += bonus
            reversed_ += accrual
        if order.client is not None:
            self.model.settle(order.client, self.now)  # a return touches the account too
        if restored and order.client is not None:
            expired_before = {lot.seq for lot in self.model.lots if lot.expires_at and lot.expires_at <= self.now}
            moves_before = self.model.move_seq
            self.model.restore(order, restored, self.now)
            if any(order.moves.get(seq, [0, 0])[1] > moves_before for seq in expired_before):
                event("bonus restored into an expired lot")
        for line in sorted(chosen, key=lambda line: line.line_no):
            accrual = per_line[line.line_id][2]
            if accrual and order.client is not None:
                shortfall += self.model.reverse_accrual(order, line, accrual, self.now)
        owed = order.unkept + shortfall
        withheld = min(gross, owed)
        order.unkept = owed - withheld
        if withheld:
            event("return with part of the refund withheld")
        if order.unkept:
            event("a kept kopeck carried to the next return")
        ret = returns.return_goods(order.id, requests, key=key, now=self.now)
        figures = (gross - withheld, withheld, restored, reversed_)
        assert (ret.refund_total, ret.withheld, ret.bonus_restored, ret.accrual_reversed) == figures
        for rl in ret.lines:
            assert (rl.refund, rl.bonus_restored, rl.accrual_reversed) == per_line[rl.order_line_id]
        self.return_keys[key] = (order.id, ret.id, requests, figures)
        if self.now == order.paid_at + HOLD:
            event("return at the last instant of the window (accrual released)")
        if all(line.returned == line.qty for line in order.lines):
            event("order fully returned" + (" with bonus spent" if order.bonus else ""))

    # ---- replayed idempotency keys ----

    @precondition(lambda self: self.return_keys or self.adjust_keys)
    @rule(data=st.data())
    def replay(self, data):
        keys = sorted(self.return_keys) + sorted(self.adjust_keys)
        key = data.draw(st.sampled_from(keys), label="key")
        if key in self.return_keys:
            order_id, return_id, requests, figures = self.return_keys[key]
            ret = returns.return_goods(order_id, requests, key=key, now=self.now)
            assert ret.id == return_id
            assert (ret.refund_total, ret.withheld, ret.bonus_restored, ret.accrual_reversed) == figures
            event("return replayed")
        else:
            op_id, cid, amount = self.adjust_keys[key]
            other = data.draw(st.sampled_from([amount, -amount, 10**9, -(10**9)]), label="replayed amount")
            operation = bonus_service.adjust(self.boss, cid, other, "pressed twice", key, now=self.now)
            db.session.commit()
            assert (operation.id, operation.amount) == (op_id, amount)
            event("adjustment replayed")
        # The model does not change: a replay neither settles nor moves anything.

    # ---- time, release and expiry ----

    @rule(data=st.data())
    def advance(self, data):
        expiries = sorted({lot.expires_at for lot in self.model.lots
                           if lot.remaining and lot.expires_at and lot.expires_at > self.now})
        modes = ["hours", "hours", "days", "year"] + (["expiry"] if expiries else [])
        mode = data.draw(st.sampled_from(modes), label="advance")
        event(f"advance: {mode}")
        if mode == "hours":
            self.now += timedelta(hours=data.draw(st.integers(1, 47), label="hours"))
        elif mode == "days":
            self.now += timedelta(days=data.draw(st.integers(1, 20), label="days"))
        elif mode == "year":
            self.now += timedelta(days=data.draw(st.integers(300, 400), label="days"))
        else:
            self.now = data.draw(st.sampled_from(expiries), label="expiry")

    def lots_to_expire(self):
        return [lot for lot in self.model.lots
                if lot.status == "available" and lot.remaining and lot.expires_at - timedelta(seconds=1) > self.now]

    @precondition(lambda self: self.lots_to_expire())
    @rule(data=st.data())
    def spend_just_before_expiry(self, data):
        """A sale spends a lot one second before it expires; returned later, that bonus goes back
        into the expired lot and must expire again at the next settle."""
        lot = data.draw(st.sampled_from(self.lots_to_expire()), label="lot")
        self.now = lot.expires_at - timedelta(seconds=1)
        self.focus_client = lot.client
        event("advance: just before expiry")
        self.place_sale(data, lot.client, spend=True)

    def window_ends(self):
        return [o for o in self.open_orders(True) if o.client is not None and o.paid_at + WINDOW > self.now]

    @precondition(lambda self: self.window_ends())
    @rule(data=st.data())
    def advance_to_window_end(self, data):
        """The last instant a return is allowed is the instant its accrual is released: then the
        client can spend that accrual before the return, and the refund must withhold it."""
        order = data.draw(st.sampled_from(self.window_ends()), label="order")
        self.now = order.paid_at + WINDOW
        self.focus, self.focus_client = order, order.client
        event("advance: window end")

    @rule(data=st.data())
    def release(self, data):
        cid = data.draw(st.one_of(st.none(), st.sampled_from(self.client_ids)), label="settle client (None: sweep)")
        if cid is not None:
            got = ledger.settle(cid, self.now)
            db.session.commit()
            assert got == self.model.settle(cid, self.now)
            return
        expected_accounts = [c for c in self.client_ids if any(self.model.due(c, self.now))]
        released = expired = 0
        for c in self.client_ids:
            r, e = self.model.settle(c, self.now)
            released += r
            expired += e
        result = bonus_service.sweep(self.now)
        assert (result.accounts, result.released, result.expired) == (len(expected_accounts), released, expired)

    # ---- supervisor adjustments ----

    @rule(data=st.data())
    def adjust(self, data):
        cid = self.pick_client(data)
        available = self.model.available_after_settle(cid, self.now)
        modes = ["plus", "plus", "beyond"] + (["minus", "minus", "all"] if available else [])
        at_focus_window_end = self.focus is not None and self.now == self.focus.paid_at + WINDOW
        if at_focus_window_end and cid == self.focus.client and available:
            modes += ["all"] * 6  # spend what the focused order's accrual released
        mode = data.draw(st.sampled_from(modes), label="adjust mode")
        amount = {"plus": lambda: data.draw(st.integers(1, 200_00), label="amount"),
                  "minus": lambda: -data.draw(st.integers(1, available), label="amount"),
                  "all": lambda: -available,
                  "beyond": lambda: -data.draw(st.integers(available + 1, available + 100_00), label="amount")}[mode]()
        key = self.next_key("adjust")
        if mode == "beyond":
            with pytest.raises(ledger.InsufficientBonus):
                bonus_service.adjust(self.boss, cid, amount, "stock-take correction", key, now=self.now)
            db.session.rollback()
            event("adjustment refused: InsufficientBonus")
            return
        operation = bonus_service.adjust(self.boss, cid, amount, "stock-take correction", key, now=self.now)
        db.session.commit()
        self.model.adjust(cid, amount, self.now)
        self.adjust_keys[key] = (operation.id, cid, amount)

    # ---- what must hold after every step ----

    @invariant()
    def ledger_agrees_with_the_model(self):
        if not hasattr(self, "model"):
            return
        in_30d = self.now + timedelta(days=30)
        for cid in self.client_ids:
            acc = self.model.accounts[cid]
            bonus = ledger.bonus_of(cid, self.now)
            lots = self.model.lots_of(cid)
            expiring = sum(lot.remaining for lot in lots if lot.status == "available" and lot.remaining > 0
                           and lot.expires_at <= in_30d)
            tranches: dict[datetime, int] = {}
            for lot in lots:
                if lot.status == "pending" and lot.remaining > 0:
                    tranches[lot.available_at] = tranches.get(lot.available_at, 0) + lot.remaining
            assert (bonus.available, bonus.pending, bonus.expiring_30d) == (acc.available, acc.pending, expiring), cid
            assert bonus.releases == sorted(tranches.items()), cid
            legs, cursor = ledger.legs_of(cid, limit=10_000)
            assert cursor is None
            by_bucket = {"pending": 0, "available": 0}
            for leg in legs:
                by_bucket[leg.bucket.value] += leg.amount
            assert by_bucket == {"pending": acc.pending, "available": acc.available}, cid
        check = ledger.verify()
        assert check.ok, check.problems
        system = account_summary()["system"]
        assert {code: system.get(code, 0) for code in self.model.system} == self.model.system
        for order in self.model.orders.values():
            if all(line.returned == line.qty for line in order.lines):
                rets = db.session.scalars(db.select(Return).where(Return.order_id == order.id)).all()
                assert sum(r.refund_total + r.withheld for r in rets) == order.paid, order.id
                assert sum(r.bonus_restored for r in rets) == order.bonus, order.id
                assert sum(r.accrual_reversed for r in rets) == order.accrual, order.id
                by_method: dict = {}
                for refund in db.session.scalars(db.select(Refund).join(Return).where(Return.order_id == order.id)):
                    by_method[refund.method] = by_method.get(refund.method, 0) + refund.amount + refund.withheld
                assert by_method == {m: a for m, a in order.payments.items() if a}, order.id


def test_the_ledger_agrees_with_a_plain_model(ctx):
    # Each example starts by emptying every table; on PostgreSQL that TRUNCATE is slow, so fewer examples.
    default = 30 if db.engine.dialect.name == "sqlite" else 20
    SEEN.clear()
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(max_examples=int(os.environ.get("LEDGER_MACHINE_EXAMPLES", default)),
                          stateful_step_count=30, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                                 HealthCheck.data_too_large, HealthCheck.large_base_example]))
    print("ledger state machine, paths taken:", dict(sorted(SEEN.items())))

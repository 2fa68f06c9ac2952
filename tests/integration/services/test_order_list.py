"""The manager's order list (services/order_list.py): visibility, every filter, every sort both ways,
pages, totals and the export — on orders made through the real services, with exact amounts.

`build_world` is shared with the page and browser tests of the list.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from portal.extensions import db
from portal.integrations.sms import sent_messages
from portal.models import Channel, ClientKind, Order, OrderStatus, PaymentMethod, PaymentTerms
from portal.services.clients import assignment
from portal.services.clients import bonus as bonus_service
from portal.services.orders import confirmation, order_list, orders, payments
from portal.services.orders.order_list import OrderListFilter
from portal.services.orders.orders import DraftLine, OrderDraft
from portal.services.sales import sales
from portal.services.sales.sales import Sale, SaleLine
from portal.services.staff import staff as staff_service

from ...factories import make_client, make_location, make_product, make_staff

UTC = UTC


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in March 2026, given in UTC (Moscow is UTC+3)."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@dataclass
class World:
    boss: object      # supervisor of M1 and M2
    m1: object
    m2: object
    other_boss: object
    m3: object        # another team
    cashier: object
    admin: object
    orders: dict      # name -> Order
    clients: dict

    def number(self, name: str) -> str:
        return self.orders[name].number

    def id(self, name: str) -> int:
        return self.orders[name].id


def _draft(actor, client, location, lines, now, **kwargs) -> Order:
    return orders.create_draft(actor, OrderDraft(client_id=client.id, location_id=location.id,
                                                 lines=[DraftLine(sku, qty) for sku, qty in lines], **kwargs), now=now)


def build_world(app, sms_path: str) -> World:
    """Ten orders of every channel and several states; who sees which is written next to each.

    Amounts (total = subtotal - discount):
      draft      M1, Romashka (5 %), 2 × DRILL    2000.00 - 100.00 = 1900.00  draft
      web        Acme (M1), DRILL + VALVE, 100.00 bonus   1099.99, paid 999.99  paid
      till       cashier, Romashka, 3 × VALVE      299.97                        completed
      anonymous  cashier, no client, DRILL        1000.00   (nobody's list)     completed
      beta       M2, Beta, DRILL                  1000.00   at 00:30 Moscow, Mar 5   draft
      moved      M1 for Delta, 3 × DRILL          3000.00   Delta then moved to M2   draft
      boss       supervisor for Beta, 10 × VALVE   999.90                        draft
      cancelled  M1, Acme, DRILL                  1000.00                        cancelled
      deferred   M1, Romashka, DRILL, deferred     950.00, 300.00 received      confirmed
      foreign    M3 (another team), Gamma, DRILL  1000.00                        draft
    """
    app.config["SMS_FILE_PATH"] = sms_path
    admin = make_staff("admin", name="Ada Admin")
    boss = make_staff("supervisor", name="Sofia Supervisor")
    m1 = make_staff("manager", name="Mark Manager", supervisor=boss)
    m2 = make_staff("manager", name="Nina Manager", supervisor=boss)
    other_boss = make_staff("supervisor", name="Oleg Supervisor")
    m3 = make_staff("manager", name="Petr Manager", supervisor=other_boss)
    warehouse = make_location("warehouse", code="MAIN", name="Main warehouse", is_main=True)
    shop = make_location("shop", code="SH1", name="Arbat shop")
    cashier = make_staff("cashier", name="Kate Cashier", shop=shop)
    make_product("DRILL", 1_000_00, stock={warehouse: 100, shop: 100}, name="Cordless drill")
    make_product("VALVE", 99_99, stock={warehouse: 100, shop: 100}, discountable=False, name="Ball valve")
    romashka = make_client(m1, name="ООО «Ромашка»", kind=ClientKind.LEGAL_ENTITY, tax_id="7707083893",
                           discount_bp=500, credit_limit=10_000_00, deferral_days=30, phone="+79160000001")
    acme = make_client(m1, name="Acme Trading", kind=ClientKind.LEGAL_ENTITY, tax_id="7736207543",
                       phone="+79160000002")
    beta = make_client(m2, name="Beta Supplies", phone="+79160000003")
    delta = make_client(m1, name="Delta Parts", phone="+79160000004")
    gamma = make_client(m3, name="Gamma Foreign", phone="+79160000005")
    bonus_service.adjust(boss, acme.id, 500_00, "welcome gift", "test:order-list:gift", now=at(1, 8))
    db.session.commit()

    made = {}
    made["draft"] = _draft(m1, romashka, warehouse, [("DRILL", 2)], at(2, 9))
    made["web"] = sales.place_paid_order(Sale(
        channel=Channel.WEB, lines=[SaleLine(1, "DRILL"), SaleLine(1, "VALVE")], location_id=warehouse.id,
        client_id=acme.id, bonus_to_redeem=100_00, external_id="OC-1001", now=at(3, 10)))
    made["till"] = sales.place_paid_order(Sale(
        channel=Channel.SHOP, lines=[SaleLine(3, "VALVE")], location_id=shop.id, client_id=romashka.id,
        default_method=PaymentMethod.CASH, created_by_id=cashier.id, now=at(4, 20, 59)))  # 23:59 Moscow
    made["anonymous"] = sales.place_paid_order(Sale(
        channel=Channel.SHOP, lines=[SaleLine(1, "DRILL")], location_id=shop.id, default_method=PaymentMethod.CARD,
        created_by_id=cashier.id, now=at(4, 21, 10)))
    made["beta"] = _draft(m2, beta, warehouse, [("DRILL", 1)], at(4, 21, 30))  # 00:30 on the 5th in Moscow
    made["moved"] = _draft(m1, delta, warehouse, [("DRILL", 3)], at(6, 8))
    assignment.assign_manager(boss, delta.id, m2.id)
    made["boss"] = _draft(boss, beta, warehouse, [("VALVE", 10)], at(7, 8))
    made["cancelled"] = _draft(m1, acme, warehouse, [("DRILL", 1)], at(8, 8))
    orders.cancel(m1, made["cancelled"].id, now=at(8, 9))
    made["deferred"] = _draft(m1, romashka, warehouse, [("DRILL", 1)], at(9, 8), payment_terms=PaymentTerms.DEFERRED)
    orders.submit(m1, made["deferred"].id)
    confirmation.send_code(m1, made["deferred"].id, now=at(9, 8, 30))
    code = re.search(r"\b(\d{6})\b", sent_messages(sms_path)[-1]["text"]).group(1)
    confirmation.confirm_with_code(m1, made["deferred"].id, code, now=at(9, 8, 35))
    order = db.session.get(Order, made["deferred"].id)
    payments.record_payment(m1, order.id, PaymentMethod.BANK_TRANSFER, 300_00,
                                  expected_outstanding=order.outstanding, now=at(9, 12))
    made["foreign"] = _draft(m3, gamma, warehouse, [("DRILL", 1)], at(9, 12))
    db.session.expire_all()
    return World(boss=boss, m1=m1, m2=m2, other_boss=other_boss, m3=m3, cashier=cashier, admin=admin,
                 orders={k: db.session.get(Order, v.id) for k, v in made.items()},
                 clients={"romashka": romashka, "acme": acme, "beta": beta, "delta": delta, "gamma": gamma})


# Who sees what (services.orders.can_open): the list must say the same.
SEEN = {
    "m1": {"draft", "web", "till", "moved", "cancelled", "deferred"},
    "m2": {"beta", "moved", "boss"},
    "boss": {"draft", "web", "till", "moved", "cancelled", "deferred", "beta", "boss"},
    "m3": {"foreign"},
    "other_boss": {"foreign"},
    "cashier": set(),
    "admin": set(),
}
TOTALS = {"draft": 1_900_00, "web": 1_099_99, "till": 299_97, "anonymous": 1_000_00, "beta": 1_000_00,
          "moved": 3_000_00, "boss": 999_90, "cancelled": 1_000_00, "deferred": 950_00, "foreign": 1_000_00}


@pytest.fixture
def world(ctx, tmp_path) -> World:
    return build_world(ctx, str(tmp_path / "sms.jsonl"))


def names(world: World, orders_) -> list[str]:
    by_id = {o.id: name for name, o in world.orders.items()}
    return [by_id[o.id] for o in orders_]


def listed(world: World, viewer, f: OrderListFilter | None = None, sort="created", direction="asc",
           per_page=100) -> list[str]:
    page = order_list.find_orders(viewer, f or OrderListFilter(), sort, direction, 1, per_page)
    assert page.total == len(page.items)
    return names(world, page.items)


# ------------------------------------------------------------------------------------------ the world

def test_the_orders_are_what_the_services_made(world):
    o = world.orders
    assert {k: v.subtotal - v.discount for k, v in o.items()} == TOTALS
    assert (o["web"].bonus_redeemed, o["web"].paid, o["web"].received) == (100_00, 999_99, 999_99)
    assert (o["deferred"].status, o["deferred"].paid, o["deferred"].received) == (OrderStatus.CONFIRMED, 950_00, 300_00)
    assert o["deferred"].due_date == date(2026, 4, 8)
    assert o["cancelled"].status is OrderStatus.CANCELLED and o["till"].status is OrderStatus.COMPLETED


# ------------------------------------------------------------------------------------------ visibility

@pytest.mark.parametrize("who", sorted(SEEN))
def test_each_person_sees_exactly_what_can_open_allows(world, who):
    viewer = getattr(world, who)
    seen = set(listed(world, viewer))
    assert seen == SEEN[who]
    assert seen == {name for name, order in world.orders.items() if orders.can_open(viewer, order)}


def test_a_manager_never_sees_another_managers_clients_orders(world):
    for order in order_list.find_orders(world.m1, OrderListFilter(), per_page=100).items:
        assert order.created_by_id == world.m1.id or order.client.manager_id == world.m1.id
    # Beta is Nina's client: nothing of hers is Mark's, even searched for by name or number.
    assert listed(world, world.m1, OrderListFilter(client="Beta")) == []
    assert listed(world, world.m1, OrderListFilter(number=world.number("boss"))) == []
    assert listed(world, world.m1, OrderListFilter(placed_by=world.m2.id)) == []


def test_a_supervisor_keeps_seeing_a_former_team_members_orders(world):
    staff_service.set_active(world.admin, world.m2.id, False)
    assert set(listed(world, world.boss)) == SEEN["boss"]
    assert {c.label for c in order_list.placed_by_choices(world.boss)} >= {"Nina Manager (no longer works here)"}


def test_an_inactive_viewer_sees_nothing(world):
    staff_service.set_active(world.admin, world.m1.id, False)
    assert listed(world, world.m1) == []


# ------------------------------------------------------------------------------------------ filters

def test_dates_are_days_in_the_company_time_zone_both_ends_included(world):
    boss = world.boss
    # The till sale was at 23:59 on the 4th in Moscow; Nina's draft at 00:30 on the 5th (21:30 UTC on the 4th).
    assert listed(world, boss, OrderListFilter(date_from=date(2026, 3, 4), date_to=date(2026, 3, 4))) == ["till"]
    assert listed(world, boss, OrderListFilter(date_from=date(2026, 3, 5), date_to=date(2026, 3, 5))) == ["beta"]
    assert listed(world, boss, OrderListFilter(date_to=date(2026, 3, 3))) == ["draft", "web"]
    assert listed(world, boss, OrderListFilter(date_from=date(2026, 3, 8))) == ["cancelled", "deferred"]
    assert listed(world, boss, OrderListFilter(date_from=date(2026, 3, 10))) == []


def test_number_exact_or_ending_any_case_or_the_external_id(world):
    m1 = world.m1
    web = world.number("web")
    assert listed(world, m1, OrderListFilter(number=web)) == ["web"]
    assert listed(world, m1, OrderListFilter(number=web.lower())) == ["web"]
    assert listed(world, m1, OrderListFilter(number=f"  {world.id('deferred'):06d} ")) == ["deferred"]
    assert listed(world, m1, OrderListFilter(number="oc-1001")) == ["web"]
    assert listed(world, m1, OrderListFilter(number="OC-10")) == []  # the external id is matched whole
    assert listed(world, m1, OrderListFilter(number="%")) == []
    assert listed(world, m1, OrderListFilter(number="_")) == []
    assert set(listed(world, m1, OrderListFilter(number="M-"))) == set()  # a prefix is not an ending


def test_client_by_part_of_the_legal_name_in_any_case(world):
    boss = world.boss
    assert listed(world, boss, OrderListFilter(client="ромашк")) == ["draft", "till", "deferred"]
    assert listed(world, boss, OrderListFilter(client="ООО «РОМАШКА»")) == ["draft", "till", "deferred"]
    assert listed(world, boss, OrderListFilter(client="  acme   TRADING ")) == ["web", "cancelled"]
    assert listed(world, boss, OrderListFilter(client="%")) == []
    assert listed(world, boss, OrderListFilter(client="Gamma")) == []  # another team's client


def test_amount_range_on_the_total_after_discounts_both_ends_included(world):
    boss = world.boss
    assert listed(world, boss, OrderListFilter(amount_min=1_000_00, amount_max=1_900_00)) == \
        ["draft", "web", "beta", "cancelled"]
    assert listed(world, boss, OrderListFilter(amount_min=1_900_01)) == ["moved"]
    # 2 × 1000.00 before the 5 % discount would be in; after it (1900.00) it is not.
    assert "draft" not in listed(world, boss, OrderListFilter(amount_min=1_900_01))
    assert listed(world, boss, OrderListFilter(amount_max=999_90)) == ["till", "boss", "deferred"]
    # The bonus does not lower the total: the web order is 1099.99 though 999.99 was paid in money.
    assert listed(world, boss, OrderListFilter(amount_min=1_099_99, amount_max=1_099_99)) == ["web"]


@pytest.mark.parametrize("status, expected", [
    (OrderStatus.DRAFT, ["draft", "beta", "moved", "boss"]),
    (OrderStatus.PAID, ["web"]),
    (OrderStatus.COMPLETED, ["till"]),
    (OrderStatus.CANCELLED, ["cancelled"]),
    (OrderStatus.CONFIRMED, ["deferred"]),
    (OrderStatus.RETURNED, []),
])
def test_status(world, status, expected):
    assert listed(world, world.boss, OrderListFilter(status=status)) == expected


@pytest.mark.parametrize("channel, expected", [
    (Channel.WEB, ["web"]),
    (Channel.SHOP, ["till"]),
    (Channel.MANAGER, ["draft", "beta", "moved", "boss", "cancelled", "deferred"]),
])
def test_channel(world, channel, expected):
    assert listed(world, world.boss, OrderListFilter(channel=channel)) == expected


def test_placed_by_the_web_shop_a_till_or_a_staff_member(world):
    boss = world.boss
    assert listed(world, boss, OrderListFilter(placed_by="web")) == ["web"]
    assert listed(world, boss, OrderListFilter(placed_by="shop")) == ["till"]
    assert listed(world, boss, OrderListFilter(placed_by=world.m1.id)) == ["draft", "moved", "cancelled", "deferred"]
    assert listed(world, boss, OrderListFilter(placed_by=world.m2.id)) == ["beta"]
    assert listed(world, boss, OrderListFilter(placed_by=world.boss.id)) == ["boss"]
    assert listed(world, boss, OrderListFilter(placed_by=world.cashier.id)) == ["till"]


def test_filters_combine(world):
    f = OrderListFilter(date_from=date(2026, 3, 2), date_to=date(2026, 3, 9), client="ромашка",
                        amount_min=900_00, status=OrderStatus.DRAFT, channel=Channel.MANAGER, placed_by=world.m1.id)
    assert listed(world, world.boss, f) == ["draft"]
    f.status = OrderStatus.CONFIRMED
    assert listed(world, world.boss, f) == ["deferred"]
    f.amount_max = 949_99
    assert listed(world, world.boss, f) == []


def test_placed_by_choices(world):
    def values(viewer):
        return [(c.value, c.label) for c in order_list.placed_by_choices(viewer)]
    assert values(world.m1) == [("web", "Web shop"), ("shop", "Till"), (str(world.m1.id), "Mark Manager")]
    assert values(world.boss) == [("web", "Web shop"), ("shop", "Till"), (str(world.boss.id), "Sofia Supervisor"),
                                  (str(world.m1.id), "Mark Manager"), (str(world.m2.id), "Nina Manager")]
    assert order_list.parse_placed_by("web") == "web" and order_list.parse_placed_by(" 12 ") == 12
    assert order_list.parse_placed_by("x") is None and order_list.parse_placed_by("-1") is None


# ------------------------------------------------------------------------------------------ sorting

def _expected_order(world, key, direction):
    seen = [world.orders[n] for n in SEEN["boss"]]
    keys = {
        "created": lambda o: (o.created_at, o.id),
        "number": lambda o: (o.number, o.id),
        "total": lambda o: (o.subtotal - o.discount, o.id),
        "client": lambda o: (o.client.name.lower(), o.id),
    }
    return names(world, sorted(seen, key=keys[key], reverse=direction == "desc"))


@pytest.mark.parametrize("key", ["created", "number", "total", "client"])
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_every_sort_both_ways(world, key, direction):
    assert listed(world, world.boss, sort=key, direction=direction) == _expected_order(world, key, direction)


def test_sorting_by_total_breaks_ties_by_id_and_unknown_keys_fall_back(world):
    up = listed(world, world.boss, sort="total", direction="asc")
    assert up == ["till", "deferred", "boss", "beta", "cancelled", "web", "draft", "moved"]
    assert listed(world, world.boss, sort="total", direction="desc") == list(reversed(up))
    assert listed(world, world.boss, sort="client", direction="asc")[:2] == ["web", "cancelled"]  # Acme first
    # Unknown sort and direction: newest first.
    assert listed(world, world.boss, sort="price; drop", direction="sideways") == \
        listed(world, world.boss, sort="created", direction="desc")


# ------------------------------------------------------------------------------------------ pages

def test_pages_cover_the_list_once_and_a_page_past_the_end_gives_the_last(world):
    boss, f = world.boss, OrderListFilter()
    pages = [order_list.find_orders(boss, f, "created", "asc", n, 3) for n in (1, 2, 3)]
    assert [p.total for p in pages] == [8, 8, 8] and [p.pages for p in pages] == [3, 3, 3]
    assert [len(p.items) for p in pages] == [3, 3, 2]
    assert sum((names(world, p.items) for p in pages), []) == listed(world, boss)
    past = order_list.find_orders(boss, f, "created", "asc", 99, 3)
    assert past.page == 3 and names(world, past.items) == names(world, pages[2].items)
    assert order_list.find_orders(boss, f, "created", "asc", 0, 3).page == 1
    assert len(order_list.find_orders(boss, f, per_page=10_000).items) == 8  # capped at MAX_PER_PAGE, all fit
    empty = order_list.find_orders(boss, OrderListFilter(client="nobody"), page=5)
    assert (empty.total, empty.items) == (0, [])


# ------------------------------------------------------------------------------------------ totals

def test_totals_of_the_filtered_set_are_exact(world):
    t = order_list.order_totals(world.m1, OrderListFilter())
    # totals: 1900.00 + 1099.99 + 299.97 + 3000.00 + 1000.00 + 950.00
    # received: 999.99 (web, after 100.00 bonus) + 299.97 (till) + 300.00 (deferred, part)
    # outstanding: 1900.00 (draft) + 3000.00 (moved) + 650.00 (deferred); nothing for the cancelled one
    assert t == order_list.OrderTotals(count=6, total=8_249_96, received=1_599_96, outstanding=5_550_00)
    assert order_list.order_totals(world.boss, OrderListFilter()) == order_list.OrderTotals(
        count=8, total=10_249_86, received=1_599_96, outstanding=7_549_90)
    assert order_list.order_totals(world.m1, OrderListFilter(status=OrderStatus.CONFIRMED)) == \
        order_list.OrderTotals(1, 950_00, 300_00, 650_00)
    assert order_list.order_totals(world.cashier, OrderListFilter()) == order_list.OrderTotals(0, 0, 0, 0)
    assert order_list.order_totals(world.m1, OrderListFilter(client="nobody")) == order_list.OrderTotals(0, 0, 0, 0)
    # The same figures as adding up the rows.
    rows = order_list.find_orders(world.boss, OrderListFilter(), per_page=100).items
    assert sum(o.subtotal - o.discount for o in rows) == 10_249_86
    assert sum(order_list.outstanding_of(o) for o in rows) == 7_549_90


# ------------------------------------------------------------------------------------------ export

def test_export_rows_follow_the_list_and_carry_every_column(world, monkeypatch):
    monkeypatch.setattr(order_list, "EXPORT_BATCH", 3)  # several batches for eight rows
    rows = list(order_list.orders_for_export(world.boss, OrderListFilter(), "total", "desc"))
    assert [r.id for r in rows] == [world.id(n) for n in listed(world, world.boss, sort="total", direction="desc")]
    deferred = next(r for r in rows if r.id == world.id("deferred"))
    assert deferred == order_list.ExportRow(
        id=world.id("deferred"), number=world.number("deferred"), external_id=None,
        created_at=at(9, 8), channel=Channel.MANAGER, status=OrderStatus.CONFIRMED, client_name="ООО «Ромашка»",
        client_tax_id="7707083893", placed_by_name="Mark Manager", subtotal=1_000_00, discount=50_00, bonus=0,
        to_pay=950_00, received=300_00, outstanding=650_00, payment_terms=PaymentTerms.DEFERRED,
        due_date=date(2026, 4, 8))
    web = next(r for r in rows if r.id == world.id("web"))
    assert (web.external_id, web.placed_by_name, web.bonus, web.to_pay, web.received, web.outstanding, web.total) == \
        ("OC-1001", None, 100_00, 999_99, 999_99, 0, 1_099_99)
    cancelled = next(r for r in rows if r.id == world.id("cancelled"))
    assert (cancelled.to_pay, cancelled.received, cancelled.outstanding) == (1_000_00, 0, 0)


def test_export_applies_the_filters_and_visibility(world):
    rows = list(order_list.orders_for_export(world.m1, OrderListFilter(status=OrderStatus.DRAFT)))
    assert {r.id for r in rows} == {world.id("draft"), world.id("moved")}
    assert list(order_list.orders_for_export(world.cashier, OrderListFilter())) == []


def test_the_ends_of_the_calendar_are_no_bounds_rather_than_an_error(world):
    f = OrderListFilter(date_from=date.min, date_to=date.max)
    assert set(listed(world, world.boss, f)) == SEEN["boss"]

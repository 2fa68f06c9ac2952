"""The eight statistics reports (SPEC §7) on one fixed history made through the services, with exact
figures — each also checked against a hand-written SQL query that does not share the reports' code.

`build_history` is shared with the page and browser tests of the statistics.

The history (times are UTC; Moscow, the company's zone, is UTC+3 all year):

    team of Sofia Boss: Mark One (m1) and Nina Two (m2); another team: Oleg Other with Petr Three (m3)
    clients  Romashka (m1, 5 % discount, created 15 Jan), Acme (m1, 10 Feb),
             Beta (m2, legal entity, credit 10 000.00 / 7 days, 28 Feb 21:30 = 1 Mar 00:30 Moscow),
             Delta (m2, 31 Mar 20:59 = 23:59 Moscow), Epsilon (m1, 31 Mar 21:01 = 1 Apr 00:01 Moscow),
             Gamma (m3), Walk-in (nobody's, 11 Mar), Rejected (m1, a rejected proposal, 12 Mar)
    products DRILL 1 000.00 (Tools / Power tools), VALVE 99.99 (no section, never discounted)

    2025-03-05 10:00  Boss gives Acme 30.00 (expires 2026-03-05 10:00)
    2026-01-20 10:00  Boss gives Romashka 100.00
    02-20 07:00  M5  m1 for Romashka, DRILL: 950.00, sent                         (created in February)
    02-28 20:59  S1  web, Acme, DRILL: 1 000.00, accrual 50.00               23:59 Moscow, 28 Feb
    02-28 21:01  S2  web, Acme, DRILL + VALVE: 1 099.99, accrual 54.99       00:01 Moscow, 1 Mar
    03-01 07:00  M5  confirmed;  03-02 07:00 paid: accrual 47.50
    03-02 07:00  M1  m1 for Romashka, 2 × DRILL: 1 900.00 with 100.00 bonus, sent
    03-02 08:00  R1  Acme returns S1's DRILL: 1 000.00 back, accrual 50.00 taken back (pending)
    03-03 07:00  M1  confirmed (100.00 bonus redeemed);  03-04 07:00 paid 1 800.00: accrual 90.00
    03-05 07:00  M2  m2 for Beta, DRILL on 7 days' credit: 1 000.00; 08:00 confirmed, due 12 Mar
    03-06 07:00  M2  300.00 paid: 700.00 owed
    03-08 10:00  Romashka's 40.00 of OpenCart history imported
    03-10 09:00  S3  till (Kate), Romashka, 3 × VALVE + DRILL: 299.97 + 950.00 = 1 249.97, accrual 62.49
    03-10        S6  web, Gamma (other team), DRILL 1 000.00;  S7 till, no client, DRILL 1 000.00
    03-15 09:00  R2  Romashka returns 1 VALVE of S3: 99.99 back, accrual 5.00 taken back
    03-20 07:00  M3  m1 for Acme, VALVE: 99.99, sent (never confirmed); 12:00 Boss gives Beta 25.00
    03-25 07:00  M4  m1 for Romashka, VALVE: 99.99, sent; 03-26 confirmed; 03-27 cancelled
    03-31 20:59  S4  web, Delta, VALVE: 99.99, accrual 4.99                  23:59 Moscow, 31 Mar
    03-31 21:01  S5  web, Beta, VALVE: 99.99                                 00:01 Moscow, 1 Apr
    04-05 00:00  the bonus sweep: releases (dated when due) and Acme's 30.00 expiry (dated 5 Mar)

March, the team:  sales 5 orders 5 299.95 (S2, M5, M1, S3, S4), returns 1 099.99 (R1, R2), net 4 199.96
February:         sales 1 order 1 000.00 (S1)
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from portal import ledger
from portal.errors import ValidationError
from portal.extensions import db
from portal.integrations.sms import sent_messages
from portal.models import Channel, ClientKind, ClientStatus, Order, PaymentMethod, PaymentTerms, Section, User
from portal.services.clients import bonus as bonus_service
from portal.services.orders import confirmation, orders, payments
from portal.services.orders.orders import DraftLine, OrderDraft
from portal.services.sales import returns, sales
from portal.services.sales.returns import ReturnRequest
from portal.services.sales.sales import Sale, SaleLine
from portal.services.statistics import CATALOGUE, REPORTS
from portal.services.statistics.periods import Period, period_for, previous
from portal.services.statistics.report import ChartKind, Report, ValueKind

from ...factories import make_client, make_location, make_product, make_staff

UTC = UTC
MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))
FEBRUARY = Period(date(2026, 2, 1), date(2026, 2, 28))
EMPTY = Period(date(2025, 6, 1), date(2025, 6, 30))
TODAY = date(2026, 4, 1)  # the debt report's "today"


def at(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@dataclass
class History:
    boss: User
    m1: User
    m2: User
    other_boss: User
    m3: User
    cashier: User
    clients: dict
    orders: dict


def _code(sms_path: str) -> str:
    return re.search(r"\b(\d{6})\b", sent_messages(sms_path)[-1]["text"]).group(1)


def build_history(app, sms_path: str) -> History:
    """The history of the module docstring, made through the services in time order."""
    app.config["SMS_FILE_PATH"] = sms_path
    boss = make_staff("supervisor", name="Sofia Boss")
    m1 = make_staff("manager", name="Mark One", supervisor=boss)
    m2 = make_staff("manager", name="Nina Two", supervisor=boss)
    other_boss = make_staff("supervisor", name="Oleg Other")
    m3 = make_staff("manager", name="Petr Three", supervisor=other_boss)
    warehouse = make_location("warehouse", code="MAIN", name="Main warehouse", is_main=True)
    shop = make_location("shop", code="SH1", name="Arbat shop")
    cashier = make_staff("cashier", name="Kate Cashier", shop=shop)
    tools = Section(name="Tools")
    db.session.add(tools)
    db.session.flush()
    power = Section(name="Power tools", parent_id=tools.id)
    db.session.add(power)
    db.session.commit()
    drill = make_product("DRILL", 1_000_00, stock={warehouse: 100, shop: 100}, name="Cordless drill")
    drill.section_id = power.id
    make_product("VALVE", 99_99, stock={warehouse: 100, shop: 100}, discountable=False, name="Ball valve")
    db.session.commit()

    clients = {
        "romashka": make_client(m1, name="ООО «Ромашка»", kind=ClientKind.LEGAL_ENTITY, discount_bp=500,
                                phone="+79160000001", created_at=at(1, 15, 9)),
        "acme": make_client(m1, name="Acme Trading", kind=ClientKind.LEGAL_ENTITY, phone="+79160000002",
                            created_at=at(2, 10, 9)),
        "beta": make_client(m2, name="Beta Supplies", kind=ClientKind.LEGAL_ENTITY, credit_limit=10_000_00,
                            deferral_days=7, phone="+79160000003", created_at=at(2, 28, 21, 30)),
        "delta": make_client(m2, name="Delta Parts", phone="+79160000004", created_at=at(3, 31, 20, 59)),
        "epsilon": make_client(m1, name="Epsilon", phone="+79160000005", created_at=at(3, 31, 21, 1)),
        "gamma": make_client(m3, name="Gamma Foreign", phone="+79160000006", created_at=at(3, 10, 9)),
        "walkin": make_client(None, name="Walk-in", phone="+79160000007", created_at=at(3, 11, 9)),
        "rejected": make_client(m1, name="Rejected Ltd", phone="+79160000008", created_at=at(3, 12, 9),
                                status=ClientStatus.REJECTED),
    }
    c = clients
    made: dict[str, Order] = {}

    def draft(actor, client, lines, now, **kwargs) -> Order:
        order = orders.create_draft(actor, OrderDraft(client_id=client.id, location_id=warehouse.id,
                                                      lines=[DraftLine(sku, qty) for sku, qty in lines], **kwargs),
                                    now=now)
        return orders.submit(actor, order.id)

    def confirm(actor, order, now):
        confirmation.send_code(actor, order.id, now=now)
        return confirmation.confirm_with_code(actor, order.id, _code(sms_path), now=now)

    def pay(actor, order, amount, now):
        order = db.session.get(Order, order.id)
        return payments.record_payment(actor, order.id, PaymentMethod.BANK_TRANSFER, amount,
                                             expected_outstanding=order.outstanding, now=now)

    def web(client, lines, now):
        return sales.place_paid_order(Sale(channel=Channel.WEB, lines=[SaleLine(q, sku) for sku, q in lines],
                                           location_id=warehouse.id, client_id=client.id if client else None,
                                           now=now))

    bonus_service.adjust(boss, c["acme"].id, 30_00, "loyalty", "test:stats:acme-gift", now=at(3, 5, 10, year=2025))
    bonus_service.adjust(boss, c["romashka"].id, 100_00, "loyalty", "test:stats:romashka-gift", now=at(1, 20, 10))
    db.session.commit()
    made["M5"] = draft(m1, c["romashka"], [("DRILL", 1)], at(2, 20, 7))
    made["S1"] = web(c["acme"], [("DRILL", 1)], at(2, 28, 20, 59))
    made["S2"] = web(c["acme"], [("DRILL", 1), ("VALVE", 1)], at(2, 28, 21, 1))
    confirm(m1, made["M5"], at(3, 1, 7))
    pay(m1, made["M5"], 950_00, at(3, 2, 7))
    made["M1"] = draft(m1, c["romashka"], [("DRILL", 2)], at(3, 2, 7), bonus=100_00)
    returns.return_goods(made["S1"].id, [ReturnRequest(1, "DRILL")], key="test:stats:R1", now=at(3, 2, 8))
    confirm(m1, made["M1"], at(3, 3, 7))
    pay(m1, made["M1"], 1_800_00, at(3, 4, 7))
    made["M2"] = draft(m2, c["beta"], [("DRILL", 1)], at(3, 5, 7), payment_terms=PaymentTerms.DEFERRED)
    confirm(m2, made["M2"], at(3, 5, 8))
    pay(m2, made["M2"], 300_00, at(3, 6, 7))
    ledger.import_bonus(c["romashka"].id, 40_00, "opencart:reward:1", at=at(3, 8, 10), reason="OpenCart")
    db.session.commit()
    made["S3"] = sales.place_paid_order(Sale(
        channel=Channel.SHOP, lines=[SaleLine(3, "VALVE"), SaleLine(1, "DRILL")], location_id=shop.id,
        client_id=c["romashka"].id, default_method=PaymentMethod.CASH, created_by_id=cashier.id, now=at(3, 10, 9)))
    made["S6"] = web(c["gamma"], [("DRILL", 1)], at(3, 10, 10))
    made["S7"] = sales.place_paid_order(Sale(
        channel=Channel.SHOP, lines=[SaleLine(1, "DRILL")], location_id=shop.id, default_method=PaymentMethod.CARD,
        created_by_id=cashier.id, now=at(3, 10, 11)))
    returns.return_goods(made["S3"].id, [ReturnRequest(1, "VALVE")], key="test:stats:R2", now=at(3, 15, 9))
    made["M3"] = draft(m1, c["acme"], [("VALVE", 1)], at(3, 20, 7))
    bonus_service.adjust(boss, c["beta"].id, 25_00, "apology", "test:stats:beta-gift", now=at(3, 20, 12))
    db.session.commit()
    made["M4"] = draft(m1, c["romashka"], [("VALVE", 1)], at(3, 25, 7))
    confirm(m1, made["M4"], at(3, 26, 7))
    orders.cancel(m1, made["M4"].id, now=at(3, 27, 7))
    made["S4"] = web(c["delta"], [("VALVE", 1)], at(3, 31, 20, 59))
    made["S5"] = web(c["beta"], [("VALVE", 1)], at(3, 31, 21, 1))
    bonus_service.sweep(at(4, 5, 0))
    db.session.expire_all()
    return History(boss=boss, m1=m1, m2=m2, other_boss=other_boss, m3=m3, cashier=cashier, clients=clients,
                   orders={k: db.session.get(Order, v.id) for k, v in made.items()})


@pytest.fixture
def history(ctx, tmp_path) -> History:
    return build_history(ctx, str(tmp_path / "sms.jsonl"))


def run(key: str, viewer, period: Period = MARCH, compare: bool = True, **kwargs) -> Report:
    return REPORTS[key](db.session.get(User, viewer.id), period, compare, **kwargs)


def column_keys(report: Report) -> list[str]:
    return [c.key for c in report.columns]


def table(report: Report, *keys: str) -> list[tuple]:
    return [tuple(row.get(k) for k in keys) for row in report.rows]


# --- hand-written SQL: the same figures by another road -------------------------------------------

def sql(query: str, **params):
    """Run raw SQL; moments are given aware and bound as the naive UTC the columns hold."""
    binds = [sa.bindparam(name, type_=sa.DateTime()) for name, value in params.items()
             if isinstance(value, datetime)]
    values = {k: (v.astimezone(UTC).replace(tzinfo=None) if isinstance(v, datetime) else v)
              for k, v in params.items()}
    return db.session.execute(sa.text(query).bindparams(*binds), values).all()


def team_ids(h: History) -> str:
    return ",".join(str(i) for i in (h.boss.id, h.m1.id, h.m2.id))


def bounds(period: Period) -> dict:
    """Midnight to midnight in Moscow, written out by hand."""
    start = datetime(period.start.year, period.start.month, period.start.day, tzinfo=UTC)
    end = datetime(period.end.year, period.end.month, period.end.day, tzinfo=UTC)
    return {"s": start - timedelta(hours=3), "e": end + timedelta(days=1) - timedelta(hours=3)}


def moscow_day(column: str) -> str:
    """The Moscow day (UTC+3, no daylight saving) of a stored UTC moment, as ISO text, per engine."""
    if db.engine.dialect.name == "postgresql":
        return f"TO_CHAR({column} + INTERVAL '3 hours', 'YYYY-MM-DD')"
    return f"DATE({column}, '+3 hours')"


def sales_sql(h: History, group: str, period: Period) -> dict:
    """{group value: (orders, sales, returned)} with `group` an SQL expression on o and c, in which
    {t} stands for the moment the row counts at (the payment, or the return)."""
    ids = team_ids(h)
    seen = f"(o.created_by_id IN ({ids}) OR c.manager_id IN ({ids}))"
    rows = sql(f"""
        SELECT g, SUM(n), SUM(s), SUM(r) FROM (
          SELECT {group.format(t="o.paid_at")} AS g, 1 AS n, o.subtotal - o.discount AS s, 0 AS r
          FROM orders o LEFT JOIN clients c ON c.id = o.client_id
          WHERE {seen} AND o.paid_at >= :s AND o.paid_at < :e
          UNION ALL
          SELECT {group.format(t="r.created_at")}, 0, 0,
                 (SELECT SUM(rl.refund + rl.bonus_restored) FROM return_lines rl WHERE rl.return_id = r.id)
          FROM returns r JOIN orders o ON o.id = r.order_id LEFT JOIN clients c ON c.id = o.client_id
          WHERE {seen} AND r.created_at >= :s AND r.created_at < :e
        ) t GROUP BY g""", **bounds(period))
    return {g: (int(n), int(s), int(r)) for g, n, s, r in rows}


# --- the catalogue ------------------------------------------------------------------------------

def test_eight_reports_are_registered_in_the_order_of_the_spec():
    assert list(REPORTS) == ["sales_by_manager", "new_clients", "sales_by_period", "sales_by_client", "conversion",
                             "goods_sold", "client_debt", "bonus_programme"]
    assert [info.key for info in CATALOGUE] == list(REPORTS)


# --- 1. sales per manager -----------------------------------------------------------------------

def test_sales_by_manager(history):
    h = history
    report = run("sales_by_manager", h.boss)
    assert report.key == "sales_by_manager" and report.period == MARCH and report.previous == FEBRUARY
    assert column_keys(report) == ["manager", "orders", "sales", "returns", "net", "average", "confirmed"]
    # Mark: S2 (Acme's web order), M5, M1, S3 (Romashka at the till); R1 and R2 came back in March.
    # Nina: Delta's S4 at 23:59 on 31 March; Beta's S5 a minute after midnight is April's.
    assert table(report, "manager", "orders", "sales", "returns", "net", "average", "confirmed") == [
        ("Mark One", 4, 5_199_96, 1_099_99, 4_099_97, 1_299_99, 3),  # confirmed: M5 (1 Mar), M1, M4
        ("Nina Two", 1, 99_99, 0, 99_99, 99_99, 1),                  # confirmed: M2
    ]
    assert report.rows[0]["drill"] == {"placed_by": str(h.m1.id), "date_from": "2026-03-01", "date_to": "2026-03-31"}
    assert report.totals == {"orders": 5, "sales": 5_299_95, "returns": 1_099_99,
                             "net": 4_199_96, "average": 1_059_99, "confirmed": 4}
    # February: S1 at 23:59 on the 28th; M5 was sent then but confirmed in March.
    assert report.previous_totals == {"orders": 1, "sales": 1_000_00, "returns": 0,
                                      "net": 1_000_00, "average": 1_000_00, "confirmed": 0}
    assert report.chart.kind is ChartKind.HBARS and report.chart.labels == ("Mark One", "Nina Two")
    assert [s.values for s in report.chart.series] == [(4_099_97, 99_99), (1_000_00, 0)]

    person = (f"CASE WHEN o.created_by_id IN ({team_ids(h)}) THEN o.created_by_id ELSE c.manager_id END")
    by_sql = sales_sql(h, person, MARCH)
    assert by_sql == {h.m1.id: (4, 5_199_96, 1_099_99), h.m2.id: (1, 99_99, 0)}
    confirmed = dict(sql(f"""SELECT o.created_by_id, COUNT(*) FROM orders o
                             WHERE o.channel = 'manager' AND o.confirmed_at >= :s AND o.confirmed_at < :e
                             AND o.created_by_id IN ({team_ids(h)}) GROUP BY o.created_by_id""", **bounds(MARCH)))
    assert confirmed == {h.m1.id: 3, h.m2.id: 1}


def test_sales_by_manager_of_an_empty_period_lists_the_team_with_zeros(history):
    report = run("sales_by_manager", history.boss, EMPTY, compare=False)
    assert table(report, "manager", "orders", "net", "average", "confirmed") == [
        ("Mark One", 0, 0, 0, 0), ("Nina Two", 0, 0, 0, 0)]
    assert report.totals["net"] == 0 and report.previous is None and report.previous_totals is None
    assert len(report.chart.series) == 1


def test_another_team_sees_only_its_own(history):
    h = history
    report = run("sales_by_manager", h.other_boss)
    assert table(report, "manager", "orders", "net") == [("Petr Three", 1, 1_000_00)]  # Gamma's S6 only
    assert run("sales_by_period", h.other_boss).totals == {"orders": 1, "sales": 1_000_00, "returns": 0,
                                                           "net": 1_000_00}
    assert table(run("sales_by_client", h.other_boss), "client", "net") == [("Gamma Foreign", 1_000_00)]
    assert run("new_clients", h.other_boss).totals["total"] == 1
    assert run("client_debt", h.other_boss, today=TODAY).rows == ()
    assert run("conversion", h.other_boss).totals["created"] == 0
    assert run("bonus_programme", h.other_boss).totals["accrued"] == 50_00  # Gamma's accrual on S6


# --- 2. new clients -----------------------------------------------------------------------------

def test_new_clients(history):
    h = history
    report = run("new_clients", h.boss)
    assert column_keys(report) == ["first", "legal_entity", "sole_proprietor", "private_person", "total"]
    assert len(report.rows) == 31  # a day per row
    counted = [(r["first"], r["legal_entity"], r["private_person"], r["total"]) for r in report.rows if r["total"]]
    # Beta at 00:30 on 1 March (21:30 UTC on the 28th), Delta at 23:59 on the 31st; Epsilon at 00:01 on
    # 1 April is April's; Gamma is another team's, Walk-in nobody's, Rejected Ltd was rejected.
    assert counted == [(date(2026, 3, 1), 1, 0, 1), (date(2026, 3, 31), 0, 1, 1)]
    assert report.totals == {"legal_entity": 1, "sole_proprietor": 0, "private_person": 1, "total": 2}
    assert report.previous_totals == {"legal_entity": 1, "sole_proprietor": 0, "private_person": 0, "total": 1}
    assert report.chart.kind is ChartKind.BARS and len(report.chart.labels) == 31
    assert report.chart.series[0].values[0] == 1 and report.chart.series[0].values[30] == 1
    assert report.chart.series[1].values[9] == 1  # Acme, 10 February, lined up with 10 March
    assert sum(report.chart.series[1].values) == 1

    by_sql = sql(f"""SELECT {moscow_day("created_at")}, COUNT(*) FROM clients
                     WHERE manager_id IN ({team_ids(h)}) AND status <> 'rejected'
                     AND created_at >= :s AND created_at < :e GROUP BY {moscow_day("created_at")}""", **bounds(MARCH))
    assert {day: int(n) for day, n in by_sql} == {r["first"].isoformat(): r["total"] for r in report.rows
                                                  if r["total"]}


def test_new_clients_by_week_and_by_month(history):
    by_week = run("new_clients", history.boss, Period(date(2026, 2, 1), date(2026, 3, 31)), compare=False)
    assert column_keys(by_week)[:2] == ["first", "last"]
    assert by_week.rows[0]["first"] == date(2026, 2, 1) and by_week.rows[0]["last"] == date(2026, 2, 1)  # a Sunday
    assert by_week.rows[-1]["first"] == date(2026, 3, 30) and by_week.rows[-1]["last"] == date(2026, 3, 31)
    assert [(r["first"], r["total"]) for r in by_week.rows if r["total"]] == [
        (date(2026, 2, 9), 1), (date(2026, 2, 23), 1), (date(2026, 3, 30), 1)]
    by_month = run("new_clients", history.boss, period_for("custom", None, date(2025, 12, 15), date(2026, 6, 30)),
                   compare=False)
    assert [(r["first"], r["last"], r["total"]) for r in by_month.rows] == [
        (date(2025, 12, 15), date(2025, 12, 31), 0), (date(2026, 1, 1), date(2026, 1, 31), 1),
        (date(2026, 2, 1), date(2026, 2, 28), 1), (date(2026, 3, 1), date(2026, 3, 31), 2),
        (date(2026, 4, 1), date(2026, 4, 30), 1), (date(2026, 5, 1), date(2026, 5, 31), 0),
        (date(2026, 6, 1), date(2026, 6, 30), 0)]


# --- 3. sales per period ------------------------------------------------------------------------

def test_sales_by_period(history):
    h = history
    report = run("sales_by_period", h.boss)
    assert column_keys(report) == ["first", "orders", "sales", "returns", "net", "previous_first", "previous_net",
                                   "change"]
    moving = [(r["first"].day, r["orders"], r["sales"], r["returns"], r["net"]) for r in report.rows
              if r["orders"] or r["returns"]]
    assert moving == [
        (1, 1, 1_099_99, 0, 1_099_99),       # S2 at 00:01
        (2, 1, 950_00, 1_000_00, -50_00),    # M5 paid; R1 of February's S1
        (4, 1, 1_900_00, 0, 1_900_00),       # M1
        (10, 1, 1_249_97, 0, 1_249_97),      # S3
        (15, 0, 0, 99_99, -99_99),           # R2
        (31, 1, 99_99, 0, 99_99),            # S4 at 23:59
    ]
    assert report.totals == {"orders": 5, "sales": 5_299_95, "returns": 1_099_99, "net": 4_199_96}
    assert report.previous_totals == {"orders": 1, "sales": 1_000_00, "returns": 0, "net": 1_000_00}
    # 28 February (S1 at 23:59) lines up with 28 March; February has no 29th-31st.
    assert (report.rows[27]["previous_first"], report.rows[27]["previous_net"], report.rows[27]["change"]) == (
        date(2026, 2, 28), 1_000_00, -1_000_00)
    assert (report.rows[28]["previous_first"], report.rows[28]["previous_net"], report.rows[28]["change"]) == (
        None, None, None)
    assert report.chart.kind is ChartKind.LINE and len(report.chart.series) == 2
    assert report.chart.series[1].values[27] == 1_000_00 and sum(report.chart.series[1].values) == 1_000_00
    assert sum(report.chart.series[0].values) == 4_199_96

    by_day = sales_sql(h, moscow_day("{t}"), MARCH)
    assert by_day == {r["first"].isoformat(): (r["orders"], r["sales"], r["returns"]) for r in report.rows
                      if r["orders"] or r["returns"]}
    assert sales_sql(h, "1", MARCH)[1] == (5, 5_299_95, 1_099_99)
    assert sales_sql(h, "1", FEBRUARY)[1] == (1, 1_000_00, 0)


def test_sales_by_period_by_week_across_the_month_boundary(history):
    quarter = period_for("quarter", date(2026, 2, 14))
    assert quarter == Period(date(2026, 1, 1), date(2026, 3, 31))
    report = run("sales_by_period", history.boss, quarter, compare=False)
    assert column_keys(report) == ["first", "last", "orders", "sales", "returns", "net"]
    assert report.rows[0]["first"] == date(2026, 1, 1) and report.rows[0]["last"] == date(2026, 1, 4)
    weeks = [(r["first"], r["last"], r["orders"], r["net"]) for r in report.rows if r["orders"] or r["returns"]]
    assert weeks == [
        (date(2026, 2, 23), date(2026, 3, 1), 2, 1_000_00 + 1_099_99),    # S1 (Sat 28 Feb 23:59), S2 (Sun 1 Mar)
        (date(2026, 3, 2), date(2026, 3, 8), 2, 950_00 + 1_900_00 - 1_000_00),  # M5, M1, R1
        (date(2026, 3, 9), date(2026, 3, 15), 1, 1_249_97 - 99_99),       # S3, R2
        (date(2026, 3, 30), date(2026, 3, 31), 1, 99_99),                 # S4; the last week is clipped
    ]
    assert report.totals["net"] == 1_000_00 + 4_199_96


# --- 4. sales per client ------------------------------------------------------------------------

def test_sales_by_client(history):
    h = history
    report = run("sales_by_client", h.boss)
    assert column_keys(report) == ["client", "orders", "sales", "returns", "net", "share"]
    assert table(report, "client", "orders", "sales", "returns", "net", "share") == [
        ("ООО «Ромашка»", 3, 4_099_97, 99_99, 3_999_98, 9_524),  # 3 999.98 / 4 199.96 = 95.238 %
        ("Acme Trading", 1, 1_099_99, 1_000_00, 99_99, 238),     # S1 was February's, its return March's
        ("Delta Parts", 1, 99_99, 0, 99_99, 238),
    ]
    assert report.rows[1]["drill"] == {"client": "Acme Trading", "date_from": "2026-03-01", "date_to": "2026-03-31"}
    assert report.totals == {"client": "All clients: 3", "orders": 5, "sales": 5_299_95, "returns": 1_099_99,
                             "net": 4_199_96, "share": 10_000}
    assert report.previous_totals == {"orders": 1, "sales": 1_000_00, "returns": 0,
                                      "net": 1_000_00, "share": 10_000}
    assert report.chart.labels == ("ООО «Ромашка»", "Acme Trading", "Delta Parts")
    assert [s.values for s in report.chart.series] == [(3_999_98, 99_99, 99_99), (0, 1_000_00, 0)]

    by_sql = sales_sql(h, "o.client_id", MARCH)
    assert by_sql == {h.clients["romashka"].id: (3, 4_099_97, 99_99), h.clients["acme"].id: (1, 1_099_99, 1_000_00),
                      h.clients["delta"].id: (1, 99_99, 0)}


# --- 5. conversion ------------------------------------------------------------------------------

def test_conversion(history):
    h = history
    report = run("conversion", h.boss)
    assert column_keys(report) == ["manager", "created", "confirmed", "paid", "confirmed_rate", "paid_rate",
                                   "paid_of_confirmed"]
    # Mark created M1 (confirmed, paid), M3 (only sent), M4 (confirmed, then cancelled); M5 is February's.
    assert table(report, "manager", "created", "confirmed", "paid", "confirmed_rate", "paid_rate",
                 "paid_of_confirmed") == [
        ("Mark One", 3, 2, 1, 6_667, 3_333, 5_000),
        ("Nina Two", 1, 1, 0, 10_000, 0, 0),
    ]
    assert report.rows[0]["drill"] == {"placed_by": str(h.m1.id), "channel": "manager", "date_from": "2026-03-01",
                                       "date_to": "2026-03-31"}
    assert report.totals == {"created": 4, "confirmed": 3, "paid": 1,
                             "confirmed_rate": 7_500, "paid_rate": 2_500, "paid_of_confirmed": 3_333}
    # February's M5 was confirmed on 1 March: not by the end of February.
    assert report.previous_totals == {"created": 1, "confirmed": 0, "paid": 0,
                                      "confirmed_rate": 0, "paid_rate": 0, "paid_of_confirmed": 0}
    assert report.chart.kind is ChartKind.FUNNEL and report.chart.unit is ValueKind.INT
    assert [s.values for s in report.chart.series] == [(4, 3, 1), (1, 0, 0)]

    b = bounds(MARCH)
    created, confirmed, paid = sql(f"""
        SELECT COUNT(*), SUM(CASE WHEN o.confirmed_at < :e THEN 1 ELSE 0 END),
               SUM(CASE WHEN o.paid_at < :e THEN 1 ELSE 0 END)
        FROM orders o LEFT JOIN clients c ON c.id = o.client_id
        WHERE o.channel = 'manager' AND o.created_at >= :s AND o.created_at < :e
          AND (o.created_by_id IN ({team_ids(h)}) OR c.manager_id IN ({team_ids(h)}))""", **b)[0]
    assert (created, confirmed, paid) == (4, 3, 1)


# --- 6. goods sold ------------------------------------------------------------------------------

def test_goods_sold(history):
    h = history
    report = run("goods_sold", h.boss)
    assert column_keys(report) == ["sku", "product", "section", "sold", "returned", "net_qty", "net"]
    assert table(report, "sku", "product", "section", "sold", "returned", "net_qty", "net") == [
        # S2, M5, M1 ×2, S3: 1 000.00 + 950.00 + 1 900.00 + 950.00 = 4 800.00; R1 took back 1 000.00
        ("DRILL", "Cordless drill", "Tools / Power tools", 5, 1, 4, 3_800_00),
        # S2, S3 ×3, S4: 99.99 × 5 = 499.95; R2 took back 99.99
        ("VALVE", "Ball valve", "No section", 5, 1, 4, 399_96),
    ]
    assert report.totals == {"sold": 10, "returned": 2, "net_qty": 8, "net": 4_199_96}
    assert report.totals["net"] == run("sales_by_period", h.boss).totals["net"]  # the same money, per SKU
    assert report.previous_totals == {"sold": 1, "returned": 0, "net_qty": 1, "net": 1_000_00}
    assert report.chart.labels == ("Tools / Power tools", "No section")
    assert [s.values for s in report.chart.series] == [(3_800_00, 399_96), (1_000_00, 0)]

    ids = team_ids(h)
    seen = f"(o.created_by_id IN ({ids}) OR c.manager_id IN ({ids}))"
    rows = sql(f"""
        SELECT p.sku, SUM(q), SUM(m) FROM (
          SELECT l.product_id AS pid, l.qty AS q, l.price * l.qty - l.discount AS m
          FROM order_lines l JOIN orders o ON o.id = l.order_id LEFT JOIN clients c ON c.id = o.client_id
          WHERE {seen} AND o.paid_at >= :s AND o.paid_at < :e
          UNION ALL
          SELECT l.product_id, -rl.qty, -(rl.refund + rl.bonus_restored)
          FROM return_lines rl JOIN returns r ON r.id = rl.return_id JOIN order_lines l ON l.id = rl.order_line_id
          JOIN orders o ON o.id = l.order_id LEFT JOIN clients c ON c.id = o.client_id
          WHERE {seen} AND r.created_at >= :s AND r.created_at < :e
        ) t JOIN products p ON p.id = t.pid GROUP BY p.sku ORDER BY p.sku""", **bounds(MARCH))
    assert [(sku, int(q), int(m)) for sku, q, m in rows] == [("DRILL", 4, 3_800_00), ("VALVE", 4, 399_96)]


# --- 7. client debt -----------------------------------------------------------------------------

def test_client_debt(history):
    h = history
    report = run("client_debt", h.boss, today=TODAY)
    assert column_keys(report) == ["client", "manager", "orders", "open", "overdue", "days_overdue", "credit_limit"]
    # M2: 1 000.00, 300.00 paid, due 12 March (confirmed 5 March + 7 days): 20 days overdue on 1 April.
    assert table(report, "client", "manager", "orders", "open", "overdue", "days_overdue", "credit_limit") == [
        ("Beta Supplies", "Nina Two", 1, 700_00, 700_00, 20, 10_000_00)]
    assert report.rows[0]["drill"] == {"client": "Beta Supplies", "status": "confirmed"}
    assert report.totals == {"client": "All clients: 1", "orders": 1, "open": 700_00, "overdue": 700_00,
                             "days_overdue": 20}
    assert report.previous is None and report.previous_totals is None  # a snapshot: nothing to compare
    assert [s.values for s in report.chart.series] == [(700_00,), (0,)]
    # Before the due date the same debt is open and not overdue.
    early = run("client_debt", h.boss, today=date(2026, 3, 12))
    assert table(early, "open", "overdue", "days_overdue") == [(700_00, 0, 0)]

    by_sql = sql(f"""SELECT o.client_id, SUM(o.paid - o.received), MIN(o.due_date) FROM orders o
                     JOIN clients c ON c.id = o.client_id
                     WHERE o.status = 'confirmed' AND o.payment_terms = 'deferred' AND o.paid > o.received
                     AND (o.created_by_id IN ({team_ids(h)}) OR c.manager_id IN ({team_ids(h)}))
                     GROUP BY o.client_id""")
    assert [(cid, int(owed), str(due)[:10]) for cid, owed, due in by_sql] == [
        (h.clients["beta"].id, 700_00, "2026-03-12")]


# --- 8. bonus programme -------------------------------------------------------------------------

def test_bonus_programme(history):
    h = history
    report = run("bonus_programme", h.boss)
    assert column_keys(report) == ["first", "accrued", "released", "redeemed", "expired", "adjusted", "outstanding"]
    assert report.totals == {
        # S2 54.99 + M5 47.50 + M1 90.00 + S3 62.49 + S4 4.99 − R1 50.00 − R2 5.00
        "accrued": 204_97,
        # S2 54.99 (15 Mar) + M5 47.50 (16th) + M1 90.00 (18th) + S3 what R2 left, 57.49 (24th)
        "released": 249_98,
        "redeemed": 100_00,  # M1
        "expired": 30_00,    # Acme's gift of March 2025
        "adjusted": 65_00,   # Beta's 25.00 and Romashka's 40.00 imported
        # Romashka 234.99, Acme 54.99, Beta 25.00, Delta 4.99 (Beta's S5 is April's)
        "outstanding": 319_97,
    }
    # February: S1's accrual; 180.00 held at its end (Romashka's 100.00 gift, Acme's 30.00 + 50.00).
    assert report.previous_totals == {"accrued": 50_00, "released": 0, "redeemed": 0, "expired": 0, "adjusted": 0,
                                      "outstanding": 180_00}
    # The outstanding amount moves by exactly the movements.
    assert 180_00 + 204_97 - 100_00 - 30_00 + 65_00 == 319_97
    days = {r["first"].day: r for r in report.rows}
    assert days[1]["accrued"] == 54_99 and days[1]["outstanding"] == 180_00 + 54_99
    assert days[2]["accrued"] == 47_50 - 50_00  # M5's accrual, R1 took S1's back
    assert days[5]["expired"] == 30_00
    assert days[15]["released"] == 54_99 and days[15]["accrued"] == -5_00  # S2 released at 00:01 Moscow; R2
    assert days[31]["outstanding"] == 319_97 and days[31]["accrued"] == 4_99
    assert report.chart.labels == ("Accrued", "Released", "Redeemed", "Expired", "Adjusted and imported")
    assert [s.values for s in report.chart.series] == [(204_97, 249_98, 100_00, 30_00, 65_00), (50_00, 0, 0, 0, 0)]

    ids = team_ids(h)
    held = sql(f"""SELECT COALESCE(SUM(CASE WHEN ta.client_id IS NOT NULL THEN e.amount ELSE 0 END), 0)
                        - COALESCE(SUM(CASE WHEN fa.client_id IS NOT NULL THEN e.amount ELSE 0 END), 0)
                   FROM ledger_entries e JOIN ledger_accounts fa ON fa.id = e.from_account_id
                   JOIN ledger_accounts ta ON ta.id = e.to_account_id
                   JOIN clients c ON c.id = COALESCE(ta.client_id, fa.client_id)
                   WHERE c.manager_id IN ({ids}) AND e.created_at < :e""", e=bounds(MARCH)["e"])
    assert int(held[0][0]) == 319_97
    by_kind = dict(sql(f"""SELECT op.kind, SUM(e.amount) FROM ledger_entries e
                           JOIN ledger_operations op ON op.id = e.operation_id
                           JOIN clients c ON c.id = op.client_id
                           WHERE c.manager_id IN ({ids}) AND e.created_at >= :s AND e.created_at < :e
                           GROUP BY op.kind""", **bounds(MARCH)))
    assert {k: int(v) for k, v in by_kind.items()} == {
        "accrual": 259_97, "accrual_reversal": 55_00, "release": 249_98, "redemption": 100_00, "expiry": 30_00,
        "adjustment": 25_00, "import": 40_00}


# --- an empty period, and the rules every report keeps --------------------------------------------

@pytest.mark.parametrize("key", list(REPORTS))
def test_every_report_of_an_empty_period(history, key):
    report = run(key, history.boss, EMPTY, **({"today": TODAY} if key == "client_debt" else {}))
    assert report.key == key and report.title and report.period == EMPTY
    money_or_counts = [c.key for c in report.columns if c.kind in (ValueKind.MONEY, ValueKind.INT)]
    if key == "client_debt":
        assert report.totals["open"] == 700_00  # today's debt, whatever the period
        return
    if key == "bonus_programme":
        assert report.totals["outstanding"] == 30_00  # Acme's gift, held in June 2025
        money_or_counts.remove("outstanding")
    for column in money_or_counts:
        assert report.totals.get(column, 0) == 0, column
        assert all(row.get(column) in (0, None) for row in report.rows), column
    assert report.previous == previous(EMPTY) == Period(date(2025, 5, 1), date(2025, 5, 31))
    for row in report.rows:
        assert set(row) - {"drill"} <= set(column_keys(report))


def test_reports_for_someone_without_a_team_are_empty(history, ctx):
    cashier = db.session.get(User, history.cashier.id)
    for key, report_function in REPORTS.items():
        report = report_function(cashier, MARCH, False)
        figures = [c.key for c in report.columns if c.kind in (ValueKind.MONEY, ValueKind.INT)]
        assert all(report.totals.get(k, 0) == 0 for k in figures), (key, report.totals)
        assert all(row.get(k) in (0, None) for row in report.rows for k in figures), key


def test_days_follow_the_company_time_zone_across_a_daylight_saving_change(ctx, tmp_path):
    """Kyiv moves its clocks forward at 03:00 on 29 March 2026: midnight is 22:00 UTC before, 21:00 after."""
    ctx.config["BABEL_DEFAULT_TIMEZONE"] = "Europe/Kyiv"
    boss = make_staff("supervisor", name="Kyiv Boss")
    manager = make_staff("manager", name="Kyiv Manager", supervisor=boss)
    warehouse = make_location("warehouse", code="KYIV", is_main=True)
    make_product("VALVE", 99_99, stock={warehouse: 10}, discountable=False)
    client = make_client(manager, name="Kyiv Client")
    for moment in (at(3, 27, 22, 30),   # 00:30 on 28 March (UTC+2)
                   at(3, 28, 21, 30),   # 23:30 on 28 March (UTC+2)
                   at(3, 29, 21, 30)):  # 00:30 on 30 March (UTC+3)
        sales.place_paid_order(Sale(channel=Channel.WEB, lines=[SaleLine(1, "VALVE")], location_id=warehouse.id,
                                    client_id=client.id, now=moment))
    report = REPORTS["sales_by_period"](db.session.get(User, boss.id), MARCH, False)
    assert [(r["first"].day, r["orders"]) for r in report.rows if r["orders"]] == [(28, 2), (30, 1)]


def test_periods_are_checked(ctx):
    with pytest.raises(ValidationError) as refused:
        period_for("custom", None, date(2026, 3, 31), date(2026, 3, 1))
    assert set(refused.value.fields) == {"end"}

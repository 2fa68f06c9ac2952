"""Client reports (SPEC §7 2, 7): new clients per day/week/month, and client debt.

*New clients* are the team's clients (responsible manager in the team, as assigned now) created in
the period, counted on the day they were created in the company's time zone. A manager's proposal
of a new client that the supervisor rejected is not a client and is not counted; one waiting for
approval is (it can already take prepaid orders).

*Debt* is what `services.debt` means everywhere in the portal: confirmed managers' orders on
deferred terms not yet paid in full, *overdue* once past their due date. It is the debt as it
stands **today**: payments carry no date of their own, so the debt of a past day cannot be rebuilt
honestly; the period picker does not change this report and it has no comparison.
"""
from __future__ import annotations

from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy.orm import aliased

from portal.clock import local_date
from portal.extensions import db
from portal.labels import CLIENT_KINDS
from portal.models import Client, ClientKind, ClientStatus, Order, OrderStatus, User
from portal.services.orders import debt
from portal.services.orders.order_list import visible_orders_condition
from portal.services.statistics.common import bucket_label, bucket_of, in_span, period_label, team_clients_condition
from portal.services.statistics.periods import Span, grouping_for, previous, span_of
from portal.services.statistics.report import Chart, ChartKind, Column, Period, Report, Series, ValueKind
from portal.services.statistics.sales import bucket_dates, date_columns

CHART_CLIENTS = 10
KIND_KEYS = {ClientKind.LEGAL_ENTITY: "legal_entity", ClientKind.SOLE_PROPRIETOR: "sole_proprietor",
             ClientKind.PRIVATE_PERSON: "private_person"}


# --- 2. new clients ------------------------------------------------------------------------------

def _new_per_bucket(viewer, span: Span) -> list[dict]:
    inner = (db.select(bucket_of(Client.created_at, span).label("bucket"), Client.kind.label("kind"))
             .where(team_clients_condition(viewer), Client.status != ClientStatus.REJECTED,
                    *in_span(Client.created_at, span))).subquery()
    counts: dict[int, dict] = {}
    for bucket, kind, n in db.session.execute(
            db.select(inner.c.bucket, inner.c.kind, db.func.count()).group_by(inner.c.bucket, inner.c.kind)).all():
        counts.setdefault(int(bucket), {})[ClientKind(getattr(kind, "value", kind))] = int(n)
    result = []
    for i in range(len(span.buckets)):
        by_kind = counts.get(i, {})
        row = {KIND_KEYS[k]: by_kind.get(k, 0) for k in ClientKind}
        row["total"] = sum(row.values())
        result.append(row)
    return result


def _sum_rows(rows: list[dict]) -> dict:
    return {key: sum(r[key] for r in rows) for key in (*KIND_KEYS.values(), "total")}


def new_clients(viewer, period: Period, compare: bool) -> Report:
    """New clients of the team per day (up to 31 days), week (up to 185) or month, by kind, with
    the previous period's total (and its counts per day/week/month in the chart, lined up by
    position)."""
    grouping = grouping_for(period)
    span = span_of(period, grouping)
    counts = _new_per_bucket(viewer, span)
    rows = tuple({**bucket_dates(b, grouping), **c} for b, c in zip(span.buckets, counts))
    series = [Series(period_label(period.start, period.end), tuple(c["total"] for c in counts))]
    before = previous_totals = None
    if compare:
        before = previous(period)
        earlier = _new_per_bucket(viewer, span_of(before, grouping))
        previous_totals = _sum_rows(earlier)
        series.append(Series(period_label(before.start, before.end),
                             tuple(earlier[i]["total"] if i < len(earlier) else 0 for i in range(len(counts)))))
    columns = (*date_columns(grouping),
               *(Column(KIND_KEYS[k], str(CLIENT_KINDS[k]), ValueKind.INT) for k in ClientKind),
               Column("total", _("New clients"), ValueKind.INT))
    return Report(
        key="new_clients", title=_("New clients"), period=period, columns=columns, rows=rows,
        totals=_sum_rows(counts), previous=before, previous_totals=previous_totals,
        chart=Chart(ChartKind.BARS, tuple(bucket_label(b.first, b.last, grouping) for b in span.buckets),
                    tuple(series), ValueKind.INT),
        note=_("Clients of the team's managers created in the period, by the day they were created in the company's "
               "time zone. Rejected proposals of new clients are not counted; clients waiting for approval are."))


# --- 7. client debt ------------------------------------------------------------------------------

def client_debt(viewer, period: Period, compare: bool, *, today: date | None = None) -> Report:
    """The team's clients who owe money now: open debt, the overdue part, days overdue (of the
    oldest overdue order, counted to `today`), orders owing; the most overdue first. The row's link
    opens the client's confirmed orders in the order list."""
    today = today or local_date()
    manager = aliased(User)
    oldest_due = db.func.min(db.case((Order.due_date < today, Order.due_date), else_=None))
    rows_found = db.session.execute(
        db.select(Client.id, Client.name, manager.name, manager.active, Client.credit_limit,
                  db.func.count(Order.id), debt.open_sum(), debt.overdue_sum(today), oldest_due)
        .select_from(Order).join(Client, Client.id == Order.client_id)
        .outerjoin(manager, manager.id == Client.manager_id)
        .where(visible_orders_condition(viewer), *debt.owing_conditions())
        .group_by(Client.id, Client.name, manager.name, manager.active, Client.credit_limit)).all()
    rows = []
    for _id, name, manager_name, manager_active, limit, n, open_, overdue, due in rows_found:
        if manager_name and not manager_active:
            manager_name = _("%(name)s (no longer works here)", name=manager_name)
        rows.append({"client": name, "manager": manager_name or "—", "orders": int(n), "open": int(open_),
                     "overdue": int(overdue), "days_overdue": (today - due).days if due else 0,
                     "credit_limit": int(limit),
                     "drill": {"client": name, "status": OrderStatus.CONFIRMED.value}})
    rows.sort(key=lambda r: (-r["overdue"], -r["days_overdue"], -r["open"], r["client"].lower()))
    totals = {"client": _("All clients: %(n)d", n=len(rows)), "orders": sum(r["orders"] for r in rows),
              "open": sum(r["open"] for r in rows), "overdue": sum(r["overdue"] for r in rows),
              "days_overdue": max((r["days_overdue"] for r in rows), default=0)}
    charted = rows[:CHART_CLIENTS]
    return Report(
        key="client_debt", title=_("Client debt"), period=period,
        columns=(Column("client", _("Client"), ValueKind.TEXT), Column("manager", _("Manager"), ValueKind.TEXT),
                 Column("orders", _("Orders owing"), ValueKind.INT), Column("open", _("Open debt"), ValueKind.MONEY),
                 Column("overdue", _("Overdue"), ValueKind.MONEY),
                 Column("days_overdue", _("Days overdue"), ValueKind.DAYS),
                 Column("credit_limit", _("Credit limit"), ValueKind.MONEY)),
        rows=tuple(rows), totals=totals,
        chart=Chart(ChartKind.HBARS, tuple(r["client"] for r in charted),
                    (Series(_("Overdue"), tuple(r["overdue"] for r in charted)),
                     Series(_("Not yet due"), tuple(r["open"] - r["overdue"] for r in charted))),
                    ValueKind.MONEY) if charted else None,
        note=_("Debt as it stands today, %(today)s, whatever the period: confirmed orders on deferred terms not yet "
               "paid in full; overdue once past their due date. Days overdue count from the due date of the client's "
               "oldest overdue order; in the totals, the longest.", today=_format_day(today)))


def _format_day(day: date) -> str:
    return format_date(day, "medium")


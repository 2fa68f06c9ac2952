"""Sales reports (SPEC §7 1, 3, 4): per manager, per day/week/month, per client.

What a sale, its amount and a return are is defined once in `common` (its module docstring):
an order counts on the day it was paid, at its total after discounts; a return counts on the day it
was made, at the value of the goods taken back, against that period's sales.
"""
from __future__ import annotations

from flask_babel import gettext as _

from portal.extensions import db
from portal.models import Channel, Client, Order, SalesDay
from portal.services.orders.order_list import visible_orders_condition
from portal.services.statistics.common import (
    bucket_label,
    day_bucket_of,
    divide,
    drill_dates,
    in_days,
    in_span,
    period_label,
    person_of,
    rate_bp,
    responsible_person,
    sales_sums,
    staff_ids,
    staff_names,
    team_sums_condition,
)
from portal.services.statistics.periods import Grouping, Span, grouping_for, previous, span_of
from portal.services.statistics.report import Chart, ChartKind, Column, Period, Report, Series, ValueKind

TOP_CLIENTS = 50
CHART_CLIENTS = 10

def _sales_note() -> str:
    return _("A sale is an order paid in the period, at its total after discounts (bonus spent on it included). "
             "Returns made in the period are subtracted from it, at the value of the goods taken back, even when "
             "the order was paid earlier. Days run from midnight to midnight in the company's time zone.")


def _figures(orders: int, sales: int, returned: int) -> dict:
    return {"orders": orders, "sales": sales, "returns": returned, "net": sales - returned,
            "average": divide(sales, orders)}


def _money_columns() -> tuple[Column, ...]:
    return (Column("orders", _("Orders"), ValueKind.INT), Column("sales", _("Sales"), ValueKind.MONEY),
            Column("returns", _("Returns"), ValueKind.MONEY), Column("net", _("Net sales"), ValueKind.MONEY))


def _series_name(period: Period) -> str:
    return period_label(period.start, period.end)


# --- 1. sales per manager ------------------------------------------------------------------------

def _per_person(viewer, period: Period) -> dict[int, tuple[int, int, int]]:
    return {person: (n, s, r) for person, n, s, r in sales_sums(viewer, period, person_of(viewer, SalesDay))
            if person}


def _confirmed_per_person(viewer, span: Span) -> dict[int, int]:
    inner = (db.select(responsible_person(viewer).label("person"), Order.id.label("id"))
             .select_from(Order).outerjoin(Client, Client.id == Order.client_id)
             .where(visible_orders_condition(viewer), Order.channel == Channel.MANAGER,
                    *in_span(Order.confirmed_at, span))).subquery()
    rows = db.session.execute(db.select(inner.c.person, db.func.count(inner.c.id)).group_by(inner.c.person)).all()
    return {person: int(n) for person, n in rows if person is not None}


def sales_by_manager(viewer, period: Period, compare: bool) -> Report:
    """Per member of the team (and the supervisor, when they sold anything): sales paid in the
    period, returns made in it, net sales, the average sale, and the manager's orders confirmed
    in the period.

    An order is the figure of the team member who placed it; a web-shop or till order (or one
    placed by someone outside the team) is the figure of the client's responsible manager (as
    assigned now). The average order is sales ÷ orders (before returns), half-up. The row's link
    opens the order list of the orders that person placed, created in the period.
    """
    span = span_of(period)
    sold, confirmed = _per_person(viewer, period), _confirmed_per_person(viewer, span)
    ids = staff_ids(viewer)
    members = staff_names(ids)
    shown = [i for i in ids if i in sold or i in confirmed
             or (i != viewer.id and members.get(i) is not None and members[i].active)]

    def name(person_id: int) -> str:
        user = members[person_id]
        return user.name if user.active else _("%(name)s (no longer works here)", name=user.name)

    people = []
    for person in shown:
        figures = _figures(*sold.get(person, (0, 0, 0)))
        people.append((person, {"manager": name(person), **figures, "confirmed": confirmed.get(person, 0),
                                "drill": {"placed_by": str(person), **drill_dates(period.start, period.end)}}))
    people.sort(key=lambda pair: (-pair[1]["net"], pair[1]["manager"].lower(), pair[0]))
    rows = [row for _person, row in people]

    def totals_of(per_person: dict, confirmations: dict) -> dict:
        n = sum(v[0] for v in per_person.values())
        s = sum(v[1] for v in per_person.values())
        r = sum(v[2] for v in per_person.values())
        return {**_figures(n, s, r), "confirmed": sum(confirmations.values())}

    totals = totals_of(sold, confirmed)
    series = [Series(_series_name(period), tuple(r["net"] for r in rows))]
    before = previous_totals = None
    if compare:
        before = previous(period)
        before_span = span_of(before)
        sold_before, confirmed_before = _per_person(viewer, before), _confirmed_per_person(viewer, before_span)
        previous_totals = totals_of(sold_before, confirmed_before)
        nets = {p: s - r for p, (_n, s, r) in sold_before.items()}
        series.append(Series(_series_name(before), tuple(nets.get(person, 0) for person, _row in people)))
    columns = (Column("manager", _("Manager"), ValueKind.TEXT), *_money_columns(),
               Column("average", _("Average order"), ValueKind.MONEY),
               Column("confirmed", _("Confirmed orders"), ValueKind.INT))
    return Report(
        key="sales_by_manager", title=_("Sales per manager"), period=period, columns=columns, rows=tuple(rows),
        totals=totals, previous=before, previous_totals=previous_totals,
        chart=Chart(ChartKind.HBARS, tuple(r["manager"] for r in rows), tuple(series), ValueKind.MONEY)
        if rows else None,
        note=_sales_note() + " " + _(
            "An order counts for the team member who placed it; a web-shop or till order for the client's "
            "responsible manager. The average order is sales divided by orders. Confirmed orders are the "
            "manager's orders confirmed by the client in the period. A row's link opens the orders that "
            "person placed in the period."))


# --- 3. sales per day / week / month ------------------------------------------------------------

def _per_bucket(viewer, period: Period, span: Span) -> list[dict]:
    found = {int(b): (n, s, r) for b, n, s, r in sales_sums(viewer, period, day_bucket_of(SalesDay.day, span))}
    return [_without_average(_figures(*found.get(i, (0, 0, 0)))) for i in range(len(span.buckets))]


def _without_average(figures: dict) -> dict:
    return {k: v for k, v in figures.items() if k != "average"}


def date_columns(grouping: Grouping, prefix: str = "") -> tuple[Column, ...]:
    """The columns naming a bucket: its day, or its first and last day."""
    if grouping is Grouping.DAY:
        return (Column(prefix + "first", _("Previous period day") if prefix else _("Day"), ValueKind.DATE),)
    if prefix:
        return (Column(prefix + "first", _("Previous period from"), ValueKind.DATE),)
    return (Column("first", _("From"), ValueKind.DATE), Column("last", _("To"), ValueKind.DATE))


def bucket_dates(bucket, grouping: Grouping) -> dict:
    return {"first": bucket.first} if grouping is Grouping.DAY else {"first": bucket.first, "last": bucket.last}


def sales_by_period(viewer, period: Period, compare: bool) -> Report:
    """Sales, returns and net sales per day (periods up to 31 days), Monday-to-Sunday week (up to
    185 days) or calendar month, each against the same-numbered day/week/month of the previous
    period (`periods.previous`, grouped the same way; when one period has fewer buckets the extra
    rows have no counterpart). The chart draws net sales of both periods as two lines."""
    grouping = grouping_for(period)
    span = span_of(period, grouping)
    current = _per_bucket(viewer, period, span)
    rows = [{**bucket_dates(b, grouping), **figures} for b, figures in zip(span.buckets, current)]
    columns = [*date_columns(grouping), *_money_columns()]
    labels = tuple(bucket_label(b.first, b.last, grouping) for b in span.buckets)
    series = [Series(_series_name(period), tuple(r["net"] for r in rows))]

    def total(figures: list[dict]) -> dict:
        return _figures(sum(f["orders"] for f in figures), sum(f["sales"] for f in figures),
                        sum(f["returns"] for f in figures))

    totals = _without_average(total(current))
    before = previous_totals = None
    if compare:
        before = previous(period)
        before_span = span_of(before, grouping)
        earlier = _per_bucket(viewer, before, before_span)
        previous_totals = _without_average(total(earlier))
        columns += [*date_columns(grouping, "previous_"),
                    Column("previous_net", _("Previous net sales"), ValueKind.MONEY),
                    Column("change", _("Difference"), ValueKind.MONEY)]
        for i, row in enumerate(rows):
            if i < len(earlier):
                row.update(previous_first=before_span.buckets[i].first, previous_net=earlier[i]["net"],
                           change=row["net"] - earlier[i]["net"])
            else:
                row.update(previous_first=None, previous_net=None, change=None)
        series.append(Series(_series_name(before), tuple(
            earlier[i]["net"] if i < len(earlier) else 0 for i in range(len(rows)))))
    return Report(
        key="sales_by_period", title=_("Sales per period"), period=period, columns=tuple(columns),
        rows=tuple(rows), totals=totals, previous=before, previous_totals=previous_totals,
        chart=Chart(ChartKind.LINE, labels, tuple(series), ValueKind.MONEY),
        note=_sales_note() + " " + _(
            "Rows are days for a period of up to 31 days, weeks (Monday to Sunday) up to 185 days, months "
            "beyond. Each is set against the same-numbered day, week or month of the previous period."))


# --- 4. sales per client ------------------------------------------------------------------------

def _per_client(viewer, period: Period):
    """The team's daily sales sums of the period per client (0: orders without a client)."""
    return (db.select(SalesDay.client_id.label("client_id"), db.func.sum(SalesDay.orders).label("n"),
                      db.func.sum(SalesDay.sales).label("s"), db.func.sum(SalesDay.returned).label("r"))
            .where(team_sums_condition(viewer, SalesDay), *in_days(SalesDay.day, period))
            .group_by(SalesDay.client_id))


def _top_clients(viewer, period: Period) -> list[tuple]:
    """The top clients by net sales, each row with the count and sums over all of them (window
    functions: one pass over the sums)."""
    per = _per_client(viewer, period).subquery()
    net = per.c.s - per.c.r
    return db.session.execute(
        db.select(per.c.client_id, Client.name, per.c.n, per.c.s, per.c.r, db.func.count().over(),
                  db.func.sum(per.c.n).over(), db.func.sum(per.c.s).over(), db.func.sum(per.c.r).over())
        .select_from(per).outerjoin(Client, Client.id == per.c.client_id)
        .order_by(net.desc(), Client.name, per.c.client_id).limit(TOP_CLIENTS)).all()


def sales_by_client(viewer, period: Period, compare: bool) -> Report:
    """The team's clients by net sales in the period (the top 50; the totals cover every client):
    sales, returns, net sales and the client's share of the team's net sales (basis points,
    half-up). The row's link opens the order list for that client's name in the period."""
    top = _top_clients(viewer, period)
    count, n_all, s_all, r_all = (int(v or 0) for v in top[0][5:]) if top else (0, 0, 0, 0)
    total_net = s_all - r_all
    rows = []
    for _client_id, client_name, n, s, r, *_totals in top:
        figures = _without_average(_figures(int(n), int(s), int(r)))
        row = {"client": client_name or _("No client"), **figures, "share": rate_bp(figures["net"], total_net)}
        if client_name:
            row["drill"] = {"client": client_name, **drill_dates(period.start, period.end)}
        rows.append(row)

    def totals_of(n, s, r) -> dict:
        return {"orders": int(n), "sales": int(s), "returns": int(r), "net": int(s) - int(r),
                "share": 10_000 if int(s) - int(r) else 0}

    # The totals row names how many clients it covers (the previous period's is labelled by the page).
    totals = {"client": _("All clients: %(n)d", n=count), **totals_of(n_all, s_all, r_all)}
    charted = rows[:CHART_CLIENTS]
    series = [Series(_series_name(period), tuple(r["net"] for r in charted))]
    before = previous_totals = None
    if compare:
        before = previous(period)
        previous_totals = totals_of(*db.session.execute(
            db.select(*(db.func.coalesce(db.func.sum(c), 0) for c in (SalesDay.orders, SalesDay.sales, SalesDay.returned)))
            .where(team_sums_condition(viewer, SalesDay), *in_days(SalesDay.day, before))).one())
        ids = [row[0] for row in top[:CHART_CLIENTS]]
        nets = {cid: int(s) - int(r) for cid, _n, s, r in db.session.execute(
            _per_client(viewer, before).where(SalesDay.client_id.in_(ids))).all()}
        series.append(Series(_series_name(before), tuple(nets.get(row[0], 0) for row in top[:CHART_CLIENTS])))
    note = _sales_note()
    if count > TOP_CLIENTS:
        note += " " + _("Shown are the %(top)d clients with the highest net sales of %(all)d; the totals cover all "
                        "of them.", top=TOP_CLIENTS, all=count)
    return Report(
        key="sales_by_client", title=_("Sales per client"), period=period,
        columns=(Column("client", _("Client"), ValueKind.TEXT), *_money_columns(),
                 Column("share", _("Share"), ValueKind.PERCENT)),
        rows=tuple(rows), totals=totals, previous=before, previous_totals=previous_totals,
        chart=Chart(ChartKind.HBARS, tuple(r["client"] for r in charted), tuple(series), ValueKind.MONEY)
        if charted else None,
        note=note)

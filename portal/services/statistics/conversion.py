"""Conversion of managers' orders (SPEC §7 5): created → confirmed → paid, as a funnel.

The orders are the team's manager-channel orders *created* in the period (a cohort). Of them,
*confirmed* are those the client had confirmed by the end of the period (an order that was
confirmed and cancelled later still passed the stage) and *paid* those paid by the end of the
period. Measuring every stage by the period's end keeps a past period's figures from changing and
gives the previous period no more time to convert than this one. Rates are basis points, half-up.
"""
from __future__ import annotations

from flask_babel import gettext as _

from portal.extensions import db
from portal.models import Channel, Client, Order
from portal.services.orders.order_list import visible_orders_condition
from portal.services.statistics.common import (
    drill_dates,
    in_span,
    period_label,
    rate_bp,
    responsible_person,
    staff_ids,
    staff_names,
)
from portal.services.statistics.periods import Span, previous, span_of
from portal.services.statistics.report import Chart, ChartKind, Column, Period, Report, Series, ValueKind


def _per_person(viewer, span: Span) -> dict[int, tuple[int, int, int]]:
    # An order paid without a confirmation of its own (paid wholly with bonus at confirmation is
    # confirmed too; one reported paid by another door never waited for one) has passed the stage.
    confirmed_at = db.func.coalesce(Order.confirmed_at, Order.paid_at)
    one, zero = db.literal_column("1"), db.literal_column("0")
    inner = (db.select(responsible_person(viewer).label("person"),
                       db.case((confirmed_at < span.end, one), else_=zero).label("confirmed"),
                       db.case((Order.paid_at < span.end, one), else_=zero).label("paid"))
             .select_from(Order).outerjoin(Client, Client.id == Order.client_id)
             .where(visible_orders_condition(viewer), Order.channel == Channel.MANAGER,
                    *in_span(Order.created_at, span))).subquery()
    rows = db.session.execute(db.select(inner.c.person, db.func.count(), db.func.sum(inner.c.confirmed),
                                        db.func.sum(inner.c.paid)).group_by(inner.c.person)).all()
    return {person: (int(n), int(c or 0), int(p or 0)) for person, n, c, p in rows if person is not None}


def _figures(created: int, confirmed: int, paid: int) -> dict:
    return {"created": created, "confirmed": confirmed, "paid": paid,
            "confirmed_rate": rate_bp(confirmed, created), "paid_rate": rate_bp(paid, created),
            "paid_of_confirmed": rate_bp(paid, confirmed)}


def _totals(per_person: dict) -> dict:
    return {**_figures(*(sum(v[i] for v in per_person.values()) for i in range(3)))}


def conversion(viewer, period: Period, compare: bool) -> Report:
    """Per team member who placed them (the supervisor too): managers' orders created in the
    period, how many of them were confirmed and paid by its end, and the rates. The funnel chart
    is the team's total; the row's link opens the order list of that person's manager orders
    created in the period (exactly the `created` count)."""
    span = span_of(period)
    found = _per_person(viewer, span)
    ids = staff_ids(viewer)
    members = staff_names(ids)
    shown = [i for i in ids if i in found or (i != viewer.id and members[i].active)]

    def name(person_id: int) -> str:
        user = members[person_id]
        return user.name if user.active else _("%(name)s (no longer works here)", name=user.name)

    rows = [{"manager": name(p), **_figures(*found.get(p, (0, 0, 0))),
             "drill": {"placed_by": str(p), "channel": Channel.MANAGER.value,
                       **drill_dates(period.start, period.end)}} for p in shown]
    rows.sort(key=lambda r: (-r["created"], -r["paid"], r["manager"].lower()))
    totals = _totals(found)
    stages = (_("Orders created"), _("Orders confirmed"), _("Orders paid"))
    series = [Series(period_label(period.start, period.end), (totals["created"], totals["confirmed"], totals["paid"]))]
    before = previous_totals = None
    if compare:
        before = previous(period)
        previous_totals = _totals(_per_person(viewer, span_of(before)))
        series.append(Series(period_label(before.start, before.end), (
            previous_totals["created"], previous_totals["confirmed"], previous_totals["paid"])))
    columns = (Column("manager", _("Manager"), ValueKind.TEXT), Column("created", _("Orders created"), ValueKind.INT),
               Column("confirmed", _("Orders confirmed"), ValueKind.INT), Column("paid", _("Orders paid"), ValueKind.INT),
               Column("confirmed_rate", _("Confirmed of created"), ValueKind.PERCENT),
               Column("paid_rate", _("Paid of created"), ValueKind.PERCENT),
               Column("paid_of_confirmed", _("Paid of confirmed"), ValueKind.PERCENT))
    return Report(
        key="conversion", title=_("Conversion of orders"), period=period, columns=columns, rows=tuple(rows),
        totals=totals, previous=before, previous_totals=previous_totals,
        chart=Chart(ChartKind.FUNNEL, stages, tuple(series), ValueKind.INT),
        note=_("Managers' orders created in the period, and how many of them the client had confirmed and paid by "
               "the period's end (a confirmed order cancelled later still counts as confirmed). Web-shop and till "
               "orders are paid when placed and are not part of the funnel."))

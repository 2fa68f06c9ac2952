"""The bonus programme (SPEC §7 8), read from the ledger's entries in SQL.

For the team's clients (responsible manager in the team), per day/week/month of the period:
- *accrued*: bonus accrued on paid orders (issued → pending), less accruals taken back by returns;
- *released*: pending bonus that became available (its hold days over);
- *redeemed*: bonus spent on orders, less bonus given back by returns and cancellations;
- *expired*: bonus written off unused at the end of its life;
- *adjusted*: supervisors' manual adjustments and imported history, net (either may be negative);
- *outstanding*: the programme's liability at the end of the row's days — what the clients hold,
  pending and available — computed as today's materialised balances less every movement after
  that day (the same as summing every entry before it, but reading only later days' sums).

The movements are read from the bonus sums the ledger keeps by local day and responsible manager
as it writes each entry (`portal/daily_sums.py`); a movement is told by the system account on the
other side of its entry: issued (accruals and their reversals), redeemed (redemptions and
restorations), expired, adjustments and imported; an entry between a client's own buckets is a
release.

Each movement counts at its entry's moment. A release or an expiry is dated when it fell due,
even if the ledger wrote it later (when the account was next touched or the sweep ran), so a
closed period's figures only move when such an overdue release or expiry is finally written;
`flask bonus release` / `expire` keep that gap short. accrued − redeemed − expired + adjusted is
exactly the change of the outstanding amount; releases move bonus between a client's own buckets
and do not change it.
"""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from portal.extensions import db
from portal.models import BonusDay, Client, LedgerAccount
from portal.services.statistics.common import day_bucket_of, in_days, period_label, staff_ids, team_clients_condition
from portal.services.statistics.periods import Span, grouping_for, previous, span_of
from portal.services.statistics.report import Chart, ChartKind, Column, Period, Report, Series, ValueKind
from portal.services.statistics.sales import bucket_dates, date_columns

MOVEMENTS = ("accrued", "released", "redeemed", "expired", "adjusted")


def _change(m: dict) -> int:
    return m["accrued"] - m["redeemed"] - m["expired"] + m["adjusted"]


def _team(viewer):
    ids = staff_ids(viewer)
    return BonusDay.manager_id.in_(ids) if ids else db.false()


def _per_bucket(viewer, period: Period, span: Span) -> list[dict]:
    inner = (db.select(day_bucket_of(BonusDay.day, span).label("bucket"),
                       *(getattr(BonusDay, k).label(k) for k in MOVEMENTS))
             .where(_team(viewer), *in_days(BonusDay.day, period))).subquery()
    found = {int(row[0]): {k: int(v or 0) for k, v in zip(MOVEMENTS, row[1:])} for row in db.session.execute(
        db.select(inner.c.bucket, *(db.func.sum(inner.c[k]) for k in MOVEMENTS)).group_by(inner.c.bucket)).all()}
    return [found.get(i, dict.fromkeys(MOVEMENTS, 0)) for i in range(len(span.buckets))]


def outstanding_after(viewer, last_day: date) -> int:
    """What the team's clients held (pending + available) at the end of `last_day`: today's
    balances less the net change of every day after it."""
    now = db.session.scalar(
        db.select(db.func.coalesce(db.func.sum(LedgerAccount.pending + LedgerAccount.available), 0))
        .select_from(LedgerAccount).join(Client, Client.id == LedgerAccount.client_id)
        .where(team_clients_condition(viewer)))
    since = db.session.scalar(db.select(db.func.coalesce(db.func.sum(
        BonusDay.accrued - BonusDay.redeemed - BonusDay.expired + BonusDay.adjusted), 0))
        .where(_team(viewer), BonusDay.day > last_day))
    return int(now or 0) - int(since or 0)


def _figures(viewer, period: Period, span: Span) -> tuple[list[dict], dict]:
    """Per bucket: the movements and the outstanding amount at its end; and the period's totals."""
    per_bucket = _per_bucket(viewer, period, span)
    outstanding = outstanding_after(viewer, period.end)
    later = 0
    for row in reversed(per_bucket):
        row["outstanding"] = outstanding - later
        later += _change(row)
    totals = {k: sum(r[k] for r in per_bucket) for k in MOVEMENTS}
    totals["outstanding"] = outstanding
    return per_bucket, totals


def bonus_programme(viewer, period: Period, compare: bool) -> Report:
    """The programme's movements per day/week/month and the outstanding liability at each one's
    end; the totals row holds the period's movements and the liability at its end. The chart sets
    the period's movements against the previous period's."""
    grouping = grouping_for(period)
    span = span_of(period, grouping)
    per_bucket, totals = _figures(viewer, period, span)
    rows = tuple({**bucket_dates(b, grouping), **figures} for b, figures in zip(span.buckets, per_bucket))
    labels = (_("Accrued"), _("Released"), _("Redeemed"), _("Expired"), _("Adjusted and imported"))
    series = [Series(period_label(period.start, period.end), tuple(totals[k] for k in MOVEMENTS))]
    before = previous_totals = None
    if compare:
        before = previous(period)
        _rows, previous_totals = _figures(viewer, before, span_of(before, grouping))
        series.append(Series(period_label(before.start, before.end), tuple(previous_totals[k] for k in MOVEMENTS)))
    columns = (*date_columns(grouping),
               Column("accrued", _("Accrued"), ValueKind.MONEY), Column("released", _("Released"), ValueKind.MONEY),
               Column("redeemed", _("Redeemed"), ValueKind.MONEY), Column("expired", _("Expired"), ValueKind.MONEY),
               Column("adjusted", _("Adjusted and imported"), ValueKind.MONEY),
               Column("outstanding", _("Outstanding at the end"), ValueKind.MONEY))
    return Report(
        key="bonus_programme", title=_("Bonus programme"), period=period, columns=columns, rows=rows,
        totals=totals, previous=before, previous_totals=previous_totals,
        chart=Chart(ChartKind.BARS, labels, tuple(series), ValueKind.MONEY),
        note=_("Bonus of the team's clients. Accrued is net of accruals taken back by returns; redeemed is net of "
               "bonus given back by returns and cancellations; adjusted includes imported history. Outstanding is "
               "what the clients hold, pending and available, at the end of the day, week or month (in the totals: "
               "at the end of the period). Releases and expiries count on the day they fell due."))


"""The bonus programme (SPEC §7 8), read from the ledger's entries in SQL.

For the team's clients (responsible manager in the team), per day/week/month of the period:
- *accrued*: bonus accrued on paid orders (issued → pending), less accruals taken back by returns;
- *released*: pending bonus that became available (its hold days over);
- *redeemed*: bonus spent on orders, less bonus given back by returns and cancellations;
- *expired*: bonus written off unused at the end of its life;
- *adjusted*: supervisors' manual adjustments and imported history, net (either may be negative);
- *outstanding*: the programme's liability at the end of the row's days — what the clients hold,
  pending and available — computed as today's materialised balances less every movement after
  that moment (the same as summing every entry before it, but reading only recent entries).

Each movement counts at its entry's moment. A release or an expiry is dated when it fell due,
even if the ledger wrote it later (when the account was next touched or the sweep ran), so a
closed period's figures only move when such an overdue release or expiry is finally written;
`flask bonus release` / `expire` keep that gap short. accrued − redeemed − expired + adjusted is
exactly the change of the outstanding amount; releases move bonus between a client's own buckets
and do not change it.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.orm import aliased

from ...extensions import db
from ...models import Client, LedgerAccount, LedgerEntry, LedgerOperation, OperationKind
from .common import bucket_of, in_span, period_label, team_clients_condition
from .periods import Span, grouping_for, previous, span_of
from .report import Chart, ChartKind, Column, Period, Report, Series, ValueKind
from .sales import bucket_dates, date_columns

MOVEMENTS = ("accrued", "released", "redeemed", "expired", "adjusted")


def _entries(viewer):
    """SELECT parts shared by the queries: entries touching a team client's account, with how much
    each moved into and out of client accounts."""
    source, target = aliased(LedgerAccount), aliased(LedgerAccount)
    into = db.case((target.client_id.is_not(None), LedgerEntry.amount), else_=0)
    out = db.case((source.client_id.is_not(None), LedgerEntry.amount), else_=0)

    def select(*columns):
        return (db.select(*columns).select_from(LedgerEntry)
                .join(LedgerOperation, LedgerOperation.id == LedgerEntry.operation_id)
                .join(source, source.id == LedgerEntry.from_account_id)
                .join(target, target.id == LedgerEntry.to_account_id)
                .join(Client, Client.id == db.func.coalesce(target.client_id, source.client_id))
                .where(team_clients_condition(viewer)))
    return select, into, out


def _movements(by_kind: dict) -> dict:
    def net(kind):
        into, out = by_kind.get(kind, (0, 0))
        return into - out
    return {
        "accrued": net(OperationKind.ACCRUAL) + net(OperationKind.ACCRUAL_REVERSAL),
        "released": by_kind.get(OperationKind.RELEASE, (0, 0))[0],
        "redeemed": -(net(OperationKind.REDEMPTION) + net(OperationKind.REDEMPTION_RESTORE)),
        "expired": -net(OperationKind.EXPIRY),
        "adjusted": net(OperationKind.ADJUSTMENT) + net(OperationKind.IMPORT),
    }


def _change(m: dict) -> int:
    return m["accrued"] - m["redeemed"] - m["expired"] + m["adjusted"]


def _per_bucket(viewer, span: Span) -> list[dict]:
    select, into, out = _entries(viewer)
    inner = select(bucket_of(LedgerEntry.created_at, span).label("bucket"), LedgerOperation.kind.label("kind"),
                   into.label("into"), out.label("out")).where(*in_span(LedgerEntry.created_at, span)).subquery()
    found: dict[int, dict] = {}
    for bucket, kind, i, o in db.session.execute(
            db.select(inner.c.bucket, inner.c.kind, db.func.sum(inner.c.into), db.func.sum(inner.c.out))
            .group_by(inner.c.bucket, inner.c.kind)).all():
        found.setdefault(int(bucket), {})[OperationKind(getattr(kind, "value", kind))] = (int(i or 0), int(o or 0))
    return [_movements(found.get(i, {})) for i in range(len(span.buckets))]


def outstanding_at(viewer, moment) -> int:
    """What the team's clients held (pending + available) at `moment`: today's balances less the
    net of every movement since."""
    now = db.session.scalar(
        db.select(db.func.coalesce(db.func.sum(LedgerAccount.pending + LedgerAccount.available), 0))
        .select_from(LedgerAccount).join(Client, Client.id == LedgerAccount.client_id)
        .where(team_clients_condition(viewer)))
    select, into, out = _entries(viewer)
    since = db.session.scalar(select(db.func.coalesce(db.func.sum(into - out), 0))
                              .where(LedgerEntry.created_at >= moment))
    return int(now or 0) - int(since or 0)


def _figures(viewer, span: Span) -> tuple[list[dict], dict]:
    """Per bucket: the movements and the outstanding amount at its end; and the period's totals."""
    per_bucket = _per_bucket(viewer, span)
    outstanding = outstanding_at(viewer, span.end)
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
    per_bucket, totals = _figures(viewer, span)
    rows = tuple({**bucket_dates(b, grouping), **figures} for b, figures in zip(span.buckets, per_bucket))
    labels = (_("Accrued"), _("Released"), _("Redeemed"), _("Expired"), _("Adjusted and imported"))
    series = [Series(period_label(period.start, period.end), tuple(totals[k] for k in MOVEMENTS))]
    before = previous_totals = None
    if compare:
        before = previous(period)
        _rows, previous_totals = _figures(viewer, span_of(before, grouping))
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


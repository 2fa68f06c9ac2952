"""The supervisor's statistics (SPEC §7): the list of reports, one report's page, its CSV and PDF.

GET /supervisor/statistics                 the eight reports, with the period picker
GET /supervisor/statistics/<key>           one report: figures, totals against the previous period,
                                           chart, table with links into the order list
GET /supervisor/statistics/<key>.csv|.pdf  the same report as a file

They all take the same query string: `period` (day, week, month, quarter, custom; month by
default), `anchor` (a day in the period, YYYY-MM-DD or DD.MM.YYYY; today by default), `start` and
`end` (a custom period's first and last day), `compare` (1 or 0; 1 by default — the form sends a
hidden 0 before its checkbox, so the last value wins). A period that cannot be (a date that does
not exist, an end before the start, more than three years) shows the page with the message next to
the field, as a 422, and no figures; an unknown report is a 404.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from flask import Response, abort, render_template, request
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from flask_login import current_user

from portal.clock import local_date
from portal.documents.charts import render_svg
from portal.documents.report_exports import report_csv as make_csv
from portal.documents.report_exports import report_pdf as make_pdf
from portal.errors import ValidationError
from portal.i18n import money, percent_bp
from portal.services.statistics import CATALOGUE, REPORTS
from portal.services.statistics.common import divide
from portal.services.statistics.periods import PeriodKind, next_period, period_for, previous
from portal.services.statistics.report import Period, Report, ValueKind
from portal.web.supervisor.blueprint import bp

_DOTTED_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FIELDS = ("period", "anchor", "start", "end")
TRUE = {"1", "on", "true", "yes"}
NUMERIC = (ValueKind.MONEY, ValueKind.INT, ValueKind.PERCENT, ValueKind.DAYS)


@dataclass
class PeriodRequest:
    """The query string, understood: the period, whether to compare, what was typed, what is wrong."""

    kind: str
    anchor: date | None
    period: Period | None
    compare: bool
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def link_args(self, period: Period | None = None) -> dict[str, str]:
        """Query arguments that keep this choice (or move it to `period`, keeping its kind)."""
        args = {"period": self.kind, "compare": "1" if self.compare else "0"}
        if period is None and self.errors:
            args.update({k: v for k, v in self.values.items() if v and k != "period"})
            return args
        period = period or self.period
        if self.kind == PeriodKind.CUSTOM.value:
            args.update(start=period.start.isoformat(), end=period.end.isoformat())
        else:
            args["anchor"] = period.start.isoformat()
        return args


def _parse_date(text: str) -> date:
    dotted = _DOTTED_DATE.match(text)
    if dotted:
        return date(int(dotted[3]), int(dotted[2]), int(dotted[1]))
    if not _ISO_DATE.match(text):
        raise ValueError(text)
    return date.fromisoformat(text)


def _clean(text: str) -> str:
    return "".join(c for c in (text or "") if c.isprintable()).strip()[:40]


def parse_request(args) -> PeriodRequest:
    values = {name: _clean(args.get(name, "")) for name in FIELDS}
    kind = values["period"] or PeriodKind.MONTH.value
    compare_values = args.getlist("compare")
    compare = compare_values[-1].strip().lower() in TRUE if compare_values else True
    if kind not in {k.value for k in PeriodKind}:
        return PeriodRequest(kind=PeriodKind.MONTH.value, anchor=None, period=None, compare=compare, values=values,
                             errors={"period": _("Choose a period from the list.")})
    # Only the fields of the chosen kind matter: the form sends the others too.
    relevant = ("start", "end") if kind == PeriodKind.CUSTOM.value else ("anchor",)
    errors: dict[str, str] = {}
    dates: dict[str, date] = {}
    for name in relevant:
        if values[name]:
            try:
                dates[name] = _parse_date(values[name])
            except ValueError:
                errors[name] = _("Enter a date like 2026-03-31.")
    anchor = dates.get("anchor") or (local_date() if kind != PeriodKind.CUSTOM.value else None)
    period = None
    if not errors:
        try:
            period = period_for(kind, anchor, dates.get("start"), dates.get("end"))
        except ValidationError as refused:
            errors = {k: str(v) for k, v in refused.fields.items()}
    return PeriodRequest(kind=kind, anchor=anchor, period=period, compare=compare, values=values, errors=errors)


# --- what the page shows besides the report itself -------------------------------------------------

@dataclass(frozen=True)
class Figure:
    """One total of the report, with the previous period's and the change, for the page's tiles."""

    label: str
    kind: ValueKind
    value: object
    previous: object = None
    difference: int | None = None
    relative_bp: int | None = None  # the change in basis points of the previous value; None when it was 0


def figures_of(report: Report) -> list[Figure]:
    result = []
    for column in report.columns:
        if column.kind not in NUMERIC or column.key not in report.totals:
            continue
        value = report.totals[column.key]
        before = (report.previous_totals or {}).get(column.key)
        difference = relative = None
        if before is not None and value is not None:
            difference = int(value) - int(before)
            if column.kind in (ValueKind.MONEY, ValueKind.INT) and before:
                relative = divide(difference * 10_000, abs(int(before)))
        result.append(Figure(column.label, column.kind, value, before, difference, relative))
    return result


def period_words(period: Period) -> str:
    if period.start == period.end:
        return format_date(period.start, "long")
    return _("%(start)s – %(end)s", start=format_date(period.start, "long"), end=format_date(period.end, "long"))


def _number(value) -> str:
    return format_decimal(int(value), format="#,##0")


def show(value, kind: ValueKind) -> str:
    """A value as the page shows it: money, percent and dates in the reader's format; "—" for none."""
    if value is None:
        return "—"
    kind = ValueKind(kind)
    if kind is ValueKind.MONEY:
        return money(int(value))
    if kind is ValueKind.PERCENT:
        return percent_bp(int(value))
    if kind is ValueKind.DATE:
        return format_date(value, "medium")
    if kind in (ValueKind.INT, ValueKind.DAYS):
        return _number(value)
    return str(value)


def _signed(amount: int, text: str) -> str:
    return ("+" if amount > 0 else "\u2212" if amount < 0 else "") + text


def change_text(figure: Figure) -> str:
    """+1 234,00 ₽ (+12,5 %); for a percentage the difference in percentage points."""
    if figure.difference is None:
        return ""
    if figure.kind is ValueKind.PERCENT:
        points = percent_bp(abs(figure.difference)).replace("\u00a0%", "")
        return _signed(figure.difference, _("%(points)s pp", points=points))
    text = _signed(figure.difference, show(abs(figure.difference), figure.kind))
    if figure.relative_bp is not None:
        text += f" ({_signed(figure.relative_bp, percent_bp(abs(figure.relative_bp)))})"
    return text


def _chart_svg(report: Report) -> str | None:
    if report.chart is None:
        return None
    return render_svg(report.chart, title=report.title)


def _context(req: PeriodRequest) -> dict:
    return {"req": req, "kinds": list(PeriodKind), "period_words": period_words, "show": show,
            "change_text": change_text, "ValueKind": ValueKind}


# --- pages ---------------------------------------------------------------------------------------

@bp.get("/statistics")
def statistics():
    req = parse_request(request.args)
    return render_template("supervisor/statistics.html", catalogue=CATALOGUE,
                           compared=previous(req.period) if req.period and req.compare else None,
                           **_context(req)), 422 if req.errors else 200


def _info(key: str):
    for info in CATALOGUE:
        if info.key == key:
            return info
    return abort(404)


def _compute(key: str, req: PeriodRequest) -> Report:
    return REPORTS[key](current_user._get_current_object(), req.period, req.compare)


def _report_page(key: str, req: PeriodRequest):
    info = _info(key)
    report = figures = svg = None
    if not req.errors:
        report = _compute(key, req)
        figures = figures_of(report)
        svg = _chart_svg(report)
    around = {}
    if req.period is not None:
        around = {"earlier": req.link_args(previous(req.period)), "later": req.link_args(next_period(req.period))}
    return render_template("supervisor/report.html", key=key, info=info, report=report, figures=figures,
                           chart_svg=svg, around=around, today=Period(local_date(), local_date()),
                           **_context(req)), 422 if req.errors else 200


@bp.get("/statistics/<key>")
def report(key: str):
    return _report_page(key, parse_request(request.args))


def _download(key: str, extension: str, make, mimetype: str):
    _info(key)
    req = parse_request(request.args)
    if req.errors:
        return _report_page(key, req)
    data = make(_compute(key, req))
    response = Response(data, mimetype=mimetype)
    if mimetype == "text/csv":
        response.headers["Content-Type"] = "text/csv; charset=utf-8"
    name = f"{key}-{req.period.start.isoformat()}-{req.period.end.isoformat()}.{extension}"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/statistics/<key>.csv")
def report_csv(key: str):
    return _download(key, "csv", make_csv, "text/csv")


@bp.get("/statistics/<key>.pdf")
def report_pdf(key: str):
    return _download(key, "pdf", make_pdf, "application/pdf")

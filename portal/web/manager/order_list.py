"""The list of orders: filters, sorting, pages, totals, CSV export.

GET /manager/orders and GET /manager/orders.csv take the same query string:
date_from, date_to (YYYY-MM-DD or DD.MM.YYYY, days in the company's time zone), number, client,
amount_min, amount_max ("1500", "1 500,50", "1500.50"), status, channel, placed_by ("web",
"shop" or a staff id), sort (created, number, total, client), direction (asc, desc), page, per_page.

A value that cannot be a filter (a date that does not exist, an amount that is not one, a status
that is not in the list) shows the form with the message next to the field, as a 422, and no
rows: a list silently ignoring what was asked would look like an answer. An unknown sort, direction
or page falls back to the default.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date

from flask import Response, render_template, request, stream_with_context, url_for
from flask_babel import format_time
from flask_babel import gettext as _
from flask_login import current_user

from portal import labels
from portal.clock import local_date, local_zone
from portal.documents.spreadsheet import safe_cell
from portal.models import Channel, OrderStatus
from portal.money import MoneyError, format_plain, parse_amount, to_minor
from portal.services.orders import order_list
from portal.services.orders.order_list import Direction, OrderListFilter, OrderSort
from portal.web.manager.blueprint import bp

TEXT_LIMITS = {"number": 100, "client": 300}
FILTER_FIELDS = ("date_from", "date_to", "number", "client", "amount_min", "amount_max", "status", "channel",
                 "placed_by")
# The direction a column starts in when its header is clicked.
FIRST_DIRECTION = {OrderSort.CREATED: Direction.DESC, OrderSort.TOTAL: Direction.DESC,
                   OrderSort.NUMBER: Direction.ASC, OrderSort.CLIENT: Direction.ASC}
_DOTTED_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


@dataclass
class ListRequest:
    """The query string, understood: the filter, the order, the page, what was typed, what is wrong."""

    filter: OrderListFilter
    sort: OrderSort
    direction: Direction
    page: int
    per_page: int
    values: dict[str, str] = field(default_factory=dict)  # as typed, to refill the form and keep in links
    errors: dict[str, str] = field(default_factory=dict)

    def link_args(self, **changes) -> dict[str, str]:
        """Query arguments that keep this list (filters, order), with `changes` applied."""
        args = {k: v for k, v in self.values.items() if v}
        if self.sort is not order_list.DEFAULT_SORT or self.direction is not order_list.DEFAULT_DIRECTION:
            args.update(sort=self.sort.value, direction=self.direction.value)
        if self.per_page != order_list.PER_PAGE:
            args["per_page"] = str(self.per_page)
        args.update({k: str(v) for k, v in changes.items()})
        return args


def _parse_date(text: str) -> date:
    dotted = _DOTTED_DATE.match(text)
    day = date(int(dotted[3]), int(dotted[2]), int(dotted[1])) if dotted else date.fromisoformat(text)
    if not 1900 <= day.year <= 2999:
        raise ValueError(text)
    return day


def _clean(text: str) -> str:
    """What was typed, without control characters (PostgreSQL refuses NUL) and extra spaces."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def parse_request(args) -> ListRequest:
    values = {name: _clean(args.get(name, ""))[:TEXT_LIMITS.get(name, 40)] for name in FILTER_FIELDS}
    errors: dict[str, str] = {}
    f = OrderListFilter(number=values["number"], client=values["client"])
    for name in ("date_from", "date_to"):
        if values[name]:
            try:
                setattr(f, name, _parse_date(values[name]))
            except ValueError:
                errors[name] = _("Enter a date like 2026-03-31.")
    if f.date_from and f.date_to and f.date_to < f.date_from:
        errors["date_to"] = _("The end date is before the start date.")
    for name in ("amount_min", "amount_max"):
        if values[name]:
            try:
                setattr(f, name, to_minor(parse_amount(values[name])))
            except MoneyError:
                errors[name] = _("Enter an amount like 1500 or 1500,50.")
    if f.amount_min is not None and f.amount_max is not None and f.amount_max < f.amount_min:
        errors["amount_max"] = _("The upper amount is below the lower one.")
    if values["status"]:
        try:
            f.status = OrderStatus(values["status"])
        except ValueError:
            errors["status"] = _("Choose a status from the list.")
    if values["channel"]:
        try:
            f.channel = Channel(values["channel"])
        except ValueError:
            errors["channel"] = _("Choose a channel from the list.")
    if values["placed_by"]:
        allowed = {c.value for c in order_list.placed_by_choices(current_user)}
        if values["placed_by"] in allowed:
            f.placed_by = order_list.parse_placed_by(values["placed_by"])
        else:
            errors["placed_by"] = _("Choose who placed the order from the list.")
    sort = order_list.parse_sort(args.get("sort"))
    direction = order_list.parse_direction(args.get("direction"))
    page = args.get("page", type=int) or 1
    per_page = args.get("per_page", type=int) or order_list.PER_PAGE
    return ListRequest(filter=f, sort=sort, direction=direction, page=min(max(page, 1), 1_000_000),
                       per_page=min(max(per_page, 1), order_list.MAX_PER_PAGE), values=values, errors=errors)


def placed_by_label(channel, author_name: str | None) -> str:
    """Who placed an order, in words: the web shop, a till (and its cashier), or the staff member."""
    channel = Channel(getattr(channel, "value", channel))
    if channel is Channel.WEB:
        return _("Web shop")
    if channel is Channel.SHOP:
        return _("Till: %(name)s", name=author_name) if author_name else _("Till")
    return author_name or "—"


@bp.get("/orders")
def orders():
    return _page(parse_request(request.args))


def _page(req: ListRequest):
    viewer = current_user._get_current_object()
    page = totals = None
    if not req.errors:
        page = order_list.find_orders(viewer, req.filter, req.sort, req.direction, req.page, req.per_page)
        totals = order_list.order_totals(viewer, req.filter)

    def sort_url(key: str) -> str:
        key = OrderSort(key)
        direction = FIRST_DIRECTION[key]
        if key is req.sort:
            direction = Direction.ASC if req.direction is Direction.DESC else Direction.DESC
        args = req.link_args(sort=key.value, direction=direction.value)
        return url_for("manager.orders", **args)

    return render_template(
        "manager/orders.html", req=req, page=page, totals=totals, statuses=list(OrderStatus), channels=list(Channel),
        placed_by=order_list.placed_by_choices(viewer), sorts=list(OrderSort), sort_url=sort_url,
        placed_by_label=placed_by_label, outstanding_of=order_list.outstanding_of,
        time_of=lambda moment: format_time(moment, "short"),
    ), 422 if req.errors else 200


# --- CSV ---------------------------------------------------------------------------------------

def csv_header() -> list[str]:
    return [_("Number"), _("Date"), _("Channel"), _("Status"), _("Client"), _("Tax ID"), _("Placed by"),
            _("Subtotal"), _("Discount"), _("Bonus"), _("To pay"), _("Received"), _("Outstanding"),
            _("Payment terms"), _("Due date")]


def csv_line(row: order_list.ExportRow) -> list[str]:
    return [
        safe_cell(row.number), row.created_at.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M"),
        labels.channel(row.channel), labels.order_status(row.status), safe_cell(row.client_name),
        safe_cell(row.client_tax_id), safe_cell(placed_by_label(row.channel, row.placed_by_name)),
        format_plain(row.subtotal), format_plain(row.discount), format_plain(row.bonus), format_plain(row.to_pay),
        format_plain(row.received), format_plain(row.outstanding),
        labels.payment_terms(row.payment_terms) if row.payment_terms else "",
        row.due_date.isoformat() if row.due_date else "",
    ]


@bp.get("/orders.csv")
def orders_csv():
    req = parse_request(request.args)
    if req.errors:
        return _page(req)
    rows = order_list.orders_for_export(current_user._get_current_object(), req.filter, req.sort, req.direction)
    header = csv_header()

    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        buffer.write("\ufeff")  # Excel reads UTF-8 only with the BOM
        writer.writerow(header)
        for n, row in enumerate(rows, start=1):
            writer.writerow(csv_line(row))
            if n % order_list.EXPORT_BATCH == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    response = Response(stream_with_context(generate()), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="orders-{local_date().isoformat()}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response

"""Reading the order form: lines by index, money and percentages typed in any common notation.

The order form is one editable table, so it is read by hand rather than by WTForms; every value
that does not parse is reported against its field, and what was typed is shown again.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l

from portal.models import DeliveryMethod, PaymentTerms
from portal.money import MoneyError, format_plain, parse_amount, parse_percent, to_minor
from portal.services.orders.orders import DraftLine, OrderDraft, draft_of

LINE_FIELD = re.compile(r"^lines-(\d{1,3})-(sku|qty|discount)$")


@dataclass
class OrderForm:
    """What the form holds, as typed, and the draft made of it."""

    values: dict
    lines: list[dict]  # {"sku", "qty", "discount"} as typed
    draft: OrderDraft | None
    errors: dict = field(default_factory=dict)


def read_order_form(form, client_id: int) -> OrderForm:
    rows: dict[int, dict] = {}
    for name, value in form.items():
        match = LINE_FIELD.match(name)
        if match:
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = value.strip()[:100]
    typed = [rows[i] for i in sorted(rows) if rows[i].get("sku")]
    values = {k: (form.get(k) or "").strip() for k in
              ("location_id", "payment_terms", "delivery_method", "delivery_address", "delivery_date", "bonus",
               "comment")}
    remove = form.get("remove_line")
    if remove is not None and remove.isdigit() and int(remove) < len(typed):
        typed.pop(int(remove))
    add = (form.get("add_sku") or "").strip()[:100]
    if add:
        # `add_qty`: the keyboard's "3*SKU" (as at a POS till); one unit otherwise.
        units = _units(form.get("add_qty")) or 1
        same = next((row for row in typed if row["sku"].lower() == add.lower()), None)
        if same is not None:
            same["qty"] = str(int(same["qty"]) + units) if same.get("qty", "").isdigit() else str(units)
        else:
            typed.append({"sku": add, "qty": str(units), "discount": ""})
    # `set_qty` for `set_qty_sku`: the keyboard's "*3" (or "3") typed right after adding that product.
    set_sku, set_units = (form.get("set_qty_sku") or "").strip().lower(), _units(form.get("set_qty"))
    if set_sku and set_units:
        for row in typed:
            if row["sku"].lower() == set_sku:
                row["qty"] = str(set_units)
    errors: dict = {}
    lines = []
    for i, row in enumerate(typed):
        qty_text = row.get("qty", "") or "1"
        qty = int(qty_text) if qty_text.isascii() and qty_text.isdigit() and len(qty_text) <= 6 else None  # not "²"
        if qty is None or qty < 1:
            errors[f"lines-{i}-qty"] = _l("Enter a whole number of units, 1 or more.")
        discount = None
        if row.get("discount"):
            try:
                discount = parse_percent(row["discount"])
            except MoneyError:
                errors[f"lines-{i}-discount"] = _l("Enter a discount from 0 to 100 %.")
        # A wrong quantity goes to the service as 0: the line is refused and left out of the prices.
        lines.append(DraftLine(row["sku"], qty if qty and qty >= 1 else 0, discount))
    location_id = int(values["location_id"]) if values["location_id"].isdigit() else None
    if location_id is None:
        errors["location_id"] = _l("Choose where the goods come from.")
    terms = _enum(PaymentTerms, values["payment_terms"], PaymentTerms.PREPAID)
    method = _enum(DeliveryMethod, values["delivery_method"], DeliveryMethod.PICKUP)
    delivery_date = None
    if values["delivery_date"]:
        try:
            delivery_date = date.fromisoformat(values["delivery_date"])
        except ValueError:
            errors["delivery_date"] = _l("Enter a date.")
    bonus = 0
    if values["bonus"]:
        try:
            bonus = to_minor(parse_amount(values["bonus"]))
        except MoneyError:
            errors["bonus"] = _l("Enter an amount like 150 or 150.50.")
    draft = OrderDraft(client_id=client_id, location_id=location_id or 0, lines=lines, payment_terms=terms,
                       delivery_method=method, delivery_address=values["delivery_address"][:500],
                       delivery_date=delivery_date, bonus=bonus, comment=values["comment"][:1000])
    return OrderForm(values, typed, draft, errors)


def _units(text) -> int | None:
    """A quantity typed at the keyboard: a whole number from 1 to 9999, or None."""
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and 1 <= len(text) <= 4 and int(text) >= 1 else None


def lines_changed(form) -> bool:
    """Whether the posted form adds, removes or re-counts lines by a button or the keyboard (so the
    lines are drawn again), rather than only being re-priced."""
    return any((form.get(key) or "").strip() for key in ("add_sku", "remove_line", "set_qty_sku"))


def _enum(cls, text: str, default):
    try:
        return cls(text)
    except ValueError:
        return default


def form_of(order) -> OrderForm:
    """The form as an existing draft fills it."""
    lines = [{"sku": line.sku, "qty": str(line.qty),
              "discount": percent_text(line.discount_bp)} for line in order.lines]
    values = {"location_id": str(order.location_id or ""),
              "payment_terms": order.payment_terms.value if order.payment_terms else "prepaid",
              "delivery_method": order.delivery_method.value if order.delivery_method else "pickup",
              "delivery_address": order.delivery_address,
              "delivery_date": order.delivery_date.isoformat() if order.delivery_date else "",
              "bonus": format_plain(order.bonus_redeemed) if order.bonus_redeemed else "",
              "comment": order.comment}
    return OrderForm(values, lines, draft_of(order))


def percent_text(bp: int) -> str:
    """Basis points as a person types a percentage: 500 -> "5", 750 -> "7.5", 1225 -> "12.25"."""
    whole, part = divmod(bp, 100)
    return f"{whole}" if not part else f"{whole}.{part:02d}".rstrip("0")

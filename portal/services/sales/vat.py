"""VAT (SPEC §10): a product's rate, and the VAT a line's money includes.

A rate is a code: a whole percentage as text ("20", "10", "0") or "none" — "без НДС" / "без ПДВ",
the seller charges no VAT (not the same as a 0 % rate, which an invoice names as such). A product
without a rate of its own takes the company's, PORTAL_VAT_RATE.

Prices include VAT, as Russian and Ukrainian prices do. The VAT of a line is what its money after
discounts includes — bonus spent counts as a means of payment, not as a discount, so it does not
lower the VAT — rounded half-up to the minor unit, line by line: `money × rate / (100 + rate)`.
A return takes back the VAT of what comes back as the other amounts of a line are taken back
(`pricing.share`), so any sequence of partial returns of every unit gives back the line's VAT exactly.
"""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app

from portal.services.sales.pricing import share

NONE = "none"
MAX_RATE = 99
# How 1C, a catalogue file or a person may write "no VAT".
_NONE_WORDS = {"none", "без ндс", "без налога", "без пдв", "без податку", "no vat", "без ндс.", "-", "—"}
_RATE = re.compile(r"^(?:ндс|пдв|vat)?\s*(\d{1,2})(?:[.,]0+)?\s*%?$")


class VatRateError(ValueError):
    """The text is no VAT rate the portal knows."""


def parse_rate(text) -> str:
    """A rate code from how it is written: "20", "20%", "20 %", "НДС 20%", "Без НДС", "без налога",
    "none". VatRateError otherwise (a fraction of a percent, a rate of 100 % or more, words)."""
    if text is None:
        raise VatRateError("no VAT rate given")
    value = " ".join(str(text).replace("\xa0", " ").split()).lower()
    if value in _NONE_WORDS:
        return NONE
    found = _RATE.match(value)
    if found is None or int(found.group(1)) > MAX_RATE:
        raise VatRateError(f"not a VAT rate: {text!r}")
    return str(int(found.group(1)))


def rate_of(product_rate: str | None, company_rate: str) -> str:
    """The rate a product is sold at: its own, else the company's."""
    return product_rate if product_rate is not None else company_rate


def company_rate() -> str:
    """PORTAL_VAT_RATE as a rate code (create_app refuses to start with one that is none)."""
    return parse_rate(current_app.config.get("PORTAL_VAT_RATE", NONE))


def percent(rate: str) -> int | None:
    """The rate as a whole percentage; None for "none" (no VAT at all)."""
    return None if rate == NONE else int(rate)


def included(amount: int, rate: str) -> int:
    """The VAT `amount` (minor units, VAT included) holds at `rate`, half-up to the minor unit."""
    pct = percent(rate)
    if not pct or not amount:
        return 0
    vat = Decimal(amount) * pct / (100 + pct)
    return int(vat.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def of_line(price: int, qty: int, discount: int, rate: str) -> int:
    """The VAT of an order line: what its money after discounts includes (bonus is a payment)."""
    return included(price * qty - discount, rate)


def returned(line_vat: int, before: int, after: int, qty: int) -> int:
    """The VAT of the units a return takes back, `before` → `after` returned of `qty`."""
    return share(line_vat, after, qty) - share(line_vat, before, qty)


def by_rate(lines) -> dict[str, int]:
    """VAT per rate over lines that have `vat_rate` and `vat` (an invoice's "в т.ч. НДС" lines), in the
    order of the rates from the highest; a rate with no VAT ("none", "0") is listed with 0."""
    totals: dict[str, int] = {}
    for line in lines:
        totals[line.vat_rate] = totals.get(line.vat_rate, 0) + line.vat
    return dict(sorted(totals.items(), key=lambda item: -1 if item[0] == NONE else int(item[0]), reverse=True))

"""The JSON tasks of ATOL's driver v10 ("fptr10" JSON tasks), built from plain values.

What this relies on (ATOL's JSON task protocol of the driver v10, as its web server takes it and as
public clients of it send it — e.g. the fptr10 JSON built by the PHP TFptr10Driver and a
TypeScript client of the web server at localhost:16732, and the task model of Microsoft's ATOL
sample for Dynamics 365 Commerce, `PositionItem`):

- a receipt: `{"type": "sell" | "sellReturn", "operator": {"name": ...}, "clientInfo":
  {"emailOrPhone": ...}, "items": [{"type": "position", "name", "price", "quantity", "amount",
  "paymentMethod": "fullPayment", "paymentObject": "commodity", "tax": {"type": "vat20", "sum"}}],
  "payments": [{"type": "cash" | "electronically" | "other", "sum"}], "total"}`;
- the register's shift: `{"type": "openShift" | "closeShift", "operator": {...}}`;
- cash in and out: `{"type": "cashIn" | "cashOut", "operator": {...}, "cashSum": ...}`;
- VAT rate codes: "none" (без НДС), "vat0", "vat5", "vat7", "vat10", "vat20", "vat22" (the rates;
  "vat110", "vat120"... are the calculated rates of advance payments, which a till sale never is).

Amounts are roubles with two decimals as JSON numbers. They are made here from exact minor units
with Decimal and written as the decimal text itself (`request_body`), never through a float.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal

SELL = "sell"
SELL_RETURN = "sellReturn"
OPEN_SHIFT = "openShift"
CLOSE_SHIFT = "closeShift"
CASH_IN = "cashIn"
CASH_OUT = "cashOut"

CASH = "cash"
ELECTRONICALLY = "electronically"  # a bank card, a transfer, an online payment
OTHER = "other"  # встречное предоставление: bonus points spent on the goods

# The portal's VAT rate codes (services/sales/vat.py) the register knows, as its tax types.
TAX_TYPES = {"none": "none", "0": "vat0", "5": "vat5", "7": "vat7", "10": "vat10", "20": "vat20", "22": "vat22"}
CENT = Decimal("0.01")


class TaskError(ValueError):
    """The values cannot make a task the register takes (a VAT rate it does not know)."""


def roubles(minor: int) -> Decimal:
    """Minor units (kopecks) as roubles with exactly two decimals: 12345 -> Decimal("123.45")."""
    if not isinstance(minor, int) or isinstance(minor, bool):
        raise TypeError(f"an amount in minor units must be an int, not {minor!r}")
    return (Decimal(minor) / 100).quantize(CENT)


def tax_type(rate: str) -> str:
    try:
        return TAX_TYPES[rate]
    except KeyError:
        raise TaskError(f"the fiscal register has no VAT rate {rate!r}") from None


@dataclass(frozen=True)
class Line:
    """A receipt line: unit price, quantity, the line's amount after discounts, its VAT rate code and
    the VAT that amount includes (all money in minor units)."""
    name: str
    price: int
    qty: int
    amount: int
    vat_rate: str
    vat: int


@dataclass(frozen=True)
class Receipt:
    kind: str  # SELL or SELL_RETURN
    operator: str
    lines: list[Line]
    payments: list[tuple[str, int]]  # (CASH | ELECTRONICALLY | OTHER, minor units)
    client_contact: str = ""  # the client's phone (+7...) or e-mail for the electronic receipt
    taxation_type: str = ""  # "osn", "usnIncome"...; empty: the one the register is registered with
    extra: dict = field(default_factory=dict)


def receipt_task(receipt: Receipt) -> dict:
    if receipt.kind not in (SELL, SELL_RETURN):
        raise TaskError(f"not a receipt task: {receipt.kind!r}")
    if not receipt.lines:
        raise TaskError("a receipt needs at least one line")
    total = sum(line.amount for line in receipt.lines)
    paid = sum(amount for _type, amount in receipt.payments)
    if paid != total:
        raise TaskError(f"the payments ({paid}) do not add up to the receipt's total ({total})")
    task: dict = {"type": receipt.kind, "operator": {"name": receipt.operator[:64]}}
    if receipt.taxation_type:
        task["taxationType"] = receipt.taxation_type
    if receipt.client_contact:
        task["clientInfo"] = {"emailOrPhone": receipt.client_contact}
    task["items"] = [{
        "type": "position", "name": line.name[:128], "price": roubles(line.price), "quantity": line.qty,
        "amount": roubles(line.amount), "paymentMethod": "fullPayment", "paymentObject": "commodity",
        "tax": {"type": tax_type(line.vat_rate), "sum": roubles(line.vat)},
    } for line in receipt.lines]
    task["payments"] = [{"type": kind, "sum": roubles(amount)} for kind, amount in receipt.payments if amount]
    task["total"] = roubles(total)
    return task


def shift_task(kind: str, operator: str) -> dict:
    if kind not in (OPEN_SHIFT, CLOSE_SHIFT):
        raise TaskError(f"not a shift task: {kind!r}")
    return {"type": kind, "operator": {"name": operator[:64]}}


def cash_task(kind: str, operator: str, amount: int) -> dict:
    if kind not in (CASH_IN, CASH_OUT):
        raise TaskError(f"not a cash task: {kind!r}")
    if amount <= 0:
        raise TaskError("a cash movement needs an amount above zero")
    return {"type": kind, "operator": {"name": operator[:64]}, "cashSum": roubles(amount)}


def request_body(uuid: str, task: dict) -> bytes:
    """The body of `POST /api/v2/requests`: `{"uuid": ..., "request": [task]}` as UTF-8 JSON, every
    Decimal written as its exact decimal text (123.45), never rounded through a float."""
    return dumps({"uuid": uuid, "request": [task]}).encode("utf-8")


def dumps(value) -> str:
    """JSON text of dicts, lists, strings, ints, bools, None and Decimals (as numbers, exactly)."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"not a finite amount: {value}")
        return format(value, "f")
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(dumps(v) for v in value) + "]"
    if isinstance(value, float):
        raise TypeError("amounts go to the register as Decimal, never as float")
    return json.dumps(value, ensure_ascii=False)

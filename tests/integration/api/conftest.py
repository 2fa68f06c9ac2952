"""Fixtures for the web-shop API tests: a real key from the CLI, a caller, a small shop.

`shop` is the data (made in an app context, then left); `api` calls /api/v1 with the key:
    api.get("/products", limit=2)            -> response (query from keyword arguments)
    api.post("/orders", body, key="k-1")     -> response (Idempotency-Key = key, fresh when omitted)
Money in the catalogue (minor units):
    DRILL 1000.00, warranty 24 months          VALVE 99.99, not discountable
    PIPE  333.33, non-returnable               PENNY 0.01
The client "Buyer" (+79161112233) has an approved 5 % discount.
"""
from __future__ import annotations

import itertools
import json
import re

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.services.clients import bonus as bonus_service

from ...factories import make_client, make_location, make_product

MONEY = re.compile(r"^[0-9]+\.[0-9]{2}$")
SIGNED_MONEY = re.compile(r"^-?[0-9]+\.[0-9]{2}$")
BUYER_PHONE = "+79161112233"
# The business tables a refused request must leave alone (the remembered answer to an
# Idempotency-Key, a refusal included, is not business data).
COUNTED_TABLES = ("orders", "order_lines", "payments", "ledger_entries", "ledger_operations", "bonus_lots",
                  "returns", "return_lines", "refunds", "clients", "client_phones")

_keys = itertools.count(1)


def minor(text: str) -> int:
    """'1234.50' -> 123450 (and '-1.05' -> -105); refuses anything that is not a Money string."""
    assert isinstance(text, str) and SIGNED_MONEY.match(text), f"not a money string: {text!r}"
    negative = text.startswith("-")
    whole, frac = text.lstrip("-").split(".")
    value = int(whole) * 100 + int(frac)
    return -value if negative else value


def create_key(runner, name: str = "shop") -> str:
    result = runner.invoke(args=["api-keys", "create", name])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1].strip()


class Api:
    """A thin caller of /api/v1 with a bearer key; every POST gets an Idempotency-Key."""

    def __init__(self, http, key: str):
        self.http, self.key = http, key

    def headers(self, key: str | None = None, extra: dict | None = None) -> dict:
        headers = {"Authorization": f"Bearer {self.key}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        headers.update(extra or {})
        return headers

    def get(self, path: str, headers: dict | None = None, **query):
        query = {k: v for k, v in query.items() if v is not None}
        return self.http.get("/api/v1" + path, headers=self.headers(extra=headers), query_string=query or None)

    def post(self, path: str, body=None, *, key: str | None = "auto", raw: bytes | str | None = None,
             headers: dict | None = None):
        if key == "auto":
            key = f"test-key-{next(_keys)}"
        data = raw if raw is not None else json.dumps(body)
        return self.http.post("/api/v1" + path, data=data, content_type="application/json",
                              headers=self.headers(key, headers))

    def order(self, lines, client_id=None, bonus="0.00", external_id=None, **extra):
        body = {"external_id": external_id or f"ext-{next(_keys)}", "client_id": client_id,
                "lines": [{"sku": sku, "qty": qty} for sku, qty in lines], "bonus_to_redeem": bonus,
                "payment_method": "online", **extra}
        return self.post("/orders", body)

    def all_items(self, path: str, limit: int, **query) -> list:
        """Follow next_cursor to the end; returns every item of every page."""
        items, cursor, pages = [], None, 0
        while True:
            response = self.get(path, limit=limit, cursor=cursor, **query)
            assert response.status_code == 200, response.get_data(as_text=True)
            page = response.get_json()
            assert set(page) == {"items", "next_cursor"}
            items.extend(page["items"])
            pages += 1
            assert pages < 1000, "the cursor never ends"
            cursor = page["next_cursor"]
            if cursor is None:
                return items
            assert isinstance(cursor, str) and cursor


@pytest.fixture
def sms_file(app, tmp_path):
    path = tmp_path / "sms.log"
    app.config["SMS_FILE_PATH"] = str(path)
    return path


@pytest.fixture
def api_key(runner, sms_file) -> str:
    return create_key(runner)


@pytest.fixture
def api(client, api_key) -> Api:
    return Api(client, api_key)


@pytest.fixture
def shop(app):
    """Ids and SKUs only (no ORM objects outlive the context)."""
    with app.app_context():
        warehouse = make_location("warehouse", code="MAIN", is_main=True)
        other = make_location("shop", code="SHOP1", is_main=False)
        make_product("DRILL", 1_000_00, stock={warehouse: 100, other: 5}, warranty_months=24)
        make_product("PIPE", 333_33, stock={warehouse: 100}, returnable=False)
        make_product("VALVE", 99_99, stock={warehouse: 100}, discountable=False)
        make_product("PENNY", 1, stock={warehouse: 100})
        make_product("RARE", 50_00, stock={warehouse: 2})
        buyer = make_client(name="Buyer", phone=BUYER_PHONE, discount_bp=500)
        return {"warehouse_id": warehouse.id, "client_id": buyer.id, "phone": BUYER_PHONE}


def give_bonus(app, client_id: int, amount: int, key: str = "gift") -> None:
    """An approved manual adjustment (the way a client gets spendable bonus today)."""

    from ...factories import make_staff
    with app.app_context():
        boss = make_staff("supervisor")
        bonus_service.adjust(boss, client_id, amount, "welcome gift", f"test:{key}:{client_id}:{amount}")
        db.session.commit()


def row_counts(app) -> dict:
    with app.app_context():
        return {name: db.session.scalar(sa.select(sa.func.count()).select_from(db.metadata.tables[name]))
                for name in COUNTED_TABLES}


def ledger_verify(runner) -> str:
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output, result.output
    return result.output


def sell_in_the_past(app, client_id: int | None, lines: list[tuple[str, int]], days_ago: float,
                     bonus: int = 0) -> int:
    """An order placed through the sales service as if paid `days_ago` days ago; returns its id."""
    from datetime import timedelta

    from portal.models import Channel, Location, utcnow
    from portal.services.sales import sales
    with app.app_context():
        warehouse = db.session.scalar(sa.select(Location).where(Location.is_main.is_(True)))
        order = sales.place_paid_order(sales.Sale(
            channel=Channel.WEB, lines=[sales.SaleLine(qty=q, sku=s) for s, q in lines], location_id=warehouse.id,
            client_id=client_id, bonus_to_redeem=bonus, now=utcnow() - timedelta(days=days_ago)))
        return order.id


def check_error(response, status: int, code: str, field: str | None = None) -> dict:
    """The contract's error body: {"error", "message"[, "fields"]} with this status and code."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.is_json, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert isinstance(body, dict)
    assert body.get("error") == code, body
    assert isinstance(body.get("message"), str) and body["message"].strip(), body
    assert set(body) <= {"error", "message", "fields"}, body
    if "fields" in body:
        assert isinstance(body["fields"], dict) and body["fields"], body
        assert all(isinstance(k, str) and isinstance(v, str) and v for k, v in body["fields"].items()), body
    if field is not None:
        assert field in body.get("fields", {}), body
    return body


ORDER_MONEY = ("subtotal", "discount", "bonus_redeemed", "paid", "accrual")
LINE_MONEY = ("price", "discount", "bonus", "paid", "accrual")


def check_order(order: dict) -> dict:
    """Shape, Money strings and the invariants of the contract's Order."""
    required = {"id", "external_id", "client_id", "status", "created_at", *ORDER_MONEY, "lines"}
    assert required <= set(order), required - set(order)
    assert isinstance(order["id"], int) and order["id"] > 0
    assert order["client_id"] is None or isinstance(order["client_id"], int)
    assert isinstance(order["status"], str) and order["status"]
    check_time(order["created_at"])
    for name in ORDER_MONEY:
        assert MONEY.match(order[name]), (name, order[name])
    assert isinstance(order["lines"], list) and order["lines"]
    for line in order["lines"]:
        assert {"sku", "qty", *LINE_MONEY, "returned_qty"} <= set(line), line
        for name in LINE_MONEY:
            assert MONEY.match(line[name]), (name, line[name])
        assert isinstance(line["qty"], int) and not isinstance(line["qty"], bool) and line["qty"] >= 1
        assert isinstance(line["returned_qty"], int) and 0 <= line["returned_qty"] <= line["qty"]
        assert minor(line["price"]) * line["qty"] - minor(line["discount"]) == \
            minor(line["bonus"]) + minor(line["paid"]), line
    sums = {name: sum(minor(line[name]) for line in order["lines"]) for name in ("discount", "bonus", "paid",
                                                                                   "accrual")}
    assert minor(order["subtotal"]) == sum(minor(line["price"]) * line["qty"] for line in order["lines"])
    assert minor(order["discount"]) == sums["discount"]
    assert minor(order["bonus_redeemed"]) == sums["bonus"]
    assert minor(order["paid"]) == sums["paid"]
    assert minor(order["accrual"]) == sums["accrual"]
    return order


def check_return(ret: dict, order_id: int | None = None) -> dict:
    """Shape and arithmetic of the contract's Return."""
    assert {"id", "order_id", "lines", "refund", "bonus_restored", "accrual_reversed", "withheld"} <= set(ret)
    assert isinstance(ret["id"], int)
    if order_id is not None:
        assert ret["order_id"] == order_id
    assert ret["lines"]
    for line in ret["lines"]:
        assert {"sku", "qty", "refund", "bonus_restored", "accrual_reversed"} <= set(line), line
        assert isinstance(line["qty"], int) and line["qty"] >= 1
        for name in ("refund", "bonus_restored", "accrual_reversed"):
            assert MONEY.match(line[name]), (name, line[name])
    assert set(ret["refund"]) >= {"total", "by_method"}
    for name in ("bonus_restored", "accrual_reversed", "withheld"):
        assert MONEY.match(ret[name]), (name, ret[name])
    assert MONEY.match(ret["refund"]["total"])
    assert all(MONEY.match(amount) for amount in ret["refund"]["by_method"].values())
    assert sum(minor(a) for a in ret["refund"]["by_method"].values()) == minor(ret["refund"]["total"])
    assert minor(ret["refund"]["total"]) + minor(ret["withheld"]) == sum(minor(li["refund"]) for li in ret["lines"])
    assert minor(ret["bonus_restored"]) == sum(minor(li["bonus_restored"]) for li in ret["lines"])
    assert minor(ret["accrual_reversed"]) == sum(minor(li["accrual_reversed"]) for li in ret["lines"])
    return ret


def check_bonus(bonus: dict, client_id: int | None = None) -> dict:
    assert set(bonus) >= {"client_id", "currency", "available", "pending", "expiring_30d", "next_release"}
    if client_id is not None:
        assert bonus["client_id"] == client_id
    assert bonus["currency"] == "RUB"
    for name in ("available", "pending", "expiring_30d"):
        assert MONEY.match(bonus[name]), (name, bonus[name])
    release = bonus["next_release"]
    if release is not None:
        from datetime import date
        assert set(release) == {"amount", "date"}
        assert MONEY.match(release["amount"]) and minor(release["amount"]) > 0
        date.fromisoformat(release["date"])
    return bonus


def check_client(body: dict) -> dict:
    assert {"id", "name", "phone", "email", "discount_percent", "bonus"} <= set(body), body
    assert isinstance(body["id"], int)
    assert re.fullmatch(r"\+[1-9][0-9]{6,14}", body["phone"]), body["phone"]
    assert body["email"] is None or isinstance(body["email"], str)
    check_bonus(body["bonus"], body["id"])
    return body


def check_time(text: str):
    """ISO 8601 with a timezone, in UTC."""
    from datetime import datetime, timedelta
    assert isinstance(text, str)
    moment = datetime.fromisoformat(text)
    assert moment.tzinfo is not None and moment.utcoffset() == timedelta(0), text
    return moment

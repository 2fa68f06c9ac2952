"""The web-shop API against /work/shared/API.md, to the letter: auth, errors, shapes, money, lists,
idempotency, and the exact amounts of orders and returns."""
from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Stock
from portal.services.clients import bonus as bonus_service

from .conftest import (
    BUYER_PHONE,
    MONEY,
    SIGNED_MONEY,
    check_bonus,
    check_client,
    check_error,
    check_order,
    check_return,
    check_time,
    create_key,
    give_bonus,
    ledger_verify,
    minor,
    row_counts,
    sell_in_the_past,
)

HUGE = "99999999999999999999"
ON_POSTGRES = bool(os.environ.get("TEST_DATABASE_URL"))


def _stock(app, sku: str) -> int:
    from portal.models import Location, Product
    with app.app_context():
        return db.session.scalar(db.select(Stock.quantity).join(Product, Product.id == Stock.product_id)
                                 .join(Location, Location.id == Stock.location_id)
                                 .where(Product.sku == sku, Location.is_main.is_(True)))


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _valid_order(client_id=None, **extra) -> dict:
    return {"external_id": "web-1", "client_id": client_id, "lines": [{"sku": "DRILL", "qty": 1}],
            "bonus_to_redeem": "0.00", "payment_method": "online", **extra}


# --------------------------------------------------------------------------------------------- auth

ENDPOINTS = [
    ("GET", "/products"), ("GET", "/clients?phone=%2B79161112233"), ("POST", "/clients"),
    ("GET", "/clients/{client}"), ("GET", "/clients/{client}/bonus"), ("GET", "/clients/{client}/bonus/entries"),
    ("POST", "/orders"), ("GET", "/orders/{order}"), ("POST", "/orders/{order}/returns"),
]


def _call_every_endpoint(client, shop, order_id, headers):
    for method, path in ENDPOINTS:
        url = "/api/v1" + path.format(client=shop["client_id"], order=order_id)
        if method == "GET":
            yield url, client.get(url, headers=headers)
        else:
            yield url, client.post(url, json={}, headers={**headers, "Idempotency-Key": "k"})


@pytest.mark.parametrize("authorization", [
    None, "", "Bearer", "Bearer ", "Bearer pk_wrong", "Basic dXNlcjpwYXNz", "Token {key}", "{key}",
    "Bearer {key}x", "Bearer " + "x" * 300,
])
def test_missing_or_wrong_key_is_401_on_every_endpoint(client, api, shop, authorization):
    order_id = api.order([("DRILL", 1)]).get_json()["id"]
    headers = {} if authorization is None else {"Authorization": authorization.format(key=api.key)}
    before = row_counts(client.application)
    for url, response in _call_every_endpoint(client, shop, order_id, headers):
        check_error(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"', url
    assert row_counts(client.application) == before


def test_a_revoked_key_is_401_and_other_keys_keep_working(client, runner, api, shop):
    assert api.get("/products").status_code == 200
    other = create_key(runner, "kiosk")
    assert other != api.key and other.startswith("pk_")
    result = runner.invoke(args=["api-keys", "revoke", "shop"])
    assert result.exit_code == 0 and "revoked 1" in result.output
    order_id = sell_in_the_past(client.application, None, [("DRILL", 1)], days_ago=0)
    for _url, response in _call_every_endpoint(client, shop, order_id, {"Authorization": f"Bearer {api.key}"}):
        check_error(response, 401, "unauthorized")
    assert client.get("/api/v1/products", headers={"Authorization": f"Bearer {other}"}).status_code == 200


def test_the_key_is_printed_once_on_the_last_line_and_only_its_hash_is_stored(app, runner):
    result = runner.invoke(args=["api-keys", "create", "web shop"])
    assert result.exit_code == 0
    key = result.output.strip().splitlines()[-1]
    assert key.startswith("pk_") and " " not in key and len(key) >= 40
    from portal.models import ApiKey
    with app.app_context():
        row = db.session.scalar(db.select(ApiKey))
        stored = [str(getattr(row, c.key)) for c in ApiKey.__table__.columns]
    assert all(key not in value for value in stored)
    assert app.test_client().get("/api/v1/products", headers={"Authorization": f"bearer {key}"}).status_code == 200


# ----------------------------------------------------------------------------------------- not found

@pytest.mark.parametrize("path", [
    "/clients/999999", f"/clients/{HUGE}", "/clients/999999/bonus", f"/clients/{HUGE}/bonus",
    "/clients/999999/bonus/entries", f"/clients/{HUGE}/bonus/entries", "/orders/999999", f"/orders/{HUGE}",
    f"/orders/{2 ** 63}", "/orders/0", "/nope", "/orders/abc", "/clients/-1", "/clients/1/nothing",
    "/products/DRILL", "/v2/products", "/orders/1/returns/1",
])
def test_unknown_ids_and_paths_are_404_json(api, shop, path):
    check_error(api.get(path), 404, "not_found")


@pytest.mark.parametrize("path", ["/orders/999999/returns", f"/orders/{HUGE}/returns"])
def test_a_return_on_an_unknown_order_is_404(api, shop, path):
    before = row_counts(api.http.application)
    check_error(api.post(path, {"lines": [{"sku": "DRILL", "qty": 1}]}), 404, "not_found")
    assert row_counts(api.http.application) == before


@pytest.mark.parametrize("client_id", [999999, 2 ** 31 - 1])
def test_an_order_for_an_unknown_client_is_404_and_writes_nothing(app, api, shop, client_id):
    before = row_counts(app)
    check_error(api.post("/orders", _valid_order(client_id)), 404, "not_found")
    assert row_counts(app) == before and _stock(app, "DRILL") == 100


@pytest.mark.parametrize("n", [2 ** 31, 2 ** 63 - 1], ids=["2**31", "2**63-1"])
def test_ids_beyond_32_bits_are_404_not_500(app, api, shop, n):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    before = row_counts(app)
    for path in (f"/clients/{n}", f"/clients/{n}/bonus", f"/clients/{n}/bonus/entries", f"/orders/{n}"):
        check_error(api.get(path), 404, "not_found")
    check_error(api.post(f"/orders/{n}/returns", {"lines": [{"sku": "DRILL", "qty": 1}]}), 404, "not_found")
    check_error(api.post("/orders", _valid_order(n)), 404, "not_found")
    assert row_counts(app) == before


def test_a_wrong_method_is_a_json_4xx(api, shop):
    response = api.http.delete("/api/v1/products", headers=api.headers())
    assert 400 <= response.status_code < 500 and response.is_json
    assert {"error", "message"} <= set(response.get_json())


@pytest.mark.parametrize("method,path,allow", [
    ("DELETE", "/products", "GET, HEAD, OPTIONS"), ("PUT", "/orders", "OPTIONS, POST"),
    ("TRACE", "/clients/1", "GET, HEAD, OPTIONS"), ("PATCH", "/clients", "GET, HEAD, OPTIONS, POST"),
    ("GET", "/orders/1/returns", "OPTIONS, POST"),
])
def test_a_wrong_method_is_405_with_an_allow_header(client, api, shop, method, path, allow):
    """Schemathesis found it: a 405 without Allow (RFC 9110 requires it), with a key or without."""
    for headers in (api.headers(), {}):
        response = client.open("/api/v1" + path, method=method, headers=headers)
        check_error(response, 405, "method_not_allowed")
        assert response.headers["Allow"] == allow


def test_a_wrong_method_on_a_page_has_an_allow_header_too(client):
    response = client.delete("/login")
    assert response.status_code == 405 and response.mimetype == "text/html"
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}


# ---------------------------------------------------------------------------------- validation (422)

BAD_ORDERS = {
    "qty as a string": ({"lines": [{"sku": "DRILL", "qty": "2"}]}, "lines[0].qty"),
    "qty 1.5": ({"lines": [{"sku": "DRILL", "qty": 1.5}]}, "lines[0].qty"),
    "qty 1.0": ({"lines": [{"sku": "DRILL", "qty": 1.0}]}, "lines[0].qty"),
    "qty 0": ({"lines": [{"sku": "DRILL", "qty": 0}]}, "lines[0].qty"),
    "qty -1": ({"lines": [{"sku": "DRILL", "qty": -1}]}, "lines[0].qty"),
    "qty true": ({"lines": [{"sku": "DRILL", "qty": True}]}, "lines[0].qty"),
    "qty 10**30": ({"lines": [{"sku": "DRILL", "qty": 10 ** 30}]}, "lines[0].qty"),
    "qty null": ({"lines": [{"sku": "DRILL", "qty": None}]}, "lines[0].qty"),
    "qty missing": ({"lines": [{"sku": "DRILL"}]}, "lines[0].qty"),
    "second line bad": ({"lines": [{"sku": "DRILL", "qty": 1}, {"sku": "VALVE", "qty": "x"}]}, "lines[1].qty"),
    "sku missing": ({"lines": [{"qty": 1}]}, "lines[0].sku"),
    "sku a number": ({"lines": [{"sku": 12, "qty": 1}]}, "lines[0].sku"),
    "sku empty": ({"lines": [{"sku": "", "qty": 1}]}, "lines[0].sku"),
    "unknown sku": ({"lines": [{"sku": "NO-SUCH", "qty": 1}]}, "lines[0].sku"),
    "line not an object": ({"lines": ["DRILL"]}, "lines[0]"),
    "lines empty": ({"lines": []}, "lines"),
    "lines missing": ({"lines": None}, "lines"),
    "lines an object": ({"lines": {"sku": "DRILL", "qty": 1}}, "lines"),
    "external_id missing": ({"external_id": None}, "external_id"),
    "external_id a number": ({"external_id": 17}, "external_id"),
    "external_id too long": ({"external_id": "x" * 101}, "external_id"),
    "client_id a string": ({"client_id": "1"}, "client_id"),
    "client_id true": ({"client_id": True}, "client_id"),
    "client_id 0": ({"client_id": 0}, "client_id"),
    "client_id huge": ({"client_id": 10 ** 30}, "client_id"),
    "bonus three decimals": ({"bonus_to_redeem": "1.234"}, "bonus_to_redeem"),
    "bonus negative": ({"bonus_to_redeem": "-1.00"}, "bonus_to_redeem"),
    "bonus exponent": ({"bonus_to_redeem": "1e3"}, "bonus_to_redeem"),
    "bonus a number": ({"bonus_to_redeem": 5}, "bonus_to_redeem"),
    "bonus a float": ({"bonus_to_redeem": 5.0}, "bonus_to_redeem"),
    "bonus null": ({"bonus_to_redeem": None}, "bonus_to_redeem"),
    "bonus empty": ({"bonus_to_redeem": ""}, "bonus_to_redeem"),
    "bonus text": ({"bonus_to_redeem": "abc"}, "bonus_to_redeem"),
    "bonus NaN": ({"bonus_to_redeem": "NaN"}, "bonus_to_redeem"),
    "bonus Infinity": ({"bonus_to_redeem": "Infinity"}, "bonus_to_redeem"),
    "bonus huge": ({"bonus_to_redeem": "1" * 40 + ".00"}, "bonus_to_redeem"),
    "bonus plus sign": ({"bonus_to_redeem": "+1.00"}, "bonus_to_redeem"),
    "bonus hex": ({"bonus_to_redeem": "0x10"}, "bonus_to_redeem"),
    "bonus without a client": ({"client_id": None, "bonus_to_redeem": "1.00"}, "bonus_to_redeem"),
    "payment method unknown": ({"payment_method": "bitcoin"}, "payment_method"),
    "payment method a number": ({"payment_method": 5}, "payment_method"),
}


@pytest.mark.parametrize("case", list(BAD_ORDERS), ids=list(BAD_ORDERS))
def test_bad_order_input_is_422_naming_the_field_and_writes_nothing(app, api, shop, case):
    change, field = BAD_ORDERS[case]
    body = {**_valid_order(shop["client_id"]), **change}
    if case == "bonus without a client":
        body["client_id"] = None
    before = row_counts(app)
    check_error(api.post("/orders", body), 422, "validation_error", field)
    assert row_counts(app) == before
    assert _stock(app, "DRILL") == 100


@pytest.mark.parametrize("raw", ["{bad json", "", "[]", "[{}]", "1", "null", '"text"', "true", b"\xff\xfe\x00"],
                         ids=["malformed", "empty", "array", "array-of-object", "number", "null", "string", "bool",
                              "not-utf8"])
@pytest.mark.parametrize("path", ["/orders", "/clients", "/orders/{order}/returns"])
def test_a_body_that_is_not_a_json_object_is_422(app, api, shop, raw, path):
    order_id = api.order([("DRILL", 1)]).get_json()["id"]
    before = row_counts(app)
    body = check_error(api.post(path.format(order=order_id), raw=raw), 422, "validation_error")
    assert body.get("fields"), body  # the contract: validation_error always names what is wrong
    assert row_counts(app) == before


@pytest.mark.parametrize("raw", ["[" * 100_000 + "]" * 100_000, '{"a":' * 50_000 + "1" + "}" * 50_000,
                                 '{"external_id": "\\ud800", "lines": [{"sku": "DRILL", "qty": 1}]}',
                                 '{"name": "\\udfff", "phone": "+79035550000"}', "1" * 5000],
                         ids=["deep-array", "deep-object", "lone-surrogate", "lone-surrogate-2", "5000-digits"])
@pytest.mark.parametrize("path", ["/orders", "/clients", "/orders/{order}/returns"])
def test_pathological_json_is_a_422_not_a_500(app, api, shop, path, raw):
    order_id = api.order([("DRILL", 1)]).get_json()["id"]
    app.config["PROPAGATE_EXCEPTIONS"] = False
    before = row_counts(app)
    response = api.post(path.format(order=order_id), raw=raw)
    check_error(response, 422, "validation_error")
    assert row_counts(app) == before


@pytest.mark.parametrize("path", ["/orders", "/clients", "/orders/{order}/returns"])
@pytest.mark.parametrize("key", [None, "", "x" * 201, "tab\tinside"], ids=["missing", "empty", "201-chars", "tab"])
def test_every_post_needs_an_idempotency_key_of_1_to_200_printable_characters(app, api, shop, path, key):
    order_id = api.order([("DRILL", 1)]).get_json()["id"]
    bodies = {"/orders": _valid_order(), "/clients": {"name": "Ann", "phone": "+79160000001"},
              "/orders/{order}/returns": {"lines": [{"sku": "DRILL", "qty": 1}]}}
    before = row_counts(app)
    check_error(api.post(path.format(order=order_id), bodies[path], key=key), 422, "validation_error",
                "Idempotency-Key")
    assert row_counts(app) == before


@pytest.mark.parametrize("path,body,field", [
    ("/orders", {"external_id": "a\x00b"}, "external_id"),
    ("/orders", {"lines": [{"sku": "DR\x00ILL", "qty": 1}]}, "lines[0].sku"),
    ("/clients", {"name": "A\x00nn", "phone": "+79160000001"}, "name"),
    ("/clients", {"name": "Ann", "phone": "+79160000001", "email": "a\x00@example.com"}, "email"),
    ("/orders/{order}/returns", {"lines": [{"sku": "DRILL", "qty": 1}], "reason": "\x00"}, "reason"),
], ids=["external_id", "sku", "name", "email", "reason"])
def test_a_nul_character_in_a_text_field_is_422_naming_the_field(app, api, shop, path, body, field):
    order_id = api.order([("DRILL", 1)]).get_json()["id"]
    if path == "/orders":
        body = {**_valid_order(), **body}
    before = row_counts(app)
    check_error(api.post(path.format(order=order_id), body), 422, "validation_error", field)
    assert row_counts(app) == before


def test_a_nul_character_in_a_field_the_api_does_not_read_is_ignored(api, shop):
    """Schemathesis found it: unknown fields are ignored, as the document allows, so a NUL character in
    one is no reason to refuse the order (it used to be a 422 on "body")."""
    response = api.post("/orders", {**_valid_order(), "note": "a\x00b", "extra": {"\x00": ["\x00"]}})
    assert response.status_code == 201, response.get_data(as_text=True)
    check_order(response.get_json())


def test_a_backslash_and_u0000_written_out_are_ordinary_text(api, shop):
    """The six characters \\u0000 are not a NUL character (the old check of the whole body took them
    for one)."""
    response = api.post("/clients", {"name": "Ann \\u0000", "phone": "+79160000001"})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["name"] == "Ann \\u0000"


def test_an_idempotency_key_of_exactly_200_characters_is_accepted(api, shop):
    response = api.post("/orders", _valid_order(), key="k" * 200)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert api.post("/clients", {"name": "Ann", "phone": "+79160000001"}, key="é" * 200).status_code == 201


BAD_CLIENTS = {
    "name missing": ({"phone": "+79160000001"}, "name"),
    "name empty": ({"name": "   ", "phone": "+79160000001"}, "name"),
    "name a number": ({"name": 5, "phone": "+79160000001"}, "name"),
    "name too long": ({"name": "x" * 301, "phone": "+79160000001"}, "name"),
    "phone missing": ({"name": "Ann"}, "phone"),
    "phone a number": ({"name": "Ann", "phone": 79160000001}, "phone"),
    "phone invalid": ({"name": "Ann", "phone": "12345"}, "phone"),
    "phone letters": ({"name": "Ann", "phone": "call me"}, "phone"),
    "phone too long": ({"name": "Ann", "phone": "+7" + "9" * 40}, "phone"),
    "email invalid": ({"name": "Ann", "phone": "+79160000001", "email": "not-an-email"}, "email"),
    "email a number": ({"name": "Ann", "phone": "+79160000001", "email": 5}, "email"),
}


@pytest.mark.parametrize("case", list(BAD_CLIENTS), ids=list(BAD_CLIENTS))
def test_bad_client_input_is_422_naming_the_field(app, api, shop, case):
    body, field = BAD_CLIENTS[case]
    before = row_counts(app)
    check_error(api.post("/clients", body), 422, "validation_error", field)
    assert row_counts(app) == before


@pytest.mark.parametrize("path", ["/products", "/clients/{client}/bonus/entries", "/clients?phone=%2B79161112233"])
@pytest.mark.parametrize("query,field", [
    ("limit=0", "limit"), ("limit=201", "limit"), ("limit=abc", "limit"), ("limit=-1", "limit"),
    ("limit=1.5", "limit"), ("limit=" + HUGE, "limit"),
    ("cursor=forged", "cursor"), ("cursor=" + _cursor("v2:5"), "cursor"), ("cursor=" + _cursor("v1:-1"), "cursor"),
    ("cursor=" + _cursor("v1:" + HUGE), "cursor"), ("cursor=" + _cursor("v1:1:2"), "cursor"),
    ("cursor=%FF%FE", "cursor"), ("cursor=" + _cursor("\x00"), "cursor"),
])
def test_bad_list_parameters_are_422(api, shop, path, query, field):
    url = path.format(client=shop["client_id"])
    check_error(api.get(url + ("&" if "?" in url else "?") + query), 422, "validation_error", field)


@pytest.mark.parametrize("limit", ["²", "1²", "①", "١٠", "１０", " 5", "5 ", "+5", "05.0"])
def test_a_limit_of_unicode_digit_signs_is_422(app, api, shop, limit):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    check_error(api.get("/products", limit=limit), 422, "validation_error", "limit")


def test_finding_clients_needs_a_phone(api, shop):
    check_error(api.get("/clients"), 422, "validation_error", "phone")


def test_limits_of_1_and_200_are_accepted(api, shop):
    for limit in (1, 200):
        response = api.get("/products", limit=limit)
        assert response.status_code == 200 and len(response.get_json()["items"]) <= limit


# ---------------------------------------------------------------------------------------- products

def test_products_list_with_stock_across_locations(api, shop):
    items = api.all_items("/products", limit=50)
    by_sku = {p["sku"]: p for p in items}
    assert set(by_sku) == {"DRILL", "PIPE", "VALVE", "PENNY", "RARE"}
    for product in items:
        assert set(product) >= {"sku", "name", "price", "section", "returnable", "discountable", "stock"}
        assert MONEY.match(product["price"])
        assert isinstance(product["returnable"], bool) and isinstance(product["discountable"], bool)
        assert isinstance(product["stock"], int) and not isinstance(product["stock"], bool)
    assert by_sku["DRILL"] == {"sku": "DRILL", "name": "Product DRILL", "price": "1000.00", "section": None,
                               "returnable": True, "discountable": True, "stock": 105}  # 100 main + 5 in a shop
    assert (by_sku["PIPE"]["returnable"], by_sku["VALVE"]["discountable"]) == (False, False)
    assert by_sku["PENNY"]["price"] == "0.01" and by_sku["VALVE"]["price"] == "99.99"


def test_products_pagination_with_limit_2_visits_every_product_exactly_once(api, shop):
    pages, cursor, seen = 0, None, []
    while True:
        body = api.get("/products", limit=2, cursor=cursor).get_json()
        assert len(body["items"]) <= 2
        seen += [p["sku"] for p in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted({"DRILL", "PIPE", "VALVE", "PENNY", "RARE"}) and len(seen) == 5
    assert pages == 3


def test_products_by_sku_and_by_query(api, shop):
    assert [p["sku"] for p in api.get("/products", sku="VALVE").get_json()["items"]] == ["VALVE"]
    assert api.get("/products", sku="valve").get_json()["items"] == []
    assert [p["sku"] for p in api.get("/products", q="dril").get_json()["items"]] == ["DRILL"]
    assert [p["sku"] for p in api.get("/products", q="PRODUCT PIPE").get_json()["items"]] == ["PIPE"]
    assert [p["sku"] for p in api.get("/products", q="pipe product").get_json()["items"]] == ["PIPE"]  # any order
    assert api.get("/products", q="<script>' OR 1=1 --").get_json() == {"items": [], "next_cursor": None}


def test_stock_in_the_list_follows_sales(api, shop):
    assert api.order([("RARE", 2)]).status_code == 201
    assert api.get("/products", sku="RARE").get_json()["items"][0]["stock"] == 0


# ----------------------------------------------------------------------------------------- clients

def test_creating_a_client_and_reading_it_back(api, shop):
    response = api.post("/clients", {"name": "  Anna   Petrova ", "phone": "8 (903) 123-45-67",
                                     "email": "Anna@Example.com"})
    assert response.status_code == 201, response.get_data(as_text=True)
    created = check_client(response.get_json())
    assert created["name"] == "Anna Petrova" and created["phone"] == "+79031234567"
    assert created["email"].lower() == "anna@example.com"
    assert created["discount_percent"] == "0.00"
    assert created["bonus"] == {"client_id": created["id"], "currency": "RUB", "available": "0.00",
                                "pending": "0.00", "expiring_30d": "0.00", "next_release": None}
    assert api.get(f"/clients/{created['id']}").get_json() == created
    without_email = api.post("/clients", {"name": "Boris", "phone": "+79031234568"}).get_json()
    assert without_email["email"] is None


@pytest.mark.parametrize("notation", ["+79161112233", "8 (916) 111-22-33", "+7 916 111-22-33", "89161112233",
                                      "+7 (916) 111 22 33", "8-916-111-22-33", "9161112233", "7 916 1112233"])
def test_a_phone_already_used_in_another_notation_is_409_conflict(app, api, shop, notation):
    before = row_counts(app)
    check_error(api.post("/clients", {"name": "Somebody", "phone": notation}), 409, "conflict")
    assert row_counts(app) == before


@pytest.mark.parametrize("notation", ["+79161112233", "8 (916) 111-22-33", "+7 916 111-22-33", "89161112233",
                                      "+7-916-111-22-33", "8 916 111 22 33", "9161112233", "+7(916)1112233"])
def test_finding_a_client_by_phone_in_any_common_notation(api, shop, notation):
    body = api.get("/clients", phone=notation).get_json()
    assert [c["id"] for c in body["items"]] == [shop["client_id"]] and body["next_cursor"] is None
    found = check_client(body["items"][0])
    assert found["phone"] == BUYER_PHONE and found["name"] == "Buyer" and found["discount_percent"] == "5.00"


def test_finding_by_a_phone_nobody_has_is_an_empty_list(api, shop):
    assert api.get("/clients", phone="+79998887766").get_json() == {"items": [], "next_cursor": None}


def test_a_client_as_the_contract_shows_it(api, shop):
    body = api.get(f"/clients/{shop['client_id']}").get_json()
    assert body == {"id": shop["client_id"], "name": "Buyer", "phone": BUYER_PHONE, "email": None,
                    "discount_percent": "5.00",
                    "bonus": {"client_id": shop["client_id"], "currency": "RUB", "available": "0.00",
                              "pending": "0.00", "expiring_30d": "0.00", "next_release": None}}


# ------------------------------------------------------------------------------------------- orders

def test_an_order_with_every_rule_and_exact_amounts(app, api, shop):
    """By hand. Buyer has a 5 % discount and 1000.00 available.
    DRILL 3 x 1000.00 = 3000.00, discount 5 % = 150.00 -> 2850.00
    VALVE 2 x 99.99 = 199.98, not discountable          ->  199.98
    PENNY 1 x 0.01, 5 % of 0.01 = 0.0005 -> half-up 0.00 ->    0.01
    after discounts 3049.99; 30 % = 914.997 -> down 914.99 is the most bonus.
    914.99 over 2850.00 : 199.98 : 0.01 (largest remainder):
      854.9934.. / 59.9935.. / 0.0029.. -> floors 854.99 + 59.99 + 0.00 = 914.98, the cent to VALVE (.9935)
      -> 854.99 / 60.00 / 0.00; paid 1995.01 / 139.98 / 0.01 = 2135.00
    accrual 5 % of 2135.00 = 106.75 over paid: 99.7505.. / 6.9990.. / 0.0005.. -> 99.75 / 6.99+0.01 / 0.00
    """
    give_bonus(app, shop["client_id"], 1_000_00)
    over = api.order([("DRILL", 3), ("VALVE", 2), ("PENNY", 1)], client_id=shop["client_id"], bonus="915.00")
    check_error(over, 422, "validation_error", "bonus_to_redeem")
    response = api.order([("DRILL", 3), ("VALVE", 2), ("PENNY", 1)], client_id=shop["client_id"], bonus="914.99",
                         external_id="shop-1001")
    assert response.status_code == 201, response.get_data(as_text=True)
    order = check_order(response.get_json())
    assert {k: order[k] for k in ("external_id", "client_id", "subtotal", "discount", "bonus_redeemed", "paid",
                                  "accrual")} == {
        "external_id": "shop-1001", "client_id": shop["client_id"], "subtotal": "3199.99", "discount": "150.00",
        "bonus_redeemed": "914.99", "paid": "2135.00", "accrual": "106.75"}
    assert [(li["sku"], li["qty"], li["price"], li["discount"], li["bonus"], li["paid"], li["accrual"],
             li["returned_qty"]) for li in order["lines"]] == [
        ("DRILL", 3, "1000.00", "150.00", "854.99", "1995.01", "99.75", 0),
        ("VALVE", 2, "99.99", "0.00", "60.00", "139.98", "7.00", 0),
        ("PENNY", 1, "0.01", "0.00", "0.00", "0.01", "0.00", 0)]
    assert order["status"] == "paid"
    created = check_time(order["created_at"])
    assert abs(created - datetime.now(UTC)) < timedelta(minutes=5)
    assert api.get(f"/orders/{order['id']}").get_json() == order
    assert (_stock(app, "DRILL"), _stock(app, "VALVE"), _stock(app, "PENNY")) == (97, 98, 99)

    bonus = check_bonus(api.get(f"/clients/{shop['client_id']}/bonus").get_json(), shop["client_id"])
    assert (bonus["available"], bonus["pending"]) == ("85.01", "106.75")
    assert bonus["next_release"] == {"amount": "106.75", "date": (created + timedelta(days=14)).date().isoformat()}
    ledger_verify(api.http.application.test_cli_runner())


def test_an_order_without_a_client_has_no_discount_and_no_accrual(api, shop):
    order = check_order(api.order([("DRILL", 1), ("PIPE", 3)]).get_json())
    assert (order["client_id"], order["subtotal"], order["discount"], order["paid"], order["accrual"]) == \
        (None, "1999.99", "0.00", "1999.99", "0.00")


def test_bonus_above_the_available_balance_is_409_insufficient_bonus(app, api, shop):
    give_bonus(app, shop["client_id"], 100_00)
    before = row_counts(app)
    check_error(api.order([("DRILL", 1)], client_id=shop["client_id"], bonus="100.01"), 409, "insufficient_bonus")
    assert row_counts(app) == before and _stock(app, "DRILL") == 100
    assert api.get(f"/clients/{shop['client_id']}/bonus").get_json()["available"] == "100.00"
    # within both limits it goes through
    order = api.order([("DRILL", 1)], client_id=shop["client_id"], bonus="100.00").get_json()
    assert order["bonus_redeemed"] == "100.00" and order["paid"] == "850.00"


def test_bonus_above_the_programmes_share_is_422_even_when_the_client_has_it(app, api, shop):
    give_bonus(app, shop["client_id"], 10_000_00)
    # 30 % of 950.00 = 285.00
    check_error(api.order([("DRILL", 1)], client_id=shop["client_id"], bonus="285.01"), 422, "validation_error",
                "bonus_to_redeem")
    assert api.order([("DRILL", 1)], client_id=shop["client_id"], bonus="285.00").status_code == 201


def test_bonus_of_a_client_without_any_is_409(api, shop):
    check_error(api.order([("DRILL", 1)], client_id=shop["client_id"], bonus="0.01"), 409, "insufficient_bonus")


def test_short_stock_is_409_and_nothing_is_taken(app, api, shop):
    before = row_counts(app)
    check_error(api.order([("DRILL", 1), ("RARE", 3)], client_id=shop["client_id"]), 409, "insufficient_stock")
    # the main warehouse has 100 drills; the 5 in the shop do not count for web orders
    check_error(api.order([("DRILL", 101)]), 409, "insufficient_stock")
    assert row_counts(app) == before and (_stock(app, "DRILL"), _stock(app, "RARE")) == (100, 2)


def test_the_same_external_id_twice_is_409_conflict(app, api, shop):
    assert api.order([("DRILL", 1)], external_id="dup").status_code == 201
    before = row_counts(app)
    check_error(api.order([("VALVE", 1)], external_id="dup"), 409, "conflict")
    assert row_counts(app) == before


def test_payment_method_is_recorded(api, shop):
    body = api.order([("VALVE", 1)], payment_method="card").get_json()
    assert body["payments"] == [{"method": "card", "amount": "99.99"}]


# ------------------------------------------------------------------------------------- idempotency

def test_a_replayed_order_returns_the_original_bytes_and_creates_nothing(app, api, shop):
    body = _valid_order(shop["client_id"], lines=[{"sku": "DRILL", "qty": 2}])
    first = api.post("/orders", body, key="order-77")
    assert first.status_code == 201
    counts, stock = row_counts(app), _stock(app, "DRILL")
    again = api.post("/orders", body, key="order-77")
    assert again.status_code == 201 and again.data == first.data and again.is_json
    assert row_counts(app) == counts and _stock(app, "DRILL") == stock == 98
    # still the original answer after the order changed
    api.post(f"/orders/{first.get_json()['id']}/returns", {"lines": [{"sku": "DRILL", "qty": 1}]})
    assert api.post("/orders", body, key="order-77").data == first.data


def test_the_same_key_with_another_body_is_409_idempotency_conflict(app, api, shop):
    assert api.post("/orders", _valid_order(), key="k1").status_code == 201
    counts = row_counts(app)
    for other in (_valid_order(lines=[{"sku": "DRILL", "qty": 2}]), _valid_order(external_id="web-2")):
        check_error(api.post("/orders", other, key="k1"), 409, "idempotency_conflict")
    # the same key on another endpoint is another request too
    check_error(api.post("/clients", {"name": "Ann", "phone": "+79160000001"}, key="k1"), 409,
                "idempotency_conflict")
    assert row_counts(app) == counts


def test_a_refusal_is_an_answer_too_the_same_key_replays_it_after_things_changed(app, api, shop):
    """API.md: the same key with the same body returns the original status and body. A refused
    order (not enough stock) stays refused under its key once stock has come; a new key sells."""
    body = _valid_order(lines=[{"sku": "DRILL", "qty": 150}])
    first = api.post("/orders", body, key="too-many")
    check_error(first, 409, "insufficient_stock")
    counts = row_counts(app)
    with app.app_context():
        from portal.models import Product
        from portal.services.sales import stock
        drill = db.session.scalar(sa.select(Product).where(Product.sku == "DRILL"))
        stock.set_level(drill.id, shop["warehouse_id"], 500)
        db.session.commit()
    again = api.post("/orders", body, key="too-many")
    assert (again.status_code, again.data) == (409, first.data)
    assert row_counts(app) == counts
    check_error(api.post("/orders", _valid_order(lines=[{"sku": "DRILL", "qty": 2}]), key="too-many"), 409,
                "idempotency_conflict")


def test_a_replayed_client_and_return(app, api, shop):
    first = api.post("/clients", {"name": "Ann", "phone": "+79160000001"}, key="c-1")
    again = api.post("/clients", {"name": "Ann", "phone": "+79160000001"}, key="c-1")
    assert (first.status_code, again.status_code) == (201, 201) and first.data == again.data
    check_error(api.post("/clients", {"name": "Ann B", "phone": "+79160000001"}, key="c-1"), 409,
                "idempotency_conflict")

    order_id = api.order([("DRILL", 3)], client_id=shop["client_id"]).get_json()["id"]
    body = {"lines": [{"sku": "DRILL", "qty": 1}], "reason": "too heavy"}
    ret = api.post(f"/orders/{order_id}/returns", body, key="r-1")
    counts = row_counts(app)
    again = api.post(f"/orders/{order_id}/returns", body, key="r-1")
    assert (ret.status_code, again.status_code) == (201, 201) and ret.data == again.data
    assert row_counts(app) == counts
    assert api.get(f"/orders/{order_id}").get_json()["lines"][0]["returned_qty"] == 1
    check_error(api.post(f"/orders/{order_id}/returns", {"lines": [{"sku": "DRILL", "qty": 2}]}, key="r-1"), 409,
                "idempotency_conflict")


def test_keys_are_per_api_key(app, client, runner, api, shop):
    other = create_key(runner, "kiosk")
    body = {"name": "Ann", "phone": "+79160000001"}
    assert api.post("/clients", body, key="same").status_code == 201
    response = client.post("/api/v1/clients", json=body,
                           headers={"Authorization": f"Bearer {other}", "Idempotency-Key": "same"})
    check_error(response, 409, "conflict")  # a new request for that key: the phone is taken now


# -------------------------------------------------------------------------------------------- returns

def _return(api, order_id, lines, **extra):
    response = api.post(f"/orders/{order_id}/returns", {"lines": [{"sku": s, "qty": q} for s, q in lines], **extra})
    assert response.status_code == 201, response.get_data(as_text=True)
    return check_return(response.get_json(), order_id)


def _totals(returns: list[dict]) -> tuple[int, int, int]:
    return (sum(minor(r["refund"]["total"]) + minor(r["withheld"]) for r in returns),
            sum(minor(r["bonus_restored"]) for r in returns), sum(minor(r["accrual_reversed"]) for r in returns))


def test_mixed_partial_returns_restore_exact_amounts(app, api, shop):
    """The order of test_an_order_with_every_rule_and_exact_amounts, returned in three parts.
    Per unit, share(amount, after) - share(before), rounded down:
      DRILL paid 1995.01 / 3: 665.00, 665.00, 665.01   bonus 854.99: 284.99, 285.00, 285.00   accrual 33.25 x 3
      VALVE paid  139.98 / 2: 69.99, 69.99             bonus  60.00: 30.00, 30.00            accrual 3.50 x 2
      PENNY paid 0.01, bonus 0, accrual 0
    """
    give_bonus(app, shop["client_id"], 1_000_00)
    order = api.order([("DRILL", 3), ("VALVE", 2), ("PENNY", 1)], client_id=shop["client_id"],
                      bonus="914.99").get_json()
    first = _return(api, order["id"], [("DRILL", 1), ("VALVE", 1)], reason="changed my mind")
    assert [(li["sku"], li["qty"], li["refund"], li["bonus_restored"], li["accrual_reversed"])
            for li in first["lines"]] == [("DRILL", 1, "665.00", "284.99", "33.25"), ("VALVE", 1, "69.99", "30.00",
                                                                                       "3.50")]
    assert (first["refund"], first["bonus_restored"], first["accrual_reversed"], first["withheld"]) == (
        {"total": "734.99", "by_method": {"online": "734.99"}}, "314.99", "36.75", "0.00")
    status = api.get(f"/orders/{order['id']}").get_json()
    assert status["status"] == "partially_returned"
    assert [li["returned_qty"] for li in status["lines"]] == [1, 1, 0]
    second = _return(api, order["id"], [("PENNY", 1), ("DRILL", 1)])
    assert (second["refund"]["total"], second["bonus_restored"], second["accrual_reversed"]) == \
        ("665.01", "285.00", "33.25")
    third = _return(api, order["id"], [("VALVE", 1), ("DRILL", 1)])
    assert (third["refund"]["total"], third["bonus_restored"], third["accrual_reversed"]) == \
        ("735.00", "315.00", "36.75")
    assert _totals([first, second, third]) == (2_135_00, 914_99, 106_75) == (
        minor(order["paid"]), minor(order["bonus_redeemed"]), minor(order["accrual"]))
    final = api.get(f"/orders/{order['id']}").get_json()
    assert final["status"] == "returned" and [li["returned_qty"] for li in final["lines"]] == [3, 2, 1]
    bonus = api.get(f"/clients/{shop['client_id']}/bonus").get_json()
    assert (bonus["available"], bonus["pending"], bonus["next_release"]) == ("1000.00", "0.00", None)
    assert (_stock(app, "DRILL"), _stock(app, "VALVE"), _stock(app, "PENNY")) == (100, 100, 100)
    ledger_verify(app.test_cli_runner())


def test_one_of_three_units_three_times(app, api, shop):
    """DRILL x 3 = 3000.00 - 5 % = 2850.00; bonus 500.01; paid 2349.99; accrual 5 % = 117.4995 -> 117.49.
    Each return: paid 783.33; bonus 166.67; accrual 39.16, 39.16, then 39.17 (11749 // 3 steps)."""
    give_bonus(app, shop["client_id"], 600_00)
    order = check_order(api.order([("DRILL", 3)], client_id=shop["client_id"], bonus="500.01").get_json())
    assert (order["paid"], order["bonus_redeemed"], order["accrual"]) == ("2349.99", "500.01", "117.49")
    returns = [_return(api, order["id"], [("DRILL", 1)]) for _ in range(3)]
    assert [(r["refund"]["total"], r["bonus_restored"], r["accrual_reversed"], r["withheld"]) for r in returns] == [
        ("783.33", "166.67", "39.16", "0.00"), ("783.33", "166.67", "39.16", "0.00"),
        ("783.33", "166.67", "39.17", "0.00")]
    assert _totals(returns) == (234_999, 50_001, 11_749)
    ledger_verify(app.test_cli_runner())


@pytest.mark.parametrize("plan", [
    [[("DRILL", 1)], [("DRILL", 1)], [("DRILL", 1)], [("VALVE", 5)], [("PENNY", 7)]],
    [[("PENNY", 1)] for _ in range(7)] + [[("DRILL", 3), ("VALVE", 5)]],
    [[("VALVE", 2), ("PENNY", 3)], [("DRILL", 2), ("VALVE", 1), ("PENNY", 4)], [("VALVE", 2), ("DRILL", 1)]],
], ids=["line-by-line", "pennies-one-by-one", "mixed"])
@pytest.mark.parametrize("bonus", ["0.00", "333.33", "ALL"])
def test_any_sequence_of_returns_adds_up_to_the_order(app, api, shop, plan, bonus):
    give_bonus(app, shop["client_id"], 5_000_00)
    lines = [("DRILL", 3), ("VALVE", 5), ("PENNY", 7)]
    if bonus == "ALL":
        # 30 % of (2850.00 + 499.95 + 0.07 - 5 % of 0.07 = 0.00) = 30 % of 3350.02 = 1005.006 -> 1005.00
        bonus = "1005.00"
    order = check_order(api.order(lines, client_id=shop["client_id"], bonus=bonus).get_json())
    returns = [_return(api, order["id"], step) for step in plan]
    assert _totals(returns) == (minor(order["paid"]), minor(order["bonus_redeemed"]), minor(order["accrual"]))
    final = api.get(f"/orders/{order['id']}").get_json()
    assert final["status"] == "returned"
    assert all(li["returned_qty"] == li["qty"] for li in final["lines"])
    bonus_now = api.get(f"/clients/{shop['client_id']}/bonus").get_json()
    assert (bonus_now["available"], bonus_now["pending"]) == ("5000.00", "0.00")
    ledger_verify(app.test_cli_runner())


def test_a_released_and_spent_accrual_is_withheld_from_the_refund(app, runner, api, shop):
    """With hold_days 0 the accrual of order 1 (DRILL, 950.00 paid, 47.50) is available at once; back to 14 days,
    order 2 (DRILL, 40.00 of bonus, accrual pending) spends most of it.
    Returning order 1 takes back the 7.50 left and keeps 40.00 from the money: refund 910.00 + withheld 40.00."""
    result = runner.invoke(args=["bonus", "settings", "--hold-days", "0"])
    assert result.exit_code == 0 and "hold days:         0" in result.output
    first = api.order([("DRILL", 1)], client_id=shop["client_id"]).get_json()
    assert first["accrual"] == "47.50"
    assert api.get(f"/clients/{shop['client_id']}/bonus").get_json()["available"] == "47.50"
    assert runner.invoke(args=["bonus", "settings", "--hold-days", "14"]).exit_code == 0
    second = api.order([("DRILL", 1)], client_id=shop["client_id"], bonus="40.00").get_json()
    assert (second["bonus_redeemed"], second["paid"], second["accrual"]) == ("40.00", "910.00", "45.50")
    bonus = api.get(f"/clients/{shop['client_id']}/bonus").get_json()
    assert (bonus["available"], bonus["pending"]) == ("7.50", "45.50")
    ret = _return(api, first["id"], [("DRILL", 1)])
    assert (ret["refund"], ret["accrual_reversed"], ret["withheld"], ret["bonus_restored"]) == (
        {"total": "910.00", "by_method": {"online": "910.00"}}, "47.50", "40.00", "0.00")
    assert _totals([ret]) == (minor(first["paid"]), minor(first["bonus_redeemed"]), minor(first["accrual"]))
    bonus = api.get(f"/clients/{shop['client_id']}/bonus").get_json()
    assert (bonus["available"], bonus["pending"]) == ("0.00", "45.50")
    # the second order comes back whole: its 40.00 of bonus is restored, its pending accrual reversed
    back = _return(api, second["id"], [("DRILL", 1)])
    assert (back["refund"]["total"], back["bonus_restored"], back["accrual_reversed"], back["withheld"]) == (
        "910.00", "40.00", "45.50", "0.00")
    bonus = api.get(f"/clients/{shop['client_id']}/bonus").get_json()
    assert (bonus["available"], bonus["pending"]) == ("40.00", "0.00")
    ledger_verify(runner)


def test_non_returnable_goods_are_409(app, api, shop):
    order = api.order([("PIPE", 2), ("DRILL", 1)], client_id=shop["client_id"]).get_json()
    before = row_counts(app)
    body = check_error(api.post(f"/orders/{order['id']}/returns", {"lines": [{"sku": "PIPE", "qty": 1}]}), 409,
                       "not_returnable")
    assert "PIPE" in body["message"]
    check_error(api.post(f"/orders/{order['id']}/returns",
                         {"lines": [{"sku": "DRILL", "qty": 1}, {"sku": "PIPE", "qty": 1}]}), 409, "not_returnable")
    assert row_counts(app) == before
    assert api.get(f"/orders/{order['id']}").get_json()["lines"][1]["returned_qty"] == 0
    _return(api, order["id"], [("DRILL", 1)])


@pytest.mark.parametrize("sku", ["DRILL", "VALVE"], ids=["under-warranty", "no-warranty"])
def test_past_the_14_day_window_is_409_not_returnable(app, api, shop, sku):
    order_id = sell_in_the_past(app, shop["client_id"], [(sku, 2)], days_ago=14.1)
    before = row_counts(app)
    body = check_error(api.post(f"/orders/{order_id}/returns", {"lines": [{"sku": sku, "qty": 1}]}), 409,
                       "not_returnable")
    if sku == "DRILL":
        end = (datetime.now(UTC) - timedelta(days=14.1)).date()
        assert "warranty" in body["message"] and str(end.year + 2) in body["message"]
    assert row_counts(app) == before


def test_returning_anything_of_a_fully_returned_order_is_422(app, api, shop):
    order = api.order([("DRILL", 1), ("VALVE", 1)], client_id=shop["client_id"]).get_json()
    _return(api, order["id"], [("DRILL", 1), ("VALVE", 1)])
    before = row_counts(app)
    check_error(api.post(f"/orders/{order['id']}/returns", {"lines": [{"sku": "VALVE", "qty": 1}]}), 422,
                "validation_error", "lines[0].qty")
    assert row_counts(app) == before


def test_more_than_left_after_a_partial_return_is_422(app, api, shop):
    order = api.order([("DRILL", 2), ("VALVE", 1)], client_id=shop["client_id"]).get_json()
    _return(api, order["id"], [("DRILL", 1)])
    before = row_counts(app)
    check_error(api.post(f"/orders/{order['id']}/returns", {"lines": [{"sku": "DRILL", "qty": 2}]}), 422,
                "validation_error", "lines[0].qty")
    assert row_counts(app) == before


def test_within_the_window_a_return_of_an_older_order_is_accepted(app, api, shop):
    order_id = sell_in_the_past(app, shop["client_id"], [("VALVE", 2)], days_ago=13.9)
    ret = _return(api, order_id, [("VALVE", 2)])
    assert ret["refund"]["total"] == "199.98"


@pytest.mark.parametrize("lines,field", [
    ([{"sku": "DRILL", "qty": 3}], "lines[0].qty"),
    ([{"sku": "DRILL", "qty": 1}, {"sku": "DRILL", "qty": 2}], "lines[1].qty"),
    ([{"sku": "VALVE", "qty": 1}], "lines[0].sku"),
    ([{"sku": "DRILL", "qty": 0}], "lines[0].qty"),
    ([{"sku": "DRILL", "qty": "1"}], "lines[0].qty"),
    ([{"sku": "DRILL", "qty": 10 ** 30}], "lines[0].qty"),
    ([], "lines"),
    ([7], "lines[0]"),
])
def test_bad_returns_are_422(app, api, shop, lines, field):
    order = api.order([("DRILL", 2)], client_id=shop["client_id"]).get_json()
    before = row_counts(app)
    check_error(api.post(f"/orders/{order['id']}/returns", {"lines": lines}), 422, "validation_error", field)
    check_error(api.post(f"/orders/{order['id']}/returns", {"lines": [{"sku": "DRILL", "qty": 1}],
                                                            "reason": "x" * 501}), 422, "validation_error", "reason")
    check_error(api.post(f"/orders/{order['id']}/returns", {"lines": [{"sku": "DRILL", "qty": 1}], "reason": 5}),
                422, "validation_error", "reason")
    assert row_counts(app) == before


# -------------------------------------------------------------------------------------- bonus entries

def _history(app, api, shop):
    """Gift, an old order whose accrual has been released, a recent order spending bonus, a return."""
    give_bonus(app, shop["client_id"], 300_00)
    sell_in_the_past(app, shop["client_id"], [("DRILL", 2)], days_ago=20)           # accrual 95.00
    recent = api.order([("DRILL", 1), ("VALVE", 3)], client_id=shop["client_id"], bonus="100.00").get_json()
    _return(api, recent["id"], [("VALVE", 1)])
    _return(api, recent["id"], [("DRILL", 1)])
    api.order([("PENNY", 5), ("VALVE", 1)], client_id=shop["client_id"])
    return recent


@pytest.mark.parametrize("limit", [1, 2, 3, 200])
def test_summing_entries_per_bucket_over_all_pages_gives_the_balance(app, api, shop, limit):
    _history(app, api, shop)
    bonus = api.get(f"/clients/{shop['client_id']}/bonus").get_json()
    items = api.all_items(f"/clients/{shop['client_id']}/bonus/entries", limit=limit)
    assert len({item["id"] for item in items}) == len(items)  # no item twice
    totals = {"pending": 0, "available": 0}
    for item in items:
        assert set(item) >= {"id", "at", "kind", "bucket", "amount", "order_id", "return_id"}
        assert isinstance(item["id"], str) and item["id"]
        check_time(item["at"])
        assert item["bucket"] in totals and SIGNED_MONEY.match(item["amount"]) and minor(item["amount"]) != 0
        assert item["order_id"] is None or isinstance(item["order_id"], int)
        assert item["return_id"] is None or isinstance(item["return_id"], int)
        totals[item["bucket"]] += minor(item["amount"])
    assert totals == {"pending": minor(bonus["pending"]), "available": minor(bonus["available"])}
    assert totals["pending"] > 0 and totals["available"] > 0
    release = [item for item in items if item["kind"] == "release"]
    assert sorted(minor(item["amount"]) for item in release) == [-95_00, 95_00]  # one release: - pending, + available
    every = api.all_items(f"/clients/{shop['client_id']}/bonus/entries", limit=200)
    assert [item["id"] for item in items] == [item["id"] for item in every]


def test_entries_name_their_orders_and_returns(app, api, shop):
    recent = _history(app, api, shop)
    items = api.all_items(f"/clients/{shop['client_id']}/bonus/entries", limit=50)
    assert any(item["order_id"] == recent["id"] and item["return_id"] is None for item in items)
    returned = [item for item in items if item["return_id"] is not None]
    assert returned and all(item["order_id"] == recent["id"] for item in returned)
    assert any(item["order_id"] is None for item in items)  # the gift


def test_entries_of_a_client_without_history_are_empty(api, shop):
    assert api.get(f"/clients/{shop['client_id']}/bonus/entries").get_json() == {"items": [], "next_cursor": None}


def test_entries_are_newest_first(app, api, shop):
    sell_in_the_past(app, shop["client_id"], [("DRILL", 1)], days_ago=20)   # released 6 days ago, on next touch
    api.order([("VALVE", 1)], client_id=shop["client_id"])                  # accrued now
    items = api.all_items(f"/clients/{shop['client_id']}/bonus/entries", limit=50)
    moments = [check_time(item["at"]) for item in items]
    assert moments == sorted(moments, reverse=True), [(i["kind"], i["at"]) for i in items]


def test_a_page_of_entries_never_exceeds_the_limit(app, api, shop):
    sell_in_the_past(app, shop["client_id"], [("DRILL", 1)], days_ago=20)
    api.get(f"/clients/{shop['client_id']}/bonus")  # releases it: one entry, two items
    body = api.get(f"/clients/{shop['client_id']}/bonus/entries", limit=1).get_json()
    assert len(body["items"]) == 1 and body["next_cursor"], body
    rest = api.get(f"/clients/{shop['client_id']}/bonus/entries", limit=1, cursor=body["next_cursor"]).get_json()
    assert len(rest["items"]) == 1 and rest["items"][0]["id"] != body["items"][0]["id"]
    assert {body["items"][0]["bucket"], rest["items"][0]["bucket"]} == {"pending", "available"}


def test_bonus_expiring_within_30_days_and_next_release(app, runner, api, shop):
    from portal.models import utcnow

    from ...factories import make_staff
    with app.app_context():
        boss = make_staff("supervisor")
        bonus_service.adjust(boss, shop["client_id"], 12_34, "old gift", "test:old", now=utcnow() - timedelta(days=340))
        bonus_service.adjust(boss, shop["client_id"], 50_00, "new gift", "test:new")
        db.session.commit()
    order = api.order([("DRILL", 1)], client_id=shop["client_id"]).get_json()
    bonus = check_bonus(api.get(f"/clients/{shop['client_id']}/bonus").get_json(), shop["client_id"])
    assert (bonus["available"], bonus["pending"], bonus["expiring_30d"]) == ("62.34", "47.50", "12.34")
    expected = (check_time(order["created_at"]) + timedelta(days=14)).date()
    assert bonus["next_release"] == {"amount": "47.50", "date": expected.isoformat()}
    assert api.get(f"/clients/{shop['client_id']}").get_json()["bonus"] == bonus
    ledger_verify(runner)


# ------------------------------------------------------------------------------ the API and the ledger

def test_the_api_and_flask_ledger_verify_agree(app, runner, api, shop):
    _history(app, api, shop)
    output = ledger_verify(runner)
    assert "sum of all balances 0" in output
    assert runner.invoke(args=["bonus", "release"]).exit_code == 0
    assert runner.invoke(args=["bonus", "expire"]).exit_code == 0
    ledger_verify(runner)
    # verify also agrees with the sum the API shows
    items = api.all_items(f"/clients/{shop['client_id']}/bonus/entries", limit=7)
    bonus = api.get(f"/clients/{shop['client_id']}/bonus").get_json()
    assert sum(minor(i["amount"]) for i in items) == minor(bonus["available"]) + minor(bonus["pending"])


def test_errors_are_english_for_systems_unless_asked(api, shop):
    assert api.get("/orders/999999").get_json()["message"] == "No such order."
    assert api.get("/orders/999999", headers={"Accept-Language": "de"}).get_json()["message"] == "No such order."


def test_money_strings_in_every_answer(app, api, shop):
    give_bonus(app, shop["client_id"], 1_00)
    order = api.order([("PENNY", 3)], client_id=shop["client_id"]).get_json()
    ret = _return(api, order["id"], [("PENNY", 1)])
    answers = [order, ret, api.get(f"/clients/{shop['client_id']}").get_json(),
               api.get("/products").get_json()]

    def walk(value, name=""):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, name)
        elif name in {"price", "discount", "bonus", "paid", "accrual", "subtotal", "bonus_redeemed", "refund",
                      "total", "bonus_restored", "accrual_reversed", "withheld", "available", "pending",
                      "expiring_30d", "amount"}:
            assert isinstance(value, str) and MONEY.match(value), (name, value)
    for answer in answers:
        walk(answer)
    assert json.loads(json.dumps(order)) == order

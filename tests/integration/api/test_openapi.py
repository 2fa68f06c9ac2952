"""The OpenAPI document describes the API that is there: every documented operation answers with a
documented status and a body that fits the documented schema, and every route is documented.

Bodies are checked by Schemathesis against the served document (`validated`): a response against
what its operation documents for its status, a request value against the operation's request
body or parameter schema."""
from __future__ import annotations

import copy
import json
import re

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup
from schemathesis.openapi.checks import JsonSchemaError

from .conftest import give_bonus

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def doc(client):
    response = client.get("/api/v1/openapi.json")  # no key needed
    assert response.status_code == 200 and response.is_json
    return response.get_json()


@pytest.fixture
def schema(doc):
    """The served document, loaded by Schemathesis (on a copy: loading may add to what it reads)."""
    return schemathesis.openapi.from_dict(copy.deepcopy(doc), config=SchemathesisConfig.from_dict({}))


def validated(schema, path: str, method: str, response) -> None:
    """Schemathesis validates `response` (a test-client response) against the schema the document
    gives its operation for its status; raises a Schemathesis failure where it does not fit."""
    operation = schema[path][method.upper()]
    status = str(response.status_code)
    assert status in operation.responses.status_codes, (operation.label, status, response.get_data(as_text=True))
    # Schemathesis passes a status or media type without a documented schema unchecked: make sure there is one.
    definition = operation.responses.get(status)
    assert definition.get_schema(response.mimetype).schema is not None, (operation.label, status, response.mimetype)
    operation.validate_response(response)


def _json_body(schema, operation_id: str):
    return schema.find_operation_by_id(operation_id).get_body_for_media_type("application/json")


def test_schemathesis_refuses_a_response_that_breaks_the_document(api, schema, shop):
    response = api.order([("DRILL", 1)], client_id=shop["client_id"])
    assert response.status_code == 201
    good = response.get_json()
    validated(schema, "/orders", "post", response)
    response.set_data(json.dumps({**good, "client_id": None}))  # nullable
    validated(schema, "/orders", "post", response)

    lines = good["lines"]
    bad = [
        ({**good, "paid": "1.5"}, ["paid"]),  # Money with one decimal
        ({key: value for key, value in good.items() if key != "lines"}, []),  # a required field missing
        ({**good, "lines": [{**lines[0], "price": 1000}]}, ["lines", 0, "price"]),  # Money as a number
        ({**good, "lines": [{**lines[0], "price": "-1.00"}]}, ["lines", 0, "price"]),  # Money is not negative
        ({**good, "client_id": "x"}, ["client_id"]),
        ({**good, "lines": "x"}, ["lines"]),
        ({**good, "created_at": "yesterday"}, ["created_at"]),  # format: date-time
        ([good], []),
    ]
    for body, where in bad:
        response.set_data(json.dumps(body))
        assert not schema["/orders"]["POST"].is_valid_response(response), body
        with pytest.raises(JsonSchemaError) as refused:
            validated(schema, "/orders", "post", response)
        assert list(refused.value.instance_path) == where, str(refused.value)

    # Against the schema of the status it came with: an Order is no Error.
    response.set_data(json.dumps(good))
    response.status_code = 404
    with pytest.raises(JsonSchemaError, match="required"):
        validated(schema, "/orders", "post", response)
    response.set_data(json.dumps({"error": "not_found", "message": "No such order."}))
    validated(schema, "/orders", "post", response)
    # Several breaks at once: all of them reported.
    response.status_code = 201
    response.set_data(json.dumps({**good, "paid": "1.5", "accrual": 1}))
    with pytest.raises(FailureGroup) as refused:
        validated(schema, "/orders", "post", response)
    assert sorted(list(failure.instance_path) for failure in refused.value.exceptions) == [["accrual"], ["paid"]]


def test_the_document_is_openapi_3_without_a_key(doc):
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"] and doc["info"]["version"]
    assert doc["paths"]
    assert [server["url"] for server in doc["servers"]] == ["/api/v1"]
    bearer = doc["components"]["securitySchemes"]["bearer"]
    assert (bearer["type"], bearer["scheme"]) == ("http", "bearer")
    # every $ref resolves
    def refs(node):
        if isinstance(node, dict):
            if "$ref" in node:
                yield node["$ref"]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)
    for ref in refs(doc):
        node, seen = {"$ref": ref}, 0
        while "$ref" in node:
            target = node["$ref"]
            assert target.startswith("#/"), target
            node = doc
            for part in target[2:].split("/"):
                assert isinstance(node, dict) and part in node, f"{target} does not resolve"
                node = node[part]
            seen += 1
            assert seen < 20, f"a $ref cycle at {target}"


def _operations(doc):
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_every_route_under_api_v1_is_documented(app, doc):
    documented = {(path, method.upper()) for path, method, _ in _operations(doc)}
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint == "api.openapi":
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule[len("/api/v1"):])
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((re.sub(r"\{[^}]+\}", "{id}", path), method))
    documented_norm = {(re.sub(r"\{[^}]+\}", "{id}", p), m) for p, m in documented}
    assert routes - documented_norm == set(), "routes missing from the document"
    assert documented_norm - routes == set(), "documented operations with no route"
    assert len(routes) == 9


def _example(name: str, client_id: int) -> dict:
    """A valid request body for a documented request schema, built for this test's data."""
    return {
        "NewClient": {"name": "Vera", "phone": "+79035550011", "email": "vera@example.com"},
        "OrderRequest": {"external_id": "oa-1", "client_id": client_id,
                         "lines": [{"sku": "DRILL", "qty": 1}, {"sku": "VALVE", "qty": 2}],
                         "bonus_to_redeem": "10.00", "payment_method": "online"},
        "ReturnRequest": {"lines": [{"sku": "DRILL", "qty": 1}], "reason": "does not fit"},
    }[name]


def test_every_documented_operation_answers_as_documented(app, api, doc, schema, shop):
    give_bonus(app, shop["client_id"], 100_00)
    order = api.order([("DRILL", 2), ("PENNY", 1)], client_id=shop["client_id"]).get_json()
    called = 0
    for path, method, operation in _operations(doc):
        url = path
        for param in operation.get("parameters", []):
            if param["in"] == "path":
                value = order["id"] if path.startswith("/orders") else shop["client_id"]
                url = url.replace("{" + param["name"] + "}", str(value))
        assert "{" not in url, url
        headers = {}
        if any(p["in"] == "header" and p["name"] == "Idempotency-Key" and p.get("required")
               for p in operation.get("parameters", [])):
            headers["Idempotency-Key"] = f"openapi-{method}-{path}"
        query = {}
        for param in operation.get("parameters", []):
            if param["in"] == "query" and param.get("required"):
                query[param["name"]] = {"phone": "8 (916) 111-22-33"}[param["name"]]
        if method == "get":
            response = api.get(url, headers=headers, **query)
        else:
            body = None
            if "requestBody" in operation:
                ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                body = _example(ref.rsplit("/", 1)[-1], shop["client_id"])
                # the example itself fits the request schema
                _json_body(schema, operation["operationId"]).validate(body)
            response = api.post(url, body, key=headers.get("Idempotency-Key"))
        called += 1
        documented = operation["responses"]
        status = str(response.status_code)
        assert status in documented, (method, path, status, response.get_data(as_text=True))
        assert status.startswith("2"), (method, path, response.get_data(as_text=True))
        validated(schema, path, method, response)
        if method == "get" and path.endswith("s") and "items" in response.get_json():
            assert response.get_json()["items"], f"{path}: the example should list something"
    assert called == 9


def test_error_answers_fit_the_documented_error_schema(api, client, doc, schema, shop):
    for path, method, operation in _operations(doc):
        url = path.replace("{id}", "999999")
        # without a key: 401, documented everywhere
        response = client.open("/api/v1" + url, method=method.upper(), json={})
        assert "401" in operation["responses"], (method, path)
        assert response.status_code == 401
        validated(schema, path, method, response)
        if "{id}" in path:
            response = api.get(url) if method == "get" else api.post(url, {"lines": [{"sku": "DRILL", "qty": 1}]})
            assert str(response.status_code) == "404" and "404" in operation["responses"], (method, path)
            validated(schema, path, method, response)
        if method == "post":
            response = api.post(url if "{id}" not in path else path.replace("{id}", "1"), {}, key=None)
            assert str(response.status_code) in operation["responses"], (method, path, response.status_code)
            validated(schema, path, method, response)
            assert operation["responses"][str(response.status_code)]["content"]["application/json"]["schema"] \
                == {"$ref": "#/components/schemas/Error"}, (method, path, response.status_code)


@pytest.mark.parametrize("name", ["Product", "Client", "Bonus", "BonusEntry", "Order", "Return"])
def test_response_schemas_require_what_the_contract_lists(doc, name):
    """API.md's field lists are the floor of each documented schema's `required`."""
    contract = {
        "Product": {"sku", "name", "price", "section", "returnable", "discountable", "stock"},
        "Client": {"id", "name", "phone", "email", "discount_percent", "bonus"},
        "Bonus": {"client_id", "currency", "available", "pending", "expiring_30d", "next_release"},
        "BonusEntry": {"id", "at", "kind", "bucket", "amount", "order_id", "return_id"},
        "Order": {"id", "external_id", "client_id", "status", "created_at", "subtotal", "discount", "bonus_redeemed",
                  "paid", "accrual", "lines"},
        "Return": {"id", "order_id", "lines", "refund", "bonus_restored", "accrual_reversed", "withheld"},
    }[name]
    assert contract <= set(doc["components"]["schemas"][name]["required"])


def _taking(doc, name: str) -> str:
    """The operationId of the operation whose JSON request body is the schema `name`."""
    taking = [operation["operationId"] for _path, _method, operation in _operations(doc)
              if operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
              == {"$ref": f"#/components/schemas/{name}"}]
    assert len(taking) == 1, (name, taking)
    return taking[0]


# (where in the document, a value, whether the API takes it). Schemathesis found the document
# promising more than the API takes, or refusing what it takes: every line pins one such case.
REQUEST_VALUES = [
    ("OrderRequest.bonus_to_redeem", "12.5", True), ("OrderRequest.bonus_to_redeem", "12", True),
    ("OrderRequest.bonus_to_redeem", "0.00", True), ("OrderRequest.bonus_to_redeem", "1" * 14, False),
    ("OrderRequest.bonus_to_redeem", "1.234", False), ("OrderRequest.bonus_to_redeem", "-1.00", False),
    ("OrderRequest.external_id", "", False), ("OrderRequest.external_id", " \t", False),
    ("OrderRequest.external_id", "x" * 101, False), ("OrderRequest.external_id", "a\x00b", False),
    ("OrderRequest.client_id", 0, False), ("OrderRequest.client_id", None, True),
    ("OrderRequest.lines", [], False), ("OrderRequest.lines", [{"sku": "DRILL", "qty": 1}] * 501, False),
    ("LineRequest.sku", "", False), ("LineRequest.sku", "x" * 65, False), ("LineRequest.sku", "DRILL", True),
    ("LineRequest.qty", 100_000, True), ("LineRequest.qty", 100_001, False), ("LineRequest.qty", 0, False),
    ("NewClient.name", "", False), ("NewClient.name", "   ", False), ("NewClient.name", "x" * 301, False),
    ("NewClient.name", "Ann", True), ("NewClient.phone", "", False), ("NewClient.phone", "+7" + "9" * 40, False),
    ("NewClient.email", None, True), ("NewClient.email", "", True), ("NewClient.email", "x" * 255, False),
    ("ReturnRequest.reason", None, True), ("ReturnRequest.reason", "x" * 501, False),
    ("createOrder:Idempotency-Key", "tab\tinside", False), ("createOrder:Idempotency-Key", "é" * 200, True),
    ("createOrder:Idempotency-Key", "x" * 201, False), ("createOrder:Idempotency-Key", "", False),
    ("findClients:phone", "", False), ("findClients:phone", "8 (916) 111-22-33", True),
    ("listProducts:sku", "\x00", False), ("listProducts:q", "drill", True),
    ("listProducts:cursor", "not a cursor!", False), ("listProducts:cursor", "djE6Mw", True),
]


@pytest.mark.parametrize("where,value,taken", REQUEST_VALUES,
                         ids=[f"{w}={v!r}"[:60] for w, v, _ in REQUEST_VALUES])
def test_the_documented_request_schemas_take_what_the_api_takes(doc, schema, where, value, taken):
    """Schemathesis checks the value in its place: a parameter of the operation, or a field of a
    request body that otherwise keeps to the document (a LineRequest field in an order's line)."""
    if ":" in where:
        operation_id, name = where.split(":")
        operation = schema.find_operation_by_id(operation_id)
        parameter = next(p for p in operation.iter_parameters() if p.name == name)
        documented = parameter.is_valid(value)
    else:
        name, field = where.split(".")
        assert field in doc["components"]["schemas"][name]["properties"], where
        if name == "LineRequest":
            assert doc["components"]["schemas"]["OrderRequest"]["properties"]["lines"]["items"] \
                == {"$ref": "#/components/schemas/LineRequest"}
            container = "OrderRequest"
        else:
            container = name
        body = _json_body(schema, _taking(doc, container))
        example = _example(container, client_id=1)
        body.validate(example)
        if name == "LineRequest":
            example["lines"][0][field] = value
        else:
            example[field] = value
        documented = body.is_valid(example)
    assert documented == taken


@pytest.mark.parametrize("bonus,redeemed", [("12.5", "12.50"), ("12", "12.00")])
def test_money_with_fewer_than_two_decimals_is_taken_as_documented(app, api, schema, shop, bonus, redeemed):
    give_bonus(app, shop["client_id"], 100_00)
    body = {"external_id": f"short-{bonus}", "client_id": shop["client_id"], "lines": [{"sku": "DRILL", "qty": 1}],
            "bonus_to_redeem": bonus}
    _json_body(schema, "createOrder").validate(body)
    response = api.post("/orders", body)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["bonus_redeemed"] == redeemed

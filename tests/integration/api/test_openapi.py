"""The OpenAPI document describes the API that is there: every documented operation answers with a
documented status and a body that fits the documented schema, and every route is documented."""
from __future__ import annotations

import re

import pytest

from .conftest import give_bonus

METHODS = {"get", "post", "put", "patch", "delete"}


class SchemaMismatch(AssertionError):
    pass


def resolve(doc: dict, schema: dict) -> dict:
    seen = 0
    while "$ref" in schema:
        ref = schema["$ref"]
        assert ref.startswith("#/"), ref
        node = doc
        for part in ref[2:].split("/"):
            node = node[part]
        schema = node
        seen += 1
        assert seen < 20, f"a $ref cycle at {ref}"
    return schema


def conforms(doc: dict, schema: dict, value, where: str = "$") -> None:
    """A small checker: $ref, nullable, type, enum, pattern, required, properties, items,
    additionalProperties. Raises SchemaMismatch with the place that does not fit."""
    schema = resolve(doc, schema)
    if value is None:
        if schema.get("nullable") or "type" not in schema:
            return
        raise SchemaMismatch(f"{where}: null where {schema.get('type')} is documented")
    kind = schema.get("type")
    checks = {"object": lambda v: isinstance(v, dict), "array": lambda v: isinstance(v, list),
              "string": lambda v: isinstance(v, str), "boolean": lambda v: isinstance(v, bool),
              "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
              "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)}
    if kind is not None and not checks[kind](value):
        raise SchemaMismatch(f"{where}: {value!r} is not of type {kind}")
    if "enum" in schema and value not in schema["enum"]:
        raise SchemaMismatch(f"{where}: {value!r} is not one of {schema['enum']}")
    if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"], value):
        raise SchemaMismatch(f"{where}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, str) and not schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", len(value)):
        raise SchemaMismatch(f"{where}: {value!r} is shorter or longer than documented")
    if isinstance(value, list) and not schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", len(value)):
        raise SchemaMismatch(f"{where}: {len(value)} items, fewer or more than documented")
    if isinstance(value, int) and not isinstance(value, bool) and (
            value < schema.get("minimum", value) or value > schema.get("maximum", value)):
        raise SchemaMismatch(f"{where}: {value!r} is out of the documented range")
    if isinstance(value, dict):
        missing = [name for name in schema.get("required", []) if name not in value]
        if missing:
            raise SchemaMismatch(f"{where}: required {missing} missing from {sorted(value)}")
        properties = schema.get("properties", {})
        for name, item in value.items():
            if name in properties:
                conforms(doc, properties[name], item, f"{where}.{name}")
            elif isinstance(schema.get("additionalProperties"), dict):
                conforms(doc, schema["additionalProperties"], item, f"{where}.{name}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            conforms(doc, schema["items"], item, f"{where}[{i}]")


def test_the_checker_catches_what_it_should():
    doc = {"components": {"schemas": {"M": {"type": "string", "pattern": r"^[0-9]+\.[0-9]{2}$"},
                                      "O": {"type": "object", "required": ["a", "m"], "properties": {
                                          "a": {"type": "array", "items": {"$ref": "#/components/schemas/M"}},
                                          "m": {"$ref": "#/components/schemas/M", "nullable": True}}}}}}
    ref = {"$ref": "#/components/schemas/O"}
    conforms(doc, ref, {"a": ["1.00"], "m": "2.00"})
    for bad in ({"a": ["1.0"], "m": "2.00"}, {"a": []}, {"a": [1], "m": "2.00"}, {"a": "x", "m": "2.00"}, []):
        with pytest.raises(SchemaMismatch):
            conforms(doc, ref, bad)


@pytest.fixture
def doc(client):
    response = client.get("/api/v1/openapi.json")  # no key needed
    assert response.status_code == 200 and response.is_json
    return response.get_json()


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
        resolve(doc, {"$ref": ref})


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


def _example(doc, schema, shop):
    """A valid request body for a documented request schema, built for this test's data."""
    name = schema["$ref"].rsplit("/", 1)[-1]
    bodies = {
        "NewClient": {"name": "Vera", "phone": "+79035550011", "email": "vera@example.com"},
        "OrderRequest": {"external_id": "oa-1", "client_id": shop["client_id"],
                         "lines": [{"sku": "DRILL", "qty": 1}, {"sku": "VALVE", "qty": 2}],
                         "bonus_to_redeem": "10.00", "payment_method": "online"},
        "ReturnRequest": {"lines": [{"sku": "DRILL", "qty": 1}], "reason": "does not fit"},
    }
    body = bodies[name]
    conforms(doc, schema, body)  # the example itself fits the request schema
    return body


def test_every_documented_operation_answers_as_documented(app, api, doc, shop):
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
                body = _example(doc, operation["requestBody"]["content"]["application/json"]["schema"], shop)
            response = api.post(url, body, key=headers.get("Idempotency-Key"))
        called += 1
        documented = operation["responses"]
        status = str(response.status_code)
        assert status in documented, (method, path, status, response.get_data(as_text=True))
        assert status.startswith("2"), (method, path, response.get_data(as_text=True))
        schema = documented[status]["content"]["application/json"]["schema"]
        try:
            conforms(doc, schema, response.get_json())
        except SchemaMismatch as exc:
            raise AssertionError(f"{method.upper()} {path}: {exc}") from None
        if method == "get" and path.endswith("s") and "items" in response.get_json():
            assert response.get_json()["items"], f"{path}: the example should list something"
    assert called == 9


def test_error_answers_fit_the_documented_error_schema(api, client, doc, shop):
    for path, method, operation in _operations(doc):
        url = path.replace("{id}", "999999")
        # without a key: 401, documented everywhere
        response = client.open("/api/v1" + url, method=method.upper(), json={})
        assert "401" in operation["responses"], (method, path)
        assert response.status_code == 401
        conforms(doc, operation["responses"]["401"]["content"]["application/json"]["schema"], response.get_json())
        if "{id}" in path:
            response = api.get(url) if method == "get" else api.post(url, {"lines": [{"sku": "DRILL", "qty": 1}]})
            assert str(response.status_code) == "404" and "404" in operation["responses"], (method, path)
            conforms(doc, operation["responses"]["404"]["content"]["application/json"]["schema"],
                     response.get_json())
        if method == "post":
            response = api.post(url if "{id}" not in path else path.replace("{id}", "1"), {}, key=None)
            assert str(response.status_code) in operation["responses"], (method, path, response.status_code)
            conforms(doc, resolve(doc, {"$ref": "#/components/schemas/Error"}), response.get_json())


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


def _parameter(doc, operation_id: str, name: str) -> dict:
    for _path, _method, operation in _operations(doc):
        if operation["operationId"] == operation_id:
            return next(p["schema"] for p in operation["parameters"] if p["name"] == name)
    raise KeyError(operation_id)


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
def test_the_documented_request_schemas_take_what_the_api_takes(doc, where, value, taken):
    if ":" in where:
        schema = _parameter(doc, *where.split(":"))
    else:
        name, field = where.split(".")
        schema = doc["components"]["schemas"][name]["properties"][field]
    try:
        conforms(doc, schema, value)
        documented = True
    except SchemaMismatch:
        documented = False
    assert documented == taken


@pytest.mark.parametrize("bonus,redeemed", [("12.5", "12.50"), ("12", "12.00")])
def test_money_with_fewer_than_two_decimals_is_taken_as_documented(app, api, doc, shop, bonus, redeemed):
    give_bonus(app, shop["client_id"], 100_00)
    body = {"external_id": f"short-{bonus}", "client_id": shop["client_id"], "lines": [{"sku": "DRILL", "qty": 1}],
            "bonus_to_redeem": bonus}
    conforms(doc, {"$ref": "#/components/schemas/OrderRequest"}, body)
    response = api.post("/orders", body)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["bonus_redeemed"] == redeemed

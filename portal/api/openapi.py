"""The OpenAPI 3 document of /api/v1, kept next to the endpoints it describes."""
from __future__ import annotations

MONEY = {"type": "string", "pattern": r"^[0-9]+\.[0-9]{2}$", "example": "1234.50"}
SIGNED_MONEY = {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$", "example": "-12.50"}
# What a request may send as money (parsing.money_field): a non-negative decimal, at most two decimals.
MONEY_IN = {"type": "string", "pattern": r"^[0-9]{1,13}(\.[0-9]{1,2})?$", "example": "1234.50"}
# No text may hold a NUL character (parsing.string_field, the check of query parameters).
NO_NUL = r"^[^\x00]*$"
# Required text must have something besides white space (parsing.string_field): white space as
# Python's str.strip() takes it, written out, since `\s` differs between regex engines.
WHITE_SPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
FILLED = rf"^[^\x00]*[^\x00{WHITE_SPACE}][^\x00]*$"


def _text(max_length: int | None = None, *, filled: bool = False, **extra) -> dict:
    schema = {"type": "string", "pattern": FILLED if filled else NO_NUL, **extra}
    if filled:
        schema["minLength"] = 1
    if max_length is not None:
        schema["maxLength"] = max_length
    return schema


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _list_of(name: str) -> dict:
    return {"type": "object", "required": ["items", "next_cursor"],
            "properties": {"items": {"type": "array", "items": _ref(name)},
                           "next_cursor": {"type": "string", "nullable": True}}}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict:
    texts = {401: "Missing or wrong API key", 404: "Unknown id", 409: "Refused by a business rule",
             413: "Request body larger than the portal accepts", 422: "Invalid input", 429: "Too many requests"}
    # Every endpoint can answer 429 rate_limited (too many missing or wrong keys from one address).
    return {str(code): _json(_ref("Error"), texts[code]) for code in sorted({*codes, 429})}


LIST_PARAMS = [
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
    {"name": "cursor", "in": "query", "description": "next_cursor of the page before; any other text is a 422",
     "schema": {"type": "string", "pattern": r"^[A-Za-z0-9_=-]*$"}},
]
IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "required": True,
               "description": "1–200 printable characters, unique per request",
               # printable as Python's str.isprintable() takes it, of what a header can carry (Latin-1)
               "schema": {"type": "string", "minLength": 1, "maxLength": 200,
                          "pattern": r"^[\x20-\x7e\xa1-\xac\xae-\xff]+$"}}


def _id(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}


def document() -> dict:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Portal web-shop API", "version": "1.0.0",
                 "description": "Clients, bonus, orders and returns for the web shop. Money is a string with "
                                "two decimals; every POST takes an Idempotency-Key."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/products": {"get": {
                "summary": "List products", "operationId": "listProducts",
                "parameters": [{"name": "sku", "in": "query", "schema": _text()},
                               {"name": "q", "in": "query", "schema": _text()}] + LIST_PARAMS,
                "responses": {"200": _json(_list_of("Product"), "Products"), **_errors(401, 422)}}},
            "/clients": {
                "post": {"summary": "Create a client", "operationId": "createClient", "parameters": [IDEMPOTENCY],
                         "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("NewClient")}}},
                         "responses": {"201": _json(_ref("Client"), "The new client"), **_errors(401, 409, 413, 422)}},
                "get": {"summary": "Find clients by phone", "operationId": "findClients",
                        "parameters": [{"name": "phone", "in": "query", "required": True,
                                        "description": "any common notation; an invalid number finds nobody",
                                        "schema": _text(minLength=1)}] + LIST_PARAMS,
                        "responses": {"200": _json(_list_of("Client"), "Clients with this phone"),
                                      **_errors(401, 422)}}},
            "/clients/{id}": {"get": {
                "summary": "A client", "operationId": "getClient", "parameters": [_id("id")],
                "responses": {"200": _json(_ref("Client"), "The client"), **_errors(401, 404)}}},
            "/clients/{id}/bonus": {"get": {
                "summary": "A client's bonus", "operationId": "getBonus", "parameters": [_id("id")],
                "responses": {"200": _json(_ref("Bonus"), "The bonus"), **_errors(401, 404)}}},
            "/clients/{id}/bonus/entries": {"get": {
                "summary": "A client's ledger legs, newest first", "operationId": "listBonusEntries",
                "parameters": [_id("id")] + LIST_PARAMS,
                "responses": {"200": _json(_list_of("BonusEntry"), "Legs on the client's buckets"),
                              **_errors(401, 404, 422)}}},
            "/orders": {"post": {
                "summary": "Report a paid web order", "operationId": "createOrder", "parameters": [IDEMPOTENCY],
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("OrderRequest")}}},
                "responses": {"201": _json(_ref("Order"), "The order, paid"), **_errors(401, 404, 409, 413, 422)}}},
            "/orders/{id}": {"get": {
                "summary": "An order", "operationId": "getOrder", "parameters": [_id("id")],
                "responses": {"200": _json(_ref("Order"), "The order"), **_errors(401, 404)}}},
            "/orders/{id}/returns": {"post": {
                "summary": "Report a return", "operationId": "createReturn", "parameters": [_id("id"), IDEMPOTENCY],
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("ReturnRequest")}}},
                "responses": {"201": _json(_ref("Return"), "The return"), **_errors(401, 404, 409, 413, 422)}}},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error", "message"], "properties": {
                    "error": {"type": "string", "enum": [
                        "unauthorized", "not_found", "method_not_allowed", "validation_error", "insufficient_bonus",
                        "insufficient_stock", "not_returnable", "idempotency_conflict", "conflict", "rate_limited",
                        "payload_too_large"]},
                    "message": {"type": "string"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}}}},
                "Product": {"type": "object", "required": ["sku", "name", "price", "section", "returnable",
                                                           "discountable", "stock"], "properties": {
                    "sku": {"type": "string"}, "name": {"type": "string"}, "price": MONEY,
                    "section": {"type": "string", "nullable": True}, "returnable": {"type": "boolean"},
                    "discountable": {"type": "boolean"}, "stock": {"type": "integer"}}},
                "NewClient": {"type": "object", "required": ["name", "phone"], "properties": {
                    "name": _text(300, filled=True),
                    "phone": _text(40, filled=True, description="any common notation of a valid number; "
                                                                "an invalid number is a 422 on phone"),
                    "email": _text(254, nullable=True, description="an e-mail address; \"\" or null for none, "
                                                                   "an invalid address is a 422 on email")}},
                "Client": {"type": "object", "required": ["id", "name", "phone", "email", "discount_percent", "bonus"],
                           "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                                          "phone": {"type": "string", "description": "E.164"},
                                          "email": {"type": "string", "nullable": True},
                                          "discount_percent": MONEY, "bonus": _ref("Bonus")}},
                "Bonus": {"type": "object", "required": ["client_id", "currency", "available", "pending",
                                                         "expiring_30d", "next_release"], "properties": {
                    "client_id": {"type": "integer"}, "currency": {"type": "string"}, "available": MONEY,
                    "pending": MONEY, "expiring_30d": MONEY,
                    "next_release": {"type": "object", "nullable": True, "required": ["amount", "date"],
                                     "properties": {"amount": MONEY, "date": {"type": "string", "format": "date"}}}}},
                "BonusEntry": {"type": "object", "required": ["id", "at", "kind", "bucket", "amount", "order_id",
                                                              "return_id"], "properties": {
                    "id": {"type": "string"}, "at": {"type": "string", "format": "date-time"},
                    "kind": {"type": "string"}, "bucket": {"type": "string", "enum": ["pending", "available"]},
                    "amount": SIGNED_MONEY, "order_id": {"type": "integer", "nullable": True},
                    "return_id": {"type": "integer", "nullable": True}}},
                "OrderRequest": {"type": "object", "required": ["external_id", "lines"], "properties": {
                    "external_id": _text(100, filled=True),
                    "client_id": {"type": "integer", "nullable": True, "minimum": 1, "maximum": 2 ** 63 - 1,
                                  "description": "an unknown client is a 404"},
                    "lines": {"type": "array", "minItems": 1, "maxItems": 500, "items": _ref("LineRequest")},
                    "bonus_to_redeem": {**MONEY_IN, "default": "0.00"},
                    "payment_method": {"type": "string", "enum": ["online", "card", "cash", "bank_transfer"],
                                       "default": "online"}}},
                "LineRequest": {"type": "object", "required": ["sku", "qty"], "properties": {
                    "sku": _text(64, filled=True, description="an unknown SKU is a 422"),
                    "qty": {"type": "integer", "minimum": 1, "maximum": 100_000}}},
                "Order": {"type": "object", "required": ["id", "external_id", "client_id", "status", "created_at",
                                                         "subtotal", "discount", "bonus_redeemed", "paid", "accrual",
                                                         "lines"], "properties": {
                    "id": {"type": "integer"}, "number": {"type": "string"},
                    "external_id": {"type": "string", "nullable": True},
                    "client_id": {"type": "integer", "nullable": True}, "status": {"type": "string"},
                    "created_at": {"type": "string", "format": "date-time"}, "subtotal": MONEY, "discount": MONEY,
                    "bonus_redeemed": MONEY, "paid": MONEY, "accrual": MONEY,
                    "payments": {"type": "array", "items": {"type": "object", "properties": {
                        "method": {"type": "string"}, "amount": MONEY}}},
                    "lines": {"type": "array", "items": {"type": "object", "required": [
                        "sku", "qty", "price", "discount", "bonus", "paid", "accrual", "returned_qty"], "properties": {
                        "sku": {"type": "string"}, "qty": {"type": "integer"}, "price": MONEY, "discount": MONEY,
                        "bonus": MONEY, "paid": MONEY, "accrual": MONEY, "returned_qty": {"type": "integer"}}}}}},
                "ReturnRequest": {"type": "object", "required": ["lines"], "properties": {
                    "lines": {"type": "array", "minItems": 1, "maxItems": 500, "items": _ref("LineRequest")},
                    "reason": _text(500, nullable=True)}},
                "Return": {"type": "object", "required": ["id", "order_id", "lines", "refund", "bonus_restored",
                                                          "accrual_reversed", "withheld"], "properties": {
                    "id": {"type": "integer"}, "order_id": {"type": "integer"},
                    "lines": {"type": "array", "items": {"type": "object", "required": [
                        "sku", "qty", "refund", "bonus_restored", "accrual_reversed"], "properties": {
                        "sku": {"type": "string"}, "qty": {"type": "integer"}, "refund": MONEY,
                        "bonus_restored": MONEY, "accrual_reversed": MONEY}}},
                    "refund": {"type": "object", "required": ["total", "by_method"], "properties": {
                        "total": MONEY, "by_method": {"type": "object", "additionalProperties": MONEY}}},
                    "bonus_restored": MONEY, "accrual_reversed": MONEY, "withheld": MONEY}},
            },
        },
    }

"""The OpenAPI 3 document of /api/v1, kept next to the endpoints it describes."""
from __future__ import annotations

MONEY = {"type": "string", "pattern": r"^[0-9]+\.[0-9]{2}$", "example": "1234.50"}
SIGNED_MONEY = {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$", "example": "-12.50"}


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
             422: "Invalid input", 429: "Too many requests"}
    return {str(code): _json(_ref("Error"), texts[code]) for code in codes}


LIST_PARAMS = [
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
    {"name": "cursor", "in": "query", "schema": {"type": "string"}},
]
IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "required": True,
               "schema": {"type": "string", "minLength": 1, "maxLength": 200}}


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
                "parameters": [{"name": "sku", "in": "query", "schema": {"type": "string"}},
                               {"name": "q", "in": "query", "schema": {"type": "string"}}] + LIST_PARAMS,
                "responses": {"200": _json(_list_of("Product"), "Products"), **_errors(401, 422)}}},
            "/clients": {
                "post": {"summary": "Create a client", "operationId": "createClient", "parameters": [IDEMPOTENCY],
                         "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("NewClient")}}},
                         "responses": {"201": _json(_ref("Client"), "The new client"), **_errors(401, 409, 422)}},
                "get": {"summary": "Find clients by phone", "operationId": "findClients",
                        "parameters": [{"name": "phone", "in": "query", "required": True,
                                        "schema": {"type": "string"}}] + LIST_PARAMS,
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
                "responses": {"201": _json(_ref("Order"), "The order, paid"), **_errors(401, 404, 409, 422)}}},
            "/orders/{id}": {"get": {
                "summary": "An order", "operationId": "getOrder", "parameters": [_id("id")],
                "responses": {"200": _json(_ref("Order"), "The order"), **_errors(401, 404)}}},
            "/orders/{id}/returns": {"post": {
                "summary": "Report a return", "operationId": "createReturn", "parameters": [_id("id"), IDEMPOTENCY],
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("ReturnRequest")}}},
                "responses": {"201": _json(_ref("Return"), "The return"), **_errors(401, 404, 409, 422)}}},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error", "message"], "properties": {
                    "error": {"type": "string", "enum": [
                        "unauthorized", "not_found", "method_not_allowed", "validation_error", "insufficient_bonus",
                        "insufficient_stock", "not_returnable", "idempotency_conflict", "conflict", "rate_limited"]},
                    "message": {"type": "string"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}}}},
                "Product": {"type": "object", "required": ["sku", "name", "price", "section", "returnable",
                                                           "discountable", "stock"], "properties": {
                    "sku": {"type": "string"}, "name": {"type": "string"}, "price": MONEY,
                    "section": {"type": "string", "nullable": True}, "returnable": {"type": "boolean"},
                    "discountable": {"type": "boolean"}, "stock": {"type": "integer"}}},
                "NewClient": {"type": "object", "required": ["name", "phone"], "properties": {
                    "name": {"type": "string", "maxLength": 300}, "phone": {"type": "string"},
                    "email": {"type": "string", "nullable": True}}},
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
                    "external_id": {"type": "string", "maxLength": 100},
                    "client_id": {"type": "integer", "nullable": True},
                    "lines": {"type": "array", "minItems": 1, "items": _ref("LineRequest")},
                    "bonus_to_redeem": MONEY,
                    "payment_method": {"type": "string", "enum": ["online", "card", "cash", "bank_transfer"],
                                       "default": "online"}}},
                "LineRequest": {"type": "object", "required": ["sku", "qty"], "properties": {
                    "sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}}},
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
                    "lines": {"type": "array", "minItems": 1, "items": _ref("LineRequest")},
                    "reason": {"type": "string", "maxLength": 500}}},
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

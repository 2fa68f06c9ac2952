"""/api/v1 endpoints: parse, call a service, serialise."""
from __future__ import annotations

from flask import current_app, g, jsonify, request

from portal import ledger
from portal.api import serializers
from portal.api.blueprint import bp
from portal.api.errors import ApiError
from portal.api.idempotency import idempotent
from portal.api.openapi import document
from portal.api.parsing import int_field, json_body, list_params, money_field, sku_lines, string_field
from portal.cursors import encode_cursor
from portal.errors import DomainError
from portal.extensions import db
from portal.ids import MAX_ID
from portal.models import Channel, Location, Order, PaymentMethod, Product
from portal.services.clients import bonus as bonus_service
from portal.services.clients import clients as client_service
from portal.services.sales import catalog, sales, search_words, stock
from portal.services.sales import returns as return_service


def _page(items: list, next_position: int | None):
    return jsonify({"items": items, "next_cursor": encode_cursor(next_position)})


def _client_or_404(client_id: int):
    if client_id > MAX_ID:
        raise ApiError("not_found", "No such client.")
    return client_service.get_client(client_id)


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())


@bp.get("/products")
def products():
    limit, after = list_params()
    stmt = db.select(Product).where(Product.active.is_(True)).order_by(Product.id)
    if request.args.get("sku"):
        stmt = stmt.where(Product.sku == request.args["sku"])
    if request.args.get("q"):  # every word in the name, SKU or Артикул, as the cabinets search
        stmt = stmt.where(*catalog.holding_words(search_words.words(request.args["q"])))
    if after is not None:
        stmt = stmt.where(Product.id > after)
    rows = list(db.session.scalars(stmt.limit(limit + 1)))
    page = rows[:limit]
    totals = stock.total_by_product([p.id for p in page])
    return _page([serializers.product(p, totals.get(p.id, 0)) for p in page],
                 page[-1].id if len(rows) > limit else None)


@bp.post("/clients")
@idempotent
def create_client():
    body = json_body()
    errors: dict = {}
    name = string_field(body, "name", errors)
    phone = string_field(body, "phone", errors, max_length=40)
    email = string_field(body, "email", errors, required=False, max_length=254)
    if errors:
        raise ApiError("validation_error", "Some fields are wrong.", errors)
    client = client_service.register_client(name, phone, email, current_app.config["PORTAL_COUNTRY"])
    return jsonify(serializers.client(client, ledger.bonus_of(client.id))), 201


@bp.get("/clients")
def find_clients():
    phone = request.args.get("phone", "")
    if not phone:
        raise ApiError("validation_error", "Give ?phone= to find clients.", {"phone": "required"})
    limit, after = list_params()
    found = [c for c in client_service.find_by_phone(phone, current_app.config["PORTAL_COUNTRY"])
             if after is None or c.id > after]
    page = found[:limit]
    return _page([serializers.client(c, ledger.bonus_of(c.id)) for c in page],
                 page[-1].id if len(found) > limit else None)


@bp.get("/clients/<int:client_id>")
def get_client(client_id: int):
    client = _client_or_404(client_id)
    return jsonify(serializers.client(client, bonus_service.current(client.id)))


@bp.get("/clients/<int:client_id>/bonus")
def get_bonus(client_id: int):
    client = _client_or_404(client_id)
    return jsonify(serializers.bonus(client.id, bonus_service.current(client.id)))


@bp.get("/clients/<int:client_id>/bonus/entries")
def bonus_entries(client_id: int):
    client = _client_or_404(client_id)
    limit, start = list_params(parts=3)
    bonus_service.settle(client.id)
    legs, following = ledger.legs_of(client.id, limit=limit, start=start)
    return _page([serializers.leg(item) for item in legs], following)


@bp.post("/orders")
@idempotent
def create_order():
    body = json_body()
    errors: dict = {}
    external_id = string_field(body, "external_id", errors, max_length=100)
    client_id = body.get("client_id")
    if client_id is not None:
        client_id = int_field(client_id, "client_id", errors, maximum=2 ** 63 - 1)  # unknown ids are a 404 below
    sale_lines = [sales.SaleLine(qty=qty, sku=sku) for sku, qty in sku_lines(body, errors)]
    bonus = money_field(body, "bonus_to_redeem", errors, default="0.00")
    method_text = body.get("payment_method", "online")
    try:
        method = PaymentMethod(method_text)
    except (ValueError, TypeError):
        errors["payment_method"] = f"one of: {', '.join(m.value for m in PaymentMethod)}"
        method = None
    if errors:
        raise ApiError("validation_error", "Some fields are wrong.", errors)
    if client_id is not None:
        _client_or_404(client_id)
    warehouse = db.session.scalar(db.select(Location).where(Location.is_main.is_(True), Location.active.is_(True)))
    if warehouse is None:
        raise DomainError("No main warehouse is configured to take web-shop orders from.")
    order = sales.place_paid_order(sales.Sale(
        channel=Channel.WEB, lines=sale_lines, location_id=warehouse.id, client_id=client_id,
        bonus_to_redeem=bonus, default_method=method, external_id=external_id, key=g.idempotency_scope))
    return jsonify(serializers.order(order)), 201


def _order_or_404(order_id: int) -> Order:
    order = db.session.get(Order, order_id) if order_id <= MAX_ID else None
    if order is None:
        raise ApiError("not_found", "No such order.")
    return order


@bp.get("/orders/<int:order_id>")
def get_order(order_id: int):
    return jsonify(serializers.order(_order_or_404(order_id)))


@bp.post("/orders/<int:order_id>/returns")
@idempotent
def create_return(order_id: int):
    order = _order_or_404(order_id)
    body = json_body()
    errors: dict = {}
    requests = [return_service.ReturnRequest(qty=qty, sku=sku) for sku, qty in sku_lines(body, errors)]
    reason = string_field(body, "reason", errors, required=False, max_length=500) or ""
    if errors:
        raise ApiError("validation_error", "Some fields are wrong.", errors)
    ret = return_service.return_goods(order.id, requests, key=g.idempotency_scope, reason=reason)
    if ret.order_id != order.id:
        raise ApiError("idempotency_conflict", "This Idempotency-Key was used for another order's return.")
    return jsonify(serializers.return_(ret)), 201

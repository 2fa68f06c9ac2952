"""Bonus history for the demo company: past sales, bonus spent, returns and corrections, all made
through the sales and returns services and the ledger, in the order they happened."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from portal import ledger
from portal.errors import DomainError
from portal.extensions import db
from portal.models import Channel, Client, Location, PaymentMethod, Product, Role, Stock, User, utcnow
from portal.services.clients import bonus as bonus_service
from portal.services.sales import returns, sales
from portal.services.sales.pricing import redeem_cap

SEED = 20261122


def make_bonus_history(clients_with_history: int = 60, now: datetime | None = None) -> int:
    """Place past orders for some clients; returns how many orders were placed."""
    now = now or utcnow()
    rng = random.Random(SEED)
    clients = list(db.session.scalars(db.select(Client).order_by(Client.id)))
    chosen = rng.sample(clients, min(clients_with_history, len(clients)))
    locations = {loc.code: loc for loc in db.session.scalars(db.select(Location))}
    main = next(loc for loc in locations.values() if loc.is_main)
    shops = [loc for loc in locations.values() if loc.is_shop]
    cashiers = {shop.id: list(db.session.scalars(db.select(User).where(User.shop_id == shop.id))) for shop in shops}
    supervisor = db.session.scalar(db.select(User).where(User.role == Role.SUPERVISOR))
    affordable = [pid for pid, in db.session.execute(
        db.select(Product.id).where(Product.price <= 15_000_00, Product.active.is_(True)))]

    events = []
    for client in chosen:
        for _ in range(rng.randint(2, 5)):
            events.append((now - timedelta(days=rng.randint(1, 400), minutes=rng.randint(0, 600)), "sale", client.id))
    for client in rng.sample(chosen, 6):
        events.append((now - timedelta(days=rng.randint(20, 200)), "gift", client.id))
    events.sort(key=lambda e: (e[0], e[2]))

    placed = 0
    for moment, kind, client_id in events:
        if kind == "gift":
            bonus_service.adjust(supervisor, client_id, 500_00, "Приветственный бонус постоянному клиенту",
                                 f"demo:gift:{client_id}", now=moment)
            continue
        location = main if rng.random() < 0.5 else rng.choice(shops)
        in_stock = [pid for pid, in db.session.execute(db.select(Stock.product_id).where(
            Stock.location_id == location.id, Stock.quantity >= 3, Stock.product_id.in_(affordable)))]
        if not in_stock:
            continue
        lines = [sales.SaleLine(qty=rng.randint(1, 3), product_id=pid)
                 for pid in rng.sample(in_stock, min(len(in_stock), rng.randint(1, 3)))]
        available = bonus_service.current(client_id, moment).available
        bonus = 0
        if available and rng.random() < 0.6:
            products = {p.id: p for p in db.session.scalars(db.select(Product).where(
                Product.id.in_([line.product_id for line in lines])))}
            total = sum(products[line.product_id].price * line.qty for line in lines)
            bonus = min(available, redeem_cap(total, ledger.settings.current().max_redeem_share_bp))
        is_shop = location.is_shop
        try:
            order = sales.place_paid_order(sales.Sale(
                channel=Channel.SHOP if is_shop else Channel.WEB, lines=lines, location_id=location.id,
                client_id=client_id, bonus_to_redeem=bonus,
                default_method=rng.choice([PaymentMethod.CASH, PaymentMethod.CARD]) if is_shop else PaymentMethod.ONLINE,
                external_id=None if is_shop else f"OC-{rng.randint(10000, 99999)}-{placed}",
                created_by_id=rng.choice(cashiers[location.id]).id if is_shop and cashiers[location.id] else None,
                now=moment))
        except DomainError:
            continue  # a discount made the bonus exceed the cap, or stock ran out: skip this one
        placed += 1
        if rng.random() < 0.12:
            line = rng.choice(order.lines)
            if line.returnable:
                returns.return_goods(order.id, [returns.ReturnRequest(qty=1, order_line_id=line.id)],
                                     key=f"demo:return:{order.id}", reason="Не подошёл по размеру",
                                     now=moment + timedelta(days=rng.randint(1, 10)))
    for client in chosen:
        bonus_service.settle(client.id, now)
    return placed

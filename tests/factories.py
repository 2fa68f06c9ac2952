"""Test data made through the services, as the portal itself would make it."""
from __future__ import annotations

import itertools

from portal.extensions import db
from portal.models import Client, ClientKind, ClientPhone, Location, User
from portal.services.staff import locations as location_service
from portal.services.staff import staff as staff_service

DEFAULT_PASSWORD = "correct-horse-9"
_seq = itertools.count(1)


def make_location(kind: str = "shop", code: str | None = None, **kwargs) -> Location:
    n = next(_seq)
    data = location_service.LocationInput(code=code or f"{kind[:2].upper()}{n}", name=kwargs.pop("name", f"{kind} {n}"),
                                          kind=kind, **kwargs)
    return location_service.create_location(None, data)


def make_staff(role: str, *, email: str | None = None, name: str | None = None, supervisor: User | None = None,
               shop: Location | None = None, password: str = DEFAULT_PASSWORD, **kwargs) -> User:
    """A staff member of `role`; a manager gets a supervisor and a cashier a shop unless given."""
    n = next(_seq)
    if role == "manager" and supervisor is None:
        supervisor = make_staff("supervisor")
    if role == "cashier" and shop is None:
        shop = make_location("shop")
    data = staff_service.StaffInput(
        email=email or f"{role}{n}@example.com", name=name or f"{role.title()} {n}", role=role,
        supervisor_id=supervisor.id if supervisor else None, shop_id=shop.id if shop else None, **kwargs)
    user, _ = staff_service.create_staff(None, data, password=password)
    return user


def make_client(manager: User | None = None, name: str | None = None, kind: ClientKind = ClientKind.PRIVATE_PERSON,
                phone: str | None = None, **kwargs) -> Client:
    n = next(_seq)
    client = Client(kind=kind, name=name or f"Client {n}", manager_id=manager.id if manager else None, **kwargs)
    client.phones.append(ClientPhone(number=phone or f"+7916{n:07d}"))
    db.session.add(client)
    db.session.commit()
    return client


def make_product(sku: str, price: int, *, stock: dict | None = None, returnable: bool = True,
                 discountable: bool = True, warranty_months: int = 0, name: str | None = None):
    """A product with stock per location: stock={location: qty}."""
    from portal.models import Product, Stock
    product = Product(sku=sku, name=name or f"Product {sku}", price=price, returnable=returnable,
                      discountable=discountable, warranty_months=warranty_months)
    db.session.add(product)
    db.session.flush()
    for location, qty in (stock or {}).items():
        db.session.add(Stock(product_id=product.id, location_id=location.id, quantity=qty))
    db.session.commit()
    return product

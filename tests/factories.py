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
                 discountable: bool = True, warranty_months: int = 0, name: str | None = None,
                 article: str | None = None, unit: str | None = None):
    """A product with stock per location: stock={location: qty}."""
    from portal.models import Product, Stock
    product = Product(sku=sku, name=name or f"Product {sku}", price=price, returnable=returnable,
                      discountable=discountable, warranty_months=warranty_months, article=article, unit=unit)
    db.session.add(product)
    db.session.flush()
    for location, qty in (stock or {}).items():
        db.session.add(Stock(product_id=product.id, location_id=location.id, quantity=qty))
    db.session.commit()
    return product


def make_variants(parent, variants: dict) -> dict:
    """Variants of `parent` as the 1C import makes them: variants={"38": {shop: 2}, ...} or
    {"38": {"stock": {shop: 2}, "price": 4_990_00, "barcode": "2000000000385", "sku": ...}}.

    Each is a product of its own: SKU "<parent SKU>/<label>", name "<parent name> (<label>)", the
    parent's Артикул, unit and price unless given. Returns {label: product}."""
    from portal.models import Barcode, Product, Stock
    made = {}
    for label, spec in variants.items():
        spec = spec if "stock" in spec or not spec else {"stock": spec}
        variant = Product(sku=spec.get("sku", f"{parent.sku}/{label}"), name=f"{parent.name} ({label})",
                          price=spec.get("price", parent.price), article=parent.article, unit=parent.unit,
                          parent_id=parent.id, variant=label, returnable=parent.returnable,
                          discountable=parent.discountable, warranty_months=parent.warranty_months)
        db.session.add(variant)
        db.session.flush()
        for location, qty in spec.get("stock", {}).items():
            db.session.add(Stock(product_id=variant.id, location_id=location.id, quantity=qty))
        if spec.get("barcode"):
            db.session.add(Barcode(product_id=variant.id, code=spec["barcode"]))
        made[label] = variant
    db.session.commit()
    return made


BOOTS, BOOTS_BLACK, SWEATER = "Женские ботфорты коричневые", "Женские ботфорты чёрные", "Свитер вязаный"


def make_variant_catalogue(location, *, elsewhere=None) -> dict:
    """The catalogue's real shape after a 1C import with characteristics, stocked at `location`
    (and a little at `elsewhere`):

    * «Женские ботфорты коричневые», Артикул БТ-2231, sold by pairs in sizes 37–40 (39 is out of
      stock; size 38 has the barcode 2000000000385), 5 990.00 each, 40 at 6 490.00;
    * «Женские ботфорты чёрные», SKU БТ-2231-2, sharing the Артикул, sold as it is;
    * a sweater СВ-300 in "S, серый" and "M, серый", 2 500.00.
    """
    boots = make_product("БТ-2231", 5_990_00, name=BOOTS, article="БТ-2231", unit="пар")
    sizes = make_variants(boots, {
        "37": {location: 2},
        "38": {"stock": {location: 3, **({elsewhere: 4} if elsewhere else {})}, "barcode": "2000000000385"},
        "39": {location: 0},
        "40": {"stock": {location: 1}, "price": 6_490_00},
    })
    black = make_product("БТ-2231-2", 5_490_00, name=BOOTS_BLACK, article="БТ-2231", unit="пар", stock={location: 2})
    sweater = make_product("СВ-300", 2_500_00, name=SWEATER, article="СВ-300", unit="шт")
    colours = make_variants(sweater, {"S, серый": {location: 5}, "M, серый": {location: 4}})
    return {"boots": boots, "sizes": sizes, "black": black, "sweater": sweater, "colours": colours}

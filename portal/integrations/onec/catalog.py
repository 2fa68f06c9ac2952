"""The catalogue as 1C sends it (CommerceML 2): sections, products, prices and stock by 1C's Ид.

The portal is the receiving end; 1C is the master of the catalogue. The rules:

* A section is found by its 1C Ид; an unknown one is matched to an existing section without a
  1C Ид of the same name under the same parent (so a catalogue first loaded from CSV is adopted,
  not doubled), else created. Its name and parent follow 1C.
* A product is found by its 1C Ид, else by SKU (1C's Артикул, case-insensitively, as the CSV import
  and the till look SKUs up), and then keeps that Ид. A new product needs an Артикул: 1C's Ид is
  not a SKU anybody can type at a till. The name, the section (the first of its Группы) and the
  barcode follow 1C; a product without a Штрихкод keeps its barcodes.
* A product 1C marks deleted (ПометкаУдаления / Статус «Удален») is taken off sale
  (`active = False`); one present in a package is on sale again. A full package (not
  СодержитТолькоИзменения) also takes off sale every product with a 1C Ид that it did not carry
  (`deactivate_missing`); nothing is ever deleted: orders and the ledger refer to products.
* An offer sets the price (minor units, from the configured price type) and *sets* the stock at
  one location (a count, like the CSV import's stock columns), through `stock.set_level`.

Every function works in the caller's transaction; `ItemRefused` names what is wrong with one item.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from portal.extensions import db
from portal.integrations.catalog_csv.parsing import (
    MAX_QUANTITY,
    MAX_SECTION_NAME,
    RowError,
    clean_name,
    clean_sku,
    parse_barcodes,
)
from portal.models import Barcode, Product, Section
from portal.services import audit
from portal.services.sales import stock, vat
from portal.text import squash

MAX_ONEC_ID = 80


class ItemRefused(ValueError):
    """One group, product or offer cannot be applied; the message is the English reason."""


@dataclass
class ProductCard:
    onec_id: str
    sku: str
    name: str
    barcode: str
    group_id: str | None
    deleted: bool = False
    vat: str = ""  # 1C's VAT rate text; "" leaves the product's rate as it is


def _clean_id(onec_id: str) -> str:
    onec_id = (onec_id or "").strip()
    if not onec_id:
        raise ItemRefused("Ид is empty")
    if len(onec_id) > MAX_ONEC_ID:
        raise ItemRefused(f"Ид is longer than {MAX_ONEC_ID} characters")
    return onec_id


def section_for(onec_id: str) -> int | None:
    return db.session.scalar(sa.select(Section.id).where(Section.onec_id == onec_id))


def upsert_section(onec_id: str, name: str, parent_onec_id: str | None) -> int:
    """Create or update the section of a 1C group (its parent must have been applied first)."""
    onec_id = _clean_id(onec_id)
    name = squash(name)
    if not name:
        raise ItemRefused(f"group {onec_id}: Наименование is empty")
    name = name[:MAX_SECTION_NAME]
    parent_id = section_for(parent_onec_id) if parent_onec_id else None
    section = db.session.scalar(sa.select(Section).where(Section.onec_id == onec_id))
    if section is None:
        same_name = sa.func.lower(Section.name) == name.lower()
        section = db.session.scalar(sa.select(Section).where(
            Section.onec_id.is_(None), same_name,
            Section.parent_id == parent_id if parent_id else Section.parent_id.is_(None)).order_by(Section.id))
        if section is None:
            section = Section(name=name, parent_id=parent_id)
            db.session.add(section)
        section.onec_id = onec_id
    section.name, section.parent_id = name, parent_id
    db.session.flush()
    return section.id


def _find_product(onec_id: str, sku: str) -> Product | None:
    product = db.session.scalar(sa.select(Product).where(Product.onec_id == onec_id))
    if product is not None or not sku:
        return product
    matches = list(db.session.scalars(sa.select(Product).where(sa.func.lower(Product.sku) == sku.lower())
                                      .order_by(Product.id)))
    exact = [p for p in matches if p.sku == sku]
    if exact:
        matches = exact
    if len(matches) > 1:
        raise ItemRefused(f"Артикул {sku} matches several products differing only in case")
    if matches and matches[0].onec_id is not None:
        raise ItemRefused(f"Артикул {sku} belongs to the product with 1C Ид {matches[0].onec_id}")
    return matches[0] if matches else None


def upsert_product(card: ProductCard, seen_at: datetime) -> tuple[int, bool]:
    """Create or update a product from 1C's card; (product id, created)."""
    onec_id = _clean_id(card.onec_id)
    try:
        sku = clean_sku(card.sku) if card.sku.strip() else ""
        name = clean_name(card.name)
        barcodes = parse_barcodes(card.barcode) or []
        vat_rate = vat.parse_rate(card.vat) if card.vat.strip() else None
    except (RowError, vat.VatRateError) as exc:
        raise ItemRefused(f"product {onec_id}: {exc}") from None
    product = _find_product(onec_id, sku)
    created = product is None
    before = None if created else _card_of(product)
    if created:
        if not sku:
            raise ItemRefused(f"product {onec_id} ({name}) has no Артикул: the portal needs it as the SKU")
        product = Product(sku=sku, name=name, price=0, returnable=True, discountable=True, warranty_months=0)
        db.session.add(product)
    elif sku and product.sku != sku:
        if db.session.scalar(sa.select(Product.id).where(sa.func.lower(Product.sku) == sku.lower(),
                                                         Product.id != product.id)):
            raise ItemRefused(f"product {onec_id}: Артикул {sku} belongs to another product")
        product.sku = sku
    product.onec_id = onec_id
    product.name = name
    product.active = not card.deleted
    if vat_rate is not None:
        product.vat_rate = vat_rate
    product.onec_seen_at = seen_at
    if card.group_id:
        section_id = section_for(card.group_id)
        if section_id is None:
            raise ItemRefused(f"product {onec_id}: group {card.group_id} is not in the classifier")
        product.section_id = section_id
    db.session.flush()
    if barcodes:
        _replace_barcodes(product, barcodes, onec_id)
    after = _card_of(product)
    if created:
        audit.record(None, "product_created", product, None, after, source="1c")
    elif before != after:
        changed = [k for k in after if before.get(k) != after.get(k)]
        audit.record(None, "product_updated", product, {k: before[k] for k in changed},
                     {k: after[k] for k in changed}, source="1c")
    return product.id, created


def _card_of(product: Product) -> dict:
    """What a 1C card sets on a product, as plain values for the audit trail (not the sighting time)."""
    return {"sku": product.sku, "name": product.name, "active": product.active, "section_id": product.section_id,
            "onec_id": product.onec_id, "price": product.price, "vat_rate": product.vat_rate}


def _replace_barcodes(product: Product, codes: list[str], onec_id: str) -> None:
    taken = db.session.execute(sa.select(Barcode.code, Product.sku).join(Product, Product.id == Barcode.product_id)
                               .where(Barcode.code.in_(codes), Barcode.product_id != product.id)).all()
    if taken:
        raise ItemRefused(f"product {onec_id}: " + "; ".join(f"barcode {code} already belongs to SKU {sku}"
                                                            for code, sku in taken))
    have = {b.code: b for b in product.barcodes}
    for code, barcode in have.items():
        if code not in codes:
            product.barcodes.remove(barcode)
    for code in codes:
        if code not in have:
            product.barcodes.append(Barcode(code=code))
    db.session.flush()


def product_for_offer(onec_id: str) -> int | None:
    return db.session.scalar(sa.select(Product.id).where(Product.onec_id == onec_id))


def apply_offer(product_id: int, price: int | None, quantity: int | None, location_id: int | None) -> None:
    """Set the price (minor units) and/or the stock count at the location; None leaves it as it is."""
    if price is not None:
        if price < 0:
            raise ItemRefused("the price is negative")
        old = db.session.scalar(sa.select(Product.price).where(Product.id == product_id))
        if old != price:
            db.session.execute(sa.update(Product).where(Product.id == product_id).values(price=price))
            audit.record_id(None, "product_price_changed", Product.__tablename__, product_id,
                            {"price": old}, {"price": price}, source="1c")
    if quantity is not None and location_id is not None:
        if not 0 <= quantity <= MAX_QUANTITY:
            raise ItemRefused(f"the quantity {quantity} is out of range")
        stock.set_level(product_id, location_id, quantity)


def deactivate_missing(started_at: datetime) -> int:
    """After a full package: products with a 1C Ид it did not carry go off sale. Returns how many."""
    condition = (Product.onec_id.is_not(None), Product.active.is_(True),
                 sa.or_(Product.onec_seen_at.is_(None), Product.onec_seen_at < started_at))
    missing = db.session.scalars(sa.select(Product.id).where(*condition).with_for_update()).all()
    if not missing:
        return 0
    db.session.execute(sa.update(Product).where(*condition).values(active=False))
    for product_id in missing:
        audit.record_id(None, "product_updated", Product.__tablename__, product_id, {"active": True},
                        {"active": False}, source="1c")
    return len(missing)

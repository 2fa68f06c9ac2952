"""The catalogue as 1C sends it (CommerceML 2): sections, products, variants, prices and stock by 1C's Ид.

The portal is the receiving end; 1C is the master of the catalogue. The rules:

* A section is found by its 1C Ид; an unknown one is matched to an existing section without a
  1C Ид of the same name under the same parent (so a catalogue first loaded from CSV is adopted,
  not doubled), else created. Its name and parent follow 1C.
* A product is found by its 1C Ид, else (a catalogue first loaded from CSV) by a SKU equal to its
  Артикул on a product without a 1C Ид, and then keeps that Ид. Its SKU follows
  integrations/onec/identity.py: nothing is refused for a missing or shared Артикул. The name, the
  section (the first of its Группы), the unit, the VAT rate and the barcode follow 1C; a product
  without a Штрихкод keeps its barcodes.
* A characteristic offer (Ид "product#characteristic") is a variant: a product of its own under
  its parent, made when its offer first comes, named as the offer names it, with the parent's
  section, unit, VAT rate and Артикул (integrations/onec/offers.py, which applies offers a batch
  at a time). A card's change of those reaches its variants.
* A product 1C marks deleted (ПометкаУдаления / Статус «Удален») is taken off sale with its
  variants (`active = False`); one present in a package is on sale again. A full catalogue
  takes off sale every product with a 1C Ид it did not carry, a full offers package every variant
  it did not carry (`deactivate_missing`); nothing is ever deleted: orders and the ledger refer
  to products.
* An offer sets the price (minor units, from the configured price type) and *sets* the stock at
  each location (a count, like the CSV import's stock columns): integrations/onec/offers.py.

Every function works in the caller's transaction; `ItemRefused` names what is wrong with one item.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from portal.extensions import db
from portal.integrations.catalog_csv.parsing import MAX_SECTION_NAME, RowError, clean_name, parse_barcodes
from portal.integrations.onec import identity
from portal.integrations.onec.refusals import ItemRefused
from portal.models import Barcode, Product, Section
from portal.services import audit
from portal.services.sales import vat
from portal.text import squash

MAX_ONEC_ID = 80
# What a card sets on a product and hands down to its variants.
_INHERITED = ("section_id", "vat_rate", "unit", "article")


@dataclass
class ProductCard:
    onec_id: str
    sku: str  # 1C's Артикул as written
    name: str
    barcode: str
    group_id: str | None
    deleted: bool = False
    vat: str = ""  # 1C's VAT rate text; "" leaves the product's rate as it is
    unit: str = ""
    code: str = ""  # 1C's Код, the SKU of a product without Артикул when given


def _clean_id(onec_id: str) -> str:
    onec_id = (onec_id or "").strip()
    if not onec_id:
        raise ItemRefused("empty_id")
    if len(onec_id) > MAX_ONEC_ID:
        raise ItemRefused("long_id", id=onec_id[:MAX_ONEC_ID] + "…", limit=MAX_ONEC_ID)
    return onec_id


def section_for(onec_id: str) -> int | None:
    return db.session.scalar(sa.select(Section.id).where(Section.onec_id == onec_id))


def upsert_section(onec_id: str, name: str, parent_onec_id: str | None) -> int:
    """Create or update the section of a 1C group (its parent must have been applied first)."""
    onec_id = _clean_id(onec_id)
    name = squash(name)
    if not name:
        raise ItemRefused("group_unnamed", id=onec_id)
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


def _find_product(onec_id: str, article: str) -> Product | None:
    product = db.session.scalar(sa.select(Product).where(Product.onec_id == onec_id))
    if product is not None or not article:
        return product
    # A catalogue first loaded from a file: the product of that SKU, if 1C has not claimed it.
    return db.session.scalar(sa.select(Product).where(sa.func.lower(Product.sku) == article.lower(),
                                                      Product.onec_id.is_(None), Product.parent_id.is_(None))
                             .order_by(Product.sku != article, Product.id).limit(1))


def upsert_product(card: ProductCard, seen_at: datetime) -> tuple[int, bool]:
    """Create or update a product from 1C's card; (product id, created)."""
    onec_id = _clean_id(card.onec_id)
    article = identity.clean_article(card.sku)
    try:
        name = clean_name(card.name)
        barcodes = parse_barcodes(card.barcode) or []
    except RowError as exc:
        raise ItemRefused("bad_card", id=onec_id, name=squash(card.name), reason=str(exc)) from None
    try:
        vat_rate = vat.parse_rate(card.vat) if card.vat.strip() else None
    except vat.VatRateError:
        raise ItemRefused("bad_vat", id=onec_id, name=name, rate=card.vat) from None
    product = _find_product(onec_id, article)
    created = product is None
    before = None if created else _card_of(product)
    if created:
        product = Product(sku=identity.product_sku(article, card.code, onec_id), name=name, price=0,
                          returnable=True, discountable=True, warranty_months=0)
        db.session.add(product)
    elif product.onec_id is None and article and product.sku.lower() == article.lower():
        pass  # adopted from a file: its SKU is the Артикул already
    elif product.article != (article or None) or product.parent_id is not None:
        product.sku = identity.product_sku(article, card.code, onec_id, product.id)
    product.onec_id, product.parent_id, product.variant = onec_id, None, None
    product.name, product.article = name, article or None
    product.active = not card.deleted
    if vat_rate is not None:
        product.vat_rate = vat_rate
    if card.unit.strip():
        product.unit = squash(card.unit)[:20]
    product.onec_seen_at = seen_at
    if card.group_id:
        section_id = section_for(card.group_id)
        if section_id is None:
            raise ItemRefused("unknown_group", id=onec_id, name=name, group=card.group_id)
        product.section_id = section_id
    db.session.flush()
    if barcodes:
        _replace_barcodes(product, barcodes, f"{onec_id} «{name}»")
    after = _card_of(product)
    if created:
        audit.record(None, "product_created", product, None, after, source="1c")
    elif before != after:
        changed = [k for k in after if before.get(k) != after.get(k)]
        audit.record(None, "product_updated", product, {k: before[k] for k in changed},
                     {k: after[k] for k in changed}, source="1c")
        _hand_down(product, changed)
    return product.id, created


def _hand_down(parent: Product, changed: list[str]) -> None:
    """What changed on a card that its variants share: section, VAT rate, unit, Артикул, off sale."""
    values = {k: getattr(parent, k) for k in _INHERITED if k in changed}
    if "active" in changed and not parent.active:
        values["active"] = False
    if values:
        db.session.execute(sa.update(Product).where(Product.parent_id == parent.id).values(**values))


def _card_of(product: Product) -> dict:
    """What a 1C card sets on a product, as plain values for the audit trail (not the sighting time)."""
    return {"sku": product.sku, "name": product.name, "active": product.active, "section_id": product.section_id,
            "onec_id": product.onec_id, "price": product.price, "vat_rate": product.vat_rate,
            "unit": product.unit, "article": product.article}


def _replace_barcodes(product: Product, codes: list[str], what: str) -> None:
    taken = db.session.execute(sa.select(Barcode.code, Product.sku).join(Product, Product.id == Barcode.product_id)
                               .where(Barcode.code.in_(codes), Barcode.product_id != product.id)).first()
    if taken:
        raise ItemRefused("barcode_taken", what=what, barcode=taken[0], sku=taken[1])
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


def deactivate_missing(started_at: datetime, variants: bool) -> int:
    """After a full package: what it should have carried and did not goes off sale — products
    with a 1C Ид (and their variants) after a catalogue, variants after an offers package."""
    kind = Product.parent_id.is_not(None) if variants else Product.parent_id.is_(None)
    condition = (Product.onec_id.is_not(None), Product.active.is_(True), kind,
                 sa.or_(Product.onec_seen_at.is_(None), Product.onec_seen_at < started_at))
    missing = list(db.session.scalars(sa.select(Product.id).where(*condition).with_for_update()))
    if not variants and missing:
        missing += db.session.scalars(sa.select(Product.id).where(Product.parent_id.in_(missing),
                                                                  Product.active.is_(True)))
    if not missing:
        return 0
    db.session.execute(sa.update(Product).where(Product.id.in_(missing)).values(active=False))
    for product_id in missing:
        audit.record_id(None, "product_updated", Product.__tablename__, product_id, {"active": True},
                        {"active": False}, source="1c")
    return len(missing)

"""The catalogue as the cabinets read it: search, stock, analogues, and variants under their product.

A product with active variants (sizes, colours: 1C's characteristics) is sold only as one of them,
so search answers with `ProductChoice`s: a product once, with its variants and their stock.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from portal.errors import DomainError
from portal.extensions import db
from portal.models import Barcode, Location, Product, Stock
from portal.services.sales import search_words
from portal.services.sales import stock as stock_service

SEARCH_ROWS_PER_RESULT = 6  # a product with sizes matches as several rows: read more rows than results


@dataclass
class ProductChoice:
    """A product as a person picks it: sold as it is, or (with `variants`) only as one of them.

    `stock` is the product's own units at the location asked about (0 without one); `variants` are
    its active variants with their units there, in 1C's order."""

    product: Product
    stock: int = 0
    variants: list[tuple[Product, int]] = field(default_factory=list)

    @property
    def sold_by_variants(self) -> bool:
        return bool(self.variants)

    @property
    def units_here(self) -> int:
        """What can be sold at the location: the product's units, or its variants' together."""
        return sum(qty for _, qty in self.variants) if self.variants else self.stock

    @property
    def product_ids(self) -> list[int]:
        return [self.product.id, *(variant.id for variant, _ in self.variants)]


class ChooseVariant(DomainError):
    """A product with active variants was asked for itself; `choices` offer its variants."""

    code = "variant_required"

    def __init__(self, message, choices: list[ProductChoice]):
        super().__init__(message)
        self.choices = choices


def has_active_variants(product_id: int) -> bool:
    return bool(db.session.scalar(db.select(db.exists().where(Product.parent_id == product_id,
                                                              Product.active.is_(True)))))


def variant_problem(product: Product) -> str | None:
    """Why `product` cannot be a line of a sale or an order (it is sold by its variants), or None."""
    if has_active_variants(product.id):
        return _l("Choose a size or variant of %(name)s: it is sold only as one of them.", name=product.name)
    return None


def refuse_product_with_variants(product: Product, location_id: int | None) -> None:
    """Raise ChooseVariant, with the product's variants to choose from, when it is sold by them."""
    if problem := variant_problem(product):
        raise ChooseVariant(problem, group([product], location_id))


def group(products: Iterable[Product], location_id: int | None, *, lift_variants: bool = True,
          limit: int | None = None) -> list[ProductChoice]:
    """Products as choices, in the order given: a product with active variants once, with them and
    their stock at `location_id`. With `lift_variants` a variant stands for its (active) product, as
    when a search matched it by name; without, a variant is a choice of its own (its barcode was
    scanned)."""
    heads: list[Product] = []
    seen: set[int] = set()
    for product in products:
        head = product
        if lift_variants and product.parent is not None and product.parent.active:
            head = product.parent
        if head.id not in seen:
            seen.add(head.id)
            heads.append(head)
    heads = heads[:limit] if limit is not None else heads
    if not heads:
        return []
    grouped: dict[int, list[Product]] = {head.id: [] for head in heads}
    parent_ids = [head.id for head in heads if head.parent_id is None]
    if parent_ids:
        for variant in db.session.scalars(db.select(Product).where(
                Product.parent_id.in_(parent_ids), Product.active.is_(True)).order_by(Product.id)):
            grouped[variant.parent_id].append(variant)
    ids = [pid for head in heads for pid in (head.id, *(v.id for v in grouped[head.id]))]
    here = stock_service.at_location(ids, location_id)
    return [ProductChoice(head, here.get(head.id, 0), [(v, here.get(v.id, 0)) for v in grouped[head.id]])
            for head in heads]


def location_stock_overview(location_id: int, low_threshold: int = 3, limit: int = 12) -> dict:
    """Products in stock, units, running-low products and products out of stock at a location.

    A product sold by its variants is counted by them (each size in or out of stock), not itself."""
    in_stock, units = db.session.execute(
        db.select(db.func.count(Stock.id), db.func.coalesce(db.func.sum(Stock.quantity), 0))
        .where(Stock.location_id == location_id, Stock.quantity > 0)).one()
    variant = db.aliased(Product)
    active_products = db.session.scalar(db.select(db.func.count(Product.id)).where(
        Product.active.is_(True),
        ~db.exists().where(variant.parent_id == Product.id, variant.active.is_(True)))) or 0
    low = db.session.execute(
        db.select(Product, Stock.quantity).join(Stock, Stock.product_id == Product.id)
        .where(Stock.location_id == location_id, Stock.quantity > 0, Stock.quantity <= low_threshold)
        .order_by(Stock.quantity, Product.sku).limit(limit)).all()
    return {
        "products_in_stock": int(in_stock),
        "units": int(units),
        "out_of_stock": int(active_products) - int(in_stock),
        "running_low": low,
        "low_threshold": low_threshold,
    }


def stock_by_location(product_ids: list[int]) -> dict[int, list[tuple[Location, int]]]:
    """Every active location's stock of each product (zeros left out), shops and warehouses by name."""
    result: dict[int, list[tuple[Location, int]]] = {pid: [] for pid in product_ids}
    if not product_ids:
        return result
    rows = db.session.execute(
        db.select(Stock.product_id, Location, Stock.quantity).join(Location, Location.id == Stock.location_id)
        .where(Stock.product_id.in_(product_ids), Stock.quantity > 0, Location.active.is_(True))
        .order_by(Location.name)).all()
    for pid, location, qty in rows:
        result[pid].append((location, int(qty)))
    return result


def _like_escaped(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def holding_words(query_words: list[str]) -> list:
    """Conditions: the product's name, SKU or Артикул holds each of the (folded) words."""
    return [Product.search_text.like(f"%{_like_escaped(word)}%", escape="\\") for word in query_words]


def _matching(query_words: list[str], raw: str, limit: int) -> list[Product]:
    haystack = Product.search_text
    first = query_words[0]
    sku = db.func.lower(Product.sku)
    article = db.func.coalesce(db.func.lower(Product.article), "")
    return list(db.session.scalars(
        db.select(Product).where(Product.active.is_(True), *holding_words(query_words))
        .order_by(sku != raw.lower(), article != raw.lower(), ~sku.startswith(first, autoescape=True),
                  ~haystack.startswith(first, autoescape=True), Product.name, Product.id)
        .limit(limit * SEARCH_ROWS_PER_RESULT)))


def _by_barcode(raw: str) -> list[Product]:
    return list(db.session.scalars(db.select(Product).join(Barcode).where(Barcode.code == raw,
                                                                          Product.active.is_(True))))


def find_products(query: str, location_id: int | None = None, limit: int = 10) -> list[ProductChoice]:
    """Active products whose name, SKU or Артикул hold every word of the query, in any order and
    any case (ё as е), or whose barcode is the query, as choices with their stock at `location_id`.

    Ranked: the exact SKU, the exact Артикул, SKUs starting with the first word, names starting
    with it, then by name. Words typed in the wrong keyboard layout are tried in the other one when
    they find nothing (search_words.py). A variant found comes under its product, with its siblings.
    """
    raw = (query or "").strip()[:search_words.MAX_LENGTH]
    query_words = search_words.words(raw)
    if len("".join(query_words)) < 2:
        return []
    # Apart, not OR-ed into the words' query, which would keep PostgreSQL from the trigram index.
    found = _by_barcode(raw) if len(query_words) == 1 else []
    found += _matching(query_words, raw, limit)
    if not found and (turned := search_words.other_layout(query_words)):
        found = _matching(turned, raw, limit)
    return group(found, location_id, limit=limit)


def find_by_code(code: str, location_id: int | None = None) -> list[ProductChoice]:
    """What a scanned barcode or a typed SKU or Артикул names (any case), as choices.

    A barcode or a variant's SKU picks that product or variant. Otherwise the product with that SKU
    and every product sharing it as Артикул come as choices, each with its variants."""
    code = (code or "").strip()
    if not code or len(code) > 64:
        return []
    scanned = db.session.scalar(db.select(Product).join(Barcode).where(Barcode.code == code))
    if scanned is not None:
        return group([scanned], location_id, lift_variants=False) if scanned.active else []
    text = code.lower()
    named = list(db.session.scalars(db.select(Product).where(
        Product.active.is_(True), db.or_(db.func.lower(Product.sku) == text, db.func.lower(Product.article) == text))
        .order_by(db.func.lower(Product.sku) != text, Product.name, Product.id)))
    if named and named[0].sku.lower() == text and named[0].parent_id is not None:
        return group(named[:1], location_id, lift_variants=False)  # a variant's own SKU
    return group(named, location_id)


def analogues_in_stock(product: Product, location_id: int) -> list[tuple[Product, int]]:
    """The product's analogues with their stock at the location, those in stock first."""
    ids = [a.id for a in product.analogues if a.active]
    if not ids:
        return []
    here = dict(db.session.execute(db.select(Stock.product_id, Stock.quantity).where(
        Stock.product_id.in_(ids), Stock.location_id == location_id)).all())
    found = [(a, int(here.get(a.id, 0))) for a in product.analogues if a.active]
    return sorted(found, key=lambda pair: (pair[1] == 0, pair[0].name))

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

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from portal import bulk
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


@dataclass
class CardsResult:
    ids: dict[str, int] = field(default_factory=dict)  # 1C Ид -> product id of each card taken
    created: int = 0
    updated: int = 0
    refused: list[ItemRefused] = field(default_factory=list)


_CARD_COLUMNS = ("sku", "name", "active", "section_id", "onec_id", "price", "vat_rate", "unit", "article")


@dataclass
class _Plan:
    card: ProductCard
    onec_id: str
    article: str
    name: str
    barcodes: list[str]
    vat_rate: str | None
    section_id: int | None


def _plan(card: ProductCard, sections: dict[str, int]) -> _Plan:
    onec_id = _clean_id(card.onec_id)
    try:
        name = clean_name(card.name)
        barcodes = parse_barcodes(card.barcode) or []
    except RowError as exc:
        raise ItemRefused("bad_card", id=onec_id, name=squash(card.name), reason=str(exc)) from None
    try:
        vat_rate = vat.parse_rate(card.vat) if card.vat.strip() else None
    except vat.VatRateError:
        raise ItemRefused("bad_vat", id=onec_id, name=name, rate=card.vat) from None
    section_id = None
    if card.group_id:
        section_id = sections.get(card.group_id)
        if section_id is None:
            raise ItemRefused("unknown_group", id=onec_id, name=name, group=card.group_id)
    return _Plan(card, onec_id, identity.clean_article(card.sku), name, barcodes, vat_rate, section_id)


def upsert_products(cards: list[ProductCard], seen_at: datetime) -> CardsResult:
    """Create or update the products of many 1C cards with a handful of statements; a card that
    cannot be taken is decided before anything is written and comes back refused."""
    result = CardsResult()
    groups = {c.group_id for c in cards if c.group_id}
    sections = dict(db.session.execute(sa.select(Section.onec_id, Section.id).where(Section.onec_id.in_(groups))).all())
    plans: list[_Plan] = []
    seen_ids: set[str] = set()
    for card in cards:
        try:
            plan = _plan(card, sections)
        except ItemRefused as refusal:
            result.refused.append(refusal)
            continue
        if plan.onec_id in seen_ids:
            result.refused.append(ItemRefused("bad_card", id=plan.onec_id, name=plan.name,
                                              reason="the same Ид comes twice in the package"))
            continue
        seen_ids.add(plan.onec_id)
        plans.append(plan)
    columns = [getattr(Product, c) for c in ("id", "parent_id", *_CARD_COLUMNS)]
    found = {r.onec_id: r for r in db.session.execute(sa.select(*columns).where(Product.onec_id.in_(seen_ids)))}
    # A catalogue first loaded from a file: the product of the Артикул's SKU, if 1C has not claimed it.
    articles = {p.article.lower() for p in plans if p.onec_id not in found and p.article}
    adoptable: dict[str, object] = {}
    for row in db.session.execute(sa.select(*columns).where(sa.func.lower(Product.sku).in_(articles),
                                                            Product.onec_id.is_(None), Product.parent_id.is_(None))
                                  .order_by(Product.id)):
        adoptable.setdefault(row.sku.lower(), row)

    barcodes_wanted = {code: p.onec_id for p in plans for code in p.barcodes}
    new_rows, changes, refused_ids = [], [], set()
    for plan in plans:
        row = found.get(plan.onec_id)
        if row is None and plan.article:
            row = adoptable.pop(plan.article.lower(), None)
        values = {"name": plan.name, "article": plan.article or None, "active": not plan.card.deleted,
                  "onec_id": plan.onec_id, "parent_id": None, "variant": None, "onec_seen_at": seen_at}
        if plan.vat_rate is not None:
            values["vat_rate"] = plan.vat_rate
        if plan.card.unit.strip():
            values["unit"] = squash(plan.card.unit)[:20]
        if plan.section_id is not None:
            values["section_id"] = plan.section_id
        if row is None:
            new_rows.append({"sku": plan.article or (identity.clean_article(plan.card.code) or
                                                     "1C-" + plan.onec_id[:8]),
                             "price": 0, "returnable": True, "discountable": True, "warranty_months": 0,
                             "vat_rate": None, "unit": None, "section_id": None, **values})
        else:
            changes.append((plan, row, values))
    # Barcodes another product holds refuse their cards, as two cards wanting one barcode do.
    holders = {code: (product_id, sku) for code, product_id, sku in db.session.execute(
        sa.select(Barcode.code, Barcode.product_id, Product.sku).join(Product, Product.id == Barcode.product_id)
        .where(Barcode.code.in_(list(barcodes_wanted))))} if barcodes_wanted else {}
    target = {plan.onec_id: row.id for plan, row, _values in changes}
    first_wanting: dict[str, str] = {}
    for plan in plans:
        for code in plan.barcodes:
            holder = holders.get(code)
            rival = first_wanting.setdefault(code, plan.onec_id)
            if (holder and holder[0] != target.get(plan.onec_id)) or rival != plan.onec_id:
                result.refused.append(ItemRefused("barcode_taken", what=f"{plan.onec_id} «{plan.name}»",
                                                  barcode=code, sku=holder[1] if holder else rival))
                refused_ids.add(plan.onec_id)
                break
    if refused_ids:
        plans = [p for p in plans if p.onec_id not in refused_ids]
        new_rows = [r for r in new_rows if r["onec_id"] not in refused_ids]
        changes = [c for c in changes if c[0].onec_id not in refused_ids]

    identity.give_skus(new_rows)
    if new_rows:
        result.ids.update(insert_products(new_rows))
        audit.record_many("product_created", Product.__tablename__, [
            (result.ids[r["onec_id"]], None, {k: r[k] for k in _CARD_COLUMNS}) for r in new_rows], source="1c")
        result.created = len(new_rows)
    updated, unchanged = [], []
    for plan, row, values in changes:
        result.ids[plan.onec_id] = row.id
        adopted = row.onec_id is None and plan.article and row.sku.lower() == plan.article.lower()
        if not adopted and (row.article != (plan.article or None) or row.parent_id is not None):
            values["sku"] = identity.product_sku(plan.article, plan.card.code, plan.onec_id, row.id)
        before = {k: getattr(row, k) for k in _CARD_COLUMNS}
        after = {**before, **{k: v for k, v in values.items() if k in _CARD_COLUMNS}}
        moved = [k for k in _CARD_COLUMNS if before[k] != after[k]] + \
            (["parent_id"] if row.parent_id is not None else [])
        if moved:
            db.session.execute(sa.update(Product).where(Product.id == row.id).values(**values))
            changed = [k for k in moved if k in _CARD_COLUMNS]
            updated.append((row.id, {k: before[k] for k in changed}, {k: after[k] for k in changed}))
            _hand_down(row.id, after, changed)
        else:
            unchanged.append({"product_id": row.id})
    if unchanged:  # carried again as it was: only when 1C last carried it
        table = Product.__table__
        db.session.execute(sa.update(table).where(table.c.id == sa.bindparam("product_id"))
                           .values(onec_seen_at=seen_at), unchanged)
    audit.record_many("product_updated", Product.__tablename__, updated, source="1c")
    result.updated = len(changes)
    _set_barcodes({result.ids[p.onec_id]: p.barcodes for p in plans if p.barcodes})
    return result


def insert_products(rows: list[dict]) -> dict[str, int]:
    """Insert new products (each with its 1C Ид) in one executemany and read their ids back by
    that Ид: a multi-row INSERT … RETURNING of hundreds of rows costs PostgreSQL's driver more to
    prepare than the rows cost to write."""
    bulk.insert(Product.__table__, rows)
    return dict(db.session.execute(sa.select(Product.onec_id, Product.id).where(
        Product.onec_id.in_([r["onec_id"] for r in rows]))).all())


def upsert_product(card: ProductCard, seen_at: datetime) -> tuple[int, bool]:
    """Create or update one product from 1C's card; (product id, created). ItemRefused if it cannot."""
    result = upsert_products([card], seen_at)
    if result.refused:
        raise result.refused[0]
    return next(iter(result.ids.values())), result.created == 1


def _set_barcodes(wanted: dict[int, list[str]]) -> None:
    """Each product's barcodes become exactly those 1C gives (products 1C gives none keep theirs)."""
    if not wanted:
        return
    have: dict[int, set[str]] = {}
    for product_id, code in db.session.execute(sa.select(Barcode.product_id, Barcode.code)
                                               .where(Barcode.product_id.in_(list(wanted)))):
        have.setdefault(product_id, set()).add(code)
    gone = [{"p": pid, "c": code} for pid, codes in wanted.items() for code in have.get(pid, set()) - set(codes)]
    new = [{"product_id": pid, "code": code} for pid, codes in wanted.items() for code in codes
           if code not in have.get(pid, set())]
    table = Barcode.__table__
    if gone:
        db.session.execute(sa.delete(table).where(table.c.product_id == sa.bindparam("p"),
                                                  table.c.code == sa.bindparam("c")), gone)
    if new:
        bulk.insert(table, new)


def _hand_down(parent_id: int, card: dict, changed: list[str]) -> None:
    """What changed on a card that its variants share: section, VAT rate, unit, Артикул, off sale."""
    values = {k: card[k] for k in _INHERITED if k in changed}
    if "active" in changed and not card["active"]:
        values["active"] = False
    if values:
        db.session.execute(sa.update(Product).where(Product.parent_id == parent_id).values(**values))


def product_for_offer(onec_id: str) -> int | None:
    return db.session.scalar(sa.select(Product.id).where(Product.onec_id == onec_id))


def deactivate_missing(started_at: datetime, variants: bool) -> int:
    """After a full package: what it should have carried and did not goes off sale — products
    with a 1C Ид (and their variants) after a catalogue, variants after an offers package. Set-based:
    a package that drops tens of thousands of products is a few statements, not a list of ids."""
    kind = Product.parent_id.is_not(None) if variants else Product.parent_id.is_(None)
    condition = sa.and_(Product.onec_id.is_not(None), Product.active.is_(True), kind,
                        sa.or_(Product.onec_seen_at.is_(None), Product.onec_seen_at < started_at))
    missing = list(db.session.scalars(sa.select(Product.id).where(condition)))
    if not variants and missing:
        parents = sa.select(Product.id).where(condition).scalar_subquery()
        children = sa.and_(Product.parent_id.in_(parents), Product.active.is_(True))
        missing += db.session.scalars(sa.select(Product.id).where(children))
        db.session.execute(sa.update(Product).where(children).values(active=False)
                           .execution_options(synchronize_session=False))
    if not missing:
        return 0
    db.session.execute(sa.update(Product).where(condition).values(active=False)
                       .execution_options(synchronize_session=False))
    audit.record_many("product_updated", Product.__tablename__,
                      [(product_id, {"active": True}, {"active": False}) for product_id in missing], source="1c")
    return len(missing)

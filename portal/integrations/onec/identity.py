"""The SKU a product from 1C gets (issue 15: nothing is refused for a missing or shared Артикул).

* A product is known by its 1C Ид; its Артикул (trimmed) is kept in `products.article`, and
  search by it finds every product that shares it.
* The SKU is the Артикул when no other product has it (case-insensitively, as SKUs are looked
  up); else the Артикул with the first free suffix "-2", "-3" … (the product that came first
  keeps the plain Артикул).
* Without an Артикул: 1C's Код when the export writes one, else "1C-" and the first eight
  characters of the Ид, suffixed the same way if taken.
* A variant (a characteristic offer): its parent's SKU, "/" and what tells the variant apart
  with spaces dropped and commas made dashes ("БТ-2231/38", "СВ-300/M-серый").
* A SKU, once given, stays while the Артикул it came from is unchanged, so what cashiers have
  learnt or printed keeps working.
"""
from __future__ import annotations

import re

import sqlalchemy as sa

from portal.extensions import db
from portal.integrations.catalog_csv.parsing import MAX_SKU
from portal.models import Product

_SPACES = re.compile(r"\s+")


def clean_article(text: str) -> str:
    return _SPACES.sub(" ", (text or "").replace("\xa0", " ")).strip()[:MAX_SKU]


def taken(sku: str, product_id: int | None = None) -> bool:
    """Whether a product other than `product_id` has this SKU (any case)."""
    query = sa.select(Product.id).where(sa.func.lower(Product.sku) == sku.lower())
    if product_id is not None:
        query = query.where(Product.id != product_id)
    return db.session.scalar(query.limit(1)) is not None


def free_sku(base: str, product_id: int | None = None) -> str:
    """`base`, or `base-N` with the smallest N ≥ 2 no other product has."""
    base = base[:MAX_SKU]
    if not taken(base, product_id):
        return base
    n = 2
    while True:
        suffix = f"-{n}"
        candidate = base[:MAX_SKU - len(suffix)] + suffix
        if not taken(candidate, product_id):
            return candidate
        n += 1


def product_sku(article: str, code: str, onec_id: str, product_id: int | None = None) -> str:
    if article:
        return free_sku(article, product_id)
    code = clean_article(code)
    return free_sku(code if code else "1C-" + onec_id[:8], product_id)


def variant_label(name: str, parent_name: str, characteristics: list[str]) -> str:
    """What tells a variant apart: its characteristics' values ("M, серый"), else the last
    parenthesised part of its name («Ботфорты коричневые (38)» → "38"), else what its name adds to
    the parent's, else its whole name."""
    if characteristics:
        return ", ".join(_SPACES.sub(" ", c).strip() for c in characteristics)[:120]
    name = _SPACES.sub(" ", name).strip()
    found = re.search(r"\(([^()]+)\)\s*$", name)
    if found:
        return found.group(1).strip()[:120]
    if parent_name and name.lower().startswith(parent_name.lower()) and name[len(parent_name):].strip(" ,-"):
        return name[len(parent_name):].strip(" ,-")[:120]
    return name[:120]


def variant_tail(label: str) -> str:
    return _SPACES.sub("", label.replace(", ", "-").replace(",", "-"))


def variant_sku(parent_sku: str, label: str, product_id: int | None = None) -> str:
    return free_sku(f"{parent_sku}/{variant_tail(label)}", product_id)


def give_skus(rows: list[dict]) -> None:
    """Each new row's "sku" (its wished-for SKU) made unique against the catalogue and the rows
    before it, the same way `free_sku` does one: the wish, else the wish with "-2", "-3" …"""
    if not rows:
        return
    wanted = {r["sku"].lower() for r in rows}
    used = {s.lower() for s in db.session.scalars(sa.select(Product.sku).where(sa.func.lower(Product.sku).in_(wanted)))}
    for row in rows:
        base = row["sku"] = row["sku"][:MAX_SKU]
        n = 2
        while row["sku"].lower() in used or (row["sku"] != base and taken(row["sku"])):
            suffix = f"-{n}"
            row["sku"] = base[:MAX_SKU - len(suffix)] + suffix
            n += 1
        used.add(row["sku"].lower())

"""The catalogue: sections, products, barcodes, analogues, and stock per location."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.locations import Location
from portal.models.types import UTCDateTime

product_analogues = sa.Table(
    "product_analogues",
    db.metadata,
    sa.Column("product_id", sa.ForeignKey("products.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("analogue_id", sa.ForeignKey("products.id", ondelete="CASCADE"), primary_key=True),
)


class Section(db.Model):
    __tablename__ = "sections"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sections.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    # 1C's Ид of the group (Классификатор/Группы), when the section came from the 1C exchange.
    onec_id: Mapped[str | None] = mapped_column(sa.String(80), unique=True)

    parent: Mapped[Section | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Section]] = relationship(back_populates="parent", order_by="Section.name")

    @property
    def path(self) -> str:
        names, node = [], self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return " / ".join(reversed(names))


# lower() is PostgreSQL's (Unicode with the database's C.UTF-8 or any UTF-8 ctype) and, on SQLite,
# Python's str.lower registered over the built-in one (extensions.configure_sqlite).
SEARCH_TEXT = "replace(lower(name || ' ' || sku || ' ' || coalesce(article, '')), 'ё', 'е')"


class Product(db.Model):
    __tablename__ = "products"
    __table_args__ = (
        sa.CheckConstraint("price >= 0", name="price_non_negative"),
        sa.CheckConstraint("warranty_months >= 0", name="warranty_non_negative"),
        # SKUs are looked up case-insensitively (the till, the catalogue file, 1C's Артикул).
        sa.Index("ix_products_sku_lower", sa.func.lower(sa.text("sku"))),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(300), index=True)
    section_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sections.id"), index=True)
    # Price in minor units of the portal currency.
    price: Mapped[int] = mapped_column(sa.BigInteger)
    returnable: Mapped[bool] = mapped_column(default=True)
    discountable: Mapped[bool] = mapped_column(default=True)
    warranty_months: Mapped[int] = mapped_column(default=0)
    # The VAT rate code ("20", "10", "0", "none": services/sales/vat.py); None: the company's rate.
    vat_rate: Mapped[str | None] = mapped_column(sa.String(8))
    active: Mapped[bool] = mapped_column(default=True)
    # 1C's Ид of the product ("product#characteristic" for a variant) and when a 1C catalogue last
    # carried it. The SKU is 1C's Артикул when that is unique, else derived from it
    # (integrations/onec/identity.py); the Артикул itself is kept to be searched by.
    onec_id: Mapped[str | None] = mapped_column(sa.String(80), unique=True)
    onec_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    article: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    # A variant (a 1C characteristic: a size, a colour) is a product of its own (SKU, price, stock,
    # barcode) under its parent; `variant` is what tells it from its siblings ("38", "M, серый").
    # A product with variants is sold only as one of them.
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("products.id"), index=True)
    variant: Mapped[str | None] = mapped_column(sa.String(120))
    # The unit it is sold by as 1C names it (БазоваяЕдиница: "шт", "пар", "кг", "м"); None: pieces.
    unit: Mapped[str | None] = mapped_column(sa.String(20))
    # What product search reads (services/sales/catalog.py find_products): name, SKU and Артикул in
    # lower case, ё as е. Kept by the database itself on every write (a generated column), so the
    # 1C import's COPY and every form keep it without knowing of it.
    search_text: Mapped[str] = mapped_column(sa.Text, sa.Computed(SEARCH_TEXT, persisted=True))

    section: Mapped[Section | None] = relationship()
    barcodes: Mapped[list[Barcode]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="Barcode.id")
    analogues: Mapped[list[Product]] = relationship(
        secondary=product_analogues,
        primaryjoin=lambda: Product.id == product_analogues.c.product_id,
        secondaryjoin=lambda: Product.id == product_analogues.c.analogue_id,
        order_by=lambda: Product.sku)
    stock: Mapped[list[Stock]] = relationship(back_populates="product", cascade="all, delete-orphan")
    parent: Mapped[Product | None] = relationship(remote_side=[id], back_populates="variants")
    variants: Mapped[list[Product]] = relationship(back_populates="parent", order_by="Product.id")


class Barcode(db.Model):
    __tablename__ = "barcodes"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    product: Mapped[Product] = relationship(back_populates="barcodes")


class Stock(db.Model):
    """How many units of a product lie at a location. Only the services change it."""

    __tablename__ = "stock"
    __table_args__ = (
        sa.UniqueConstraint("product_id", "location_id", name="uq_stock_product_location"),
        sa.CheckConstraint("quantity >= 0", name="quantity_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"))
    location_id: Mapped[int] = mapped_column(sa.ForeignKey("locations.id"), index=True)
    quantity: Mapped[int] = mapped_column(default=0)

    product: Mapped[Product] = relationship(back_populates="stock")
    location: Mapped[Location] = relationship()

"""Warehouses and shops: the places where stock lies."""
from __future__ import annotations

import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.types import enum_column


class LocationKind(str, enum.Enum):
    WAREHOUSE = "warehouse"
    SHOP = "shop"


class Location(db.Model):
    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[LocationKind] = mapped_column(
        enum_column(LocationKind, "location_kind", 20))
    address: Mapped[str] = mapped_column(sa.String(500), default="")
    phone: Mapped[str] = mapped_column(sa.String(20), default="")
    # The main warehouse is where web-shop orders take their goods from; exactly one at most.
    is_main: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    # The shop's fiscal register: the address of its ATOL driver web server (http://10.0.5.20:16732),
    # empty when the shop has none (its documents then wait until one is set).
    fiscal_register_url: Mapped[str] = mapped_column(sa.String(300), default="")

    @property
    def is_shop(self) -> bool:
        return self.kind is LocationKind.SHOP

    def __repr__(self) -> str:
        return f"<Location {self.code}>"

"""Orders, their lines and payments, and returns. Only the sales and returns services write them."""
from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.catalog import Product
from portal.models.clients import Client
from portal.models.locations import Location
from portal.models.staff import User
from portal.models.types import OneTimeCode, UTCDateTime, enum_column, utcnow


class Channel(str, enum.Enum):
    MANAGER = "manager"
    WEB = "web"
    SHOP = "shop"


class OrderStatus(str, enum.Enum):
    DRAFT = "draft"
    AWAITING_APPROVAL = "awaiting_approval"
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    CONFIRMED = "confirmed"
    PAID = "paid"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    PARTIALLY_RETURNED = "partially_returned"
    RETURNED = "returned"


class PaymentMethod(str, enum.Enum):
    CASH = "cash"
    CARD = "card"
    BANK_TRANSFER = "bank_transfer"
    ONLINE = "online"


class PaymentTerms(str, enum.Enum):
    PREPAID = "prepaid"
    DEFERRED = "deferred"


class DeliveryMethod(str, enum.Enum):
    PICKUP = "pickup"
    COURIER = "courier"
    CARRIER = "carrier"


# A manager's order can still be changed or cancelled in these states (SPEC §3: before `paid`).
OPEN_STATES = (OrderStatus.DRAFT, OrderStatus.AWAITING_APPROVAL, OrderStatus.AWAITING_CONFIRMATION,
               OrderStatus.CONFIRMED)


class Order(db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        sa.UniqueConstraint("channel", "external_id", name="uq_orders_channel_external_id"),
        sa.Index("ix_orders_created_at", "created_at"),
        # Statistics: sales count on the day an order was paid, confirmations on the day of confirmation.
        sa.Index("ix_orders_paid_at", "paid_at"),
        sa.Index("ix_orders_confirmed_at", "confirmed_at"),
        *(sa.CheckConstraint(f"{c} >= 0", name=f"{c}_non_negative")
          for c in ("subtotal", "discount", "bonus_redeemed", "paid", "accrual", "received")),
        sa.CheckConstraint("received <= paid", name="received_within_paid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(sa.String(30), unique=True)
    external_id: Mapped[str | None] = mapped_column(sa.String(100))
    # Idempotency key of the request that placed it: placing again with the key returns this order.
    key: Mapped[str | None] = mapped_column(sa.String(250), unique=True)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, "order_channel"))
    status: Mapped[OrderStatus] = mapped_column(enum_column(OrderStatus, "order_status"), index=True)
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    location_id: Mapped[int | None] = mapped_column(sa.ForeignKey("locations.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    shift_id: Mapped[int | None] = mapped_column(sa.ForeignKey("shifts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Sums of the lines, in minor units, kept with the lines in one transaction.
    subtotal: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    discount: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    bonus_redeemed: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    paid: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    accrual: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # `paid` is the part of the total paid in money rather than bonus; `received` is how much of it
    # has come in so far. A till or web-shop order is received in full when placed.
    received: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # A manager's order: terms, delivery and the moments of its lifecycle.
    payment_terms: Mapped[PaymentTerms | None] = mapped_column(enum_column(PaymentTerms, "payment_terms", 20))
    due_date: Mapped[date | None] = mapped_column(sa.Date)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivery_method: Mapped[DeliveryMethod | None] = mapped_column(enum_column(DeliveryMethod, "delivery_method", 20))
    delivery_address: Mapped[str] = mapped_column(sa.String(500), default="")
    delivery_date: Mapped[date | None] = mapped_column(sa.Date)
    comment: Mapped[str] = mapped_column(sa.String(1000), default="")
    # The supervisor's comment on the last approval decision.
    decision_comment: Mapped[str] = mapped_column(sa.String(1000), default="")

    client: Mapped[Client | None] = relationship()
    location: Mapped[Location | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    invoice: Mapped[Invoice | None] = relationship(back_populates="order", uselist=False)

    @property
    def outstanding(self) -> int:
        """Money still to come in."""
        return self.paid - self.received

    @property
    def total(self) -> int:
        """After discounts, before bonus."""
        return self.subtotal - self.discount
    lines: Mapped[list[OrderLine]] = relationship(back_populates="order", order_by="OrderLine.line_no",
                                                  cascade="all, delete-orphan")
    payments: Mapped[list[Payment]] = relationship(back_populates="order", order_by="Payment.id",
                                                   cascade="all, delete-orphan")
    returns: Mapped[list[Return]] = relationship(back_populates="order", order_by="Return.id")


class OrderLine(db.Model):
    __tablename__ = "order_lines"
    __table_args__ = (
        sa.UniqueConstraint("order_id", "line_no", name="uq_order_lines_order_line_no"),
        sa.CheckConstraint("qty >= 1", name="qty_positive"),
        sa.CheckConstraint("returned_qty >= 0 AND returned_qty <= qty", name="returned_within_qty"),
        sa.CheckConstraint("price * qty - discount = bonus + paid", name="line_balances"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column()
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), index=True)
    sku: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(300))
    qty: Mapped[int] = mapped_column()
    price: Mapped[int] = mapped_column(sa.BigInteger)
    discount: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # The discount rate the line was priced with, in basis points (a manager may set it per line).
    discount_bp: Mapped[int] = mapped_column(default=0)
    bonus: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    paid: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    accrual: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # The rate the line was sold at and the VAT its money after discounts includes (vat.of_line).
    vat_rate: Mapped[str] = mapped_column(sa.String(8), default="none", server_default="none")
    vat: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    returned_qty: Mapped[int] = mapped_column(default=0)
    returnable: Mapped[bool] = mapped_column(default=True)
    warranty_months: Mapped[int] = mapped_column(default=0)

    order: Mapped[Order] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()


class Payment(db.Model):
    __tablename__ = "payments"
    __table_args__ = (sa.CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    method: Mapped[PaymentMethod] = mapped_column(enum_column(PaymentMethod, "payment_method"))
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    # Cash handed over by the buyer (for the change); equals amount for other methods.
    tendered: Mapped[int | None] = mapped_column(sa.BigInteger)

    order: Mapped[Order] = relationship(back_populates="payments")


class Return(db.Model):
    __tablename__ = "returns"
    # Statistics: a return counts against the sales of the day it was made.
    __table_args__ = (sa.Index("ix_returns_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    location_id: Mapped[int | None] = mapped_column(sa.ForeignKey("locations.id"))
    shift_id: Mapped[int | None] = mapped_column(sa.ForeignKey("shifts.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    refund_total: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    withheld: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    bonus_restored: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    accrual_reversed: Mapped[int] = mapped_column(sa.BigInteger, default=0)

    order: Mapped[Order] = relationship(back_populates="returns")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    location: Mapped[Location | None] = relationship()
    lines: Mapped[list[ReturnLine]] = relationship(back_populates="ret", order_by="ReturnLine.id",
                                                   cascade="all, delete-orphan")
    refunds: Mapped[list[Refund]] = relationship(back_populates="ret", order_by="Refund.id",
                                                 cascade="all, delete-orphan")

    @property
    def number(self) -> str:
        """The number people read on the return receipt: R- and the id, e.g. R-000042."""
        return f"R-{self.id:06d}"


class ReturnLine(db.Model):
    __tablename__ = "return_lines"
    __table_args__ = (sa.CheckConstraint("qty >= 1", name="qty_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(sa.ForeignKey("returns.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(sa.ForeignKey("order_lines.id"), index=True)
    qty: Mapped[int] = mapped_column()
    refund: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    bonus_restored: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    accrual_reversed: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    vat: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")  # the VAT taken back

    ret: Mapped[Return] = relationship(back_populates="lines")
    order_line: Mapped[OrderLine] = relationship()


class Refund(db.Model):
    """Money given back by one method in one return; `withheld` is the part of this method's
    share kept back for bonus that was accrued, released and spent and cannot be taken back."""

    __tablename__ = "refunds"
    __table_args__ = (sa.CheckConstraint("amount >= 0 AND withheld >= 0", name="amounts_non_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(sa.ForeignKey("returns.id", ondelete="CASCADE"), index=True)
    method: Mapped[PaymentMethod] = mapped_column(enum_column(PaymentMethod, "refund_method"))
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    withheld: Mapped[int] = mapped_column(sa.BigInteger, default=0)

    ret: Mapped[Return] = relationship(back_populates="refunds")


class Invoice(db.Model):
    """The invoice PDF made when a manager's order is confirmed, kept with the order (in the
    database, so every host serving the portal has it)."""

    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), unique=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    total: Mapped[int] = mapped_column(sa.BigInteger)
    pdf: Mapped[bytes] = mapped_column(sa.LargeBinary)

    order: Mapped[Order] = relationship(back_populates="invoice")


class OrderConfirmationCode(OneTimeCode, db.Model):
    """A code sent to the client to confirm a manager's order (or the link sent with it)."""

    __tablename__ = "order_confirmation_codes"

    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    phone: Mapped[str] = mapped_column(sa.String(20))

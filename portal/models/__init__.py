"""SQLAlchemy models, one module per business area. Import them all here for Alembic."""
from .api import ApiKey, ClientLoginCode, IdempotentResponse
from .audit import AuditEvent, Notification
from .catalog import Barcode, Product, Section, Stock, product_analogues
from .clients import AddressKind, Client, ClientAddress, ClientEmail, ClientKind, ClientPhone
from .ledger import (BonusLot, BonusSettings, Bucket, LedgerAccount, LedgerEntry, LedgerOperation, LotMove,
                     LotStatus, OperationKind, SystemAccount)
from .locations import Location, LocationKind
from .orders import Channel, Order, OrderLine, OrderStatus, Payment, PaymentMethod, Refund, Return, ReturnLine
from .staff import Role, User
from .till import Shift, TillCart
from .types import utcnow

__all__ = [
    "Shift", "TillCart",
    "ApiKey", "ClientLoginCode", "IdempotentResponse",
    "AddressKind", "AuditEvent", "Barcode", "Client", "ClientAddress", "ClientEmail", "ClientKind",
    "ClientPhone", "Location", "LocationKind", "Notification", "Product", "Role", "Section", "Stock",
    "User", "product_analogues", "utcnow",
    "BonusLot", "BonusSettings", "Bucket", "LedgerAccount", "LedgerEntry", "LedgerOperation", "LotMove", "LotStatus",
    "OperationKind", "SystemAccount",
    "Channel", "Order", "OrderLine", "OrderStatus", "Payment", "PaymentMethod", "Refund", "Return", "ReturnLine",
]

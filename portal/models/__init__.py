"""SQLAlchemy models, one module per business area. Import them all here for Alembic."""
from .api import ApiKey, ClientLoginCode, IdempotentResponse
from .audit import AuditEvent, Notification
from .automation import Rule, RuleRun
from .catalog import Barcode, Product, Section, Stock, product_analogues
from .clients import (AddressKind, ChangeKind, ChangeRequest, ChangeStatus, Client, ClientAddress, ClientEmail,
                      ClientKind, ClientPhone, ClientStatus)
from .ledger import (BonusLot, BonusSettings, Bucket, LedgerAccount, LedgerEntry, LedgerOperation, LotMove,
                     LotStatus, OperationKind, SystemAccount)
from .locations import Location, LocationKind
from .orders import (OPEN_STATES, Channel, DeliveryMethod, Invoice, Order, OrderConfirmationCode, OrderLine,
                     OrderStatus, Payment, PaymentMethod, PaymentTerms, Refund, Return, ReturnLine)
from .outbox import OutboxEvent
from .onec import OnecImport, OnecOrderQuery, OnecSession
from .opencart import OpencartCustomer, OpencartImport
from .sessions import ClientSession, StaffSession
from .staff import Role, User
from .statistics import BonusDay, GoodsDay, GoodsMonth, SalesDay
from .tasks import Task, TaskOutcome, TaskStatus
from .till import Shift, TillCart
from .types import utcnow

__all__ = [
    "Rule", "RuleRun",
    "Task", "TaskOutcome", "TaskStatus",
    "Shift", "TillCart",
    "ClientSession", "StaffSession",
    "BonusDay", "GoodsDay", "GoodsMonth", "SalesDay",
    "ApiKey", "ClientLoginCode", "IdempotentResponse",
    "AddressKind", "AuditEvent", "Barcode", "Client", "ClientAddress", "ClientEmail", "ClientKind",
    "ClientPhone", "Location", "LocationKind", "Notification", "Product", "Role", "Section", "Stock",
    "User", "product_analogues", "utcnow",
    "BonusLot", "BonusSettings", "Bucket", "LedgerAccount", "LedgerEntry", "LedgerOperation", "LotMove", "LotStatus",
    "OperationKind", "SystemAccount",
    "ChangeKind", "ChangeRequest", "ChangeStatus", "ClientStatus", "OPEN_STATES", "DeliveryMethod", "Invoice",
    "OrderConfirmationCode", "PaymentTerms", "OutboxEvent",
    "OpencartCustomer", "OpencartImport",
    "OnecImport", "OnecOrderQuery", "OnecSession",
    "Channel", "Order", "OrderLine", "OrderStatus", "Payment", "PaymentMethod", "Refund", "Return", "ReturnLine",
]

"""SQLAlchemy models, one module per business area. Import them all here for Alembic."""
from portal.models.api import ApiKey, ClientLoginCode, IdempotentResponse
from portal.models.audit import AuditEvent, Notification
from portal.models.automation import Rule, RuleRun
from portal.models.catalog import Barcode, Product, Section, Stock, product_analogues
from portal.models.clients import (
                      AddressKind,
                      ChangeKind,
                      ChangeRequest,
                      ChangeStatus,
                      Client,
                      ClientAddress,
                      ClientEmail,
                      ClientKind,
                      ClientPhone,
                      ClientStatus,
)
from portal.models.fiscal import FiscalDocument, FiscalKind, FiscalStatus
from portal.models.ledger import (
                      BonusLot,
                      BonusSettings,
                      Bucket,
                      LedgerAccount,
                      LedgerEntry,
                      LedgerOperation,
                      LotMove,
                      LotStatus,
                      OperationKind,
                      SystemAccount,
)
from portal.models.locations import Location, LocationKind
from portal.models.onec import OnecImport, OnecOrderQuery, OnecSession, OnecWarehouse
from portal.models.opencart import OpencartCustomer, OpencartImport
from portal.models.orders import (
                      OPEN_STATES,
                      Channel,
                      DeliveryMethod,
                      Invoice,
                      Order,
                      OrderConfirmationCode,
                      OrderLine,
                      OrderStatus,
                      Payment,
                      PaymentMethod,
                      PaymentTerms,
                      Refund,
                      Return,
                      ReturnLine,
)
from portal.models.outbox import OutboxEvent
from portal.models.sessions import ClientSession, StaffSession
from portal.models.staff import Role, User
from portal.models.statistics import BonusDay, GoodsDay, GoodsMonth, SalesDay
from portal.models.tasks import Task, TaskOutcome, TaskStatus
from portal.models.till import CashMovement, CashMovementKind, ParkedCart, QuickKey, Shift, TillCart
from portal.models.types import utcnow

__all__ = [
    "Rule", "RuleRun",
    "Task", "TaskOutcome", "TaskStatus",
    "Shift", "TillCart", "ParkedCart", "QuickKey", "CashMovement", "CashMovementKind",
    "FiscalDocument", "FiscalKind", "FiscalStatus",
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
    "OnecImport", "OnecOrderQuery", "OnecSession", "OnecWarehouse",
    "Channel", "Order", "OrderLine", "OrderStatus", "Payment", "PaymentMethod", "Refund", "Return", "ReturnLine",
]

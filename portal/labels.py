"""Translated names of enumerations, for templates and form choices."""
from datetime import date

from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from portal.i18n import money
from portal.models import ClientKind, LocationKind, Role
from portal.phones import display_phone

ROLES = {
    Role.MANAGER: _l("Manager"),
    Role.SUPERVISOR: _l("Supervisor"),
    Role.CASHIER: _l("Cashier"),
    Role.ADMIN: _l("Administrator"),
}
ROLES_PLURAL = {
    Role.MANAGER: _l("Managers"),
    Role.SUPERVISOR: _l("Supervisors"),
    Role.CASHIER: _l("Cashiers"),
    Role.ADMIN: _l("Administrators"),
}
LOCATION_KINDS = {LocationKind.WAREHOUSE: _l("Warehouse"), LocationKind.SHOP: _l("Shop")}
CLIENT_KINDS = {
    ClientKind.LEGAL_ENTITY: _l("Legal entity"),
    ClientKind.SOLE_PROPRIETOR: _l("Sole proprietor"),
    ClientKind.PRIVATE_PERSON: _l("Private person"),
}
AUDIT_ACTIONS = {
    "staff_created": _l("Staff account created"),
    "staff_updated": _l("Staff account changed"),
    "staff_deactivated": _l("Staff account deactivated"),
    "staff_activated": _l("Staff account reactivated"),
    "password_reset": _l("Password reset"),
    "login_locked": _l("Account locked after failed sign-ins"),
    "location_created": _l("Location created"),
    "location_updated": _l("Location changed"),
    "client_created": _l("Client created"),
    "client_updated": _l("Client changed"),
    "client_contacts_updated": _l("Contacts changed"),
    "client_dates_updated": _l("Dates changed"),
    "client_assigned": _l("Responsible manager assigned"),
    "client_change_proposed": _l("Change proposed"),
    "client_change_approved": _l("Change approved"),
    "client_change_rejected": _l("Change rejected"),
    "order_created": _l("Order created"),
    "order_updated": _l("Order changed"),
    "order_submitted": _l("Sent for confirmation"),
    "order_approval_requested": _l("Discounts sent for approval"),
    "order_approved": _l("Discounts approved"),
    "order_rejected": _l("Discounts rejected"),
    "order_reopened": _l("Returned to draft"),
    "order_code_sent": _l("Confirmation code sent"),
    "order_code_failed": _l("Wrong confirmation code entered"),
    "order_confirmed": _l("Confirmed by the client"),
    "order_payment_recorded": _l("Payment recorded"),
    "order_paid": _l("Paid in full"),
    "order_completed": _l("Completed"),
    "order_cancelled": _l("Cancelled"),
    "client_registered": _l("Client registered"),
    "client_imported": _l("Client imported"),
    "order_placed": _l("Sale made"),
    "order_returned": _l("Goods returned"),
    "card_issued": _l("Loyalty card number issued"),
    "receipt_sent": _l("Receipt sent by SMS"),
    "quick_keys_changed": _l("Quick keys of the shop changed"),
    "bonus_settings_changed": _l("Bonus programme changed"),
    "bonus_adjusted": _l("Bonus adjusted by hand"),
    "product_created": _l("Product created"),
    "product_updated": _l("Product changed"),
    "product_price_changed": _l("Price changed"),
    "onec_warehouse_mapped": _l("1C warehouse mapped to a location"),
    "api_key_created": _l("API key created"),
    "api_key_revoked": _l("API key revoked"),
    "outbox_retried": _l("Outbox event sent for another try"),
    "rule_created": _l("Automation rule created"),
    "rule_updated": _l("Automation rule changed"),
    "rule_paused": _l("Automation rule paused"),
    "rule_resumed": _l("Automation rule resumed"),
    "order_discount_by_rule": _l("Extra discount by an automation rule"),
    "task_created": _l("Task set"),
    "task_completed": _l("Task completed"),
    "task_rescheduled": _l("Task rescheduled"),
    "task_cancelled": _l("Task cancelled"),
}

# The system that made a change no person made: the prefix of its action ("1c:order_paid").
AUDIT_SOURCES = {
    "cli": _l("command line"),
    "1c": _l("1C"),
    "api": _l("web shop"),
    "opencart": _l("OpenCart import"),
    "import": _l("catalogue import"),
    "demo": _l("demo data"),
    "system": _l("system"),
}


LEDGER_KINDS = {
    "accrual": _l("Accrued for a purchase"),
    "release": _l("Became available"),
    "redemption": _l("Spent on a purchase"),
    "redemption_restore": _l("Returned with goods"),
    "accrual_reversal": _l("Taken back with a return"),
    "expiry": _l("Expired"),
    "adjustment": _l("Correction"),
    "import": _l("Transferred from the old programme"),
}
BUCKETS = {"pending": _l("pending"), "available": _l("available")}


PAYMENT_METHODS = {
    "cash": _l("Cash"), "card": _l("Card"), "bank_transfer": _l("Bank transfer"), "online": _l("Online"),
}
ORDER_STATUSES = {
    "draft": _l("Draft"), "awaiting_approval": _l("Awaiting approval"),
    "awaiting_confirmation": _l("Awaiting confirmation"), "confirmed": _l("Confirmed"), "paid": _l("Paid"),
    "completed": _l("Completed"), "cancelled": _l("Cancelled"), "partially_returned": _l("Partially returned"),
    "returned": _l("Returned"),
}
CHANNELS = {"manager": _l("Manager"), "web": _l("Web shop"), "shop": _l("Shop")}
PAYMENT_TERMS = {"prepaid": _l("Prepaid"), "deferred": _l("Deferred payment")}
DELIVERY_METHODS = {"pickup": _l("Pickup at a shop"), "courier": _l("Courier"), "carrier": _l("Carrier")}
CLIENT_STATUSES = {"active": _l("Active"), "pending": _l("Awaiting approval"), "rejected": _l("Rejected")}
CHANGE_STATUSES = {"pending": _l("Awaiting approval"), "approved": _l("Approved"), "rejected": _l("Rejected")}


def payment_method(value) -> str:
    value = getattr(value, "value", value)
    return str(PAYMENT_METHODS.get(value, value))


def order_status(value) -> str:
    value = getattr(value, "value", value)
    return str(ORDER_STATUSES.get(value, value))


def channel(value) -> str:
    value = getattr(value, "value", value)
    return str(CHANNELS.get(value, value))


def payment_terms(value) -> str:
    value = getattr(value, "value", value)
    return str(PAYMENT_TERMS.get(value, value or ""))


def delivery_method(value) -> str:
    value = getattr(value, "value", value)
    return str(DELIVERY_METHODS.get(value, value or ""))


def client_status(value) -> str:
    value = getattr(value, "value", value)
    return str(CLIENT_STATUSES.get(value, value))


def change_status(value) -> str:
    value = getattr(value, "value", value)
    return str(CHANGE_STATUSES.get(value, value))


def ledger_kind(value: str) -> str:
    return str(LEDGER_KINDS.get(value, value))


def bucket(value) -> str:
    value = getattr(value, "value", value)
    return str(BUCKETS.get(value, value))


def role(value) -> str:
    return str(ROLES[Role(value)])


def role_plural(value) -> str:
    return str(ROLES_PLURAL[Role(value)])


def location_kind(value) -> str:
    return str(LOCATION_KINDS[LocationKind(value)])


def client_kind(value) -> str:
    return str(CLIENT_KINDS[ClientKind(value)])


def audit_action(value: str) -> str:
    """The action as a person reads it; a system's action says which system: "Paid in full (1C exchange)"."""
    source, _sep, action = value.rpartition(":")
    text = str(AUDIT_ACTIONS.get(action, action))
    return f"{text} ({AUDIT_SOURCES.get(source, source)})" if source else text


AUDIT_OBJECTS = {
    "clients": _l("Client"), "orders": _l("Order"), "products": _l("Product"), "users": _l("Staff member"),
    "locations": _l("Location"), "bonus_settings": _l("Bonus programme"), "api_keys": _l("API key"),
    "outbox_events": _l("Outbox event"), "onec_warehouses": _l("1C warehouse"),
}


def audit_object(value: str) -> str:
    return str(AUDIT_OBJECTS.get(value, value))


def audit_source(value: str) -> str | None:
    """The system named by an action ("1c:order_paid" -> "1C exchange"), None for a person's action."""
    source = value.rpartition(":")[0]
    return str(AUDIT_SOURCES.get(source, source)) if source else None


HISTORY_FIELDS = {
    "status": _l("Status"), "client": _l("Client"), "location": _l("From"), "lines": _l("Goods"),
    "subtotal": _l("Subtotal"), "discount": _l("Discount"), "bonus": _l("Bonus"), "to_pay": _l("To pay"),
    "received": _l("Received"), "payment_terms": _l("Payment"), "due_date": _l("Due date"),
    "delivery_method": _l("Delivery"), "delivery_address": _l("Delivery address"),
    "delivery_date": _l("Delivery date"), "comment": _l("Comment"), "phone": _l("Phone"),
    "tries_left": _l("Tries left"),
    "returned": _l("Returned goods"), "refund": _l("Refund"), "withheld": _l("Kept back"), "reason": _l("Reason"),
    "return_id": _l("Return"), "name": _l("Name"), "email": _l("E-mail"), "role": _l("Role"), "active": _l("Active"),
    "price": _l("Price"), "sku": _l("SKU"), "amount": _l("Amount"),
}
MONEY_FIELDS = {"subtotal", "discount", "bonus", "to_pay", "received", "refund", "withheld", "price", "amount"}


def history_field(key: str) -> str:
    return str(HISTORY_FIELDS.get(key, key))


def history_value(key: str, value) -> str:
    """A value in an order's history as a person reads it."""
    if value is None or value == "" or value == []:
        return "—"
    if key in MONEY_FIELDS and isinstance(value, int):
        return money(value)
    if key == "status":
        return order_status(value)
    if key == "payment_terms":
        return payment_terms(value)
    if key == "delivery_method":
        return delivery_method(value)
    if key in ("due_date", "delivery_date", "birthday", "contract_renewal_on") and isinstance(value, str):

        try:
            return format_date(date.fromisoformat(value))
        except ValueError:
            return value
    if key == "phone" and isinstance(value, str):
        return display_phone(value)
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def vat_rate(code: str) -> str:
    """How a document names the VAT of a rate: "incl. VAT 20 %", or "Without VAT" (rate "none")."""
    if code == "none":
        return str(_l("Without VAT"))
    return str(_l("incl. VAT %(rate)s %%", rate=code))


def vat_amount(code: str, amount: int, nothing: str = "") -> str:
    """The VAT amount beside `vat_rate(code)`: the money, or `nothing` where no VAT is charged."""
    return nothing if code == "none" else money(amount)


def quantity(qty, unit: str | None) -> str:
    """A quantity with the unit it is sold by, as 1C names it ("2 пар", "3 кг"); pieces need none."""
    return f"{qty} {unit}" if unit else str(qty)

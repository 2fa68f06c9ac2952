"""Issue 8, point 7: every change to clients, orders, settings, staff, locations, products and
bonus adjustments leaves an audit event with who (the actor, or for a system the action's
prefix: "1c:…", "cli:…", "api:…"), when, and the values before and after.

One table, one row per service operation: the row makes what the operation needs, calls the
service as a named actor, and says which events the object gets. The runner checks, for each
row, exactly those new events for that object, in order, with the actor, `at` inside the call's
time window, and before/after exactly (or, for whole-order snapshots, exactly these keys with
these values). All rows run on one data set, one after another, so the module stays fast.

The completeness check scans the services for public functions that write (commit, a
transaction, an INSERT/UPDATE/DELETE) and requires each to be in the table or in NOT_AUDITED
with the reason, so a new writer fails here until someone decides about it.
"""
from __future__ import annotations

import ast
import io
import pathlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest

from portal import labels, ledger
from portal.extensions import db
from portal.integrations.catalog_csv import writing
from portal.integrations.onec import catalog, offers, order_status, warehouses
from portal.integrations.opencart import clients as imported_clients
from portal.models import (
    AuditEvent,
    BonusSettings,
    Channel,
    LedgerAccount,
    Location,
    OnecWarehouse,
    PaymentMethod,
    Product,
    User,
    utcnow,
)
from portal.services.clients import assignment, clients, corrections, dates
from portal.services.clients import bonus as bonus_service
from portal.services.clients import changes as client_changes
from portal.services.clients import contacts as client_contacts
from portal.services.messaging import delivery as outbox_delivery
from portal.services.messaging import outbox
from portal.services.messaging.codes import CodeRefused
from portal.services.orders import confirmation as order_confirmation
from portal.services.orders import orders, payments
from portal.services.sales import quick_keys, returns, sales, shifts, till
from portal.services.staff import api_keys, auth, locations, staff, team

from ...factories import make_client, make_staff
from .test_manager_orders import code_in, draft, last_sms, new_order, office, token_in  # noqa: F401

ROOT = pathlib.Path(__file__).resolve().parents[3] / "portal"

STAFF_KEYS = {"email", "name", "role", "phone", "supervisor_id", "shop_id", "hired_on", "active", "locale"}
ORDER_KEYS = {"status", "client", "location", "lines", "subtotal", "discount", "bonus", "to_pay", "received",
              "payment_terms", "due_date", "delivery_method", "delivery_address", "delivery_date", "comment"}


@dataclass
class Keys:
    """Exactly these keys, and these values for the ones given (a whole snapshot, read by its parts)."""
    keys: set
    values: dict = field(default_factory=dict)

    def matches(self, actual) -> bool:
        return (isinstance(actual, dict) and set(actual) == self.keys
                and all(actual[k] == v for k, v in self.values.items()))


@dataclass
class Ev:
    action: str
    before: dict | Keys | None
    after: dict | Keys | None


@dataclass
class Expect:
    object_type: str
    object_id: int
    actor: User | None
    events: list[Ev]


@dataclass
class Case:
    name: str                                     # "module.function", as the completeness check finds it
    call: Callable[[object], Expect | list[Expect]]  # called with what `setup` returned
    setup: Callable[[], object] | None = None     # runs (and commits) before the call's time window


def _same(expected, actual) -> bool:
    return expected.matches(actual) if isinstance(expected, Keys) else expected == actual


def _staff(user: User) -> dict:
    return {"email": user.email, "name": user.name, "role": user.role.value, "phone": user.phone,
            "supervisor_id": user.supervisor_id, "shop_id": user.shop_id, "hired_on": None, "active": user.active,
            "locale": user.locale}


def _password_state(user: User) -> dict:
    return {"session_version": user.session_version, "failed_logins": 0, "locked_until": None}


# ---------------------------------------------------------------------------------------- the table

def build_cases(w, app) -> list[Case]:  # noqa: C901 - one table, read top to bottom
    boss, manager, colleague = w.boss, w.manager, w.colleague
    admin = make_staff("admin", name="Ada Admin")
    cashier = make_staff("cashier", name="Cass Cashier", shop=w.shop2)
    romashka = w.client
    phone = romashka.phones[0].number
    state: dict = {}
    cases: list[Case] = []

    def case(name, setup=None):
        def register(fn):
            cases.append(Case(name, fn, setup))
            return fn
        return register

    # --- staff ----------------------------------------------------------------------------------
    @case("staff.staff.create_staff")
    def _(_s):
        user, _pw = staff.create_staff(admin, staff.StaffInput(email="new.person@example.com", name="New Person",
                                                               role="manager", supervisor_id=boss.id))
        return Expect("users", user.id, admin, [Ev("staff_created", None, {
            "email": "new.person@example.com", "name": "New Person", "role": "manager", "phone": "",
            "supervisor_id": boss.id, "shop_id": None, "hired_on": None, "active": True, "locale": None})])

    @case("staff.staff.update_staff", setup=lambda: make_staff("manager", supervisor=boss, name="Ed Edit"))
    def _(person):
        before = _staff(person)
        staff.update_staff(admin, person.id, staff.StaffInput(email=person.email, name="Ed Edited", role="manager",
                                                              supervisor_id=boss.id))
        return Expect("users", person.id, admin, [Ev("staff_updated", before, {**before, "name": "Ed Edited"})])

    @case("staff.staff.set_active", setup=lambda: make_staff("manager", supervisor=boss, name="Leo Leaving"))
    def _(person):
        before = _staff(person)
        staff.set_active(admin, person.id, False)
        return Expect("users", person.id, admin, [Ev("staff_deactivated", before, {**before, "active": False})])

    @case("staff.staff.reset_password", setup=lambda: make_staff("cashier", shop=w.shop2, name="Pat Password"))
    def _(person):
        before = _password_state(person)
        staff.reset_password(admin, person.id)
        after = {**before, "session_version": before["session_version"] + 1, "password": "changed"}
        return Expect("users", person.id, admin, [Ev("password_reset", before, after)])

    @case("staff.team.reset_member_password", setup=lambda: make_staff("manager", supervisor=boss, name="Tom Team"))
    def _(person):
        before = _password_state(person)
        team.reset_member_password(boss, person.id)
        after = {**before, "session_version": before["session_version"] + 1, "password": "changed"}
        return Expect("users", person.id, boss, [Ev("password_reset", before, after)])

    @case("staff.team.set_member_active", setup=lambda: make_staff("manager", supervisor=boss, name="Dan Dormant"))
    def _(person):
        before = _staff(person)
        team.set_member_active(boss, person.id, False)
        return Expect("users", person.id, boss, [Ev("staff_deactivated", before, {**before, "active": False})])

    def locked_person():
        app.config["LOGIN_MAX_FAILURES"] = 2
        return make_staff("manager", supervisor=boss, name="Lou Locked")

    @case("staff.auth.authenticate", setup=locked_person)
    def _(person):
        moment = utcnow()
        assert auth.authenticate(person.email, "wrong", now=moment) is None
        assert auth.authenticate(person.email, "wrong", now=moment) is None
        until = moment + timedelta(minutes=app.config["LOGIN_LOCK_MINUTES"])
        return Expect("users", person.id, None, [Ev("login_locked", None, {"locked_until": until.isoformat()})])

    # --- locations ------------------------------------------------------------------------------
    location_after = {"code": "SHOP9", "name": "Shop nine", "kind": "shop", "address": "", "phone": "",
                      "is_main": False, "active": True, "fiscal_register_url": ""}

    @case("staff.locations.create_location")
    def _(_s):
        loc = locations.create_location(admin, locations.LocationInput(code="shop9", name="Shop nine", kind="shop"))
        state["shop9"] = loc.id
        return Expect("locations", loc.id, admin, [Ev("location_created", None, location_after)])

    # --- a shop's quick keys (issue 16) ----------------------------------------------------------
    @case("sales.quick_keys.add_key")
    def _(_s):
        quick_keys.add_key(admin, w.shop2.id, "DRILL")
        quick_keys_product = quick_keys.add_key(admin, w.shop2.id, "penny")
        state["penny"] = quick_keys_product.id
        return Expect("locations", w.shop2.id, admin, [Ev("quick_keys_changed", {"keys": []}, {"keys": ["DRILL"]}),
                                                       Ev("quick_keys_changed", {"keys": ["DRILL"]},
                                                          {"keys": ["DRILL", "PENNY"]})])

    @case("sales.quick_keys.move_key")
    def _(_s):
        quick_keys.move_key(admin, w.shop2.id, state["penny"], -1)
        quick_keys.move_key(admin, w.shop2.id, state["penny"], -1)  # first already: nothing changes
        return Expect("locations", w.shop2.id, admin, [Ev("quick_keys_changed", {"keys": ["DRILL", "PENNY"]},
                                                          {"keys": ["PENNY", "DRILL"]})])

    @case("sales.quick_keys.remove_key")
    def _(_s):
        quick_keys.remove_key(admin, w.shop2.id, state["penny"])
        return Expect("locations", w.shop2.id, admin, [Ev("quick_keys_changed", {"keys": ["PENNY", "DRILL"]},
                                                          {"keys": ["DRILL"]})])

    @case("staff.locations.update_location")
    def _(_s):
        locations.update_location(admin, state["shop9"], locations.LocationInput(
            code="SHOP9", name="Shop nine", kind="shop", address="Lenina 9"))
        return Expect("locations", state["shop9"], admin, [Ev("location_updated", location_after,
                                                              {**location_after, "address": "Lenina 9"})])

    # --- clients --------------------------------------------------------------------------------
    def change(client, **values):
        data = {"kind": client.kind.value, "name": client.name, "tax_id": client.tax_id or "",
                "discount_bp": client.discount_bp, "credit_limit": client.credit_limit,
                "deferral_days": client.deferral_days, **values}
        return client_changes.ClientChange(**data)

    @case("clients.changes.create_client")
    def _(_s):
        client = client_changes.create_client(manager, client_changes.NewClient(
            kind="private_person", name="Ivan Novy", phone="+7 916 000-11-22", discount_bp=300))
        state["novy"] = client.id
        return Expect("clients", client.id, manager, [
            Ev("client_created", None, {"kind": "private_person", "name": "Ivan Novy", "tax_id": "",
                                        "discount_bp": 0, "credit_limit": 0, "deferral_days": 0,
                                        "manager_id": manager.id, "status": "pending", "phones": ["+79160001122"],
                                        "emails": [], "addresses": []}),
            Ev("client_change_proposed", {"discount_bp": 0, "credit_limit": 0, "deferral_days": 0},
               {"discount_bp": 300, "credit_limit": 0, "deferral_days": 0})])

    @case("clients.changes.approve_change")
    def _(_s):
        request = client_changes.pending_request_of(state["novy"])
        client_changes.approve_change(boss, request.id, "welcome")
        return Expect("clients", state["novy"], boss, [Ev(
            "client_change_approved", {"discount_bp": 0, "credit_limit": 0, "deferral_days": 0, "status": "pending"},
            {"discount_bp": 300, "credit_limit": 0, "deferral_days": 0, "status": "active"})])

    @case("clients.changes.propose_change")
    def _(_s):
        client_changes.propose_change(manager, romashka.id, change(romashka, discount_bp=700))
        return Expect("clients", romashka.id, manager,
                      [Ev("client_change_proposed", {"discount_bp": 500}, {"discount_bp": 700})])

    @case("clients.changes.reject_change")
    def _(_s):
        request = client_changes.pending_request_of(romashka.id)
        client_changes.reject_change(boss, request.id, "Too generous")
        return Expect("clients", romashka.id, boss,
                      [Ev("client_change_rejected", {"discount_bp": 500}, {"discount_bp": 700})])

    @case("clients.changes.apply_change")
    def _(_s):
        client_changes.apply_change(boss, romashka.id, change(romashka, credit_limit=20_000_00))
        return Expect("clients", romashka.id, boss,
                      [Ev("client_updated", {"credit_limit": 10_000_00}, {"credit_limit": 20_000_00})])

    @case("clients.changes.change_client")
    def _(_s):
        assert client_changes.change_client(boss, romashka.id, change(romashka, deferral_days=30)) is None
        return Expect("clients", romashka.id, boss, [Ev("client_updated", {"deferral_days": 14},
                                                        {"deferral_days": 30})])

    @case("clients.changes.change_term")
    def _(_s):
        # one term on the card itself (issue 17): a supervisor's is applied at once
        assert client_changes.change_term(boss, romashka.id, "deferral_days", 45) is None
        return Expect("clients", romashka.id, boss, [Ev("client_updated", {"deferral_days": 30},
                                                        {"deferral_days": 45})])

    @case("clients.contacts.update_contacts")
    def _(_s):
        client_contacts.update_contacts(manager, romashka.id, client_contacts.Contacts(
            phones=[phone, "+7 916 555-44-33"], emails=["office@romashka.ru"],
            addresses=[client_contacts.AddressInput("legal", "Moscow, Tverskaya 1")]))
        address = [{"kind": "legal", "text": "Moscow, Tverskaya 1"}]
        return Expect("clients", romashka.id, manager, [Ev(
            "client_contacts_updated", {"phones": [phone], "emails": [], "addresses": address},
            {"phones": [phone, "+79165554433"], "emails": ["office@romashka.ru"], "addresses": address})])

    @case("clients.dates.update_dates")
    def _(_s):
        dates.update_dates(manager, romashka.id, dates.ClientDates(contract_renewal_on=date(2027, 3, 1)))
        return Expect("clients", romashka.id, manager, [Ev(
            "client_dates_updated", {"contract_renewal_on": None}, {"contract_renewal_on": "2027-03-01"})])

    @case("clients.assignment.assign_manager")
    def _(_s):
        assignment.assign_manager(boss, state["novy"], colleague.id)
        return Expect("clients", state["novy"], boss, [Ev(
            "client_assigned", {"manager_id": manager.id, "manager": "Max Manager"},
            {"manager_id": colleague.id, "manager": "Carl Colleague"})])

    @case("clients.clients.register_client")
    def _(_s):
        client = clients.register_client("Web Buyer", "+7 916 111-22-33", "buyer@example.com", "RU")
        return Expect("clients", client.id, None, [Ev("api:client_registered", None, {
            "kind": "private_person", "name": "Web Buyer", "phones": ["+79161112233"],
            "emails": ["buyer@example.com"], "manager_id": None})])

    @case("sales.till.register_client")
    def _(_s):
        client = till.register_client(cashier, "Till Buyer", "+7 916 222-33-44")
        state["till_buyer"] = client.id
        return Expect("clients", client.id, cashier, [Ev("client_registered", None, {
            "kind": "private_person", "name": "Till Buyer", "phones": ["+79162223344"], "emails": [],
            "manager_id": None})])

    @case("integrations.opencart.clients.new_imported_client")
    def _(_s):
        client = imported_clients.new_imported_client("Olga  Cart", "olga@example.com", "+79163334455")
        db.session.commit()
        return Expect("clients", client.id, None, [Ev("opencart:client_imported", None, {
            "kind": "private_person", "name": "Olga Cart", "phones": ["+79163334455"],
            "emails": ["olga@example.com"]})])

    # --- orders ---------------------------------------------------------------------------------
    standard = ["DRILL × 2 @ 1000.00, −5.00 %", "PIPE × 3 @ 333.33, −5.00 %"]

    @case("orders.orders.create_draft")
    def _(_s):
        order = orders.create_draft(manager, draft(w))
        state["order"] = order.id
        return Expect("orders", order.id, manager, [Ev("order_created", None, Keys(ORDER_KEYS, {
            "status": "draft", "client": "ООО «Ромашка»", "lines": standard, "subtotal": 2_999_99,
            "discount": 150_00, "bonus": 0, "to_pay": 2_849_99, "received": 0, "payment_terms": "prepaid"}))])

    @case("orders.orders.update_draft")
    def _(_s):
        orders.update_draft(manager, state["order"], draft(w, (("DRILL", 1), ("PIPE", 3))))
        return Expect("orders", state["order"], manager, [Ev(
            "order_updated",
            {"lines": standard, "subtotal": 2_999_99, "discount": 150_00, "to_pay": 2_849_99},
            {"lines": ["DRILL × 1 @ 1000.00, −5.00 %", standard[1]], "subtotal": 1_999_99, "discount": 100_00,
             "to_pay": 1_899_99})])

    @case("orders.orders.submit")
    def _(_s):
        orders.submit(manager, state["order"])
        return Expect("orders", state["order"], manager,
                      [Ev("order_submitted", {"status": "draft"}, {"status": "awaiting_confirmation"})])

    @case("orders.orders.reopen")
    def _(_s):
        orders.reopen(manager, state["order"])
        return Expect("orders", state["order"], manager,
                      [Ev("order_reopened", {"status": "awaiting_confirmation"}, {"status": "draft"})])

    @case("orders.orders.submit (above the approved discount)", setup=lambda: new_order(w, (("DRILL", 1, 1000),)).id)
    def _(order_id):
        orders.submit(manager, order_id)
        state["generous"] = order_id
        return Expect("orders", order_id, manager, [Ev("order_approval_requested", {"status": "draft"},
                                                       {"status": "awaiting_approval"})])

    @case("orders.orders.approve")
    def _(_s):
        orders.approve(boss, state["generous"], "ok this once")
        return Expect("orders", state["generous"], boss, [Ev("order_approved", {"status": "awaiting_approval"},
                                                             {"status": "awaiting_confirmation"})])

    @case("orders.orders.reject", setup=lambda: orders.submit(manager, new_order(w, (("DRILL", 1, 1500),)).id).id)
    def _(order_id):
        orders.reject(boss, order_id, "Too much")
        return Expect("orders", order_id, boss, [Ev("order_rejected", {"status": "awaiting_approval"},
                                                    {"status": "draft"})])

    @case("orders.orders.cancel", setup=lambda: new_order(w).id)
    def _(order_id):
        orders.cancel(manager, order_id)
        return Expect("orders", order_id, manager, [Ev("order_cancelled", {"status": "draft"},
                                                       {"status": "cancelled"})])

    @case("orders.confirmation.send_code", setup=lambda: orders.submit(manager, state["order"]))
    def _(_s):
        order_confirmation.send_code(manager, state["order"])
        state["code"] = code_in(last_sms(w)["text"])
        return Expect("orders", state["order"], manager, [Ev("order_code_sent", None, {"phone": phone})])

    @case("orders.confirmation.confirm_with_code (a wrong code)")
    def _(_s):
        wrong = f"{(int(state['code']) + 1) % 10 ** 6:06d}"
        with pytest.raises(CodeRefused):
            order_confirmation.confirm_with_code(manager, state["order"], wrong)
        return Expect("orders", state["order"], manager, [Ev("order_code_failed", None, {"tries_left": 4})])

    @case("orders.confirmation.confirm_with_code")
    def _(_s):
        order_confirmation.confirm_with_code(manager, state["order"], state["code"])
        return Expect("orders", state["order"], manager, [Ev("order_confirmed", {"status": "awaiting_confirmation"},
                                                             {"status": "confirmed"})])

    @case("orders.payments.record_payment")
    def _(_s):
        payments.record_payment(manager, state["order"], PaymentMethod.BANK_TRANSFER, 1_899_99,
                                      expected_outstanding=1_899_99)
        return Expect("orders", state["order"], manager, [
            Ev("order_payment_recorded", {"received": 0}, {"received": 1_899_99}),
            Ev("order_paid", {"status": "confirmed"}, {"status": "paid"})])

    @case("orders.orders.complete")
    def _(_s):
        orders.complete(manager, state["order"])
        return Expect("orders", state["order"], manager, [Ev("order_completed", {"status": "paid"},
                                                             {"status": "completed"})])

    @case("sales.returns.return_goods")
    def _(_s):
        ret = returns.return_goods(state["order"], [returns.ReturnRequest(qty=1, sku="DRILL")], key="audit:ret:1",
                                   reason="Wrong size", actor_id=manager.id)
        return Expect("orders", state["order"], manager, [Ev(
            "order_returned", {"status": "completed", "returned": ["DRILL × 0"]},
            {"status": "partially_returned", "returned": ["DRILL × 1"], "refund": 950_00, "withheld": 0,
             "reason": "Wrong size", "return_id": ret.id})])

    def confirmed_order():
        order = orders.submit(manager, new_order(w, (("VALVE", 1),)).id)
        order_confirmation.send_code(manager, order.id)
        order_confirmation.confirm_with_code(manager, order.id, code_in(last_sms(w)["text"]))
        return order.id

    @case("integrations.onec.order_status.apply_report", setup=confirmed_order)
    def _(order_id):
        number = db.session.get(orders.Order, order_id).number
        note = order_status.apply_report(order_status.StatusReport(number, paid=True, shipped=True))
        assert note == f"{number}: paid; completed"
        return Expect("orders", order_id, None, [
            Ev("1c:order_payment_recorded", {"received": 0}, {"received": 99_99}),
            Ev("1c:order_paid", {"status": "confirmed"}, {"status": "paid"}),
            Ev("1c:order_completed", {"status": "paid"}, {"status": "completed"})])

    def link_order():
        order = orders.submit(manager, new_order(w, (("PENNY", 3),)).id)
        order_confirmation.send_code(manager, order.id)
        return order.id, token_in(last_sms(w)["text"])

    @case("orders.confirmation.confirm_with_link", setup=link_order)
    def _(s):
        order_id, token = s
        order_confirmation.confirm_with_link(token)
        # The client, who is not staff, confirms by the link: no actor; the label says "by the client".
        return Expect("orders", order_id, None, [Ev("order_confirmed", {"status": "awaiting_confirmation"},
                                                    {"status": "confirmed"})])

    @case("sales.sales.place_paid_order")
    def _(_s):
        order = sales.place_paid_order(sales.Sale(channel=Channel.WEB, lines=[sales.SaleLine(qty=2, sku="PENNY")],
                                                  location_id=w.warehouse.id, external_id="WEB-77"))
        return Expect("orders", order.id, None, [Ev("api:order_placed", None, Keys(ORDER_KEYS, {
            "status": "paid", "client": None, "lines": ["PENNY × 2 @ 0.01, −0.00 %"], "subtotal": 2,
            "discount": 0, "to_pay": 2, "received": 2}))])

    def till_cart():
        shifts.open_shift(cashier, 0)
        till.add(cashier, w.products["DRILL"].id)
        return till.view(cashier).cart.version

    @case("sales.till.checkout", setup=till_cart)
    def _(version):
        order = till.checkout(cashier, card=1_000_00, cash_tendered=None, version=version).order
        return Expect("orders", order.id, cashier, [Ev("order_placed", None, Keys(ORDER_KEYS, {
            "status": "completed", "client": "Till Buyer", "location": "Second shop", "lines": ["DRILL × 1 @ 1000.00, −0.00 %"],
            "subtotal": 1_000_00, "to_pay": 1_000_00, "received": 1_000_00}))])

    # --- bonus: adjustments and the programme ------------------------------------------------------
    @case("clients.corrections.adjust_client_bonus", setup=lambda: make_client(manager=manager, name="Gift Client").id)
    def _(client_id):
        corrections.adjust_client_bonus(boss, client_id, 100_00, "  Sorry for   the delay ", "tok-1")
        account = db.session.scalar(db.select(LedgerAccount.id).where(LedgerAccount.client_id == client_id))
        return Expect("clients", client_id, boss, [Ev("bonus_adjusted", {"available": 0, "pending": 0}, {
            "available": 100_00, "pending": 0, "amount": 100_00, "reason": "Sorry for the delay",
            "client_id": client_id, "account_id": account})])

    @case("clients.bonus.change_programme")
    def _(_s):
        bonus_service.change_programme(boss, accrual_rate_bp=700, hold_days=14)
        row = db.session.scalar(db.select(BonusSettings.id).order_by(BonusSettings.id.desc()).limit(1))
        return Expect("bonus_settings", row, boss, [Ev("bonus_settings_changed", {"accrual_rate_bp": 500},
                                                       {"accrual_rate_bp": 700})])

    # --- products and prices: 1C and the catalogue file ---------------------------------------------
    card = {"onec_id": "1C-0001", "sku": "NEW-1", "barcode": "", "group_id": None, "vat": "НДС 20%"}
    seen = utcnow()

    @case("integrations.onec.catalog.upsert_product")
    def _(_s):
        product_id, created = catalog.upsert_product(catalog.ProductCard(name="Hammer", **card), seen)
        db.session.commit()
        assert created
        state["hammer"] = product_id
        return Expect("products", product_id, None, [Ev("1c:product_created", None, {
            "sku": "NEW-1", "name": "Hammer", "active": True, "section_id": None, "onec_id": "1C-0001", "price": 0,
            "vat_rate": "20", "unit": None, "article": "NEW-1"})])

    @case("integrations.onec.catalog.upsert_product (a changed card)")
    def _(_s):
        catalog.upsert_product(catalog.ProductCard(name="Claw hammer", **card), seen)
        db.session.commit()
        return Expect("products", state["hammer"], None, [Ev("1c:product_updated", {"name": "Hammer"},
                                                              {"name": "Claw hammer"})])

    @case("integrations.onec.catalog.upsert_products")
    def _(_s):
        result = catalog.upsert_products([catalog.ProductCard("1C-0002", "NEW-2", "Saw", "", None, unit="шт"),
                                          catalog.ProductCard("1C-0003", "", "", "", None)], seen)
        db.session.commit()
        assert result.created == 1 and [r.code for r in result.refused] == ["bad_card"]
        return Expect("products", result.ids["1C-0002"], None, [Ev("1c:product_created", None, {
            "sku": "NEW-2", "name": "Saw", "active": True, "section_id": None, "onec_id": "1C-0002", "price": 0,
            "vat_rate": None, "unit": "шт", "article": "NEW-2"})])

    @case("integrations.onec.offers.apply_offers")
    def _(_s):
        change = offers.OfferChange("1C-0001", "Claw hammer", price=450_50)
        offers.apply_offers([change], seen)
        offers.apply_offers([change], seen)  # the same price again: no change
        db.session.commit()
        return Expect("products", state["hammer"], None, [Ev("1c:product_price_changed", {"price": 0},
                                                              {"price": 450_50})])

    @case("integrations.onec.offers.apply_offers (a new size)")
    def _(_s):
        result = offers.apply_offers([offers.OfferChange("1C-0001#S1", "Claw hammer (small)")], seen)
        db.session.commit()
        assert result.variants_created == 1
        variant_id = db.session.scalar(db.select(Product.id).where(Product.onec_id == "1C-0001#S1"))
        return Expect("products", variant_id, None, [Ev("1c:product_created", None, {
            "sku": "NEW-1/small", "name": "Claw hammer (small)", "active": True, "section_id": None,
            "onec_id": "1C-0001#S1", "price": 450_50, "vat_rate": "20", "unit": None, "article": "NEW-1",
            "variant": "small"})])

    @case("integrations.onec.catalog.deactivate_missing")
    def _(_s):
        assert catalog.deactivate_missing(utcnow() + timedelta(seconds=1), variants=False) == 3  # with the saw
        db.session.commit()
        return Expect("products", state["hammer"], None, [Ev("1c:product_updated", {"active": True},
                                                              {"active": False})])

    @case("integrations.onec.warehouses.set_location")
    def _(_s):
        warehouses.note([("WH-1", "Far store")], utcnow())
        row = db.session.scalar(db.select(OnecWarehouse).where(OnecWarehouse.onec_id == "WH-1"))
        db.session.commit()
        shop = db.session.scalar(db.select(Location.id).order_by(Location.id).limit(1))
        warehouses.set_location(admin, row.id, shop)
        return Expect("onec_warehouses", row.id, admin, [Ev("onec_warehouse_mapped", {"location_id": None},
                                                           {"location_id": shop})])

    @case("integrations.catalog_csv.writing.import_catalog")
    def _(_s):
        text = ("sku,name,section,price,barcode,returnable,discountable,warranty_months\n"
                "PENNY,Product PENNY,,0.02,,,,0\n"
                "VALVE,Product VALVE,,99.99,,,,0\n"      # nothing changes: no event
                "SAW-1,Hand saw,,12.50,,no,,6\n")
        result = writing.import_catalog(io.StringIO(text))
        assert (result.created, result.updated, result.rejected) == (1, 2, [])
        saw = db.session.scalar(db.select(Product.id).where(Product.sku == "SAW-1"))
        return [
            Expect("products", w.products["PENNY"].id, None, [Ev("import:product_updated", {"price": 1},
                                                                 {"price": 2})]),
            Expect("products", w.products["VALVE"].id, None, []),
            Expect("products", saw, None, [Ev("import:product_created", None, {
                "sku": "SAW-1", "name": "Hand saw", "price": 12_50, "warranty_months": 6, "returnable": False,
                "discountable": True, "active": True, "section_id": None})])]

    # --- API keys and the outbox -------------------------------------------------------------------
    @case("staff.api_keys.create_key")
    def _(_s):
        key, _secret = api_keys.create_key("Web shop")
        state["key"] = key
        return Expect("api_keys", key.id, None, [Ev("cli:api_key_created", None,
                                                    {"name": "Web shop", "prefix": key.prefix})])

    @case("staff.api_keys.revoke")
    def _(_s):
        assert api_keys.revoke("Web shop") == 1
        key = db.session.get(type(state["key"]), state["key"].id)
        return Expect("api_keys", key.id, None, [Ev("cli:api_key_revoked", {"revoked_at": None},
                                                    {"revoked_at": key.revoked_at.isoformat()})])

    def failed_event():
        event = outbox.enqueue("test.topic", "audit:outbox:1", {"n": 1})
        event.attempts, event.failed_at, event.last_error = 3, utcnow(), "unreachable"
        db.session.commit()
        return event.id, event.failed_at.isoformat()

    @case("messaging.delivery.retry_now", setup=failed_event)
    def _(s):
        event_id, failed_at = s
        outbox_delivery.retry_now(admin, event_id)
        return Expect("outbox_events", event_id, admin, [Ev(
            "outbox_retried", {"attempts": 3, "failed_at": failed_at, "error": "unreachable"},
            {"attempts": 0, "failed_at": None, "topic": "test.topic", "key": "audit:outbox:1"})])

    return cases


def _last_event_id() -> int:
    return db.session.scalar(db.select(db.func.coalesce(db.func.max(AuditEvent.id), 0)))


def _events_since(mark: int, object_type: str, object_id: int) -> list[AuditEvent]:
    return list(db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.id > mark, AuditEvent.object_type == object_type, AuditEvent.object_id == object_id)
        .order_by(AuditEvent.id)))


def _check(case: Case, expect: Expect, mark: int, started, finished) -> list[str]:
    problems = []
    events = _events_since(mark, expect.object_type, expect.object_id)
    got = [e.action for e in events]
    wanted = [e.action for e in expect.events]
    if got != wanted:
        return [f"{case.name}: {expect.object_type} #{expect.object_id} got events {got}, expected {wanted}"]
    for event, ev in zip(events, expect.events):
        actor_id = expect.actor.id if expect.actor is not None else None
        if event.actor_id != actor_id:
            problems.append(f"{case.name}: {ev.action} actor {event.actor_id}, expected {actor_id}")
        if not started <= event.at <= finished:
            problems.append(f"{case.name}: {ev.action} at {event.at} outside {started}…{finished}")
        if not _same(ev.before, event.before):
            problems.append(f"{case.name}: {ev.action} before {event.before!r}, expected {ev.before!r}")
        if not _same(ev.after, event.after):
            problems.append(f"{case.name}: {ev.action} after {event.after!r}, expected {ev.after!r}")
        if event.actor_id is None and ":" not in event.action and event.action not in PERSONLESS_ACTIONS:
            problems.append(f"{case.name}: {ev.action} has no actor and names no source")
        if labels.audit_action(event.action) == event.action:
            problems.append(f"{case.name}: {ev.action} has no label in portal/web/labels.py")
    return problems


# Events without a staff actor whose action itself says who acted (no "source:" prefix needed).
PERSONLESS_ACTIONS = {
    "login_locked": "the sign-in's own lockout after failed tries",
    "order_confirmed": "the client, who is not staff, confirmed by the SMS link (label: 'Confirmed by the client')",
}


def test_every_audited_change_records_who_when_before_and_after(office, ctx):  # noqa: F811
    cases = build_cases(office, ctx)
    problems: list[str] = []
    for case in cases:
        prepared = case.setup() if case.setup is not None else None
        db.session.commit()
        db.session.expire_all()
        mark = _last_event_id()
        started = utcnow()
        try:
            expects = case.call(prepared)
        except Exception as exc:  # one broken row must not hide the others
            db.session.rollback()
            problems.append(f"{case.name}: raised {exc!r}")
            continue
        finished = utcnow()
        db.session.expire_all()
        for expect in (expects if isinstance(expects, list) else [expects]):
            problems.extend(_check(case, expect, mark, started, finished))
    assert problems == [], "\n".join(problems)
    # The table is what the completeness check counts as covered.
    covered = {case.name.split(" (")[0] for case in cases}
    assert covered == set(TABLE_NAMES), sorted(covered ^ set(TABLE_NAMES))


# ------------------------------------------------------------------------------------ completeness

TABLE_NAMES = [
    "staff.staff.create_staff", "staff.staff.update_staff", "staff.staff.set_active", "staff.staff.reset_password",
    "staff.team.reset_member_password", "staff.team.set_member_active", "staff.auth.authenticate",
    "staff.locations.create_location", "staff.locations.update_location",
    "sales.quick_keys.add_key", "sales.quick_keys.move_key", "sales.quick_keys.remove_key",
    "clients.changes.create_client", "clients.changes.approve_change", "clients.changes.propose_change",
    "clients.changes.reject_change", "clients.changes.apply_change", "clients.changes.change_client",
    "clients.changes.change_term",
    "clients.contacts.update_contacts", "clients.assignment.assign_manager", "clients.dates.update_dates",
    "clients.clients.register_client",
    "sales.till.register_client", "integrations.opencart.clients.new_imported_client",
    "orders.orders.create_draft", "orders.orders.update_draft", "orders.orders.submit", "orders.orders.reopen", "orders.orders.approve",
    "orders.orders.reject", "orders.orders.cancel", "orders.confirmation.send_code", "orders.confirmation.confirm_with_code",
    "orders.payments.record_payment", "orders.orders.complete", "sales.returns.return_goods", "integrations.onec.order_status.apply_report",
    "orders.confirmation.confirm_with_link", "sales.sales.place_paid_order", "sales.till.checkout",
    "clients.corrections.adjust_client_bonus", "clients.bonus.change_programme",
    "integrations.onec.catalog.upsert_product", "integrations.onec.catalog.upsert_products",
    "integrations.onec.offers.apply_offers", "integrations.onec.catalog.deactivate_missing",
    "integrations.onec.warehouses.set_location",
    "integrations.catalog_csv.writing.import_catalog", "staff.api_keys.create_key", "staff.api_keys.revoke", "messaging.delivery.retry_now",
]

# Public functions that write but are not an audited change, each with the reason.
NOT_AUDITED = {
    "automation.templates.enable_template": "makes its rule through automation.rules.create_rule_in_transaction "
                                            "(audited: rule_created)",
    "automation.engine.fire": "runs the rules: each action is an audited service call or an outbox SMS, the run a RuleRun",
    "automation.engine.order_changed": "runs the rules of an order's change (automation.engine.fire)",
    "automation.engine.run_date_rules": "runs the date rules (automation.engine.fire)",
    "clients.bonus.current": "the ledger's release and expiry before a read: ledger entries are their own trail",
    "clients.bonus.settle": "the ledger's release and expiry: ledger entries are their own trail",
    "clients.bonus.sweep": "the ledger's release and expiry sweep: ledger entries are their own trail",
    "integrations.onec.catalog_exchange.forget_session_imports": "1C's exchange progress rows, not the catalogue",
    "integrations.onec.catalog_exchange.import_step": "exchange machinery: what it changes is audited by "
                                                      "integrations.onec.catalog (rows above)",
    "integrations.onec.protocol.find_session": "1C's exchange session rows",
    "integrations.onec.protocol.latest_session": "1C's exchange session rows",
    "integrations.onec.protocol.open_session": "1C's exchange session rows",
    "integrations.onec.sale_exchange.confirm": "marks outbox events delivered to 1C: delivery machinery",
    "integrations.onec.sale_exchange.query": "records what 1C was sent: delivery machinery",
    "integrations.opencart.importer.import_all": "clients through integrations.opencart.clients (audited, a row "
                                                "above), points as the ledger's own import entries",
    "integrations.opencart.importer.prepare": "the import's own progress rows",
    "statistics.sums.rebuild": "the statistics' sums, made again from the rows they sum",
    "transactions.operation": "the transaction helper",
    "staff.api_keys.authenticate": "stamps last_used_at of a key: a reading, not a change of it",
    "audit.mark_read": "a reader marks their own notifications read",
    "audit.notify": "writes a notification (the audit trail's sibling), not a business change",
    "audit.notify_client": "writes a notification, not a business change",
    "audit.record": "writes the audit event itself",
    "audit.record_id": "writes the audit event itself",
    "staff.auth.end_session": "sign-out: a session row, not a change of the account",
    "staff.auth.load_session_user": "refreshes a session's last-seen time",
    "staff.auth.start_session": "sign-in: a session row; the account's lockout is audited (auth.authenticate)",
    "clients.access.end_session": "the client's own sign-out on the bonus page",
    "clients.access.request_code": "a one-time sign-in code for the bonus page (its own table, throttled)",
    "clients.access.session_client": "refreshes the client's session",
    "clients.access.start_session": "the client's sign-in on the bonus page",
    "clients.access.verify_code": "uses up a one-time code",
    "messaging.codes.issue": "a one-time code row",
    "orders.invoices.issue_invoice": "a document issued inside the audited confirmation (order_confirmed)",
    "integrations.onec.catalog.upsert_section": "the 1C classifier's sections: structure, not a product or price",
    "integrations.onec.warehouses.note": "the list of 1C's warehouses as its packages name them",

    "orders.orders.expire_codes": "part of reopen/cancel, audited there",
    "orders.confirmation.send_for_confirmation": "orders.submit and send_code in turn, each audited",
    "orders.history.record_change": "writes the orders' audit events",
    "messaging.outbox.enqueue": "a message to another system, inside the audited change that sends it",
    "messaging.delivery.claim": "delivery machinery: the event row keeps attempts and errors",
    "messaging.delivery.deliver_claimed": "delivery machinery",
    "messaging.delivery.deliver_due": "delivery machinery",
    "messaging.delivery.deliver_now": "delivery machinery",
    "messaging.delivery.record": "delivery machinery",
    "sales.returns.preview_return": "computes a return and rolls it back: nothing is kept",
    "sales.shifts.close_shift": "the shift row itself records who closed it, when, and the cash counted",
    "sales.shifts.open_shift": "the shift row itself records who opened it, when, and the float",
    "sales.cash.record_movement": "the cash movement's row itself records who, when, how much and why",
    "fiscal.documents.record_sale": "the sale's fiscal document, inside the audited sale",
    "fiscal.documents.record_return": "the return's fiscal document, inside the audited return",
    "fiscal.documents.record_open_shift": "the register's shift document, inside the shift's opening",
    "fiscal.documents.record_close_shift": "the register's shift document, inside the shift's closing",
    "fiscal.documents.record_cash_movement": "the cash movement's fiscal document, inside the movement",
    "fiscal.registration.deliver": "delivery machinery: the register's answer is kept on the document and the event",
    "staff.staff.set_locale": "a person's own choice of language",
    "sales.stock.put_back": "stock moves are part of the audited sale, return or cancellation",
    "sales.stock.set_level": "stock counts from 1C or the catalogue file: an inventory feed, not a change of terms",
    "sales.stock.set_levels": "many stock counts from 1C at once: the same inventory feed as set_level",
    "sales.stock.take": "part of the audited sale or confirmation",
    "sales.till.add": "the cashier's cart before the sale (the sale is audited: order_placed)",
    "sales.till.put_in": "the cart", "sales.till.take_out": "the cart",
    "sales.parked.park": "a cart put aside before the sale: the parked row keeps who parked it and when",
    "sales.parked.resume": "a parked cart back in the till: the cart before the sale",
    "sales.parked.discard": "a parked cart dropped when the customer left: nothing was sold",
    "sales.till.attach_client": "the cart", "sales.till.cart_of": "the cart", "sales.till.clear": "the cart",
    "sales.till.detach_client": "the cart", "sales.till.scan": "the cart", "sales.till.set_bonus": "the cart",
    "sales.till.set_quantity": "the cart", "sales.till.view": "the cart",
    "transactions.one_transaction": "the transaction helper",
}

# Written by other modules of this issue and checked by their own tests; here only that they audit.
AUDITED_ELSEWHERE = {
    "clients.loyalty_card.card_number_of": "tests/integration/web/test_cashier_counter.py (card_issued)",
    "sales.receipt_link.send": "tests/integration/web/test_cashier_counter.py (receipt_sent)",
    "automation.rules.create_rule": "tests/integration/services/test_automation_events.py",
    "automation.rules.create_rule_in_transaction": "tests/integration/services/test_automation_events.py",
    "automation.rules.set_active": "tests/integration/services/test_automation_events.py",
    "automation.rules.update_rule": "tests/integration/services/test_automation_events.py",
    "clients.bonus.adjust": "the core of clients.corrections.adjust_client_bonus (a row above) and of "
                            "`flask bonus adjust`: tests/integration/test_cli.py",
    "tasks.cancel": "tests/integration/services/test_tasks.py",
    "tasks.complete": "tests/integration/services/test_tasks.py",
    "tasks.create_task": "tests/integration/services/test_tasks.py",
    "tasks.create_task_in_transaction": "tests/integration/services/test_tasks.py",
    "tasks.reschedule": "tests/integration/services/test_tasks.py",
    "clients.assignment.assign_manager_in_transaction":
        "the core of clients.assignment.assign_manager (a row above); also run by the automation rules: "
        "tests/integration/services/test_automation_events.py",
    "orders.orders.reprice_in_transaction": "the automation rules' extra discount: "
                                     "tests/integration/services/test_automation_events.py",
}

# What makes a function a writer: it commits, runs a transaction, adds rows or runs DML.
WRITE_MARKERS = ("commit()", "one_transaction(", "@operation", "session.add(", "session.add_all(", "retry_when_busy(",
                 "db.update(", "sa.update(", "db.delete(", "sa.delete(", "session.delete(", "_INSERT", "_UPDATE",
                 "audit.record")


def _writers(path: pathlib.Path, module: str) -> dict[str, str]:
    """Public functions of a module that write, directly or through the module's own helpers: name -> source."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    source = {name: ast.unparse(node) for name, node in functions.items()}
    calls = {name: {c.func.id for c in ast.walk(node) if isinstance(c, ast.Call)
                    and isinstance(c.func, ast.Name) and c.func.id in functions}
             for name, node in functions.items()}

    def reach(name: str) -> str:
        """The function's source with that of every function of the module it calls, at any depth."""
        seen, todo = [], [name]
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.append(current)
                todo.extend(calls[current])
        return "\n".join(source[n] for n in seen)

    found = {}
    for name in functions:
        if not name.startswith("_"):
            text = reach(name)
            if any(m in text for m in WRITE_MARKERS):
                found[f"{module}.{name}"] = text
    return found


def discovered_writers() -> dict[str, str]:
    """Every writing public function of the services (`services/**`, named from there, e.g.
    "sales.till.checkout") and of the integrations' own services (`integrations/**`)."""
    found: dict[str, str] = {}
    for folder, prefix in ((ROOT / "services", ""), (ROOT / "integrations", "integrations.")):
        for path in sorted(folder.rglob("*.py")):
            parts = path.relative_to(folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if parts:
                found.update(_writers(path, prefix + ".".join(parts)))
    return found


def test_every_writing_service_function_is_audited_or_says_why_not():
    writers = discovered_writers()
    classified = set(TABLE_NAMES) | set(NOT_AUDITED) | set(AUDITED_ELSEWHERE)
    unclassified = sorted(set(writers) - classified)
    assert unclassified == [], ("new writing service functions: add a row to the audit table in this module, "
                                f"or say in NOT_AUDITED why they are not an audited change: {unclassified}")
    stale = sorted(name for name in set(NOT_AUDITED) | set(AUDITED_ELSEWHERE) if name not in writers)
    assert stale == [], f"listed but no longer writing (or gone): {stale}"
    for name, where in AUDITED_ELSEWHERE.items():
        assert any(m in writers[name] for m in ("audit.record", "record_change(")), f"{name} writes no audit event"
        test_file = re.search(r"tests/\S+\.py", where).group(0)
        assert (ROOT.parent / test_file).exists(), f"{name}: {test_file} is missing"


def test_the_scan_finds_a_writer_through_its_private_helpers(tmp_path):
    module = tmp_path / "sample.py"
    module.write_text("def _helper():\n    db.session.commit()\n\n"
                      "def public():\n    return _helper()\n\n"
                      "def reader():\n    return 1\n", encoding="utf-8")
    assert set(_writers(module, "sample")) == {"sample.public"}


# ------------------------------------------------------------------------- the command line, the pages

def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_the_command_line_audits_as_the_system_and_names_itself(app, runner):
    with app.app_context():
        client = make_client(name="Cli Client", phone="+79164445566")
        client_id = client.id
    started = utcnow()
    result = runner.invoke(args=["bonus", "settings", "--hold-days", "20", "--accrual-rate", "5"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["bonus", "adjust", "--phone", "8 916 444-55-66", "--amount", "150.50",
                                 "--reason", "  Moved from the old card  "])
    assert result.exit_code == 0, result.output
    assert "adjusted Cli Client by +150.50: available 150.50" in result.output
    result = runner.invoke(args=["bonus", "adjust", "--phone", "+79164445566", "--amount", "-500", "--reason", "x"])
    assert result.exit_code == 2 and "Not enough bonus" in result.output  # refused: nothing written
    result = runner.invoke(args=["users", "create", "--email", "cli@example.com", "--name", "Cli Admin",
                                 "--role", "admin", "--password", "long-enough-1"])
    assert result.exit_code == 0, result.output
    finished = utcnow()
    with app.app_context():
        (settings_event,) = _events("cli:bonus_settings_changed")
        assert (settings_event.actor_id, settings_event.object_type) == (None, "bonus_settings")
        assert (settings_event.before, settings_event.after) == ({"hold_days": 14}, {"hold_days": 20})
        (adjusted,) = _events("cli:bonus_adjusted")
        account = db.session.scalar(db.select(LedgerAccount.id).where(LedgerAccount.client_id == client_id))
        assert (adjusted.actor_id, adjusted.object_type, adjusted.object_id) == (None, "clients", client_id)
        assert (adjusted.before, adjusted.after) == ({"available": 0, "pending": 0}, {
            "available": 150_50, "pending": 0, "amount": 150_50, "reason": "Moved from the old card",
            "client_id": client_id, "account_id": account})
        (created,) = _events("cli:staff_created")
        assert created.actor_id is None and created.after["email"] == "cli@example.com"
        events = list(db.session.scalars(db.select(AuditEvent)))
        assert all(started <= e.at <= finished for e in events)
        assert ledger.bonus_of(client_id).available == 150_50 and ledger.verify().ok
    # Without the command line's source nobody may adjust without being a supervisor.
    with app.app_context(), pytest.raises(Exception) as refused:
        bonus_service.adjust(None, client_id, 100, "no actor", "test:no-actor")
    assert getattr(refused.value, "code", None) == "forbidden"


def test_the_audit_log_and_the_histories_read_in_the_readers_language(app, client, login):
    with app.app_context():
        bonus_service.change_programme(None, hold_days=21)          # no source given: the settings default to "cli"
        boss = make_staff("supervisor", name="Boss Reader")
        manager = make_staff("manager", supervisor=boss, name="Mia Manager")
        buyer = make_client(manager=manager, name="Reader Client")
        corrections.adjust_client_bonus(boss, buyer.id, 5_00, "Apology", "tok-reader")
        card = catalog.ProductCard(onec_id="1C-R", sku="R-1", name="Rake", barcode="", group_id=None)
        product_id, _created = catalog.upsert_product(card, utcnow())
        offers.apply_offers([offers.OfferChange("1C-R", "Rake", price=99_00)], utcnow())
        db.session.commit()
        buyer_id, boss_email = buyer.id, boss.email
    login("admin", locale="ru")
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "Изменена бонусная программа (командная строка)" in html
    assert "Цена изменена (1С)" in html and "Товар создан (1С)" in html
    assert "Бонусы скорректированы вручную" in html and "Boss Reader" in html
    assert "Товар #" in html and "Клиент #" in html
    # The changes read as values: the new price, in money.
    assert re.search(r"Цена:</span>\s*0,00\s*₽ → 99,00\s*₽", html)
    client.post("/logout")
    response = client.post("/login", data={"email": boss_email, "password": "correct-horse-9"})
    assert response.status_code == 302
    card_html = client.get(f"/manager/clients/{buyer_id}").get_data(as_text=True)
    assert 'data-testid="adjusted-history"' in card_html and "Apology" in card_html
    with app.test_request_context():
        assert labels.audit_source("1c:order_paid") == "1C" and labels.audit_source("order_paid") is None
        assert labels.audit_action("1c:order_paid") == "Paid in full (1C)"

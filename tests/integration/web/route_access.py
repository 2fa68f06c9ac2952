"""The tables of the authorisation matrix (tests/integration/web/test_authorisation_matrix.py) and
the data set it runs on.

Every rule of `app.url_map` must be found here twice:

- in ACCESS (by endpoint, or by blueprint as "manager.*"): which door it is and who may pass;
- in ARGUMENTS, when its URL has arguments: which object of the data set fills each of them.

A route that is in neither fails the matrix with "add <endpoint> to the matrix", so a new route
cannot slip through unchecked. Argument values name a key of `World.own()` / `World.other()`
(the signed-in person's own objects, and another team's), or are literal when they start with "=".
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import sqlalchemy as sa

from portal.extensions import db
from portal.models import Channel, PaymentMethod

# ------------------------------------------------------------------------------------------ who asks

STAFF_ROLES = ("cashier", "manager", "supervisor", "admin")
# `api`: a valid web-shop API key and no session; `onec`: the 1C exchange's HTTP Basic credentials.
PRINCIPALS = ("anonymous", "client") + STAFF_ROLES + ("api", "onec")

# ------------------------------------------------------------------------------------------ doors

STAFF = "staff"    # a staff session of an allowed role; anyone else is sent to /login?next=…, a wrong role gets 403
CLIENT = "client"  # the client's bonus-page session; anyone else is sent to /my/login
API = "api"        # a bearer API key; anything else is 401 JSON (a staff session grants nothing)
ONEC = "onec"      # the 1C exchange's Basic credentials (or its cookie); anything else is 401
PUBLIC = "public"  # everyone (sign-in pages, signed links, the language switch, the OpenAPI document, /healthz)

EVERYONE = frozenset(PRINCIPALS)
ALL_STAFF = frozenset(STAFF_ROLES)
MANAGERS = frozenset({"manager", "supervisor"})

ACCESS: dict[str, tuple[str, frozenset[str]]] = {
    # whole blueprints
    "admin.*": (STAFF, frozenset({"admin"})),
    "supervisor.*": (STAFF, frozenset({"supervisor"})),
    "manager.*": (STAFF, MANAGERS),
    "cashier.*": (STAFF, frozenset({"cashier"})),
    "api.*": (API, frozenset({"api"})),
    "onec.*": (ONEC, frozenset({"onec"})),
    # a supervisor's decisions on the manager's screens
    "manager.client_assign": (STAFF, frozenset({"supervisor"})),
    "manager.order_approve": (STAFF, frozenset({"supervisor"})),
    "manager.order_reject": (STAFF, frozenset({"supervisor"})),
    # every signed-in staff member
    "common.notifications": (STAFF, ALL_STAFF),
    "common.read_notification": (STAFF, ALL_STAFF),
    "common.read_all_notifications": (STAFF, ALL_STAFF),
    "auth.logout": (STAFF, ALL_STAFF),
    # open doors
    "auth.login": (PUBLIC, EVERYONE),
    "common.index": (PUBLIC, EVERYONE),
    "common.set_language": (PUBLIC, EVERYONE),
    "api.openapi": (PUBLIC, EVERYONE),
    "healthz": (PUBLIC, EVERYONE),  # the load balancer's health check (portal/health.py)
    "client.login": (PUBLIC, EVERYONE),
    "client.code": (PUBLIC, EVERYONE),
    "client.link": (PUBLIC, EVERYONE),
    "client.logout": (PUBLIC, EVERYONE),
    "client.confirm_order": (PUBLIC, EVERYONE),  # the signed link of the confirmation SMS
    "receipt_link.receipt": (PUBLIC, EVERYONE),  # the signed receipt link of the receipt SMS
    "receipt_link.receipt_pdf_view": (PUBLIC, EVERYONE),
    # the client's own pages
    "client.bonus": (CLIENT, frozenset({"client"})),
    "client.card_barcode": (CLIENT, frozenset({"client"})),
    "client.card_qr": (CLIENT, frozenset({"client"})),
    "client.invoice": (CLIENT, frozenset({"client"})),
}


def access_of(endpoint: str) -> tuple[str, frozenset[str]] | None:
    if endpoint in ACCESS:
        return ACCESS[endpoint]
    return ACCESS.get(endpoint.split(".", 1)[0] + ".*")


# ------------------------------------------------------------------------------------------ URL values

ARGUMENTS: dict[str, dict[str, str]] = {
    "admin.location_edit": {"location_id": "location"},
    "admin.onec_warehouse": {"warehouse_id": "onec_warehouse"},
    "admin.quick_keys_page": {"location_id": "location"},
    "admin.quick_key_add": {"location_id": "location"},
    "admin.quick_key_move": {"location_id": "location", "product_id": "product"},
    "admin.quick_key_remove": {"location_id": "location", "product_id": "product"},
    "admin.outbox_retry": {"event_id": "outbox_event"},
    "admin.staff_edit": {"user_id": "staff_target"},
    "admin.staff_reset_password": {"user_id": "staff_target"},
    "admin.staff_set_active": {"user_id": "staff_target"},
    "api.bonus_entries": {"client_id": "client"},
    "api.get_bonus": {"client_id": "client"},
    "api.get_client": {"client_id": "client"},
    "api.get_order": {"order_id": "order"},
    "api.create_return": {"order_id": "order"},
    "cashier.add": {"product_id": "product"},
    "cashier.set_qty": {"product_id": "product"},
    "cashier.order": {"order_id": "order"},
    "cashier.receipt": {"order_id": "order"},
    "cashier.receipt_pdf_view": {"order_id": "order"},
    "cashier.receipt_sms": {"order_id": "order"},
    "cashier.return_form": {"order_id": "order"},
    "cashier.past_shift": {"shift_id": "shift"},
    "cashier.resume": {"parked_id": "=1"},
    "cashier.discard_parked": {"parked_id": "=1"},
    "cashier.return_receipt": {"return_id": "return"},
    "cashier.return_receipt_pdf_view": {"return_id": "return"},
    "client.confirm_order": {"token": "confirm_token"},
    "client.invoice": {"order_id": "confirmed"},
    "client.link": {"token": "link_token"},
    "receipt_link.receipt": {"token": "receipt_token"},
    "receipt_link.receipt_pdf_view": {"token": "receipt_token"},
    "common.read_notification": {"note_id": "note"},
    "manager.client_assign": {"client_id": "client"},
    "manager.client_card": {"client_id": "client"},
    "manager.client_contacts": {"client_id": "client"},
    "manager.client_dates_update": {"client_id": "client"},
    "manager.client_edit": {"client_id": "client"},
    "manager.client_term_change": {"client_id": "client", "term": "=discount"},
    "manager.order_approve": {"order_id": "approval_order"},
    "manager.order_reject": {"order_id": "approval_order"},
    "manager.order_cancel": {"order_id": "draft"},
    "manager.order_card": {"order_id": "order"},
    "manager.order_complete": {"order_id": "order"},
    "manager.order_confirm": {"order_id": "awaiting"},
    "manager.order_edit": {"order_id": "draft"},
    "manager.order_invoice": {"order_id": "confirmed"},
    "manager.order_payment": {"order_id": "confirmed"},
    "manager.order_reopen": {"order_id": "awaiting"},
    "manager.order_send_code": {"order_id": "awaiting"},
    "manager.order_submit": {"order_id": "draft"},
    "manager.task_card": {"task_id": "task"},
    "manager.task_complete": {"task_id": "task"},
    "manager.task_reschedule": {"task_id": "task"},
    "manager.task_cancel": {"task_id": "task"},
    "supervisor.approval_approve": {"kind": "=order", "item_id": "approval_order"},
    "supervisor.approval_reject": {"kind": "=change", "item_id": "change"},
    "supervisor.report": {"key": "=sales_by_client"},
    "supervisor.report_csv": {"key": "=sales_by_client"},
    "supervisor.report_pdf": {"key": "=sales_by_client"},
    "supervisor.automation_enable": {"code": "=new_client_call"},
    "supervisor.rule_edit": {"rule_id": "rule"},
    "supervisor.rule_pause": {"rule_id": "rule"},
    "supervisor.rule_resume": {"rule_id": "rule"},
    "supervisor.reset_password": {"user_id": "member"},
    "supervisor.set_active": {"user_id": "member"},
}

# The same route again with other values (the other kind of approval item), for the IDOR test.
VARIANTS: dict[str, list[dict[str, str]]] = {
    "supervisor.approval_approve": [{"kind": "=change", "item_id": "change"}],
    "supervisor.approval_reject": [{"kind": "=order", "item_id": "approval_order"}],
}

# Query strings some routes need to do their work (same notation as ARGUMENTS).
QUERIES: dict[str, dict[str, str]] = {
    "onec.exchange": {"type": "=sale", "mode": "=query"},
    "manager.order_new": {"client": "client"},
    "supervisor.bonus": {"client": "client"},
}

# Another team's objects behind ids that are not in the URL path: each is asked by manager A and
# supervisor A with B's ids (method, endpoint, where the id goes: "query" or "form", name, world key).
HIDDEN_IDS: list[tuple[str, str, str, str, str]] = [
    ("GET", "manager.home", "query", "manager", "manager"),
    ("GET", "manager.order_new", "query", "client", "client"),
    ("POST", "manager.order_create", "form", "client_id", "client"),
    ("GET", "supervisor.bonus", "query", "client", "client"),
    ("POST", "supervisor.bonus_adjust", "form", "client_id", "client"),
    ("POST", "supervisor.approvals_bulk", "form", "items", "approval_key"),
    ("GET", "manager.tasks", "query", "manager", "manager"),
    ("GET", "manager.task_new", "query", "client_id", "client"),
    ("GET", "manager.task_new", "query", "order_id", "draft"),
    ("POST", "manager.task_new", "form", "client_id", "client"),
    ("GET", "supervisor.rule_runs", "query", "rule", "rule"),
]


def resolve(spec: str, values: dict):
    return spec[1:] if spec.startswith("=") else values[spec]


def build_url(app, rule, values: dict, wanted: dict | None = None) -> str:
    """The rule's URL with every argument filled from `values`; AssertionError naming the endpoint
    when the matrix does not know an argument."""
    wanted = wanted if wanted is not None else ARGUMENTS.get(rule.endpoint, {})
    missing = sorted(set(rule.arguments) - set(wanted))
    if missing:
        raise AssertionError(f"add {rule.endpoint} to the matrix (no value for URL argument(s) {', '.join(missing)} "
                             f"in tests/integration/web/route_access.py ARGUMENTS)")
    args = {name: resolve(spec, values) for name, spec in wanted.items() if name in rule.arguments}
    query = {name: resolve(spec, values) for name, spec in QUERIES.get(rule.endpoint, {}).items()}
    with app.test_request_context():
        from flask import url_for
        return url_for(rule.endpoint, **args, **query)


def write_methods(rule) -> list[str]:
    return sorted(rule.methods & {"POST", "PUT", "PATCH", "DELETE"})


def methods_of(rule) -> list[str]:
    return (["GET"] if "GET" in rule.methods else []) + write_methods(rule)


# ------------------------------------------------------------------------------------------ nothing changed

# Bookkeeping a refused request may touch without changing anything a person would call data.
VOLATILE_COLUMNS = {"last_seen_at", "last_used_at"}


def snapshot() -> dict[str, list]:
    """Every row of every table (volatile bookkeeping columns left out), to compare before and after."""
    db.session.rollback()
    state = {}
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if c.name not in VOLATILE_COLUMNS]
        rows = db.session.execute(sa.select(*columns)).all()
        state[table.name] = sorted(repr(tuple(row)) for row in rows)
    db.session.rollback()
    return state


def changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in after if before.get(name) != after[name]]


_WRITE = re.compile(r"^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.I)
# A signed-in request may keep its session record up to date (when it was last seen).
BOOKKEEPING = {("UPDATE", "staff_sessions"), ("UPDATE", "client_sessions")}


class WriteRecorder:
    """Every INSERT/UPDATE/DELETE that touched a row (committed or not) on the app's engine while it
    listens. (A guarded `UPDATE … WHERE user_id = me AND id = theirs` touches none and is no write.)"""

    def __init__(self, app):
        with app.app_context():
            self.engine = db.engine
        self.statements: list[str] = []
        sa.event.listen(self.engine, "after_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany):
        match = _WRITE.match(statement)
        if match and cursor.rowcount != 0 and (match.group(1).split()[0].upper(), match.group(2).lower()) \
                not in BOOKKEEPING:
            self.statements.append(" ".join(statement.split())[:120])

    def clear(self) -> None:
        self.statements = []

    def stop(self) -> None:
        sa.event.remove(self.engine, "after_cursor_execute", self._seen)


# ------------------------------------------------------------------------------------------ the data set

@dataclass
class World:
    """Team A (supervisor Sonia Alpha; managers Anna Alpha and her colleague Carl Alpha), team B
    (supervisor Boris Beta, manager Bella Beta), a cashier in each of two shops, a client of each
    manager with orders in every state a route works on, a return, shifts, notifications."""

    emails: dict[str, str]
    ids: dict[str, int]
    a: dict = field(default_factory=dict)          # team A's objects (the principals' own)
    b: dict = field(default_factory=dict)          # team B's objects
    colleague: dict = field(default_factory=dict)  # Carl Alpha's (Anna's colleague, same team)
    notes: dict = field(default_factory=dict)      # principal -> a notification of their own
    names: dict = field(default_factory=dict)      # what must never show to another team
    api_key: str = ""
    onec: tuple[str, str] = ("exchange-1c", "exchange-secret-9")

    def own(self, principal: str) -> dict:
        values = dict(self.a)
        values["note"] = self.notes.get(principal, self.notes["manager"])
        return values

    def other(self) -> dict:
        return dict(self.b)


def _confirmation_sms(path: str) -> tuple[str, str]:
    from portal.integrations.sms import sent_messages
    text = sent_messages(path)[-1]["text"]
    code = re.search(r"\bCode (\d{6})\b", text).group(1)
    link = re.search(r"(https?://\S+/my/confirm/\S+)", text).group(1)
    return code, urlsplit(link).path.rsplit("/", 1)[1]


def build_world(app, sms_path: str) -> World:
    from portal.models import OutboxEvent
    from portal.services import audit
    from portal.services.clients import access, changes
    from portal.services.clients.changes import ClientChange
    from portal.services.orders import confirmation as order_confirmation
    from portal.services.orders import orders
    from portal.services.orders.orders import DraftLine, OrderDraft
    from portal.services.sales import receipt_link, returns, sales, shifts
    from portal.services.staff import api_keys

    from ...factories import make_client, make_location, make_product, make_staff

    app.config["SMS_FILE_PATH"] = sms_path
    app.config["ONEC_LOGIN"], app.config["ONEC_PASSWORD"] = World.onec
    with app.app_context():
        main = make_location("warehouse", code="MAIN", name="Main warehouse", is_main=True)
        shop1 = make_location("shop", code="SH1", name="Alpha shop")
        shop2 = make_location("shop", code="SH2", name="Beta shop")
        product = make_product("DRILL", 1_000_00, stock={main: 100, shop1: 20, shop2: 20}, name="Cordless drill")
        admin = make_staff("admin", name="Ada Admin")
        sa_ = make_staff("supervisor", name="Sonia Alpha")
        ma = make_staff("manager", name="Anna Alpha", supervisor=sa_)
        ma2 = make_staff("manager", name="Carl Alpha", supervisor=sa_)
        sb = make_staff("supervisor", name="Boris Beta")
        mb = make_staff("manager", name="Bella Beta", supervisor=sb)
        k1 = make_staff("cashier", name="Kate Alpha", shop=shop1)
        k2 = make_staff("cashier", name="Kim Beta", shop=shop2)
        ca = make_client(ma, "Vega Alpha Client", phone="+79161110001")
        ca2 = make_client(ma2, "Colleague Carlsclient", phone="+79161110002")
        cb = make_client(mb, "Stranger Betaclient", phone="+79161110003")

        def shop_sale(cashier, shop, client, qty):
            shift = shifts.open_shift(cashier, 0)
            shift_id = shift.id
            order = sales.place_paid_order(sales.Sale(
                channel=Channel.SHOP, lines=[sales.SaleLine(qty=qty, sku="DRILL")], location_id=shop.id,
                client_id=client.id, payments={PaymentMethod.CARD: qty * 1_000_00}, created_by_id=cashier.id,
                shift_id=shift_id, key=f"matrix:sale:{cashier.id}"))
            ret = returns.return_goods(order.id, [returns.ReturnRequest(qty=1, sku="DRILL")],
                                       key=f"matrix:return:{cashier.id}", reason="matrix", actor_id=cashier.id,
                                       location_id=shop.id, shift_id=shift_id)
            ids = {"order": order.id, "order_number": order.number, "return": ret.id}
            shifts.close_shift(cashier, 0)
            ids["shift"] = shift_id
            return ids

        def manager_orders(manager, client):
            def draft(**line):
                return orders.create_draft(manager, OrderDraft(client_id=client.id, location_id=main.id,
                                                               lines=[DraftLine("DRILL", 1, **line)]))
            draft_order = draft()
            approval = orders.submit(manager, draft(discount_bp=1000).id)
            confirmed = orders.submit(manager, draft().id)
            order_confirmation.send_code(manager, confirmed.id)
            code, _token = _confirmation_sms(sms_path)
            order_confirmation.confirm_with_code(manager, confirmed.id, code)
            awaiting = orders.submit(manager, draft().id)
            order_confirmation.send_code(manager, awaiting.id)
            _code, token = _confirmation_sms(sms_path)
            return {"draft": draft_order.id, "approval_order": approval.id, "approval_key": f"order-{approval.id}",
                    "confirmed": confirmed.id, "confirmed_number": confirmed.number, "awaiting": awaiting.id,
                    "confirm_token": token, "draft_number": draft_order.number}

        def change_of(manager, client):
            return changes.propose_change(manager, client.id, ClientChange(
                kind="private_person", name=client.name, discount_bp=300, credit_limit=0, deferral_days=0)).id

        a = {"client": ca.id, "manager": ma.id, "member": ma2.id, "product": product.id, "location": shop2.id,
             "staff_target": mb.id, **shop_sale(k1, shop1, ca, 2), **manager_orders(ma, ca),
             "change": change_of(ma2, ca2)}
        b = {"client": cb.id, "manager": mb.id, "member": mb.id, "product": product.id, "location": shop2.id,
             "staff_target": mb.id, **shop_sale(k2, shop2, cb, 3), **manager_orders(mb, cb),
             "change": change_of(mb, cb)}
        colleague = {"client": ca2.id, "manager": ma2.id, "draft": orders.create_draft(ma2, OrderDraft(
            client_id=ca2.id, location_id=main.id, lines=[DraftLine("DRILL", 1)])).id}
        a["link_token"] = access.signed_link(ca.id).rsplit("/", 1)[1]
        b["link_token"] = access.signed_link(cb.id).rsplit("/", 1)[1]
        a["receipt_token"] = receipt_link.token_for(a["order"])
        b["receipt_token"] = receipt_link.token_for(b["order"])
        notes = {}
        for principal, user in (("manager", ma), ("supervisor", sa_), ("cashier", k1), ("admin", admin)):
            note = audit.notify(user, "order_approved", "/manager/", by="Matrix", number="M-1", comment="")
            db.session.flush()
            notes[principal] = note.id
        note = audit.notify(mb, "order_approved", "/manager/", by="Matrix", number="M-2", comment="")
        db.session.flush()
        b["note"] = note.id
        # Tasks (one of each manager) and an automation rule of each team.
        from datetime import timedelta

        from portal.models import utcnow
        from portal.services import tasks as task_service
        from portal.services.automation import templates as rule_templates
        due = utcnow() + timedelta(days=1)
        a["task"] = task_service.create_task_in_transaction(title="Alpha call task", due_at=due, assignee_id=ma.id,
                                                            client_id=ca.id).id
        b["task"] = task_service.create_task_in_transaction(title="Stranger Betatask", due_at=due, assignee_id=mb.id,
                                                            client_id=cb.id).id
        colleague["task"] = task_service.create_task_in_transaction(title="Colleague Carlstask", due_at=due,
                                                                    assignee_id=ma2.id, client_id=ca2.id).id
        db.session.commit()
        event = db.session.scalar(sa.select(OutboxEvent).order_by(OutboxEvent.id))
        a["outbox_event"] = b["outbox_event"] = event.id
        from portal.models import OnecWarehouse
        warehouse = OnecWarehouse(onec_id="wh-matrix", name="Склад некондиции", unmapped_quantity="6")
        db.session.add(warehouse)
        db.session.commit()
        a["onec_warehouse"] = b["onec_warehouse"] = warehouse.id
        a["rule"] = rule_templates.enable_template(sa_, "new_client_call").id
        b["rule"] = rule_templates.enable_template(sb, "new_client_call").id
        _key, secret = api_keys.create_key("matrix")
        emails = {"manager": ma.email, "supervisor": sa_.email, "cashier": k1.email, "admin": admin.email,
                  "manager_b": mb.email, "supervisor_b": sb.email}
        ids = {"client": ca.id, "client_b": cb.id}
        names = {"b": [cb.name, b["order_number"], b["confirmed_number"], b["draft_number"], "Stranger Betatask"],
                 "colleague": [ca2.name, "Colleague Carlstask"]}
        return World(emails=emails, ids=ids, a=a, b=b, colleague=colleague, notes=notes, names=names,
                     api_key=secret)

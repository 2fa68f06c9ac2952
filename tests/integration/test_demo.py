"""flask demo: a believable company on an empty database, nothing on a non-empty one."""
from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.clock import local_date
from portal.demo import builder
from portal.demo.builder import DEMO_PASSWORD
from portal.extensions import db
from portal.models import (
    AddressKind,
    Barcode,
    Client,
    ClientKind,
    ClientPhone,
    Location,
    LocationKind,
    Product,
    Role,
    Section,
    Stock,
    User,
    product_analogues,
)
from portal.phones import normalize_phone
from portal.services.clients.tax_ids import validate_tax_id

from ..conftest import TEST_CONFIG, empty_all_tables
from ..factories import make_staff

DEMO_EMAILS = (["admin@demo.portal", "supervisor@demo.portal"] + [f"manager{i}@demo.portal" for i in range(1, 6)]
               + [f"cashier{i}@demo.portal" for i in range(1, 5)])
E164 = {"RU": re.compile(r"^\+79\d{9}$"), "UA": re.compile(r"^\+380(50|63|66|67|68|73|93|95|96|97|98|99)\d{7}$")}


def ean13_valid(code: str) -> bool:
    """Independent of the demo module: weights 1,3,1,3,... over the first 12 digits."""
    if len(code) != 13 or not code.isdigit():
        return False
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(code[:12]))
    return (total + int(code[12])) % 10 == 0


def table_counts() -> dict[str, int]:
    """Rows per table, for every table of the models that the migrated schema has."""
    existing = set(sa.inspect(db.engine).get_table_names())
    return {t.name: db.session.scalar(sa.select(sa.func.count()).select_from(t))
            for t in db.metadata.sorted_tables if t.name in existing}


def invoke_demo(app, runner):
    """Run `flask demo` as the command line does (the command pushes its own app context)."""
    return runner.invoke(args=["demo"])


def all_of(model) -> list:
    return list(db.session.scalars(sa.select(model)))


@pytest.fixture
def ua_app(migrated):
    """The app configured for Ukraine, on the same test database."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": migrated, "PORTAL_COUNTRY": "UA",
                      "PORTAL_CURRENCY": "UAH", "WTF_CSRF_ENABLED": False})
    yield app
    with app.app_context():
        db.session.rollback()
        empty_all_tables()
        db.engine.dispose()


def test_demo_command_loads_once_with_a_consistent_history_prints_logins_and_they_sign_in(app, runner, client):
    result = invoke_demo(app, runner)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Demo data loaded: 1 admin, 1 supervisor, 5 managers, 4 cashiers, 2 shops, "
                                    "1 warehouse, 200 clients, 300 products in ")
    assert DEMO_PASSWORD in result.output
    for email in DEMO_EMAILS:
        assert email in result.output
    assert re.search(r", \d{3} past orders with bonus history, \d+ managers. orders in every state", result.output)
    with app.app_context():
        before = table_counts()
        assert before["users"] == 11 and before["clients"] == 200 and before["products"] == 300
        assert_a_consistent_bonus_history()

    again = invoke_demo(app, runner)
    assert again.exit_code == 0, again.output
    assert "not empty" in again.output and "Demo data loaded" not in again.output
    assert DEMO_PASSWORD in again.output
    for email in DEMO_EMAILS:
        assert email in again.output
    with app.app_context():
        assert table_counts() == before

    for email in ("admin@demo.portal", "supervisor@demo.portal", "manager3@demo.portal", "cashier2@demo.portal"):
        response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, email
        client.post("/logout")
    assert client.post("/login", data={"email": "admin@demo.portal", "password": "wrong-password"}).status_code == 401


def test_demo_result_and_staff(ctx):
    result = builder.load_demo(with_history=False)
    assert result.created is True
    assert re.fullmatch(r"1 admin, 1 supervisor, 5 managers, 4 cashiers, 2 shops, 1 warehouse, 200 clients, "
                        r"300 products in \d+ sections, \d+ past orders with bonus history, \d+ managers. orders in every state", result.summary)
    assert [email for _, email, _ in result.logins] == DEMO_EMAILS
    assert [role for role, _, _ in result.logins] == ["admin", "supervisor"] + ["manager"] * 5 + ["cashier"] * 4
    assert all(name and len(name.split()) == 3 for _, _, name in result.logins)

    staff = all_of(User)
    by_role = Counter(u.role for u in staff)
    assert by_role == {Role.ADMIN: 1, Role.SUPERVISOR: 1, Role.MANAGER: 5, Role.CASHIER: 4}
    supervisor = next(u for u in staff if u.role is Role.SUPERVISOR)
    managers = [u for u in staff if u.role is Role.MANAGER]
    assert all(m.supervisor_id == supervisor.id for m in managers)
    assert sorted(m.id for m in supervisor.team) == sorted(m.id for m in managers)
    assert all(u.active for u in staff)
    assert len({u.hired_on for u in staff}) == len(staff)
    assert all(u.hired_on <= date.today() for u in staff)
    assert all(E164["RU"].match(u.phone) and normalize_phone(u.phone, "RU") == u.phone for u in staff)
    assert len({u.phone for u in staff}) == len(staff)

    locations = all_of(Location)
    shops = [loc for loc in locations if loc.kind is LocationKind.SHOP]
    warehouses = [loc for loc in locations if loc.kind is LocationKind.WAREHOUSE]
    assert len(shops) == 2 and len(warehouses) == 1
    assert warehouses[0].is_main and warehouses[0].code == "MAIN"
    assert not any(shop.is_main for shop in shops)
    for shop in shops:
        assert shop.address and normalize_phone(shop.phone, "RU") == shop.phone
        cashiers = [u for u in staff if u.role is Role.CASHIER and u.shop_id == shop.id]
        assert len(cashiers) == 2


def test_demo_clients(ctx):
    builder.load_demo(with_history=False)
    clients = all_of(Client)
    assert len(clients) == 200
    kinds = Counter(c.kind for c in clients)
    assert set(kinds) == set(ClientKind) and all(n >= 20 for n in kinds.values())

    managers = {u.id: u for u in all_of(User) if u.role is Role.MANAGER}
    per_manager = Counter(c.manager_id for c in clients)
    assert set(per_manager) == set(managers) and min(per_manager.values()) >= 10
    now = datetime.now(UTC)
    for c in clients:
        assert c.created_by_id == c.manager_id
        assert c.created_at.tzinfo is not None
        assert now - timedelta(days=740) < c.created_at < now
        assert c.created_at.date() >= managers[c.manager_id].hired_on

    # Tax IDs: always for companies and sole proprietors, for some private persons.
    for c in clients:
        if c.kind is ClientKind.PRIVATE_PERSON and c.tax_id is None:
            continue
        assert c.tax_id is not None, c.name
        assert validate_tax_id(c.tax_id, "RU", c.kind) == c.tax_id
        assert len(c.tax_id) == (10 if c.kind is ClientKind.LEGAL_ENTITY else 12)
    assert any(c.tax_id is None for c in clients)
    assert len({c.tax_id for c in clients if c.tax_id}) == sum(1 for c in clients if c.tax_id)

    names = {kind: [c.name for c in clients if c.kind is kind] for kind in ClientKind}
    assert all(re.match(r"^(ООО|АО|ПАО) «.+»$", n) for n in names[ClientKind.LEGAL_ENTITY])
    assert all(re.match(r"^ИП \w+ \w\. \w\.$", n) for n in names[ClientKind.SOLE_PROPRIETOR])
    assert all(len(n.split()) == 3 for n in names[ClientKind.PRIVATE_PERSON])
    assert len(set(names[ClientKind.LEGAL_ENTITY])) == len(names[ClientKind.LEGAL_ENTITY])

    phones = [p.number for p in all_of(ClientPhone)]
    assert len(phones) >= 200 and len(set(phones)) == len(phones)
    assert all(E164["RU"].match(n) and normalize_phone(n, "RU") == n for n in phones)
    assert all(c.phones for c in clients)

    assert sum(1 for c in clients if c.emails) > 130
    assert all("@" in e.address and e.address == e.address.strip().lower() for c in clients for e in c.emails)
    assert all(1 <= len(c.addresses) <= 2 for c in clients)
    assert {a.kind for c in clients for a in c.addresses} == set(AddressKind)
    assert all(any(a.kind is AddressKind.LEGAL for a in c.addresses)
               for c in clients if c.kind is ClientKind.LEGAL_ENTITY)

    cards = [c.card_number for c in clients if c.card_number]
    assert 70 <= len(cards) <= 130 and len(set(cards)) == len(cards)
    assert all(len(card) == 13 and card.startswith("2000") and card.isdigit() for card in cards)

    for c in clients:
        assert type(c.discount_bp) is int and 0 <= c.discount_bp <= 2000 and c.discount_bp % 100 == 0
        assert type(c.credit_limit) is int and c.credit_limit >= 0 and c.credit_limit % 100 == 0
        assert c.deferral_days in (0, 7, 14, 30)
        if c.kind is ClientKind.PRIVATE_PERSON:
            assert c.credit_limit == 0 and c.deferral_days == 0
        if c.credit_limit == 0:
            assert c.deferral_days == 0
    assert any(c.discount_bp > 0 for c in clients) and any(c.credit_limit >= 100_000_000 for c in clients)

    # Birthdays for persons only, none in the future; renewal dates for companies and sole proprietors;
    # a few of each in the next days, so the card and the date reminders show something at once.
    today = local_date()
    assert all(c.birthday is None for c in clients if c.kind is ClientKind.LEGAL_ENTITY)
    assert all(c.contract_renewal_on is None for c in clients if c.kind is ClientKind.PRIVATE_PERSON)
    birthdays = [c.birthday for c in clients if c.birthday]
    assert len(birthdays) > 50 and all(date(1900, 1, 1) <= b <= today for b in birthdays)
    assert sum(1 for c in clients if c.contract_renewal_on) > 50
    soon = [today + timedelta(days=n) for n in range(8)]
    assert sum(1 for b in birthdays if any((b.month, b.day) == (d.month, d.day) for d in soon)) >= 2
    assert sum(1 for c in clients if c.contract_renewal_on in soon) >= 2


def test_demo_catalogue(ctx):
    builder.load_demo(with_history=False)
    sections = all_of(Section)
    assert 20 <= len(sections) <= 30

    def depth(section: Section) -> int:
        return 1 if section.parent is None else 1 + depth(section.parent)

    assert max(depth(s) for s in sections) >= 2
    parents = {s.parent_id for s in sections}

    products = all_of(Product)
    assert len(products) == 300
    assert len({p.sku for p in products}) == 300
    assert len({p.name for p in products}) == 300
    for p in products:
        assert p.section_id is not None and p.section_id not in parents  # products live in leaf sections
        assert type(p.price) is int and 5_000 <= p.price <= 30_000_000
        assert p.warranty_months in (0, 12, 24, 36, 60)
        assert 1 <= len(p.barcodes) <= 2
        assert p.active
    warranties = Counter(p.warranty_months for p in products)
    assert warranties[0] >= 30 and sum(n for w, n in warranties.items() if w) >= 150
    not_returnable = sum(1 for p in products if not p.returnable)
    not_discountable = sum(1 for p in products if not p.discountable)
    assert 15 <= not_returnable <= 45 and 15 <= not_discountable <= 45

    codes = [b.code for b in all_of(Barcode)]
    assert len(codes) == len(set(codes)) >= 300
    assert all(ean13_valid(code) for code in codes)
    cards = {c.card_number for c in all_of(Client) if c.card_number}
    assert all(ean13_valid(card) for card in cards) and not cards & set(codes)

    # Analogues: 2-3 each for about half the products, same leaf section, similar price.
    pairs = db.session.execute(sa.select(product_analogues.c.product_id, product_analogues.c.analogue_id)).all()
    per_product = Counter(product_id for product_id, _ in pairs)
    assert 120 <= len(per_product) <= 180
    assert set(per_product.values()) <= {2, 3}
    by_id = {p.id: p for p in products}
    for product_id, analogue_id in pairs:
        product, analogue = by_id[product_id], by_id[analogue_id]
        assert product_id != analogue_id
        assert product.section_id == analogue.section_id
        assert max(product.price, analogue.price) <= 2 * min(product.price, analogue.price)

    # Stock: plenty in the main warehouse, less (and gaps) in the shops.
    locations = {loc.code: loc.id for loc in all_of(Location)}
    stock = all_of(Stock)
    assert all(type(s.quantity) is int and s.quantity >= 0 for s in stock)
    main = [s for s in stock if s.location_id == locations["MAIN"]]
    assert len(main) == 300 and sum(1 for s in main if s.quantity > 0) >= 270
    for code in ("SHOP1", "SHOP2"):
        in_shop = {s.product_id: s.quantity for s in stock if s.location_id == locations[code]}
        assert 100 <= sum(1 for q in in_shop.values() if q > 0) < 300
        assert any(q == 0 for q in in_shop.values())
        assert sum(in_shop.values()) < sum(s.quantity for s in main)
    # Something to show off: a product out of stock in a shop whose analogue is there.
    shop1 = {s.product_id: s.quantity for s in stock if s.location_id == locations["SHOP1"]}
    assert any(shop1.get(p, 0) == 0 and shop1.get(a, 0) > 0 for p, a in pairs)


def test_demo_is_deterministic(ctx):
    def snapshot():
        staff = sorted((u.email, u.name, u.phone, u.hired_on) for u in all_of(User))
        clients = sorted((c.kind.value, c.name, c.tax_id, c.card_number, c.discount_bp, c.credit_limit,
                          c.deferral_days, c.birthday, c.contract_renewal_on, c.manager.email, tuple(p.number for p in c.phones),
                          tuple(e.address for e in c.emails), tuple((a.kind.value, a.text) for a in c.addresses))
                         for c in all_of(Client))
        products = sorted((p.sku, p.name, p.price, p.section.path, p.returnable, p.discountable, p.warranty_months,
                           tuple(b.code for b in p.barcodes), tuple(a.sku for a in p.analogues),
                           tuple(sorted((s.location.code, s.quantity) for s in p.stock)))
                          for p in all_of(Product))
        return staff, clients, products

    builder.load_demo(with_history=False)
    first = snapshot()
    db.session.rollback()
    empty_all_tables()
    db.session.expunge_all()
    assert builder.load_demo(with_history=False).created
    assert snapshot() == first


def test_non_empty_database_is_left_alone(ctx):
    make_staff("admin", email="boss@example.com")
    before = table_counts()
    result = builder.load_demo(with_history=False)
    assert result.created is False
    assert "not empty" in result.summary and "not loaded" in result.summary
    assert result.logins == []  # no demo admin: nothing to announce
    assert table_counts() == before


def test_failure_half_way_leaves_an_empty_database(ctx, monkeypatch):
    def broken(self, *args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(builder._Builder, "write", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        builder.load_demo(with_history=False)
    assert all(n == 0 for n in table_counts().values()), table_counts()
    monkeypatch.undo()
    assert builder.load_demo(with_history=False).created


def test_demo_for_ukraine(ua_app):
    with ua_app.app_context():
        result = builder.load_demo(with_history=False)
        assert result.created
        clients = all_of(Client)
        assert len(clients) == 200 and {c.kind for c in clients} == set(ClientKind)
        for c in clients:
            if c.tax_id is None:
                assert c.kind is ClientKind.PRIVATE_PERSON
                continue
            assert validate_tax_id(c.tax_id, "UA", c.kind) == c.tax_id
            assert len(c.tax_id) == (8 if c.kind is ClientKind.LEGAL_ENTITY else 10)
        assert all(re.match(r"^(ТОВ|ПрАТ|ПП) «.+»$", c.name) for c in clients if c.kind is ClientKind.LEGAL_ENTITY)
        assert all(c.name.startswith("ФОП ") for c in clients if c.kind is ClientKind.SOLE_PROPRIETOR)
        numbers = [p.number for p in all_of(ClientPhone)] + [u.phone for u in all_of(User)]
        assert len(set(numbers)) == len(numbers)
        assert all(E164["UA"].match(n) and normalize_phone(n, "UA") == n for n in numbers)
        assert all(loc.phone.startswith("+380") and normalize_phone(loc.phone, "UA") == loc.phone
                   for loc in all_of(Location))
        assert db.session.scalar(sa.select(sa.func.count(Product.id))) == 300
    client = ua_app.test_client()
    assert client.post("/login", data={"email": "manager1@demo.portal", "password": DEMO_PASSWORD}).status_code == 302


def assert_a_consistent_bonus_history():
    """What the demo's history (past orders through the services) must leave; the command test
    loads it (the whole demo is slow enough to load once)."""
    from portal import ledger
    from portal.models import LedgerAccount, Order, OrderStatus, Return
    assert ledger.verify().ok
    from portal import daily_sums  # the statistics' sums were kept by the services that made the history
    assert daily_sums.differences(db.session.connection()) == dict.fromkeys(daily_sums.TABLES, 0)
    assert db.session.scalar(sa.text("SELECT count(*) FROM stat_goods_days")) > 100
    assert db.session.scalar(db.select(db.func.count(Order.id))) >= 150
    assert db.session.scalar(db.select(db.func.count(Return.id))) >= 5
    assert db.session.scalar(db.select(db.func.count(Order.id)).where(
        Order.status == OrderStatus.PARTIALLY_RETURNED)) >= 1
    accounts = db.session.scalars(db.select(LedgerAccount).where(LedgerAccount.client_id.is_not(None))).all()
    assert len(accounts) >= 50
    assert any(a.available > 0 for a in accounts) and any(a.pending > 0 for a in accounts)
    assert db.session.scalar(db.select(db.func.count(Order.id)).where(Order.bonus_redeemed > 0)) >= 10
    # Managers' orders in every state of SPEC §3, with invoices for the confirmed ones and overdue debt.
    from portal.models import Channel, Invoice
    from portal.services.orders.debt import debts_of
    states = {s for s, in db.session.execute(db.select(Order.status).where(Order.channel == Channel.MANAGER))}
    assert states >= {OrderStatus.DRAFT, OrderStatus.AWAITING_APPROVAL, OrderStatus.AWAITING_CONFIRMATION,
                      OrderStatus.CONFIRMED, OrderStatus.PAID, OrderStatus.COMPLETED, OrderStatus.CANCELLED}
    confirmed = db.session.scalar(db.select(db.func.count(Order.id)).where(Order.confirmed_at.is_not(None)))
    assert db.session.scalar(db.select(db.func.count(Invoice.id))) == confirmed > 0
    client_ids = [c for c, in db.session.execute(db.select(Order.client_id).where(Order.channel == Channel.MANAGER))]
    assert any(d.overdue > 0 for d in debts_of(client_ids).values())

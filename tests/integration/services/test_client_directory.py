"""Who sees which client, and the client list's search, filters, sorting and pages (all in SQL)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal import ledger
from portal.clock import local_date
from portal.errors import NotFound
from portal.extensions import db
from portal.models import Channel, Client, ClientKind, ClientStatus, Order, OrderStatus, PaymentTerms, utcnow
from portal.services.clients import changes, directory
from portal.services.clients.directory import UNASSIGNED, ClientQuery

from ...factories import make_client, make_staff


@pytest.fixture
def world(ctx):
    boss = make_staff("supervisor", name="Boss")
    anna = make_staff("manager", supervisor=boss, name="Anna")
    oleg = make_staff("manager", supervisor=boss, name="Oleg")
    other_boss = make_staff("supervisor", name="Other Boss")
    stranger = make_staff("manager", supervisor=other_boss, name="Stranger")
    clients = {
        "kran": make_client(anna, "ООО Кран", ClientKind.LEGAL_ENTITY, "+79161234567", tax_id="7707083893",
                            discount_bp=500, credit_limit=100_000_00),
        "truba": make_client(anna, "Truba Ltd", ClientKind.LEGAL_ENTITY, "+79031112233", tax_id="7702070139",
                             discount_bp=1_000, credit_limit=50_000_00),
        "ivanov": make_client(anna, "Иванов Пётр", ClientKind.PRIVATE_PERSON, "+79165550000", discount_bp=0),
        "olegs": make_client(oleg, "Oleg's Shop", ClientKind.SOLE_PROPRIETOR, "+79267770000",
                             tax_id="500100732259", discount_bp=300, credit_limit=10_000_00),
        "stray": make_client(None, "Unassigned Co", ClientKind.LEGAL_ENTITY, "+79998887766"),
        "alien": make_client(stranger, "Alien Corp", ClientKind.LEGAL_ENTITY, "+79001234567",
                             credit_limit=999_000_00),
    }
    return {"boss": boss, "anna": anna, "oleg": oleg, "other_boss": other_boss, "stranger": stranger, **clients}


def names(page) -> list[str]:
    return [row.client.name for row in page.rows]


def find(user, **kwargs) -> list[str]:
    return names(directory.search_clients(user, ClientQuery(**kwargs)))


def owe(client: Client, amount: int, due: date) -> Order:
    """A confirmed order on deferred terms with `amount` still to pay (as the orders service leaves it)."""
    order = Order(channel=Channel.MANAGER, status=OrderStatus.CONFIRMED, client_id=client.id,
                  payment_terms=PaymentTerms.DEFERRED, due_date=due, subtotal=amount, paid=amount, received=0,
                  confirmed_at=utcnow())
    db.session.add(order)
    db.session.commit()
    return order


# --- visibility ----------------------------------------------------------------------------------

def test_a_manager_sees_exactly_their_own_clients(world):
    assert sorted(find(world["anna"])) == sorted(["ООО Кран", "Truba Ltd", "Иванов Пётр"])
    assert find(world["oleg"]) == ["Oleg's Shop"]
    assert directory.can_see(world["anna"], world["kran"])
    assert not directory.can_see(world["anna"], world["olegs"])
    assert not directory.can_see(world["anna"], world["stray"])
    with pytest.raises(directory.NotVisible):
        directory.visible_client(world["anna"], world["olegs"].id)
    with pytest.raises(NotFound):
        directory.visible_client(world["anna"], 999_999)


def test_a_supervisor_sees_the_team_and_the_unassigned_only(world):
    from portal.services.staff import staff as staff_service
    seen = sorted(find(world["boss"]))
    assert seen == sorted(["ООО Кран", "Truba Ltd", "Иванов Пётр", "Oleg's Shop", "Unassigned Co"])
    assert directory.can_see(world["boss"], world["stray"]) and not directory.can_see(world["boss"], world["alien"])
    # A former member's clients stay visible to the team's supervisor.
    staff_service.set_active(world["boss"], world["oleg"].id, False)
    assert "Oleg's Shop" in find(world["boss"])
    assert sorted(find(world["other_boss"])) == ["Alien Corp", "Unassigned Co"]
    assert find(world["boss"], manager=world["oleg"].id) == ["Oleg's Shop"]
    assert find(world["boss"], manager=UNASSIGNED) == ["Unassigned Co"]
    # Narrowing to another team's manager cannot widen the view.
    assert find(world["boss"], manager=world["stranger"].id) == []


def test_nobody_else_sees_clients(world):
    cashier = make_staff("cashier")
    assert find(cashier) == []
    assert not directory.can_see(cashier, world["kran"])
    admin = make_staff("admin")
    assert len(find(admin)) == 6


# --- search ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("q, expected", [
    ("кран", ["ООО Кран"]),                 # any case, Cyrillic
    ("  ООО   КРАН ", ["ООО Кран"]),
    ("TRUBA", ["Truba Ltd"]),
    ("пётр", ["Иванов Пётр"]),
    ("7707", ["ООО Кран"]),                 # tax ID prefix
    ("7707083893", ["ООО Кран"]),
    ("0708", []),                           # the tax ID is matched from its start
    ("8 (916) 123-45-67", ["ООО Кран"]),    # a phone in any notation
    ("+7 903 111 22 33", ["Truba Ltd"]),
    ("555", ["Иванов Пётр"]),                # digits inside a phone
    ("no such", []),
    ("%", []),                              # wildcards are text
])
def test_search_by_name_tax_id_and_phone(world, q, expected):
    assert find(world["anna"], q=q) == expected


def test_search_never_finds_what_one_may_not_see(world):
    assert find(world["anna"], q="Alien") == []
    assert find(world["anna"], q="+79001234567") == []
    assert find(world["boss"], q="Unassigned") == ["Unassigned Co"]


# --- filters ---------------------------------------------------------------------------------------

def test_filter_by_kind_and_status(world):
    assert sorted(find(world["anna"], kind="legal_entity")) == ["Truba Ltd", "ООО Кран"]
    assert find(world["anna"], kind="private_person") == ["Иванов Пётр"]
    assert find(world["boss"], kind="sole_proprietor") == ["Oleg's Shop"]
    assert len(find(world["anna"], kind="nonsense")) == 3  # an unknown value filters nothing
    pending = changes.create_client(world["anna"], changes.NewClient(
        kind="private_person", name="Newcomer", phone="+79160001122"))
    assert find(world["anna"], status="pending") == ["Newcomer"]
    assert "Newcomer" not in find(world["anna"], status="active")
    changes.reject_change(world["boss"], changes.pending_request_of(pending.id).id, "duplicate")
    assert find(world["anna"], status="rejected") == ["Newcomer"]


def test_filter_by_debt(world):
    today = local_date()
    owe(world["kran"], 12_345_67, today + timedelta(days=5))
    owe(world["alien"], 1_00, today)
    # Paid in full: no debt.
    paid = owe(world["truba"], 500_00, today)
    paid.received = 500_00
    db.session.commit()
    assert find(world["anna"], has_debt=True) == ["ООО Кран"]
    assert sorted(find(world["anna"], has_debt=False)) == ["Truba Ltd", "Иванов Пётр"]
    row, = directory.search_clients(world["anna"], ClientQuery(has_debt=True)).rows
    assert (row.debt.open, row.debt.overdue) == (12_345_67, 0)


def test_filter_by_bonus(world):
    ledger.accrue(world["truba"].id, 150_00, "test:accrual:truba")            # pending only
    ledger.accrue(world["ivanov"].id, 40_00, "test:accrual:ivanov", hold_days=0)
    ledger.settle(world["ivanov"].id)                                        # available
    ledger.client_account(world["kran"].id)                                  # an account with nothing on it
    db.session.commit()
    assert sorted(find(world["anna"], has_bonus=True)) == ["Truba Ltd", "Иванов Пётр"]
    assert find(world["anna"], has_bonus=False) == ["ООО Кран"]
    rows = {r.client.name: r for r in directory.search_clients(world["anna"], ClientQuery(has_bonus=True)).rows}
    assert (rows["Truba Ltd"].bonus_available, rows["Truba Ltd"].bonus_pending) == (0, 150_00)
    assert (rows["Иванов Пётр"].bonus_available, rows["Иванов Пётр"].bonus_pending) == (40_00, 0)


def test_filters_combine(world):
    owe(world["truba"], 1_00, local_date())
    assert find(world["anna"], kind="legal_entity", has_debt=True, q="truba") == ["Truba Ltd"]
    assert find(world["anna"], kind="private_person", has_debt=True) == []


def test_rows_flag_a_change_waiting_for_approval(world):
    kran = world["kran"]
    changes.propose_change(world["anna"], kran.id, changes.ClientChange(
        kind="legal_entity", name=kran.name, tax_id=kran.tax_id, discount_bp=900, credit_limit=kran.credit_limit,
        deferral_days=0))
    flags = {r.client.name: r.change_pending for r in directory.search_clients(world["anna"], ClientQuery()).rows}
    assert flags == {"ООО Кран": True, "Truba Ltd": False, "Иванов Пётр": False}


# --- sorting and pages -----------------------------------------------------------------------------

def test_sorting(world):
    anna = world["anna"]
    assert find(anna, sort="name") == ["Truba Ltd", "Иванов Пётр", "ООО Кран"]
    assert find(anna, sort="name", descending=True) == ["ООО Кран", "Иванов Пётр", "Truba Ltd"]
    assert find(anna, sort="discount") == ["Иванов Пётр", "ООО Кран", "Truba Ltd"]
    assert find(anna, sort="discount", descending=True) == ["Truba Ltd", "ООО Кран", "Иванов Пётр"]
    assert find(anna, sort="credit_limit", descending=True) == ["ООО Кран", "Truba Ltd", "Иванов Пётр"]
    assert find(anna, sort="created") == ["ООО Кран", "Truba Ltd", "Иванов Пётр"]
    assert find(anna, sort="created", descending=True) == ["Иванов Пётр", "Truba Ltd", "ООО Кран"]
    assert find(anna, sort="bogus") == find(anna, sort="name")


def test_pages(ctx):
    manager = make_staff("manager")
    for i in range(53):
        make_client(manager, f"Client {i:02d}")
    first = directory.search_clients(manager, ClientQuery(page=1))
    assert (first.total, first.pages, first.page, len(first.rows)) == (53, 3, 1, 25)
    assert names(first)[0] == "Client 00" and names(first)[-1] == "Client 24"
    assert (first.first_index, first.last_index, first.has_prev, first.has_next) == (1, 25, False, True)
    last = directory.search_clients(manager, ClientQuery(page=3))
    assert names(last) == ["Client 50", "Client 51", "Client 52"]
    assert (last.first_index, last.last_index, last.has_next) == (51, 53, False)
    # Past the end: the last page; before the start: the first.
    assert directory.search_clients(manager, ClientQuery(page=99)).page == 3
    assert directory.search_clients(manager, ClientQuery(page=-4)).page == 1
    assert directory.search_clients(manager, ClientQuery(page=2, per_page=10)).rows[0].client.name == "Client 10"
    assert first.window() == [1, 2, 3]
    many = directory.ClientPage(rows=[], total=500, page=10, per_page=25, sort="name", descending=False)
    assert many.window() == [1, None, 8, 9, 10, 11, 12, None, 20]


def test_an_empty_list(ctx):
    manager = make_staff("manager")
    page = directory.search_clients(manager, ClientQuery(q="x"))
    assert (page.rows, page.total, page.pages, page.page, page.first_index) == ([], 0, 1, 1, 0)


# --- the card --------------------------------------------------------------------------------------

def test_the_card_reads_the_same_figures_as_the_ledger(world):
    kran = world["kran"]
    ledger.accrue(kran.id, 70_00, "test:a1", hold_days=0)
    ledger.accrue(kran.id, 30_00, "test:a2")
    db.session.commit()
    owe(kran, 5_000_00, local_date() - timedelta(days=3))
    card = directory.client_card(world["anna"], kran.id)
    assert (card.bonus.available, card.bonus.pending) == (70_00, 30_00)   # the due release happened on reading
    assert card.bonus == ledger.bonus_of(kran.id)
    assert (card.debt.open, card.debt.overdue, card.debt.days_overdue) == (5_000_00, 5_000_00, 3)
    assert [o.subtotal for o in card.orders] == [5_000_00] and card.orders_total == 1
    assert sorted(leg.amount for leg in card.legs) == [30_00, 70_00, 70_00]  # two accruals and one release
    assert card.pending_request is None and card.last_decision is None
    with pytest.raises(directory.NotVisible):
        directory.client_card(world["oleg"], kran.id)


def test_reading_a_card_creates_no_bonus_account(world):
    from portal.models import LedgerAccount
    directory.client_card(world["anna"], world["ivanov"].id)
    assert db.session.scalar(db.select(db.func.count(LedgerAccount.id))) == 0
    assert world["ivanov"].status is ClientStatus.ACTIVE

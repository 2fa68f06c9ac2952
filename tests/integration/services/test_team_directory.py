"""The supervisor's team directory (figures per manager, search) and what a supervisor may do to
the team's managers and to the bonus of the team's clients, without HTTP.

The fixture: Sonia's team is Anna, Boris and Carl (Carl deactivated); Olga's team is Stan.
Orders (all `manager` channel unless said):
    Anna, for her client A1, one order in every state        -> open for Anna: 4 (draft … confirmed)
    Boris, for Anna's client A2, draft                      -> open for Anna and for Boris
    Stan (other team), for Anna's client A3, confirmed      -> open for Anna
    Anna, for Stan's client S1, awaiting confirmation       -> open for Anna
    Boris, without a client, awaiting approval              -> open for Boris
    Carl, for his client C1, confirmed                      -> open for Carl
    Stan, for his client S1, draft                          -> Stan's (3 for Stan: this, A3's, Anna's for S1)
    web-shop order of A1 left "confirmed"                   -> not a manager's order: nobody's
    till sale of A1, paid                                   -> nobody's
Expected open orders: Anna 4 + 1 + 1 + 1 = 7, Boris 2, Carl 1.
Clients: Anna 3, Boris 0, Carl 1 (and Stan 1, an unassigned one: nobody's in the team).
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from portal import ledger
from portal.errors import DomainError, Forbidden, NotFound, ValidationError
from portal.extensions import db
from portal.models import OPEN_STATES, AuditEvent, Channel, Client, Order, OrderStatus, User
from portal.services.clients import corrections
from portal.services.clients.directory import NotVisible
from portal.services.orders.order_list import orders_at_a_glance
from portal.services.staff import team

from ...factories import make_client, make_staff


@dataclass
class Team:
    boss: User
    anna: User
    boris: User
    carl: User
    other_boss: User
    stan: User
    a1: Client
    s1: Client


def _order(channel: Channel, status: OrderStatus, client: Client | None, author: User | None) -> Order:
    order = Order(channel=channel, status=status, client_id=client.id if client else None,
                  created_by_id=author.id if author else None)
    db.session.add(order)
    return order


@pytest.fixture
def crew(ctx) -> Team:
    boss = make_staff("supervisor", name="Sonia Boss")
    anna = make_staff("manager", name="Anna Petrova", email="anna.p@example.com", phone="+7 916 555-12-34",
                      supervisor=boss)
    boris = make_staff("manager", name="Boris Orlov", email="orlov@example.com", phone="8 (903) 111-22-33",
                       supervisor=boss)
    carl = make_staff("manager", name="Carl Weber", email="carl@example.com", supervisor=boss)
    other_boss = make_staff("supervisor", name="Olga Other")
    stan = make_staff("manager", name="Stan Stranger", email="stan@example.com", supervisor=other_boss)
    a1, a2, a3 = (make_client(manager=anna, name=f"Anna's client {i}") for i in (1, 2, 3))
    c1 = make_client(manager=carl, name="Carl's client")
    s1 = make_client(manager=stan, name="Stan's client")
    make_client(name="Nobody's client")
    for status in OrderStatus:
        _order(Channel.MANAGER, status, a1, anna)
    _order(Channel.MANAGER, OrderStatus.DRAFT, a2, boris)
    _order(Channel.MANAGER, OrderStatus.CONFIRMED, a3, stan)
    _order(Channel.MANAGER, OrderStatus.AWAITING_CONFIRMATION, s1, anna)
    _order(Channel.MANAGER, OrderStatus.AWAITING_APPROVAL, None, boris)
    _order(Channel.MANAGER, OrderStatus.CONFIRMED, c1, carl)
    _order(Channel.MANAGER, OrderStatus.DRAFT, s1, stan)
    _order(Channel.WEB, OrderStatus.CONFIRMED, a1, None)
    _order(Channel.SHOP, OrderStatus.PAID, a1, None)
    db.session.commit()
    from portal.services.staff import staff
    staff.set_active(boss, carl.id, False)
    return Team(boss, anna, boris, carl, other_boss, stan, a1, s1)


def _figures(rows) -> dict:
    return {row.manager.name: (row.open_orders, row.clients) for row in rows}


def test_open_orders_and_clients_per_manager_are_exact(crew):
    rows = team.team_directory(crew.boss)
    assert _figures(rows) == {"Anna Petrova": (7, 3), "Boris Orlov": (2, 0), "Carl Weber": (1, 1)}
    # Active first, by name; the deactivated member last; the login is the e-mail.
    assert [row.manager.name for row in rows] == ["Anna Petrova", "Boris Orlov", "Carl Weber"]
    assert rows[0].login == "anna.p@example.com"
    # Another team sees only its own.
    assert _figures(team.team_directory(crew.other_boss)) == {"Stan Stranger": (3, 1)}


def test_open_orders_agree_with_the_managers_own_overview(crew):
    anna = next(r for r in team.team_directory(crew.boss) if r.manager.id == crew.anna.id)
    glance = orders_at_a_glance(crew.anna)
    assert anna.open_orders == sum(glance.by_status[s] for s in OPEN_STATES) == 7


def test_the_directory_takes_three_queries_whatever_the_team_size(crew):
    def count_queries() -> int:
        seen = []

        def listener(conn, cursor, statement, parameters, context, executemany):
            if statement.lstrip().upper().startswith("SELECT"):
                seen.append(statement)

        db.session.expire_all()
        assert crew.boss.name  # the supervisor is loaded, as the signed-in user is
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            rows = team.team_directory(crew.boss)
            [(row.manager.name, row.open_orders, row.clients, row.login) for row in rows]
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    small = count_queries()
    for _i in range(6):
        member = make_staff("manager", supervisor=crew.boss)
        make_client(manager=member)
        _order(Channel.MANAGER, OrderStatus.DRAFT, None, member)
    db.session.commit()
    assert count_queries() == small == 3


@pytest.mark.parametrize("query, names", [
    ("anna", ["Anna Petrova"]),
    ("PETROVA", ["Anna Petrova"]),
    ("orlov@", ["Boris Orlov"]),
    ("example.com", ["Anna Petrova", "Boris Orlov", "Carl Weber"]),
    ("916 555", ["Anna Petrova"]),
    ("8 903 111 22 33", ["Boris Orlov"]),
    ("+7 (903) 111-22-33", ["Boris Orlov"]),
    ("stan", []),  # another team's manager is never found
    ("100%", []),
    ("   ", ["Anna Petrova", "Boris Orlov", "Carl Weber"]),
])
def test_search_by_name_email_or_phone(crew, query, names):
    assert [row.manager.name for row in team.team_directory(crew.boss, query)] == names


def test_the_figures_stay_exact_for_the_rows_a_search_keeps(crew):
    assert _figures(team.team_directory(crew.boss, "boris")) == {"Boris Orlov": (2, 0)}


def test_a_supervisor_acts_only_on_the_own_team(crew):
    assert team.team_member(crew.boss, crew.anna.id) is crew.anna
    assert team.team_member(crew.boss, crew.carl.id) is crew.carl  # deactivated: still a member
    cashier = make_staff("cashier")
    for outsider in (crew.stan, crew.other_boss, crew.boss, cashier):
        with pytest.raises(Forbidden):
            team.team_member(crew.boss, outsider.id)
    with pytest.raises(NotFound):
        team.team_member(crew.boss, 999_999)
    with pytest.raises(Forbidden):
        team.team_member(crew.anna, crew.boris.id)  # a manager has no team
    with pytest.raises(Forbidden):
        team.reset_member_password(crew.boss, crew.stan.id)
    with pytest.raises(Forbidden):
        team.set_member_active(crew.boss, crew.stan.id, False)
    assert db.session.get(User, crew.stan.id).active


def test_reset_password_of_a_member_is_audited_and_ends_the_sessions(crew):
    version = crew.anna.session_version
    member, password = team.reset_member_password(crew.boss, crew.anna.id)
    assert member.id == crew.anna.id and len(password) >= 10
    user = db.session.get(User, crew.anna.id)
    assert password not in user.password_hash and user.session_version == version + 1
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "password_reset"))
    assert (event.actor_id, event.object_id) == (crew.boss.id, crew.anna.id)


def test_deactivate_and_reactivate_a_member(crew):
    team.set_member_active(crew.boss, crew.boris.id, False)
    assert not db.session.get(User, crew.boris.id).active
    team.set_member_active(crew.boss, crew.carl.id, True)
    assert db.session.get(User, crew.carl.id).active
    actions = [(e.action, e.actor_id, e.object_id) for e in db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action.in_(["staff_deactivated", "staff_activated"]),
                                    AuditEvent.actor_id == crew.boss.id).order_by(AuditEvent.id))]
    assert actions == [("staff_deactivated", crew.boss.id, crew.carl.id),  # by the fixture
                       ("staff_deactivated", crew.boss.id, crew.boris.id),
                       ("staff_activated", crew.boss.id, crew.carl.id)]


# --- the bonus of a client of the team -------------------------------------------------------------

def test_adjust_adds_and_takes_exact_amounts_once_per_token(crew):
    done = corrections.adjust_client_bonus(crew.boss, crew.a1.id, 150_50, "Apology for a late delivery", "t" * 20)
    assert (done.before.available, done.after.available, done.amount, done.repeated) == (0, 150_50, 150_50, False)
    again = corrections.adjust_client_bonus(crew.boss, crew.a1.id, 150_50, "Apology for a late delivery", "t" * 20)
    assert again.repeated and again.after.available == 150_50
    taken = corrections.adjust_client_bonus(crew.boss, crew.a1.id, -50_25, "Wrongly given", "u" * 20)
    assert (taken.before.available, taken.after.available, taken.amount) == (150_50, 100_25, -50_25)
    assert ledger.bonus_of(crew.a1.id).available == 100_25
    with pytest.raises(ledger.InsufficientBonus):
        corrections.adjust_client_bonus(crew.boss, crew.a1.id, -100_26, "Too much", "v" * 20)
    assert ledger.bonus_of(crew.a1.id).available == 100_25
    # The refused token was not used up: the corrected request goes through with it.
    corrections.adjust_client_bonus(crew.boss, crew.a1.id, -100_25, "All of it", "v" * 20)
    assert ledger.bonus_of(crew.a1.id).available == 0
    assert ledger.verify().ok


def test_adjust_needs_a_reason_and_a_client_of_the_team(crew):
    with pytest.raises(ValidationError) as refused:
        corrections.adjust_client_bonus(crew.boss, crew.a1.id, 100, "  ", "w" * 20)
    assert set(refused.value.fields) == {"reason"}
    with pytest.raises(NotVisible):
        corrections.adjust_client_bonus(crew.boss, crew.s1.id, 100, "Not mine", "x" * 20)
    with pytest.raises(NotFound):
        corrections.adjust_client_bonus(crew.boss, 999_999, 100, "Nobody", "y" * 20)
    with pytest.raises(DomainError):
        corrections.adjust_client_bonus(crew.anna, crew.a1.id, 100, "A manager may not", "z" * 20)
    assert ledger.bonus_of(crew.a1.id).available == 0
    assert ledger.bonus_of(crew.s1.id).available == 0
    assert ledger.verify().ok

"""Supervisors see their team's manager screens, managers their own clients; the cabinet homes' figures."""
from portal.models import ClientKind

from ...factories import DEFAULT_PASSWORD, make_client, make_staff

# Which role opens which page, and where a signed-out visitor is sent, for every route of the
# application: test_authorisation_matrix.py (its tables are in route_access.py).


def test_unknown_pages_are_a_404_page(client, login):
    login("manager")
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_supervisor_opens_own_team_member_but_not_another_team(app, client):
    with app.app_context():
        boss = make_staff("supervisor", email="boss@example.com")
        mine = make_staff("manager", supervisor=boss, name="Anna Mine")
        other = make_staff("manager", name="Oleg Other")  # another supervisor's team
        make_client(manager=mine, name="Client Of Anna", kind=ClientKind.LEGAL_ENTITY)
        make_client(manager=other, name="Client Of Oleg")
        mine_id, other_id = mine.id, other.id
    client.post("/login", data={"email": "boss@example.com", "password": DEFAULT_PASSWORD})
    team = client.get("/manager/").get_data(as_text=True)
    assert "Client Of Anna" in team and "Client Of Oleg" not in team
    one = client.get(f"/manager/?manager={mine_id}")
    assert one.status_code == 200 and "Client Of Anna" in one.get_data(as_text=True)
    assert client.get(f"/manager/?manager={other_id}").status_code == 403


def test_manager_sees_only_own_clients(app, client):
    with app.app_context():
        me = make_staff("manager", email="me@example.com")
        colleague = make_staff("manager", supervisor=me.supervisor)
        make_client(manager=me, name="My Client")
        make_client(manager=colleague, name="Colleague Client")
        colleague_id = colleague.id
    client.post("/login", data={"email": "me@example.com", "password": DEFAULT_PASSWORD})
    html = client.get("/manager/").get_data(as_text=True)
    assert "My Client" in html and "Colleague Client" not in html
    # A manager cannot widen the view by passing another manager's id.
    html = client.get(f"/manager/?manager={colleague_id}").get_data(as_text=True)
    assert "Colleague Client" not in html


def test_cabinet_homes_show_real_figures(app, client):
    with app.app_context():
        boss = make_staff("supervisor", email="boss2@example.com")
        m = make_staff("manager", supervisor=boss)
        for i in range(3):
            make_client(manager=m, name=f"Real Client {i}", discount_bp=500)
        manager_name = m.name
    client.post("/login", data={"email": "boss2@example.com", "password": DEFAULT_PASSWORD})
    html = client.get("/supervisor/").get_data(as_text=True)
    assert 'data-testid="team-size">1<' in html
    assert manager_name in html
    html = client.get("/manager/").get_data(as_text=True)
    assert 'data-testid="clients-total">3<' in html
    assert "Real Client 2" in html

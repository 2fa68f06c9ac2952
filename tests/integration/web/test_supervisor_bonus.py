"""The supervisor's bonus programme page: the settings (exact basis points, errors kept with what
was typed, the history of changes, new values for new operations only) and the manual adjustment of
a client's bonus (exact amounts, a mandatory reason, once per form, only the team's clients)."""
import re
from datetime import timedelta

import pytest

from portal import ledger
from portal.extensions import db
from portal.models import AuditEvent, BonusLot, BonusSettings, Channel, LedgerOperation, OperationKind, Order
from portal.services.sales import sales

from ...factories import DEFAULT_PASSWORD, make_client, make_location, make_product, make_staff

NBSP = "\u00a0"
SETTINGS = {"accrual_rate": "5", "hold_days": "14", "max_redeem_share": "30", "expiry_days": "365"}


def _token(html: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', html).group(1)


def _field_errors(html: str, name: str) -> str:
    match = re.search(rf'id="{name}-errors">(.*?)</ul>', html, re.S)
    return match.group(1) if match else ""


@pytest.fixture
def office(app, client):
    """Sonia (signed in) leads Anna; Anna has a client, Stan (another team) has one."""
    with app.app_context():
        boss = make_staff("supervisor", name="Sonia Boss", email="sonia@example.com")
        anna = make_staff("manager", name="Anna Petrova", supervisor=boss)
        stan = make_staff("manager", name="Stan Stranger")
        mine = make_client(manager=anna, name="Romashka Ltd", phone="+79161234567", tax_id="7707083893")
        theirs = make_client(manager=stan, name="Stranger Ltd")
        ids = {"boss": boss.id, "anna": anna.id, "mine": mine.id, "theirs": theirs.id}
    assert client.post("/login", data={"email": "sonia@example.com", "password": DEFAULT_PASSWORD}).status_code == 302
    return ids


# --- settings --------------------------------------------------------------------------------------

def test_the_page_shows_the_programme_in_force(client, office):
    html = client.get("/supervisor/bonus").get_data(as_text=True)
    assert f'data-testid="accrual-rate">5{NBSP}%<' in html
    for name, value in SETTINGS.items():
        assert re.search(rf'name="{name}"[^>]*value="{value}"', html), name
    assert "New values apply to new operations only" in html
    assert "nobody has changed them yet" in html


def test_a_change_is_saved_in_exact_basis_points_and_audited(app, client, office):
    response = client.post("/supervisor/bonus", data={**SETTINGS, "accrual_rate": "7,5", "max_redeem_share": "12.25"})
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The new values apply to new operations only." in html
    assert f'data-testid="accrual-rate">7.5{NBSP}%<' in html
    with app.app_context():
        programme = ledger.settings.current()
        assert (programme.accrual_rate_bp, programme.max_redeem_share_bp) == (750, 1225)
        assert (programme.hold_days, programme.expiry_days) == (14, 365)
        row = db.session.scalar(db.select(BonusSettings))
        assert row.changed_by_id == office["boss"]
        event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "bonus_settings_changed"))
        assert event.actor_id == office["boss"]
        assert (event.before["accrual_rate_bp"], event.after["accrual_rate_bp"]) == (500, 750)


def test_the_history_lists_who_changed_what_newest_first(app, client, runner, office):
    client.post("/supervisor/bonus", data={**SETTINGS, "accrual_rate": "7,5"})
    client.post("/supervisor/bonus", data={**SETTINGS, "accrual_rate": "7,5", "hold_days": "21"})
    assert runner.invoke(args=["bonus", "settings", "--expiry-days", "180"]).exit_code == 0
    html = client.get("/supervisor/bonus").get_data(as_text=True)
    table = re.search(r'data-testid="settings-history">(.*?)</table>', html, re.S).group(1)
    rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S)
    text = [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]
    assert len(text) == 3
    assert "the command line" in text[0] and "Expiry days: 365 days → 180 days" in text[0]
    assert "Sonia Boss" in text[1] and "Hold days: 14 days → 21 days" in text[1]
    assert "Accrual rate" not in text[1]  # only what changed
    assert "Sonia Boss" in text[2] and "Accrual rate: 5 % → 7.5 %" in text[2]  # (the split joined the no-break spaces)


def test_unchanged_values_change_nothing(app, client, office):
    response = client.post("/supervisor/bonus", data=SETTINGS, follow_redirects=True)
    assert "Nothing changed" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(BonusSettings.id))) == 0


def test_what_cannot_be_read_is_marked_and_the_typed_values_are_kept(app, client, office):
    typed = {"accrual_rate": "abc", "hold_days": "1.5", "max_redeem_share": "101", "expiry_days": ""}
    response = client.post("/supervisor/bonus", data=typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter a percentage from 0 to 100" in _field_errors(html, "accrual_rate")
    assert "Enter a whole number of days." in _field_errors(html, "hold_days")
    assert "Enter a percentage from 0 to 100" in _field_errors(html, "max_redeem_share")
    assert "Enter a whole number of days." in _field_errors(html, "expiry_days")
    for name, value in typed.items():
        assert re.search(rf'name="{name}"[^>]*value="{re.escape(value)}"', html), name
    with app.app_context():
        assert ledger.settings.current() == ledger.settings.Programme()


def test_a_settings_error_keeps_the_chosen_client_of_the_adjustment(client, office):
    response = client.post("/supervisor/bonus", data={**SETTINGS, "hold_days": "x", "client": str(office["mine"])})
    assert response.status_code == 422
    assert 'data-testid="adjust-client"' in response.get_data(as_text=True)
    response = client.post("/supervisor/bonus", data={**SETTINGS, "hold_days": "7", "client": str(office["mine"])})
    assert response.headers["Location"].endswith(f"/supervisor/bonus?client={office['mine']}")
    assert client.post("/supervisor/bonus", data={**SETTINGS, "client": str(office["theirs"])}).status_code == 403


def test_the_ledgers_range_rules_are_shown_next_to_the_fields(app, client, office):
    response = client.post("/supervisor/bonus", data={**SETTINGS, "hold_days": "-1", "expiry_days": "0"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Hold days must be between 0 and 3650." in _field_errors(html, "hold_days")
    assert "Expiry days must be between 1 and 36500." in _field_errors(html, "expiry_days")
    assert 'value="-1"' in html and 'value="0"' in html
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(BonusSettings.id))) == 0


def test_new_values_apply_to_new_operations_only(app, client, office):
    with app.app_context():
        warehouse = make_location("warehouse", code="MAIN", is_main=True)
        make_product("DRILL", 1_000_00, stock={warehouse: 10})
        warehouse_id = warehouse.id

    def sell() -> int:
        with app.app_context():
            order = sales.place_paid_order(sales.Sale(channel=Channel.WEB, lines=[sales.SaleLine(qty=1, sku="DRILL")],
                                                      location_id=warehouse_id, client_id=office["mine"]))
            return order.id

    def accrual_of(order_id: int) -> tuple[int, object, object]:
        with app.app_context():
            order = db.session.get(Order, order_id)
            lot = db.session.scalar(db.select(BonusLot).join(LedgerOperation, LedgerOperation.id == BonusLot.operation_id)
                                    .where(LedgerOperation.order_id == order_id,
                                           LedgerOperation.kind == OperationKind.ACCRUAL))
            return order.accrual, lot.available_at - order.paid_at, lot.expiry_days

    before = sell()
    assert accrual_of(before) == (50_00, timedelta(days=14), 365)  # 5 % of 1 000.00
    client.post("/supervisor/bonus", data={"accrual_rate": "7,5", "hold_days": "30", "max_redeem_share": "30",
                                           "expiry_days": "90"})
    after = sell()
    assert accrual_of(after) == (75_00, timedelta(days=30), 90)  # 7.5 % of 1 000.00, the new hold and expiry
    assert accrual_of(before) == (50_00, timedelta(days=14), 365)  # the earlier one is as it was
    with app.app_context():
        assert ledger.bonus_of(office["mine"]).pending == 125_00
        assert ledger.verify().ok


# --- manual adjustment -----------------------------------------------------------------------------

def _adjust(client, client_id, amount, reason, token=None):
    if token is None:
        token = _token(client.get(f"/supervisor/bonus?client={client_id}").get_data(as_text=True))
    return client.post("/supervisor/bonus/adjust", data={"client_id": str(client_id), "amount": amount,
                                                         "reason": reason, "token": token})


def test_find_a_client_of_the_team_and_choose_them(client, office):
    html = client.get("/supervisor/bonus?q=romashka").get_data(as_text=True)
    results = re.search(r'data-testid="client-results">(.*?)</ul>', html, re.S).group(1)
    assert "Romashka Ltd" in results and f"client={office['mine']}" in results
    for query in ("7707083893", "916 123 45 67"):
        assert "Romashka Ltd" in client.get("/supervisor/bonus", query_string={"q": query}).get_data(as_text=True)
    html = client.get("/supervisor/bonus?q=stranger").get_data(as_text=True)
    assert "Stranger Ltd" not in html and "No client of the team matches the search." in html
    html = client.get(f"/supervisor/bonus?client={office['mine']}").get_data(as_text=True)
    chosen = re.search(r'data-testid="adjust-client">(.*?)</form>', html, re.S).group(1)
    assert "Romashka Ltd" in chosen and f'data-testid="bonus-available">0.00{NBSP}' in chosen


def test_add_and_take_exact_amounts_showing_the_bonus_before_and_after(app, client, office):
    response = _adjust(client, office["mine"], "150,50", "Apology for a late delivery")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/supervisor/bonus?client={office['mine']}#adjust")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Bonus of Romashka Ltd adjusted by +150.50{NBSP}₽: available 0.00{NBSP}₽ → 150.50{NBSP}₽." in html
    assert f'data-testid="bonus-available">150.50{NBSP}₽<' in html
    response = _adjust(client, office["mine"], "-50,25", "Given twice by mistake")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"adjusted by −50.25{NBSP}₽: available 150.50{NBSP}₽ → 100.25{NBSP}₽." in html
    with app.app_context():
        assert ledger.bonus_of(office["mine"]).available == 100_25
        operations = list(db.session.scalars(db.select(LedgerOperation).where(
            LedgerOperation.kind == OperationKind.ADJUSTMENT).order_by(LedgerOperation.id)))
        assert [(o.amount, o.reason, o.actor_id) for o in operations] == [
            (150_50, "Apology for a late delivery", office["boss"]), (-50_25, "Given twice by mistake", office["boss"])]
        reasons = [e.after["reason"] for e in db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.action == "bonus_adjusted").order_by(AuditEvent.id))]
        assert reasons == ["Apology for a late delivery", "Given twice by mistake"]
        assert ledger.verify().ok


def test_a_double_submit_adjusts_once(app, client, office):
    token = _token(client.get(f"/supervisor/bonus?client={office['mine']}").get_data(as_text=True))
    first = _adjust(client, office["mine"], "200", "Birthday gift", token)
    second = _adjust(client, office["mine"], "200", "Birthday gift", token)
    assert first.status_code == second.status_code == 302
    html = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "This adjustment was made already; nothing changed." in html
    with app.app_context():
        assert ledger.bonus_of(office["mine"]).available == 200_00
        assert db.session.scalar(db.select(db.func.count(LedgerOperation.id)).where(
            LedgerOperation.kind == OperationKind.ADJUSTMENT)) == 1
    # The page after it carries a new token: the next adjustment is a new one.
    assert _token(html) != token
    _adjust(client, office["mine"], "1", "One more")
    with app.app_context():
        assert ledger.bonus_of(office["mine"]).available == 201_00  # "1" is 1.00


def test_the_reason_is_mandatory_and_the_typed_values_are_kept(app, client, office):
    response = _adjust(client, office["mine"], "150,50", "   ")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Say why the bonus is adjusted." in _field_errors(html, "reason")
    assert 'value="150,50"' in html
    # An amount that is no amount and no reason: both are marked at once.
    html = _adjust(client, office["mine"], "12,345", "").get_data(as_text=True)
    assert "Enter an amount like 150.50 to add or -150.50" in _field_errors(html, "amount")
    assert "Say why the bonus is adjusted." in _field_errors(html, "reason")
    assert 'value="12,345"' in html
    response = _adjust(client, office["mine"], "0", "Nothing")
    assert response.status_code == 422
    assert "Enter a non-zero amount." in _field_errors(response.get_data(as_text=True), "amount")
    with app.app_context():
        assert ledger.bonus_of(office["mine"]).available == 0
        assert db.session.scalar(db.select(db.func.count(LedgerOperation.id))) == 0


def test_taking_more_than_available_is_refused_next_to_the_amount(app, client, office):
    _adjust(client, office["mine"], "100", "Gift")
    response = _adjust(client, office["mine"], "-100,01", "Too much")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"Not enough bonus: 100.00{NBSP}₽ is available" in _field_errors(html, "amount")
    assert 'value="-100,01"' in html and 'value="Too much"' in html
    assert f'data-testid="bonus-available">100.00{NBSP}₽<' in html
    # The refused form's token is still good for the corrected amount.
    token = _token(html)
    assert _adjust(client, office["mine"], "-100", "All of it", token).status_code == 302
    with app.app_context():
        assert ledger.bonus_of(office["mine"]).available == 0
        assert ledger.verify().ok


def test_a_form_without_a_valid_token_is_not_applied(app, client, office):
    response = _adjust(client, office["mine"], "10", "No token", token="")
    assert response.status_code == 422
    assert "The form was out of date." in response.get_data(as_text=True)
    with app.app_context():
        assert ledger.bonus_of(office["mine"]).available == 0


def test_a_client_of_another_team_cannot_be_adjusted(app, client, office):
    assert client.get(f"/supervisor/bonus?client={office['theirs']}").status_code == 403
    assert _adjust(client, office["theirs"], "100", "Not mine", token="x" * 24).status_code == 403
    assert client.get("/supervisor/bonus?client=999999").status_code == 404
    assert _adjust(client, 999999, "100", "Nobody", token="x" * 24).status_code == 404
    with app.app_context():
        assert ledger.bonus_of(office["theirs"]).available == 0
        assert db.session.scalar(db.select(db.func.count(LedgerOperation.id))) == 0


@pytest.mark.parametrize("role", ["manager", "cashier"])
def test_managers_and_cashiers_get_403(app, client, login, office, role):
    client.post("/logout")
    login(role)
    assert client.get("/supervisor/bonus").status_code == 403
    assert client.post("/supervisor/bonus", data={**SETTINGS, "accrual_rate": "50"}).status_code == 403
    assert client.post("/supervisor/bonus/adjust", data={"client_id": office["mine"], "amount": "100",
                                                         "reason": "x", "token": "x" * 24}).status_code == 403
    with app.app_context():
        assert ledger.settings.current().accrual_rate_bp == 500
        assert ledger.bonus_of(office["mine"]).available == 0


@pytest.mark.csrf
def test_the_forms_need_the_csrf_token(app, client):
    with app.app_context():
        make_staff("supervisor", email="boss@example.com")
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    client.post("/login", data={"email": "boss@example.com", "password": DEFAULT_PASSWORD, "csrf_token": token})
    assert client.post("/supervisor/bonus", data={**SETTINGS, "accrual_rate": "9"}).status_code == 400
    page = client.get("/supervisor/bonus").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/supervisor/bonus", data={**SETTINGS, "accrual_rate": "9", "csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        assert ledger.settings.current().accrual_rate_bp == 900


def test_simultaneous_submits_of_one_form_adjust_once(app, client, office):
    """A double click sends the same form twice at once: one adjustment, both answers fine."""
    import threading

    token = _token(client.get(f"/supervisor/bonus?client={office['mine']}").get_data(as_text=True))
    browsers = []
    for _ in range(4):
        browser = app.test_client()
        browser.post("/login", data={"email": "sonia@example.com", "password": DEFAULT_PASSWORD})
        browsers.append(browser)
    start, statuses = threading.Barrier(len(browsers)), []

    def submit(browser):
        start.wait()
        statuses.append(_adjust(browser, office["mine"], "75,25", "Double click", token).status_code)

    threads = [threading.Thread(target=submit, args=(b,)) for b in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [302] * len(browsers)
    with app.app_context():
        assert ledger.bonus_of(office["mine"]).available == 75_25
        assert db.session.scalar(db.select(db.func.count(LedgerOperation.id)).where(
            LedgerOperation.kind == OperationKind.ADJUSTMENT)) == 1
        assert ledger.verify().ok

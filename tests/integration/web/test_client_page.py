"""The client's read-only bonus page (/my/): sign-in by phone + SMS code or by a signed link, the
same figures as the API, the code rules, and nothing on it that changes data."""
from __future__ import annotations

import re
import time
from datetime import UTC, date, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date

from portal.extensions import db
from portal.integrations.sms import sent_messages
from portal.models import BonusLot, Channel, ClientLoginCode, LotStatus, utcnow
from portal.services.clients import access
from portal.services.clients import bonus as bonus_service
from portal.services.sales import sales

from ...factories import make_client, make_location, make_product, make_staff

PHONE = "+79161112233"
OTHER_PHONE = "+79035550011"
EN = {"Accept-Language": "en"}


# ------------------------------------------------------------------------------------------ helpers

def rub(amount: str) -> str:
    """An API money string as the English page shows it: "1234.56" -> "1,234.56 ₽"."""
    return f"{Decimal(amount):,.2f}\u00a0₽"


def codes(path) -> list[str]:
    return [re.search(r"\b(\d{6})\b", m["text"]).group(1) for m in sent_messages(path)]


class Forms(HTMLParser):
    """Every <form> with its method, action and named controls."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"method": (attrs.get("method") or "get").lower(), "action": attrs.get("action"),
                               "controls": []})
        elif tag in ("input", "button", "select", "textarea") and self.forms:
            self.forms[-1]["controls"].append((tag, attrs.get("type"), attrs.get("name")))


def forms_of(html: str) -> list[dict]:
    parser = Forms()
    parser.feed(html)
    return parser.forms


def by_testid(html: str, name: str) -> str:
    match = re.search(rf'data-testid="{name}">([^<]*)<', html)
    assert match, f"no data-testid={name}"
    return match.group(1)


def history_amounts(html: str) -> list[str]:
    return re.findall(r'<strong class="(?:plus|minus)">([^<]*)</strong>', html)


def request_code(http, phone: str):
    return http.post("/my/login", data={"phone": phone}, headers=EN)


def sign_in(http, sms_path, phone_typed: str = "8 (916) 111-22-33"):
    response = request_code(http, phone_typed)
    assert response.status_code == 302 and response.location.startswith("/my/code"), response.location
    response = http.post("/my/code", data={"phone": phone_typed, "code": codes(sms_path)[-1]}, headers=EN)
    assert response.status_code == 302 and response.location == "/my/", response.get_data(as_text=True)
    return response


def signed_in_as(http) -> int | None:
    with http.session_transaction() as session:
        return session.get("client_id")


# ----------------------------------------------------------------------------------------- fixtures

@pytest.fixture
def sms_path(app, tmp_path):
    path = tmp_path / "sms.log"
    app.config["SMS_FILE_PATH"] = str(path)
    return path


@pytest.fixture
def people(app, sms_path):
    """Vera (+7 916 111-22-33, 5 % discount) and Oleg, each with a little history."""
    with app.app_context():
        warehouse = make_location("warehouse", code="MAIN", is_main=True)
        make_product("DRILL", 1_000_00, stock={warehouse: 100})
        make_product("VALVE", 99_99, stock={warehouse: 100}, discountable=False)
        vera = make_client(name="Vera Buyer", phone=PHONE, discount_bp=500)
        oleg = make_client(name="Oleg Other", phone=OTHER_PHONE)
        boss = make_staff("supervisor")
        # a gift that became available 340 days ago: it expires within 30 days
        bonus_service.adjust(boss, vera.id, 1_234_56, "welcome gift", "test:gift", now=utcnow() - timedelta(days=340))
        bonus_service.adjust(boss, oleg.id, 77_00, "welcome gift", "test:gift:oleg")
        db.session.commit()

        def sell(client_id, lines, days_ago, bonus=0):
            return sales.place_paid_order(sales.Sale(
                channel=Channel.WEB, lines=[sales.SaleLine(qty=q, sku=s) for s, q in lines],
                location_id=warehouse.id, client_id=client_id, bonus_to_redeem=bonus,
                now=utcnow() - timedelta(days=days_ago))).number

        numbers = [sell(vera.id, [("DRILL", 2)], 20),             # accrual 95.00, released 6 days ago
                   sell(vera.id, [("DRILL", 1), ("VALVE", 1)], 3, bonus=100_00),  # pending, due in 11 days
                   sell(vera.id, [("VALVE", 2)], 0)]              # pending, due in 14 days
        sell(oleg.id, [("VALVE", 1)], 1)
        return {"vera": vera.id, "oleg": oleg.id, "numbers": numbers}


@pytest.fixture
def api_bonus(app, runner):
    result = runner.invoke(args=["api-keys", "create", "shop"])
    key = result.output.strip().splitlines()[-1]
    http = app.test_client()

    def read(client_id: int) -> dict:
        response = http.get(f"/api/v1/clients/{client_id}/bonus", headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 200
        return response.get_json()

    def entries(client_id: int) -> list[dict]:
        response = http.get(f"/api/v1/clients/{client_id}/bonus/entries?limit=200",
                            headers={"Authorization": f"Bearer {key}"})
        return response.get_json()["items"]

    read.entries = entries
    return read


# ------------------------------------------------------------------------------------------- the page

def test_the_page_shows_the_same_figures_as_the_api(app, client, people, sms_path, api_bonus):
    sign_in(client, sms_path)
    html = client.get("/my/", headers=EN).get_data(as_text=True)
    bonus = api_bonus(people["vera"])
    # available: 1234.56 gift + 95.00 released - 100.00 spent (from the gift, which expires first);
    # pending: 5 % of 949.99 = 47.49 (due in 11 days) + 5 % of 199.98 = 9.99 (due in 14 days)
    assert (bonus["available"], bonus["expiring_30d"], bonus["pending"]) == ("1229.56", "1134.56", "57.48")
    assert bonus["next_release"]["amount"] == "47.49"
    assert by_testid(html, "available") == rub(bonus["available"]) == "1,229.56\u00a0₽"
    assert by_testid(html, "pending") == rub(bonus["pending"])
    assert by_testid(html, "expiring") == rub(bonus["expiring_30d"])
    assert minor(bonus["pending"]) > 0
    # pending tranches with their dates; the first is the API's next release
    releases = re.findall(r"<li><span>([^<]*)</span><strong>([^<]*)</strong></li>", html)
    assert len(releases) == 2
    nxt = bonus["next_release"]
    with app.app_context():  # the page shows dates in the portal's time zone, the API in UTC
        due = db.session.scalar(db.select(db.func.min(BonusLot.available_at))
                                .where(BonusLot.status == LotStatus.PENDING))
        due = due.replace(tzinfo=UTC) if due.tzinfo is None else due
    assert due.astimezone(UTC).date() == date.fromisoformat(nxt["date"])
    local = due.astimezone(ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])).date()
    assert releases[0] == (format_date(local, "medium", locale="en"), rub(nxt["amount"]))
    assert sum(minor_of_page(amount) for _, amount in releases) == minor(bonus["pending"])
    # the history: every leg, newest first, with the order it belongs to; a release (- pending,
    # + available in the API) is one line on the page
    entries = [e for e in api_bonus.entries(people["vera"])
               if not (e["kind"] == "release" and e["amount"].startswith("-"))]
    assert history_amounts(html) == [("+" if not e["amount"].startswith("-") else "−")
                                     + rub(e["amount"].lstrip("-")) for e in entries]
    for number in people["numbers"]:
        assert f"order {number}" in html
    assert "Vera Buyer" in html and "Oleg" not in html


def minor(text: str) -> int:
    return int(Decimal(text) * 100)


def minor_of_page(text: str) -> int:
    return int(Decimal(text.replace("\u00a0₽", "").replace(",", "")) * 100)


def test_russian_formatting_of_the_same_figures(client, people, sms_path, api_bonus):
    sign_in(client, sms_path)
    html = client.get("/my/", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    bonus = api_bonus(people["vera"])
    whole, frac = bonus["available"].split(".")
    assert by_testid(html, "available") == f"{int(whole):,}".replace(",", "\u00a0") + f",{frac}\u00a0₽"
    assert by_testid(html, "available") == "1\u00a0229,56\u00a0₽"


def test_a_client_without_history(app, client, sms_path):
    with app.app_context():
        make_client(name="New Person", phone=PHONE)
    sign_in(client, sms_path, PHONE)
    html = client.get("/my/", headers=EN).get_data(as_text=True)
    assert by_testid(html, "available") == "0.00\u00a0₽" and by_testid(html, "pending") == "0.00\u00a0₽"
    assert "No bonus yet" in html


@pytest.mark.parametrize("notation", ["+79161112233", "8 (916) 111-22-33", "+7 916 111-22-33", "89161112233",
                                      "9161112233"])
def test_sign_in_with_the_phone_in_any_notation(client, people, sms_path, notation):
    sign_in(client, sms_path, notation)
    assert signed_in_as(client) == people["vera"]
    assert sent_messages(sms_path)[-1]["phone"] == PHONE


def test_the_page_needs_a_sign_in_and_sign_out_closes_it(client, people, sms_path):
    assert client.get("/my/").location == "/my/login"
    sign_in(client, sms_path)
    assert client.get("/my/", headers=EN).status_code == 200
    response = client.post("/my/logout")
    assert response.status_code == 302 and response.location == "/my/login"
    assert signed_in_as(client) is None
    assert client.get("/my/").location == "/my/login"


def test_nothing_on_the_page_changes_data_except_signing_out(app, client, people, sms_path):
    sign_in(client, sms_path)
    html = client.get("/my/", headers=EN).get_data(as_text=True)
    forms = forms_of(html)
    by_action = {form["action"]: form for form in forms}
    # the sign-out form, and the language switcher every page has (it only sets the session's language)
    assert set(by_action) == {"/my/logout", "/language"}, forms
    logout = by_action["/my/logout"]
    assert logout["method"] == "post"
    assert [c for c in logout["controls"] if c[0] == "input"] == [("input", "hidden", "csrf_token")]
    languages = by_action["/language"]
    assert {c[2] for c in languages["controls"]} == {"csrf_token", "next", "locale"}
    for tag, kind, name in (c for f in forms for c in f["controls"]):
        assert tag in ("input", "button") and (kind in ("hidden", "submit") or tag == "button"), (tag, kind, name)
    # switching the language as a client writes nothing
    before = table_counts(app)
    assert client.post("/language", data={"locale": "ru", "next": "/my/"}).location == "/my/"
    assert table_counts(app) == before
    assert '<html lang="ru">' in client.get("/my/").get_data(as_text=True)
    # no other method reaches the page
    assert client.post("/my/").status_code == 405


def table_counts(app) -> dict:
    import sqlalchemy as sa
    with app.app_context():
        return {t.name: db.session.scalar(sa.select(sa.func.count()).select_from(t))
                for t in db.metadata.sorted_tables if t.name != "api_keys"}


def test_one_client_cannot_see_anothers_data(app, client, people, sms_path, api_bonus):
    sign_in(client, sms_path)
    with client.session_transaction() as session:
        assert session["client_id"] == people["vera"]
        assert not any("oleg" in str(v).lower() for v in session.values())
    # nothing in the URL chooses whose page it is
    for query in (f"?client_id={people['oleg']}", f"?id={people['oleg']}", f"?client={people['oleg']}"):
        html = client.get("/my/" + query, headers=EN).get_data(as_text=True)
        assert "Vera Buyer" in html and "Oleg Other" not in html
    # Oleg, in his own browser, sees only his
    other = app.test_client()
    response = request_code(other, OTHER_PHONE)
    assert response.status_code == 302
    other.post("/my/code", data={"phone": OTHER_PHONE, "code": codes(sms_path)[-1]})
    html = other.get("/my/", headers=EN).get_data(as_text=True)
    assert "Oleg Other" in html and "Vera Buyer" not in html
    assert by_testid(html, "available") == rub(api_bonus(people["oleg"])["available"])
    # Vera's code does not open Oleg's page: codes are per client
    vera_code = codes(sms_path)[0]
    third = app.test_client()
    assert third.post("/my/code", data={"phone": OTHER_PHONE, "code": vera_code}).status_code == 422


@pytest.mark.parametrize("cursor", ["forged", "djE6MQ", "djE6OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5LjEuMA", "djE6LTE",
                                    "%FF%FE", "x" * 3000, "djE6MS4yLjM", "djE6OTIyMzM3MjAzNjg1NDc3NTgwOC4xLjA"])
def test_a_forged_or_huge_page_cursor_is_never_a_500(app, client, people, sms_path, cursor):
    sign_in(client, sms_path)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/my/?from=" + cursor, headers=EN)
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 200:
        assert "Vera Buyer" in response.get_data(as_text=True)


def test_the_history_pages_through_every_entry(app, client, people, sms_path, api_bonus):
    with app.app_context():
        boss = make_staff("supervisor")
        for n in range(45):
            bonus_service.adjust(boss, people["vera"], (-1) ** n * (n + 1), f"correction {n}", f"test:many:{n}")
        db.session.commit()
    sign_in(client, sms_path)
    shown, url, pages = [], "/my/", 0
    while url:
        html = client.get(url, headers=EN).get_data(as_text=True)
        amounts = history_amounts(html)
        assert 0 < len(amounts) <= 40
        shown += amounts
        pages += 1
        more = re.search(r'href="(/my/\?from=[^"]+)"', html)
        url = more.group(1).replace("&amp;", "&") if more else None
        assert pages < 10
    assert pages == 2
    expected = [("−" if e["amount"].startswith("-") else "+") + rub(e["amount"].lstrip("-"))
                for e in api_bonus.entries(people["vera"])
                if not (e["kind"] == "release" and e["amount"].startswith("-"))]
    assert shown == expected


# ------------------------------------------------------------------------------------------ code rules

def test_a_wrong_code_is_refused(client, people, sms_path):
    request_code(client, PHONE)
    right = codes(sms_path)[-1]
    wrong = f"{(int(right) + 1) % 10 ** 6:06d}"
    for code in (wrong, "", "12345", "1234567", "abcdef", right[:5] + "x"):
        response = client.post("/my/code", data={"phone": PHONE, "code": code}, headers=EN)
        assert response.status_code == 422
        assert "The code is wrong or has expired" in response.get_data(as_text=True)
        assert signed_in_as(client) is None


def test_after_5_wrong_tries_even_the_right_code_is_refused(client, people, sms_path):
    request_code(client, PHONE)
    right = codes(sms_path)[-1]
    wrong = f"{(int(right) + 1) % 10 ** 6:06d}"
    for _ in range(5):
        assert client.post("/my/code", data={"phone": PHONE, "code": wrong}).status_code == 422
    assert client.post("/my/code", data={"phone": PHONE, "code": right}).status_code == 422
    assert signed_in_as(client) is None


def test_four_wrong_tries_still_leave_the_right_code(client, people, sms_path):
    request_code(client, PHONE)
    right = codes(sms_path)[-1]
    wrong = f"{(int(right) + 1) % 10 ** 6:06d}"
    for _ in range(4):
        assert client.post("/my/code", data={"phone": PHONE, "code": wrong}).status_code == 422
    assert client.post("/my/code", data={"phone": PHONE, "code": f" {right[:3]} {right[3:]} "}).status_code == 302
    assert signed_in_as(client) == people["vera"]


def test_a_code_works_once(app, client, people, sms_path):
    sign_in(client, sms_path, PHONE)
    other = app.test_client()
    assert other.post("/my/code", data={"phone": PHONE, "code": codes(sms_path)[-1]}).status_code == 422


def test_the_code_expires_after_10_minutes(app, client, people, sms_path):
    request_code(client, PHONE)
    code = codes(sms_path)[-1]
    with app.app_context():
        row = db.session.scalar(db.select(ClientLoginCode))
        issued = row.created_at
        assert row.expires_at - issued == timedelta(minutes=10)
        with pytest.raises(access.CodeRefused):
            access.verify_code(PHONE, code, now=issued + timedelta(minutes=10))
        with pytest.raises(access.CodeRefused):
            access.verify_code("8 916 111 22 33", code, now=issued + timedelta(hours=3))
        assert access.verify_code("8 916 111 22 33", code,
                                         now=issued + timedelta(minutes=9, seconds=59)) == people["vera"]


def test_a_resend_within_60_seconds_is_throttled(app, client, people, sms_path):
    assert request_code(client, PHONE).status_code == 302
    assert len(sent_messages(sms_path)) == 1
    response = request_code(client, "8 (916) 111-22-33")
    assert response.status_code == 302 and response.location.startswith("/my/code")
    page = client.get(response.location, headers=EN).get_data(as_text=True)
    assert "A code was sent a moment ago" in page
    assert len(sent_messages(sms_path)) == 1
    first = codes(sms_path)[-1]
    with app.app_context():
        issued = db.session.scalar(db.select(ClientLoginCode)).created_at
        with pytest.raises(access.Throttled):
            access.request_code(PHONE, now=issued + timedelta(seconds=59))
        access.request_code(PHONE, now=issued + timedelta(seconds=61))
    assert len(sent_messages(sms_path)) == 2
    second = codes(sms_path)[-1]
    if second != first:  # only the newest code counts
        assert client.post("/my/code", data={"phone": PHONE, "code": first}).status_code == 422
    assert client.post("/my/code", data={"phone": PHONE, "code": second}).status_code == 302


def test_only_a_hash_of_the_code_is_stored(app, client, people, sms_path):
    request_code(client, PHONE)
    code = codes(sms_path)[-1]
    with app.app_context():
        rows = db.session.execute(db.select(ClientLoginCode.__table__)).mappings().all()
    assert len(rows) == 1
    for value in rows[0].values():
        assert code not in str(value)
    assert re.fullmatch(r"[0-9a-f]{64}", rows[0]["code_hash"])


@pytest.mark.parametrize("phone", ["+79998887766", "8 (999) 888-77-66", "not a phone", "+1"])
def test_an_unknown_phone_gets_the_same_page_and_no_sms(client, people, sms_path, phone):
    known = request_code(client, PHONE)
    known_page = client.get(known.location, headers=EN).get_data(as_text=True)
    stranger = client.application.test_client()
    response = request_code(stranger, phone)
    assert response.status_code == known.status_code == 302
    assert response.location.split("?")[0] == known.location.split("?")[0]
    page = stranger.get(response.location, headers=EN).get_data(as_text=True)
    assert _without_phone(page) == _without_phone(known_page)
    assert len(sent_messages(sms_path)) == 1  # only the known client's
    assert stranger.post("/my/code", data={"phone": phone, "code": "123456"}).status_code == 422


def _without_phone(html: str) -> str:
    """The page without what differs by phone and by session (the phone typed, the CSRF token)."""
    html = re.sub(r'(value|content)="[^"]*"', r'\1=""', html)
    return re.sub(r"If .*? is the phone", "If X is the phone", html)


def test_an_empty_phone_is_asked_again(client, people, sms_path):
    response = client.post("/my/login", data={"phone": "  "}, headers=EN)
    assert response.status_code == 422 and "Enter your phone number" in response.get_data(as_text=True)
    assert sent_messages(sms_path) == []


# ------------------------------------------------------------------------------------------ signed link

def test_the_signed_link_from_the_cli_opens_the_page(app, client, runner, people):
    result = runner.invoke(args=["clients", "link", "+7 916 111-22-33"])
    assert result.exit_code == 0, result.output
    url = result.output.strip().splitlines()[-1]
    assert url.startswith(app.config["PORTAL_BASE_URL"].rstrip("/") + "/my/link/")
    path = url[len(app.config["PORTAL_BASE_URL"].rstrip("/")):]
    response = client.get(path, headers=EN)
    assert response.status_code == 302 and response.location == "/my/"
    html = client.get("/my/", headers=EN).get_data(as_text=True)
    assert "Vera Buyer" in html and signed_in_as(client) == people["vera"]


def test_the_cli_refuses_an_unknown_phone(runner, people):
    result = runner.invoke(args=["clients", "link", "+79998887766"])
    assert result.exit_code == 1


def _link_path(app, client_id: int) -> str:
    with app.app_context():
        url = access.signed_link(client_id)
    return url[len(app.config["PORTAL_BASE_URL"].rstrip("/")):]


def _refused(http, path):
    response = http.get(path, headers=EN)
    assert response.status_code == 302 and response.location == "/my/login", response.location
    assert signed_in_as(http) is None
    assert "This link has expired or is not valid" in http.get("/my/login", headers=EN).get_data(as_text=True)


@pytest.mark.parametrize("how", ["signature-char", "payload", "signature-dropped", "other-salt", "garbage", "huge"])
def test_a_tampered_link_is_refused(app, client, people, how):
    path = _link_path(app, people["vera"])
    token = path.rsplit("/", 1)[1]
    if how == "signature-char":
        # Change a character in the middle of the signature: the last base64 character carries
        # padding bits, so changing it may decode to the very same signature bytes.
        head, signature = token.rsplit(".", 1)
        middle = len(signature) // 2
        signature = signature[:middle] + ("A" if signature[middle] != "A" else "B") + signature[middle + 1:]
        token = head + "." + signature
    elif how == "payload":
        from itsdangerous import URLSafeSerializer
        forged = URLSafeSerializer("wrong-secret", salt=access.LINK_SALT).dumps({"client": people["oleg"]})
        token = forged.split(".")[0] + "." + ".".join(token.split(".")[1:])
    elif how == "signature-dropped":
        token = ".".join(token.split(".")[:-1])
    elif how == "other-salt":
        from itsdangerous import URLSafeTimedSerializer
        token = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="other").dumps({"client": people["vera"]})
    elif how == "garbage":
        token = "not.a%3Cscript%3E.token"
    elif how == "huge":
        token = "x" * 5000
    _refused(client, "/my/link/" + token)


def test_an_expired_link_is_refused_and_a_fresh_one_works(app, client, people, monkeypatch):
    days = app.config["CLIENT_LINK_DAYS"]
    assert days == 30
    real = time.time()
    with monkeypatch.context() as patch:
        patch.setattr(time, "time", lambda: real - (days + 1) * 86400)
        old = _link_path(app, people["vera"])
        patch.setattr(time, "time", lambda: real - (days - 1) * 86400)
        recent = _link_path(app, people["vera"])
    _refused(client, old)
    assert client.get(recent).location == "/my/"
    assert signed_in_as(client) == people["vera"]


def test_a_signed_link_for_a_client_that_does_not_exist_opens_nothing(app, client, people):
    with app.app_context():
        from itsdangerous import URLSafeTimedSerializer
        token = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=access.LINK_SALT).dumps(
            {"client": 987654})
        bad_shape = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=access.LINK_SALT).dumps(
            {"client": str(people["vera"])})
    client.get("/my/link/" + token)
    assert client.get("/my/").location == "/my/login"
    _refused(client, "/my/link/" + bad_shape)


def test_the_link_replaces_a_previous_session(app, client, people, sms_path):
    sign_in(client, sms_path, OTHER_PHONE)
    assert signed_in_as(client) == people["oleg"]
    client.get(_link_path(app, people["vera"]))
    assert signed_in_as(client) == people["vera"]
    assert "Oleg Other" not in client.get("/my/", headers=EN).get_data(as_text=True)

"""The manager's order list page and its CSV export, through the test client."""
from __future__ import annotations

import html as html_lib
import re
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest

from portal.clock import local_date
from portal.extensions import db
from portal.models import ClientKind
from portal.services.orders import orders
from portal.services.orders.orders import DraftLine, OrderDraft

from ...factories import DEFAULT_PASSWORD, make_client
from ..services.test_order_list import at, build_world

EN = {"Accept-Language": "en"}
BOM = "\ufeff"
HEADER = ("Number;Date;Channel;Status;Client;Tax ID;Placed by;Subtotal;Discount;Bonus;To pay;Received;"
          "Outstanding;Payment terms;Due date")


def rub(minor: int) -> str:
    return f"{minor / 100:,.2f}\u00a0₽"


@pytest.fixture
def w(app, tmp_path):
    """The shared world of orders, as plain values: numbers, ids and e-mails."""
    with app.app_context():
        world = build_world(app, str(tmp_path / "sms.jsonl"))
        return {
            "number": {k: o.number for k, o in world.orders.items()},
            "id": {k: o.id for k, o in world.orders.items()},
            "email": {k: getattr(world, k).email for k in ("m1", "m2", "boss", "m3", "cashier")},
            "user_id": {k: getattr(world, k).id for k in ("m1", "m2", "boss", "m3", "cashier")},
            "client_id": {k: c.id for k, c in world.clients.items()},
        }


def sign_in(client, email: str) -> None:
    response = client.post("/login", data={"email": email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302


def get(client, query: str = "", **headers):
    return client.get("/manager/orders" + query, headers={**EN, **headers})


def numbers(html: str) -> list[str]:
    return re.findall(r'data-testid="order-row" data-number="([^"]+)"', html)


def named(w, html: str) -> list[str]:
    by_number = {n: k for k, n in w["number"].items()}
    return [by_number[n] for n in numbers(html)]


def field_html(html: str, name: str) -> str:
    """The filter form's box of one field (label, control, message)."""
    match = re.search(rf'<div class="field[^"]*">\s*<label for="f-{name}">.*?</div>', html, re.S)
    assert match, f"no field {name}"
    return match.group(0)


def by_testid(html: str, name: str) -> str:
    match = re.search(rf'data-testid="{name}"[^>]*>([^<]*)<', html)
    assert match, f"no data-testid={name}"
    return match.group(1).strip()


# ------------------------------------------------------------------------------------------ the page

def test_the_list_shows_the_managers_orders_newest_first_with_links_totals_and_badges(client, w):
    sign_in(client, w["email"]["m1"])
    response = get(client)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert named(w, page) == ["deferred", "cancelled", "moved", "till", "web", "draft"]
    for name in ("deferred", "web", "till"):
        assert f'<a href="/manager/orders/{w["id"][name]}">{w["number"][name]}</a>' in page
    assert w["number"]["beta"] not in page and w["number"]["foreign"] not in page
    assert w["number"]["anonymous"] not in page
    assert by_testid(page, "totals-count") == "6"
    assert by_testid(page, "totals-total") == rub(8_249_96)
    assert by_testid(page, "totals-received") == rub(1_599_96)
    assert by_testid(page, "totals-outstanding") == rub(5_550_00)
    assert 'class="order-list-status status-confirmed"' in page and 'class="order-list-status status-cancelled"' in page
    assert "Till: Kate Cashier" in page and "OC-1001" in page
    assert 'href="/manager/orders/new"' in page
    assert 'href="/manager/orders"' in page  # Reset
    assert 'formaction="/manager/orders.csv"' in page


def test_a_supervisor_sees_the_whole_team_and_no_other(client, w):
    sign_in(client, w["email"]["boss"])
    page = get(client).get_data(as_text=True)
    assert set(named(w, page)) == {"draft", "web", "till", "moved", "cancelled", "deferred", "beta", "boss"}
    assert "The team&#39;s orders" in page or "The team's orders" in page
    assert f'<option value="{w["user_id"]["m2"]}"' in page  # the team in "placed by"


def test_only_managers_and_supervisors_open_it(client, w):
    assert client.get("/manager/orders").status_code == 302
    assert client.get("/manager/orders.csv").status_code == 302
    sign_in(client, w["email"]["cashier"])
    assert get(client).status_code == 403
    assert client.get("/manager/orders.csv").status_code == 403


def test_filters_apply_and_keep_their_values(client, w):
    sign_in(client, w["email"]["boss"])
    m1 = w["user_id"]["m1"]
    response = get(client, f"?date_from=02.03.2026&date_to=2026-03-09&number=&client=%D1%80%D0%BE%D0%BC%D0%B0%D1%88"
                           f"&amount_min=1+500%2C50&amount_max=1900.00&status=draft&channel=manager&placed_by={m1}"
                           f"&sort=total&direction=asc")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert named(w, page) == ["draft"]
    assert 'name="date_from" value="2026-03-02"' in page and 'name="date_to" value="2026-03-09"' in page
    assert 'name="client" value="ромаш"' in page
    assert 'name="amount_min" value="1 500,50"' in page and 'name="amount_max" value="1900.00"' in page
    assert '<option value="draft" selected>' in page
    assert '<option value="manager" selected>' in page
    assert f'<option value="{m1}" selected>' in page
    assert '<option value="total" selected>' in page and '<option value="asc" selected>' in page


@pytest.mark.parametrize("typed", ["1 099,99", "1099.99", "1099,99", "1\u00a0099,99", " 1099.99 "])
def test_amounts_are_read_as_people_type_them(client, w, typed):
    sign_in(client, w["email"]["m1"])
    response = client.get("/manager/orders", query_string={"amount_min": typed, "amount_max": typed}, headers=EN)
    assert response.status_code == 200
    assert named(w, response.get_data(as_text=True)) == ["web"]


@pytest.mark.parametrize("query, name, message", [
    ("amount_min=abc", "amount_min", "Enter an amount like 1500 or 1500,50."),
    ("amount_max=-5", "amount_max", "Enter an amount like 1500 or 1500,50."),
    ("amount_min=1.005", "amount_min", "Enter an amount like 1500 or 1500,50."),
    ("amount_min=1e9", "amount_min", "Enter an amount like 1500 or 1500,50."),
    ("amount_min=99999999999999", "amount_min", "Enter an amount like 1500 or 1500,50."),
    ("amount_min=200&amount_max=100", "amount_max", "The upper amount is below the lower one."),
    ("date_from=2026-13-01", "date_from", "Enter a date like 2026-03-31."),
    ("date_to=2026-02-30", "date_to", "Enter a date like 2026-03-31."),
    ("date_from=yesterday", "date_from", "Enter a date like 2026-03-31."),
    ("date_to=9999-12-31", "date_to", "Enter a date like 2026-03-31."),
    ("date_from=0001-01-01", "date_from", "Enter a date like 2026-03-31."),
    ("date_from=2026-03-09&date_to=2026-03-01", "date_to", "The end date is before the start date."),
    ("status=lost", "status", "Choose a status from the list."),
    ("channel=fax", "channel", "Choose a channel from the list."),
    ("placed_by=robot", "placed_by", "Choose who placed the order from the list."),
])
def test_bad_filters_give_a_message_next_to_the_field_not_a_500(client, w, query, name, message):
    sign_in(client, w["email"]["m1"])
    for path in ("/manager/orders?", "/manager/orders.csv?"):
        response = client.get(path + query, headers=EN)
        assert response.status_code == 422, (path, query)
        page = response.get_data(as_text=True)
        box = field_html(page, name)
        assert "has-error" in box and html_lib.escape(message) in box and 'aria-invalid="true"' in box
        assert 'data-testid="orders"' not in page and response.mimetype == "text/html"


def test_another_managers_id_is_not_a_choice(client, w):
    sign_in(client, w["email"]["m1"])
    response = get(client, f"?placed_by={w['user_id']['m2']}")
    assert response.status_code == 422
    assert "Choose who placed the order from the list." in field_html(response.get_data(as_text=True), "placed_by")


@pytest.mark.parametrize("query", ["?sort=price&direction=up", "?page=abc", "?page=-3", "?page=99999999999999999999",
                                   "?per_page=0", "?per_page=abc", "?number=%25", "?client=_%25_",
                                   "?number=" + "9" * 500, "?client=%00"])
def test_odd_values_that_are_not_filters_fall_back_without_an_error(client, w, query):
    sign_in(client, w["email"]["m1"])
    response = get(client, query)
    assert response.status_code == 200, query


def test_sorting_by_a_column_header_keeps_the_filters_and_turns_the_direction(client, w):
    sign_in(client, w["email"]["boss"])
    page = get(client, "?status=draft").get_data(as_text=True)
    link = html_lib.unescape(re.search(r'href="([^"]+)" data-testid="sort-total"', page).group(1))
    assert parse_qs(urlsplit(link).query) == {"status": ["draft"], "sort": ["total"], "direction": ["desc"]}
    page = client.get(link, headers=EN).get_data(as_text=True)
    assert named(w, page) == ["moved", "draft", "beta", "boss"]
    link = html_lib.unescape(re.search(r'href="([^"]+)" data-testid="sort-total"', page).group(1))
    assert parse_qs(urlsplit(link).query)["direction"] == ["asc"]
    assert named(w, client.get(link, headers=EN).get_data(as_text=True)) == ["boss", "beta", "draft", "moved"]


def test_page_links_keep_the_filters(client, w):
    sign_in(client, w["email"]["boss"])
    first = get(client, "?client=%D1%80%D0%BE%D0%BC%D0%B0%D1%88%D0%BA%D0%B0&sort=created&direction=asc&per_page=2")
    page = first.get_data(as_text=True)
    assert named(w, page) == ["draft", "till"]
    assert by_testid(page, "totals-count") == "3"  # the totals are of every page
    assert "Orders 1–2 of 3" in page
    link = html_lib.unescape(re.search(r'rel="next" href="([^"]+)"', page).group(1))
    assert parse_qs(urlsplit(link).query) == {"client": ["ромашка"], "sort": ["created"], "direction": ["asc"],
                                              "per_page": ["2"], "page": ["2"]}
    second = client.get(link, headers=EN).get_data(as_text=True)
    assert named(w, second) == ["deferred"]
    assert 'name="client" value="ромашка"' in second
    assert 'rel="prev"' in second and 'rel="next"' not in second
    # A page past the end shows the last one.
    assert named(w, get(client, "?client=ромашка&sort=created&direction=asc&per_page=2&page=40")
                 .get_data(as_text=True)) == ["deferred"]


def test_nothing_found_says_so(client, w):
    sign_in(client, w["email"]["m1"])
    page = get(client, "?client=nobody").get_data(as_text=True)
    assert "No orders match these filters." in page and by_testid(page, "totals-count") == "0"


# ------------------------------------------------------------------------------------------ CSV

def csv_of(response) -> str:
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # the UTF-8 BOM, for Excel
    return body.decode("utf-8")


def test_the_csv_is_exact(client, w, app):
    sign_in(client, w["email"]["m1"])
    response = client.get("/manager/orders.csv?sort=created&direction=asc", headers=EN)
    text = csv_of(response)
    with app.app_context():
        today = local_date()
    assert response.headers["Content-Disposition"] == f'attachment; filename="orders-{today.isoformat()}.csv"'
    n = w["number"]
    assert text == BOM + "\r\n".join([
        HEADER,
        f"{n['draft']};2026-03-02 12:00;Manager;Draft;ООО «Ромашка»;7707083893;Mark Manager;"
        "2000.00;100.00;0.00;1900.00;0.00;1900.00;Prepaid;",
        f"{n['web']};2026-03-03 13:00;Web shop;Paid;Acme Trading;7736207543;Web shop;"
        "1099.99;0.00;100.00;999.99;999.99;0.00;;",
        f"{n['till']};2026-03-04 23:59;Shop;Completed;ООО «Ромашка»;7707083893;Till: Kate Cashier;"
        "299.97;0.00;0.00;299.97;299.97;0.00;;",
        f"{n['moved']};2026-03-06 11:00;Manager;Draft;Delta Parts;;Mark Manager;"
        "3000.00;0.00;0.00;3000.00;0.00;3000.00;Prepaid;",
        f"{n['cancelled']};2026-03-08 11:00;Manager;Cancelled;Acme Trading;7736207543;Mark Manager;"
        "1000.00;0.00;0.00;1000.00;0.00;0.00;Prepaid;",
        f"{n['deferred']};2026-03-09 11:00;Manager;Confirmed;ООО «Ромашка»;7707083893;Mark Manager;"
        "1000.00;50.00;0.00;950.00;300.00;650.00;Deferred payment;2026-04-08",
    ]) + "\r\n"


def test_the_csv_takes_the_same_filters_and_order_as_the_list(client, w):
    sign_in(client, w["email"]["boss"])
    query = "?status=draft&sort=total&direction=desc"
    listed = numbers(get(client, query).get_data(as_text=True))
    lines = csv_of(client.get("/manager/orders.csv" + query, headers=EN)).lstrip(BOM).splitlines()
    assert lines[0] == HEADER
    assert [line.split(";")[0] for line in lines[1:]] == listed == [w["number"][k] for k in ("moved", "draft", "beta", "boss")]
    lines = csv_of(client.get("/manager/orders.csv?amount_min=1 099,99&amount_max=1099.99", headers=EN)) \
        .lstrip(BOM).splitlines()
    assert [line.split(";")[0] for line in lines[1:]] == [w["number"]["web"]]
    only_header = csv_of(client.get("/manager/orders.csv?client=nobody", headers=EN))
    assert only_header == BOM + HEADER + "\r\n"


def test_the_csv_header_speaks_the_readers_language(client, w):
    sign_in(client, w["email"]["m1"])
    text = csv_of(client.get("/manager/orders.csv", headers={"Accept-Language": "ru"}))
    header = text.lstrip(BOM).splitlines()[0].split(";")
    assert header[4] == "Клиент" and header[0] != "Number"


def test_the_csv_quotes_what_needs_it_and_never_writes_a_formula(client, w, app):
    with app.app_context():
        from portal.models import Location, User
        m1 = db.session.get(User, w["user_id"]["m1"])
        warehouse = db.session.scalar(db.select(Location).where(Location.code == "MAIN"))
        odd = make_client(m1, name='=HYPERLINK("http://x";"y")', kind=ClientKind.LEGAL_ENTITY, phone="+79160000099")
        order = orders.create_draft(m1, OrderDraft(client_id=odd.id, location_id=warehouse.id,
                                                   lines=[DraftLine("VALVE", 1)]), now=at(10, 8))
        number = order.number
    sign_in(client, w["email"]["m1"])
    text = csv_of(client.get(f"/manager/orders.csv?number={number}", headers=EN))
    line = text.lstrip(BOM).splitlines()[1]
    assert line.startswith(f'{number};2026-03-10 11:00;Manager;Draft;"\'=HYPERLINK(""http://x"";""y"")";;')
    assert line.endswith(";99.99;0.00;0.00;99.99;0.00;99.99;Prepaid;")


def test_the_csv_streams_many_rows_in_batches(client, w, app, monkeypatch):
    from portal.services.orders import order_list
    monkeypatch.setattr(order_list, "EXPORT_BATCH", 2)
    sign_in(client, w["email"]["boss"])
    response = client.get("/manager/orders.csv", headers=EN)
    assert response.is_streamed
    lines = csv_of(response).lstrip(BOM).splitlines()
    assert len(lines) == 1 + 8
    assert date.fromisoformat(lines[1].split(";")[1][:10]) == date(2026, 3, 9)  # newest first, as the list


def test_the_page_reads_its_rows_in_the_same_few_queries_however_many_there_are(client, w, app):
    """No query per row: the client and the author come with the orders."""
    import sqlalchemy as sa
    sign_in(client, w["email"]["boss"])
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        get(client, f"?number={w['number']['web']}")
        one = len(statements)
        statements.clear()
        page = get(client).get_data(as_text=True)
        assert len(named(w, page)) == 8
        assert len(statements) == one
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)

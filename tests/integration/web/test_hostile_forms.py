"""Hostile input to every form (issue 8, point 2: input).

The forms are found, not listed: for each role, every GET route of the URL map (arguments filled from
the hostile company of `test_output_escaping`, in which the till has a line in its cart, so the cart's
forms show) is rendered and each `<form method="post">` (or `hx-post`) on it is read with
`html.parser`: its action and its fields, with the options of every `<select>`, the value of every
hidden field and the named submit buttons. Hypothesis then posts to each action, as the role that
saw the form, values mixing what the form offered with hostile ones: empty, white space, 10 000
characters, negative and huge numbers, "1e309", "NaN", "-0", RTL marks, emoji, NUL, `<script>`,
`' OR 1=1 --`, `%00`, a field sent several times, a field left out. For every answer:

- never a 5xx;
- an answer that is not a redirect (3xx) changed nothing in the database (every row of every table,
  before and after);
- sent as htmx (HX-Request), an answer that shows an error changed nothing either;
- a refusal (400/422) or a plain re-render (200 HTML, except the forms in PREVIEWS that show a
  computed preview by design) shows an error where the templates put one (`class="errors"`,
  `class="form-errors"`, `aria-invalid="true"`, a `flash-error`, `role="alert"`), and a text field
  typed into keeps what was typed.

Every POST route of the URL map is fuzzed by the role that owns it, or is in NOT_FUZZED with why
(`test_every_post_route_is_fuzzed_or_listed`); a role's test fails if a POST route of its blueprint
was not reached through a form.
"""
from __future__ import annotations

import hashlib
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import markupsafe
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter

from portal.extensions import db

from .test_output_escaping import EN, build_world, get_urls, sign_in

# Few examples per form, repeatable, and no shrinking (a failure is reported as found: shrinking
# through real requests would take minutes).
EXAMPLES = settings(max_examples=6, deadline=None, database=None, derandomize=True, report_multiple_bugs=False,
                    phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))

# POST routes no form of a role reaches here, and why.
NOT_FUZZED = {
    "auth.logout": "no input: ends the session (every page's sign-out button)",
    "client.logout": "no input: ends the client's session",
    "api.create_client": "web-shop API: tests/integration/api/test_api_fuzz.py and test_schemathesis.py",
    "api.create_order": "web-shop API: tests/integration/api/test_api_fuzz.py and test_schemathesis.py",
    "api.create_return": "web-shop API: tests/integration/api/test_api_fuzz.py and test_schemathesis.py",
    "onec.exchange": "1C's CommerceML protocol, not a form: tests/integration/onec",
}
# Which blueprints' POST routes each role must have reached through a form it was shown.
OWNS = {"visitor": ("auth.login", "client.login", "client.code"), "client": ("client.",),
        "admin": ("admin.",), "supervisor": ("supervisor.", "manager.order_approve", "manager.order_reject",
                                               "manager.client_assign"),
        "manager": ("manager.",), "cashier": ("cashier.",)}
SHARED = ("common.",)  # every staff role's (notifications, language)
# Forms whose 200 answer is a computed preview or a recalculation rather than a refusal.
PREVIEWS = {"manager.order_create", "manager.order_edit", "cashier.return_form"}
# Forms whose success is a page rather than a redirect: the SMS link's "Confirm" shows "confirmed"
# (sending it again changes nothing: the code is used); a password reset shows the new password once
# (it must not travel in a redirect).
SUCCESS_PAGES = {"client.confirm_order", "admin.staff_reset_password", "supervisor.reset_password"}
# Forms that write on a refusal by design, and what they may write: counting failed attempts.
REFUSAL_WRITES = {"auth.login": {"users", "login_attempts", "audit_events"},
                  "client.code": {"client_login_codes"},
                  "manager.order_confirm": {"order_confirmation_codes", "audit_events"},
                  "client.confirm_order": {"order_confirmation_codes"}}

HOSTILE = ["", " ", "\t\n ", "x" * 10_000, "-1", "-0", "0", "1e309", "NaN", "inf", "-inf", "1.5", "1,5",
           "99999999999999999999999999", "-99999999999999999999", "2147483648", "9223372036854775808", "١٢٣", "²",
           "１２", "change-2147483648", "order-²",
           "\u202eevil\u202c", "שלום", "😀🔥", "a\x00b", "\x00", "%00", "<script>alert(1)</script>",
           "' OR 1=1 --", "'; DROP TABLE users; --", "null", "[]", "{}", "true", "../../etc/passwd",
           "+79161234567", "7707083893", "2026-02-30", "1900-01-01", "9999-12-31"]
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
ERROR_MARKS = ('class="errors', 'class="form-errors', 'aria-invalid="true"', "flash flash-error", 'role="alert"')
TEXT_TYPES = {"text", "search", "email", "tel", "number", "date", "datetime-local", "textarea", "url", ""}


# --------------------------------------------------------------------------------------------- forms

class FormParser(HTMLParser):
    """Every form that posts: its action and its fields (name, type, offered values)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self.form, self.select, self.textarea = [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            posts = a.get("method", "get").lower() == "post" or "hx-post" in a
            self.form = {"action": a.get("action") or a.get("hx-post") or "", "fields": []} if posts else None
            if self.form is not None:
                self.forms.append(self.form)
        elif tag == "option" and self.select is not None:
            self.select["values"].append(a.get("value", ""))
        elif tag in ("button", "input") and self.form is not None and (a.get("formaction") or a.get("hx-post")):
            # a button that sends the same form elsewhere (approve / reject)
            self.form.setdefault("alternatives", []).append(a.get("formaction") or a.get("hx-post"))
            if "name" in a:
                self.form["fields"].append({"name": a["name"], "type": "submit", "values": [a.get("value", "")]})
        elif self.form is None or "name" not in a or "disabled" in a:
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio") or kind in ("submit", "image"):
                self.form["fields"].append({"name": a["name"], "type": kind, "values": [a.get("value", "on")],
                                            "checked": "checked" in a})
            else:
                self.form["fields"].append({"name": a["name"], "type": kind, "values": [a.get("value", "")],
                                            "secret": kind == "password" or a.get("autocomplete") == "one-time-code"})
        elif tag == "button":
            self.form["fields"].append({"name": a["name"], "type": "submit", "values": [a.get("value", "")]})
        elif tag == "select":
            self.select = {"name": a["name"], "type": "select", "values": []}
            self.form["fields"].append(self.select)
        elif tag == "textarea":
            self.textarea = {"name": a["name"], "type": "textarea", "values": [""]}
            self.form["fields"].append(self.textarea)

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea["values"][0] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def unknown_decl(self, data):
        pass


def forms_on(page_url: str, html: str) -> list[dict]:
    parser = FormParser()
    parser.feed(html)
    for form in list(parser.forms):
        for action in form.pop("alternatives", []):
            parser.forms.append({"action": action, "fields": form["fields"]})
    for form in parser.forms:
        form["action"] = urlsplit(urljoin(page_url, form["action"] or page_url))._replace(scheme="", netloc="") \
            .geturl()
    return parser.forms


def endpoint_of(app, form: dict) -> str | None:
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _args = adapter.match(urlsplit(form["action"]).path, method="POST")
    except Exception:
        return None
    return endpoint


# Steps that bring up the forms a state of the data hides (the cashier's: with the client attached the
# cart has no client search; with the shift open there is no form to open one), and the step back.
STATES = {
    "cashier": [
        [("/cashier/cart/client/remove", {})],
        [("/cashier/shift/close", {"counted_cash": "0"})],
        [("/cashier/shift/open", {"opening_float": "100"}), ("/cashier/cart/client", {"query": "+79161234567"})],
    ],
    "supervisor": [[("/supervisor/automation/{rule}/pause", {})], [("/supervisor/automation/{rule}/resume", {})]],
}


def owned_by(role: str) -> tuple[str, ...]:
    return OWNS[role] + (SHARED if role not in ("visitor", "client") else ())


def discover(app, http, world: dict, role: str) -> dict[tuple, dict]:
    """The distinct forms of the role's own routes it is shown: (endpoint, field names) -> form."""
    found: dict[tuple, dict] = {}
    urls = ["/login", "/my/login", "/my/code"] if role == "visitor" else get_urls(app, world, role)
    _read_forms(app, http, urls, found)
    for steps in STATES.get(role, []):
        for path, data in steps:
            path = path.format(rule=world["rule"])
            assert http.post(path, data=data, headers=EN).status_code in (302, 303), path
        _read_forms(app, http, urls, found)
    owned = owned_by(role)
    return {key: form for key, form in found.items() if form["endpoint"].startswith(owned)
            and (role != "manager" or form["endpoint"] not in OWNS["supervisor"])
            and (role != "client" or form["endpoint"] not in OWNS["visitor"])}


def _read_forms(app, http, urls: list[str], found: dict) -> None:
    for url in urls:
        response = http.get(url, headers=EN)
        data = response.get_data()  # read to the end: a streamed answer then closes its context
        response.close()
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        html = data.decode()
        for form in forms_on(url, html):
            endpoint = endpoint_of(app, form)
            if endpoint is None or endpoint in NOT_FUZZED:
                continue
            form["endpoint"] = endpoint
            found.setdefault((endpoint, tuple(sorted(f["name"] for f in form["fields"]))), form)


# ------------------------------------------------------------------------------------------ database

def table_names(app) -> list[str]:
    with app.app_context():
        existing = set(sa.inspect(db.engine).get_table_names())
        return [t.name for t in db.metadata.sorted_tables if t.name in existing]


def snapshot(app, names: list[str]) -> dict[str, str]:
    """A checksum of every row of every table."""
    with app.app_context():
        sums = {}
        for name in names:
            rows = db.session.execute(sa.select(db.metadata.tables[name])).all()
            sums[name] = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()
        db.session.rollback()
        return sums


# -------------------------------------------------------------------------------------------- values

def field_values(field: dict) -> st.SearchStrategy:
    """What one field is sent as: left out, one value, or the key repeated."""
    offered = [v for v in field["values"] if v is not None]
    one = st.sampled_from(HOSTILE) | TEXT
    if offered:
        one = st.sampled_from(offered) | one
    if field["type"] in ("hidden", "select", "submit", "checkbox", "radio") and offered:
        # what the page offered, most of the time, so the hostile value meets the later checks
        one = st.one_of(st.sampled_from(offered), st.sampled_from(offered), one)
    return st.one_of(one.map(lambda v: [v]), one.map(lambda v: [v]), one.map(lambda v: [v]), st.just([]),
                     st.lists(one, min_size=2, max_size=3))


def form_data(form: dict) -> st.SearchStrategy:
    submits = [f for f in form["fields"] if f["type"] == "submit"]
    others = [f for f in form["fields"] if f["type"] != "submit"]
    names = [f["name"] for f in others]
    fields = st.tuples(*(field_values(f) for f in others)) if others else st.just(())
    button = st.sampled_from(submits).map(lambda f: [(f["name"], f["values"][0])]) if submits else st.just([])
    return st.tuples(fields, button | st.just([])).map(
        lambda t: [(n, v) for n, vs in zip(names, t[0]) for v in vs] + t[1])


def _shown(html: str, value: str) -> bool:
    return any(str(markupsafe.escape(typed)) in html or typed in html for typed in {value, value.strip()})


def check_answer(app, form: dict, data: list, response, before: dict, names: list[str], text_fields: set[str],
                 htmx: bool):
    status, endpoint = response.status_code, form["endpoint"]
    body = response.get_data(as_text=True)
    where = (endpoint, form["action"], "htmx" if htmx else "plain", status,
             data if len(repr(data)) < 800 else repr(data)[:800])
    assert status < 500, (*where, body[:1500])
    if 300 <= status < 400:
        return
    shows_error = any(mark in body for mark in ERROR_MARKS)
    if status == 200 and not shows_error and (htmx or endpoint in SUCCESS_PAGES):
        return  # an htmx action answers its success with the partial it changed
    after = snapshot(app, names)
    changed = {name for name in names if before[name] != after[name]}
    assert changed <= REFUSAL_WRITES.get(endpoint, set()), (*where, "wrote to", changed)
    if htmx:
        return
    if response.mimetype != "text/html" or status not in (200, 400, 422):
        return
    if status == 200 and endpoint in PREVIEWS:
        return
    if status == 200 and response.headers.get("HX-Redirect"):
        return
    assert shows_error, (*where, "no error shown", body[:3000])
    if status in (400, 422):
        sent = {}
        for name, value in data:
            sent.setdefault(name, []).append(value)
        for name, values in sent.items():
            value = values[0]
            if name in text_fields and len(values) == 1 and value.strip() and f'name="{name}"' in body:
                assert _shown(body, value), (*where, f"the typed {name}={value[:80]!r} is not kept")


def fuzz_form(app, http, form: dict, names: list[str]):
    # A password or a one-time code is not shown again; every other text field keeps what was typed.
    text_fields = {f["name"] for f in form["fields"] if f["type"] in TEXT_TYPES and not f.get("secret")}

    @EXAMPLES
    @given(data=form_data(form), htmx=st.booleans())
    def run(data, htmx):
        before = snapshot(app, names)
        headers = {**EN, "HX-Request": "true"} if htmx else EN
        response = http.post(form["action"], data=MultiDict(data), headers=headers)
        check_answer(app, form, data, response, before, names, text_fields, htmx)

    run()


# --------------------------------------------------------------------------------------------- tests

# A form that ends the session, or the shift, goes last, so the others are fuzzed while it is open.
LAST = ("close_shift", "set_active", "staff_set_active", "reset_password", "cancel", "language")


@pytest.fixture
def world(app, tmp_path):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash is a 500 answer to assert on
    return build_world(app, str(tmp_path / "sms.jsonl"))


@pytest.mark.parametrize("role", ["visitor", "client", "admin", "supervisor", "manager", "cashier"])
def test_hostile_values_in_every_form(app, world, role):
    http = app.test_client() if role == "visitor" else sign_in(app, world, role)
    forms = discover(app, http, world, role)
    owned = owned_by(role)
    post_rules = {r.endpoint for r in app.url_map.iter_rules() if "POST" in r.methods and r.endpoint.startswith(owned)
                  and r.endpoint not in NOT_FUZZED}
    if role == "visitor":
        post_rules &= set(OWNS["visitor"])
    elif role == "client":
        post_rules -= set(OWNS["visitor"])
    elif role == "manager":
        post_rules -= set(OWNS["supervisor"])
    reached = {form["endpoint"] for form in forms.values()}
    missing = post_rules - reached
    assert not missing, f"{role}: no form reaches {sorted(missing)}"
    names = table_names(app)
    ordered = sorted(forms.values(), key=lambda f: any(word in f["endpoint"] for word in LAST))
    for form in ordered:
        fuzz_form(app, http, form, names)


def test_every_post_route_is_fuzzed_or_listed(app):
    owners = tuple(p for prefixes in OWNS.values() for p in prefixes) + SHARED
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods:
            assert rule.endpoint in NOT_FUZZED or rule.endpoint.startswith(owners), rule.rule




HUGE_IDS = [0, 2 ** 31, 10 ** 30]


def test_ids_no_row_can_have_in_any_path_are_not_a_500(app, world):
    """Every web route with an id in its path, GET and POST, as every role, with ids beyond what the
    columns hold (32 bits): no route matches them, so a 404, never a database error."""
    from flask import url_for
    names = table_names(app)
    for role in ("admin", "supervisor", "manager", "cashier", "client"):
        http = sign_in(app, world, role)
        before = snapshot(app, names)
        for rule in app.url_map.iter_rules():
            ints = [name for name, conv in rule._converters.items() if isinstance(conv, IntegerConverter)]
            if not ints or rule.rule.startswith(("/api/", "/static")):
                continue
            others = {name: "x" for name in rule.arguments if name not in ints}
            for n in HUGE_IDS:
                with app.test_request_context():
                    url = url_for(rule.endpoint, **others, **dict.fromkeys(ints, n))
                for method in sorted(rule.methods & {"GET", "POST"}):
                    response = http.open(url, method=method, data={"qty": "1"} if method == "POST" else None,
                                         headers=EN)
                    response.close()
                    assert response.status_code < 500, (role, method, url, response.status_code)
                    if n >= 2 ** 31:
                        assert response.status_code == 404, (role, method, url, response.status_code)
        assert snapshot(app, names) == before, role

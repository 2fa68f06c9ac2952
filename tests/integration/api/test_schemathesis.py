"""The OpenAPI document, fuzzed by Schemathesis against the running app.

The document is the one the app serves at /api/v1/openapi.json (loaded when the module is, and
checked against what the live server serves). Every documented operation is
called with generated requests, valid ones and ones that break the document, against the app
served by werkzeug on 127.0.0.1 (a free port) on the test's migrated database (SQLite, or
PostgreSQL with TEST_DATABASE_URL), with a real API key from `flask api-keys create` in the
Authorization header and a generated Idempotency-Key on every POST. The shop of the API tests, a
client's bonus, two orders and a return are there beforehand, and generated ids, SKUs and client
ids are often swapped for existing ones, so lookups and orders succeed as well as fail.

Every answer must pass every Schemathesis check: no 5xx, a documented status, the documented
content type, headers and body; a request that breaks the document is refused with a 4xx; a
request that keeps to it is accepted, except for a 422 that names only a field whose rule the
document cannot state (a phone number that does not exist, an unknown SKU, a cursor the API did
not give, ...: `business_rule_rejection` below); 401 without the key or with a wrong one; 405 with
an Allow header for methods a path does not have. Each operation must also have succeeded (2xx)
at least once in its run.

The run is bounded and repeatable: derandomised Hypothesis with a fixed seed and a few examples per
operation; PORTAL_SCHEMATHESIS_EXAMPLES=200 makes a longer local run.
"""
from __future__ import annotations

import collections
import itertools
import json
import logging
import os
import re
import threading
import urllib.request

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig
from werkzeug.serving import make_server

from .conftest import Api, create_key, give_bonus

MAX_EXAMPLES = int(os.environ.get("PORTAL_SCHEMATHESIS_EXAMPLES", "25"))
SEED = 20261203

# What the current test's shop holds: filled in by `live_api`, read by the generation hooks.
# (Every xdist worker imports this module on its own, so each has its own copy.)
SEEDED: dict[str, list] = {"skus": [], "returnable_skus": [], "client_ids": [], "order_ids": []}

# 422s that a request which keeps to the document may still get: a rule on a field that no JSON
# Schema can state (API.md: unknown SKU 422, returning more than was bought 422, bonus above the
# programme's share 422, ...). Keys: operation label -> regex of the field names that may be named.
BUSINESS_RULE_FIELDS = {
    "GET /products": r"cursor",
    "GET /clients": r"cursor",
    "GET /clients/{id}/bonus/entries": r"cursor",
    "POST /clients": r"phone|email",
    "POST /orders": r"lines\[\d+\]\.sku|bonus_to_redeem",
    "POST /orders/{id}/returns": r"lines|lines\[\d+\]\.(sku|qty)",
}


def _served_document_schema():
    """The document as the app serves it at /api/v1/openapi.json (the route needs no database)."""
    from portal import create_app

    from ...conftest import TEST_CONFIG
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    loaded = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=SchemathesisConfig.from_dict({
        "seed": SEED,
        # The key is sent as it is, on every request: the ignored_auth check tries each operation
        # without it and with a wrong one (a generated Authorization would only be overridden).
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "with-security-parameters": False},
        "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "404", "409", "422"]}},
    }))
    loaded.app = None  # the requests go to the live server, over a socket
    return loaded


schema = _served_document_schema()


def business_rule_rejection(ctx, response, case):
    """A 422 to a request that keeps to the document names only fields of BUSINESS_RULE_FIELDS."""
    meta = case.meta
    if response.status_code != 422 or meta is None or not meta.generation.mode.is_positive:
        return
    body = response.json()
    allowed = BUSINESS_RULE_FIELDS.get(case.operation.label)
    fields = sorted((body.get("fields") or {}) if isinstance(body, dict) else {})
    wrong = [name for name in fields if allowed is None or not re.fullmatch(allowed, name)]
    if not fields or wrong:
        raise AssertionError(f"A request that keeps to the document was refused with 422 on {wrong or 'no field'}: "
                             f"the document should say what is refused. Body: {body}")
    return


# Generated values are swapped for existing or workable ones (or kept) only where both the old and
# the new value keep to the document, so a request that breaks the document still breaks it.

def _text(value, max_length: int, *, filled: bool = True) -> bool:
    return isinstance(value, str) and (value.strip() != "" or not filled) and len(value) <= max_length \
        and "\x00" not in value


def _count(value, maximum: int = 100_000) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= maximum


_MONEY_IN = re.compile(r"[0-9]{1,13}(\.[0-9]{1,2})?")


@schema.hook
def flatmap_path_parameters(ctx, path_parameters):
    ids = SEEDED["order_ids"] if ctx.operation.path.startswith("/orders") else SEEDED["client_ids"]
    if not ids or not isinstance(path_parameters, dict) or not _count(path_parameters.get("id"), 2 ** 63):
        return st.just(path_parameters)
    return st.just(path_parameters) | st.sampled_from(ids).map(lambda i: {**path_parameters, "id": i})


_FRESH_KEYS = itertools.count(1)


@schema.hook
def flatmap_headers(ctx, headers):
    key = headers.get("Idempotency-Key") if isinstance(headers, dict) else None
    if not isinstance(key, str) or not re.fullmatch(r"[\x20-\x7e]{1,200}", key):
        return st.just(headers)
    # Generated keys repeat ("0", "00", ...; Hypothesis favours small numbers too): a repeat with
    # another body is a 409 idempotency_conflict, also after a refusal (the answer is remembered).
    # A key never used before lets the request do its work.
    return st.just(headers) | st.just(None).map(lambda _: {**headers, "Idempotency-Key": f"st-{next(_FRESH_KEYS)}"})


@st.composite
def _workable(draw, body: dict, path: str) -> dict:
    """`body` with some valid fields replaced by valid values that the shop can act on."""
    new = dict(body)

    def often():  # three times in four
        return draw(st.integers(0, 3)) > 0

    def swap(name, keeps_to_document, values):
        if name in new and keeps_to_document(new[name]) and often():
            new[name] = draw(values)

    if path == "/clients":
        swap("phone", lambda v: _text(v, 40), st.integers(0, 9_999_999).map(lambda n: f"+7903{n:07d}"))
        swap("email", lambda v: v is None or _text(v, 254, filled=False),
             st.sampled_from([None, "", "vera@example.com"]))
        return new
    lines = new.get("lines")
    if isinstance(lines, list) and all(isinstance(line, dict) for line in lines):
        skus = SEEDED["skus"] if path == "/orders" else SEEDED["returnable_skus"]
        real_skus, few = often(), often()
        new_lines = []
        for line in lines:
            line = dict(line)
            if real_skus and _text(line.get("sku"), 64):
                line["sku"] = draw(st.sampled_from(skus))
            if few and _count(line.get("qty")):
                line["qty"] = draw(st.integers(1, 2))
            new_lines.append(line)
        new["lines"] = new_lines
    if path == "/orders":
        swap("external_id", lambda v: _text(v, 100), st.integers(0, 10 ** 12).map(lambda n: f"st-{n}"))
        swap("client_id", lambda v: v is None or _count(v, 2 ** 63 - 1),
             st.sampled_from([None, *SEEDED["client_ids"]]))
        swap("bonus_to_redeem", lambda v: isinstance(v, str) and _MONEY_IN.fullmatch(v) is not None,
             st.sampled_from(["0.00", "0", "0.5", "1.00"]))
    return new


@schema.hook
def flatmap_body(ctx, body):
    if not isinstance(body, dict) or not SEEDED["skus"]:
        return st.just(body)
    return _workable(body, ctx.operation.path)


@pytest.fixture
def live_api(app, runner, shop):
    """The app on a real socket, with a key and a shop; yields (base URL, key, statuses seen)."""
    key = create_key(runner, "schemathesis")
    give_bonus(app, shop["client_id"], 500_00)
    api = Api(app.test_client(), key)
    second = api.post("/clients", {"name": "Second", "phone": "+79035550011"}).get_json()["id"]
    first_order = api.order([("DRILL", 5), ("PENNY", 50), ("VALVE", 20), ("PIPE", 1)], client_id=shop["client_id"],
                            bonus="10.00")
    assert first_order.status_code == 201, first_order.get_data(as_text=True)
    order_id = first_order.get_json()["id"]
    returned = api.post(f"/orders/{order_id}/returns", {"lines": [{"sku": "PENNY", "qty": 1}]})
    assert returned.status_code == 201, returned.get_data(as_text=True)
    anonymous = api.order([("PENNY", 1)]).get_json()["id"]
    SEEDED.update(skus=["DRILL", "PIPE", "VALVE", "PENNY", "RARE"], returnable_skus=["DRILL", "PENNY", "VALVE"],
                  client_ids=[shop["client_id"], second], order_ids=[order_id, anonymous])

    without_key: list[int] = []  # the statuses of requests that came without the key or with another

    def watched(environ, start_response):
        keyless = environ.get("HTTP_AUTHORIZATION") != f"Bearer {key}" \
            and environ["PATH_INFO"] != "/api/v1/openapi.json"  # the document needs no key

        def start(status, headers, exc_info=None):
            if keyless:
                without_key.append(int(status[:3]))
            return start_response(status, headers, exc_info)
        return app(environ, start)

    werkzeug_log = logging.getLogger("werkzeug")
    level = werkzeug_log.level
    werkzeug_log.setLevel(logging.WARNING)  # one line per request drowns the failure output
    server = make_server("127.0.0.1", 0, watched, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="schemathesis-live-server", daemon=True)
    thread.start()
    statuses: list[int] = []
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        with urllib.request.urlopen(f"{url}/api/v1/openapi.json", timeout=30) as served:
            assert json.load(served) == schema.raw_schema, "the live server serves another document"
        yield url, key, statuses
        if os.environ.get("PORTAL_SCHEMATHESIS_STATUSES"):
            print("statuses seen:", sorted(collections.Counter(statuses).items()),
                  "without the key:", sorted(collections.Counter(without_key).items()))
        # Only failures or only refusals would prove little: each operation must have worked too.
        assert any(200 <= status < 300 for status in statuses), f"no request succeeded: {sorted(set(statuses))}"
        # ignored_auth tried the operation without the key and with a wrong one: refused, always
        # (a 405 for an undeclared method comes before the key is looked at).
        assert 401 in without_key and set(without_key) <= {401, 405}, sorted(set(without_key))
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        werkzeug_log.setLevel(level)
        SEEDED.update(skus=[], returnable_skus=[], client_ids=[], order_ids=[])


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_every_operation_keeps_to_the_document(case, live_api):
    url, key, statuses = live_api
    response = case.call_and_validate(base_url=f"{url}/api/v1", headers={"Authorization": f"Bearer {key}"},
                                      additional_checks=[business_rule_rejection], timeout=30)
    if response.request.method == case.operation.method.upper():  # not a probe with an undeclared method
        statuses.append(response.status_code)

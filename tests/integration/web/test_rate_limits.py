"""Brute-force limits (Flask-Limiter): staff sign-in, client SMS codes, order confirmation codes
and API keys are counted per client address (and per phone / per order), answered with 429 and
Retry-After once over the limit. Only these tests run with limiting on (marker `ratelimit`)."""
from __future__ import annotations

import uuid

import pytest

from portal import create_app
from portal.extensions import db

from ...conftest import TEST_CONFIG
from ...factories import DEFAULT_PASSWORD, make_client, make_location, make_product, make_staff

pytestmark = pytest.mark.ratelimit

WRONG = "wrong-password-1"


def _from(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


def _sign_in(http, email, password, **kwargs):
    return http.post("/login", data={"email": email, "password": password}, **kwargs)


def _assert_limited_page(response, text: str):
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 3600
    assert text in response.get_data(as_text=True)


def test_failed_sign_ins_are_limited_per_address_and_successes_are_free(app, client):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    with app.app_context():
        email = make_staff("admin").email
    # a whole office behind one address signs in and out freely: successful sign-ins cost nothing
    for _ in range(4):
        assert _sign_in(client, email, DEFAULT_PASSWORD).status_code == 302
        assert client.post("/logout").status_code == 302
    for _ in range(3):
        assert _sign_in(client, email, WRONG).status_code == 401
    refused = _sign_in(client, email, WRONG, headers={"Accept-Language": "ru"})
    _assert_limited_page(refused, "Слишком много попыток")
    # over the limit even the right password waits, so guessing cannot go on
    _assert_limited_page(_sign_in(client, email, DEFAULT_PASSWORD), "Too many attempts")
    assert client.get("/admin/").status_code == 302
    # the account lock-out still counts per account beside it: the 3 failures, not the refused tries
    with app.app_context():
        from portal.models import User
        assert db.session.scalar(db.select(User.failed_logins).where(User.email == email)) == 3
    # the form itself still opens, and another address is not affected
    assert client.get("/login").status_code == 200
    assert _sign_in(app.test_client(), email, DEFAULT_PASSWORD, **_from("10.0.0.7")).status_code == 302


def test_the_address_is_the_forwarded_one_only_behind_a_trusted_proxy(app, migrated):
    with app.app_context():
        email = make_staff("admin").email
    for proxied in (False, True):
        app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": migrated, "RATELIMIT_ENABLED": True, "WTF_CSRF_ENABLED": False,
                          "LOGIN_RATE_LIMIT": "2 per minute", "PORTAL_PROXY_FIX": 1 if proxied else 0})
        statuses = []
        for n in range(4):  # four "different" forwarded addresses, all from the proxy at 127.0.0.1
            statuses.append(_sign_in(app.test_client(), email, WRONG,
                                     headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code)
        # a client cannot dodge the limit by sending X-Forwarded-For itself; behind the proxy each
        # forwarded address has its own count
        assert statuses == ([401] * 4 if proxied else [401, 401, 429, 429]), proxied
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def sms_path(app, tmp_path):
    path = tmp_path / "sms.log"
    app.config["SMS_FILE_PATH"] = str(path)
    return path


def test_client_codes_are_limited_per_phone_and_per_address(app, client, sms_path):
    app.config["CLIENT_CODE_RATE_LIMIT"] = "3 per 15 minutes"
    with app.app_context():
        make_client(phone="+79161112233")
        make_client(phone="+79161119999")
    # per phone, whatever the notation and the address: asking and typing share one budget
    assert app.test_client().post("/my/login", data={"phone": "+7 916 111-22-33"}, **_from("10.0.0.1")).status_code == 302
    assert app.test_client().post("/my/code", data={"phone": "8 (916) 111-22-33", "code": "000000"},
                                  **_from("10.0.0.2")).status_code == 422
    assert app.test_client().post("/my/code", data={"phone": "89161112233", "code": "000001"},
                                  **_from("10.0.0.3")).status_code == 422
    refused = app.test_client().post("/my/code", data={"phone": "+79161112233", "code": "000002"},
                                     **_from("10.0.0.4"))
    _assert_limited_page(refused, "Too many attempts")
    # per address, whatever the phone
    http = app.test_client()
    for n in range(3):
        assert http.post("/my/login", data={"phone": f"+7916222000{n}"}, **_from("10.0.0.9")).status_code == 302
    _assert_limited_page(http.post("/my/login", data={"phone": "+79161119999"}, **_from("10.0.0.9")),
                         "Too many attempts")
    # the pages themselves still open; only one SMS went out (the first request; the rest were unknown phones)
    assert http.get("/my/login", **_from("10.0.0.9")).status_code == 200
    from portal.integrations.sms import sent_messages
    assert len(sent_messages(sms_path)) == 1


def test_order_confirmation_codes_typed_by_a_manager_are_limited(app, client, sms_path):
    app.config["ORDER_CODE_RATE_LIMIT"] = "2 per 10 minutes"
    with app.app_context():
        from portal.services.orders import confirmation as order_confirmation
        from portal.services.orders import orders
        from portal.services.orders.orders import DraftLine, OrderDraft
        main = make_location("warehouse", code="MAIN", is_main=True)
        make_product("DRILL", 1_000_00, stock={main: 10})
        manager = make_staff("manager")
        buyer = make_client(manager, phone="+79161110001")
        order = orders.submit(manager, orders.create_draft(manager, OrderDraft(
            client_id=buyer.id, location_id=main.id, lines=[DraftLine("DRILL", 1)])).id)
        order_confirmation.send_code(manager, order.id)
        order_id, email = order.id, manager.email
    assert _sign_in(client, email, DEFAULT_PASSWORD).status_code == 302
    url = f"/manager/orders/{order_id}/confirm"
    assert [client.post(url, data={"code": "000000"}).status_code for _ in range(2)] == [422, 422]
    _assert_limited_page(client.post(url, data={"code": "000000"}), "Too many attempts")
    # the limit is per order too: from another address the same order is still refused
    other = app.test_client()
    assert _sign_in(other, email, DEFAULT_PASSWORD, **_from("10.0.0.5")).status_code == 302
    assert other.post(url, data={"code": "000000"}, **_from("10.0.0.5")).status_code == 429
    with app.app_context():
        from portal.models import Order, OrderStatus
        assert db.session.get(Order, order_id).status is OrderStatus.AWAITING_CONFIRMATION


def test_failed_api_keys_are_limited_per_address_and_valid_traffic_is_not(app, client):
    app.config["API_AUTH_RATE_LIMIT"] = "3 per minute"
    with app.app_context():
        from portal.services.staff import api_keys
        _key, secret = api_keys.create_key("shop")
    good = {"Authorization": f"Bearer {secret}"}
    # a valid key's normal traffic is never counted
    for _ in range(10):
        assert client.get("/api/v1/products", headers=good).status_code == 200
    for header in ({}, {"Authorization": "Bearer pk_wrong"}, {"Authorization": "Basic eDp5"}):
        assert client.get("/api/v1/products", headers=header).status_code == 401
    refused = client.get("/api/v1/products", headers={"Authorization": "Bearer pk_guess"})
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    body = refused.get_json()
    assert set(body) == {"error", "message"} and body["error"] == "rate_limited"
    # over the limit the address waits, valid key or not (a guessed key is not told apart)
    assert client.get("/api/v1/products", headers=good).status_code == 429
    assert client.post("/api/v1/clients", json={}, headers=good).get_json()["error"] == "rate_limited"
    # another address is unaffected
    assert client.get("/api/v1/products", headers=good, **_from("10.0.0.8")).status_code == 200


def _redis_or_skip():
    redis = pytest.importorskip("redis")
    connection = redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1, socket_timeout=2)
    try:
        connection.ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis server at 127.0.0.1:6379 ({exc})")
    return connection


def test_the_login_limit_is_shared_through_redis(app, migrated):
    redis = _redis_or_skip()
    prefix = f"portal-test-{uuid.uuid4().hex[:12]}"
    with app.app_context():
        email = make_staff("admin").email
    config = {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": migrated, "RATELIMIT_ENABLED": True, "WTF_CSRF_ENABLED": False,
              "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0", "RATELIMIT_KEY_PREFIX": prefix,
              "LOGIN_RATE_LIMIT": "2 per minute"}
    try:
        first = create_app(config)
        assert [_sign_in(first.test_client(), email, WRONG).status_code for _ in range(2)] == [401, 401]
        assert any(prefix in key.decode() for key in redis.scan_iter(match=f"*{prefix}*"))
        # a second worker (a new app and storage connection) sees the same counters
        second = create_app(config)
        _assert_limited_page(_sign_in(second.test_client(), email, WRONG), "Too many attempts")
        for each in (first, second):
            with each.app_context():
                db.engine.dispose()
    finally:
        keys = list(redis.scan_iter(match=f"*{prefix}*"))
        if keys:
            redis.delete(*keys)


def test_an_unreachable_limit_store_falls_back_to_memory_and_still_limits(app, migrated):
    with app.app_context():
        email = make_staff("admin").email
    down = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": migrated, "RATELIMIT_ENABLED": True,
                       "WTF_CSRF_ENABLED": False, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0",
                       "LOGIN_RATE_LIMIT": "2 per minute"})
    http = down.test_client()
    # sign-in keeps working (no 500) and brute force is still refused while Redis is away
    assert [_sign_in(http, email, WRONG).status_code for _ in range(3)] == [401, 401, 429]
    with down.app_context():
        db.engine.dispose()

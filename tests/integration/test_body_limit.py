"""A request body above MAX_CONTENT_LENGTH is a 413 in each door's own format: the translated error
page, the API's JSON error, the 1C exchange's `failure` text; the exchange always takes parts of
ONEC_FILE_LIMIT bytes. Each both with a Content-Length and chunked (no length: a chunked body within
the limit must arrive whole, not cut short at it)."""
from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from flask import Response
from werkzeug.test import EnvironBuilder, run_wsgi_app

from portal import body_limit
from portal import config as config_module
from portal.extensions import db
from portal.models import Order

LIMIT = 1024
ONEC_LOGIN, ONEC_PASSWORD = "1c-exchange", "exchange-secret"


@pytest.fixture
def small(app, tmp_path):
    app.instance_path = str(tmp_path / "instance")
    app.config.update(MAX_CONTENT_LENGTH=LIMIT, ONEC_LOGIN=ONEC_LOGIN, ONEC_PASSWORD=ONEC_PASSWORD,
                      ONEC_FILE_LIMIT=2 * LIMIT)
    return app


def send(app, path: str, data: bytes, *, chunked: bool = False, headers: dict | None = None, **kwargs):
    """POST `data` as a test client does (with Content-Length), or chunked: Transfer-Encoding:
    chunked and no length, the server ending the stream, as gunicorn hands such a request on."""
    http = app.test_client(use_cookies=False)
    if not chunked:
        return http.post(path, data=data, headers=headers, **kwargs)
    environ = EnvironBuilder(path=path, method="POST", data=data, headers=headers, **kwargs).get_environ()
    del environ["CONTENT_LENGTH"]
    environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    environ["wsgi.input_terminated"] = True
    body, status, response_headers = run_wsgi_app(app, environ, buffered=True)
    return Response(b"".join(body), status=status, headers=response_headers)


# ------------------------------------------------------------------------------------------ web pages

@pytest.mark.parametrize("chunked", [False, True])
def test_a_page_answers_an_oversized_form_with_the_error_page(small, chunked):
    body = b"email=a%40b.c&password=" + b"x" * LIMIT
    response = send(small, "/login", body, chunked=chunked,
                    content_type="application/x-www-form-urlencoded", headers={"Accept-Language": "en"})
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    assert "Too much data" in html and "larger than the portal accepts (0.000977 MB at most)" in html


def test_the_error_page_is_translated(small):
    response = small.test_client().post("/login", data=b"x" * (LIMIT + 1), headers={"Accept-Language": "ru"},
                                        content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert "Слишком много данных" in response.get_data(as_text=True)


def test_a_form_field_over_flasks_field_limit_gets_the_page_without_a_size(small):
    small.config["MAX_FORM_MEMORY_SIZE"] = 100
    response = small.test_client().post("/login", data={"email": "a@b.c", "password": "x" * 500},
                                        content_type="multipart/form-data", headers={"Accept-Language": "en"})
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "Too much data" in html and "larger than the portal accepts. Send less at a time." in html


@pytest.mark.parametrize("chunked", [False, True])
def test_a_form_within_the_limit_is_read_as_usual(small, chunked):
    response = send(small, "/login", b"email=nobody%40example.com&password=secret&other=" + b"x" * 900, chunked=chunked,
                    content_type="application/x-www-form-urlencoded", headers={"Accept-Language": "en"})
    assert response.status_code == 401  # the form was read: an unknown e-mail is refused as usual
    assert "Too much data" not in response.get_data(as_text=True)


# ------------------------------------------------------------------------------------------ API

@pytest.fixture
def api_key(small):
    result = small.test_cli_runner().invoke(args=["api-keys", "create", "shop"])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1].strip()


@pytest.mark.parametrize("chunked", [False, True])
def test_the_api_answers_an_oversized_body_with_the_contracts_json_error(small, api_key, chunked):
    order = {"external_id": "web-1", "lines": [{"sku": "X", "qty": 1}], "note": "x" * LIMIT}
    response = send(small, "/api/v1/orders", json.dumps(order).encode(), chunked=chunked,
                    content_type="application/json",
                    headers={"Authorization": f"Bearer {api_key}", "Idempotency-Key": f"big-{chunked}"})
    assert response.status_code == 413
    assert response.mimetype == "application/json"
    answer = response.get_json()
    assert set(answer) == {"error", "message"} and answer["error"] == "payload_too_large" and answer["message"]
    with small.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Order)) == 0


def test_the_openapi_document_lists_the_413(small):
    doc = small.test_client().get("/api/v1/openapi.json").get_json()
    assert "payload_too_large" in doc["components"]["schemas"]["Error"]["properties"]["error"]["enum"]
    assert "413" in doc["paths"]["/orders"]["post"]["responses"]


# ------------------------------------------------------------------------------------------ 1C exchange

def onec_session(app):
    http = app.test_client(use_cookies=False)
    basic = "Basic " + base64.b64encode(f"{ONEC_LOGIN}:{ONEC_PASSWORD}".encode()).decode()
    answer = http.get("/exchange", query_string={"type": "catalog", "mode": "checkauth"},
                      headers={"Authorization": basic})
    _success, name, value = answer.get_data(as_text=True).split("\n")
    cookie = {"Cookie": f"{name}={value}"}
    init = http.get("/exchange", query_string={"type": "catalog", "mode": "init"}, headers=cookie)
    assert init.get_data(as_text=True).split("\n") == ["zip=yes", f"file_limit={2 * LIMIT}"]
    return http, cookie


@pytest.mark.parametrize("chunked", [False, True])
def test_the_exchange_takes_parts_of_file_limit_bytes_above_max_content_length(small, chunked):
    _http, cookie = onec_session(small)
    part = b"<?xml" + b"x" * (2 * LIMIT - 5)  # as large as init's file_limit: twice MAX_CONTENT_LENGTH
    response = send(small, "/exchange?type=catalog&mode=file&filename=import.xml", part, chunked=chunked,
                    headers=cookie, content_type="application/octet-stream")
    assert response.status_code == 200 and response.get_data(as_text=True) == "success"
    [stored] = Path(small.instance_path).glob("onec/*/import.xml")
    assert stored.read_bytes() == part  # all of it, not cut at any limit


@pytest.mark.parametrize("chunked", [False, True])
def test_the_exchange_answers_a_larger_part_with_its_failure_text(small, chunked):
    _http, cookie = onec_session(small)
    response = send(small, "/exchange?type=catalog&mode=file&filename=import.xml", b"x" * (2 * LIMIT + 1),
                    chunked=chunked, headers=cookie, content_type="application/octet-stream")
    assert response.status_code == 413
    assert response.mimetype == "text/plain"
    lines = response.get_data(as_text=True).split("\n")
    assert lines[0] == "failure" and f"{2 * LIMIT} bytes at most" in lines[1]


# ------------------------------------------------------------------------------------------ settings

def test_the_default_limit_is_16_mib_and_the_exchange_never_takes_less_than_its_file_limit(tmp_path, monkeypatch):
    monkeypatch.delenv("PORTAL_MAX_BODY_MB", raising=False)
    monkeypatch.delenv("ONEC_FILE_LIMIT", raising=False)
    settings = config_module.from_environment(str(tmp_path))
    assert settings["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024 > settings["ONEC_FILE_LIMIT"]
    monkeypatch.setenv("PORTAL_MAX_BODY_MB", "0.5")
    settings = config_module.from_environment(str(tmp_path))
    assert settings["MAX_CONTENT_LENGTH"] == 512 * 1024
    assert body_limit.exchange_limit(settings) == settings["ONEC_FILE_LIMIT"] == 8 * 1024 * 1024


@pytest.mark.parametrize("value", ["0", "-1", "lots"])
def test_a_wrong_body_limit_stops_the_start(tmp_path, monkeypatch, value):
    monkeypatch.setenv("PORTAL_MAX_BODY_MB", value)
    with pytest.raises(RuntimeError, match="PORTAL_MAX_BODY_MB"):
        config_module.from_environment(str(tmp_path))

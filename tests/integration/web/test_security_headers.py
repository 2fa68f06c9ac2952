"""Security headers on every kind of answer (HTML pages of each cabinet, errors, PDF, CSV, API JSON,
429), HSTS only over HTTPS, and templates that a strict CSP can serve: no inline script or style,
no on… handlers, no javascript: URLs (in the files and in rendered pages)."""
from __future__ import annotations

import re

import pytest

from portal import ROOT

from ...factories import DEFAULT_PASSWORD, make_client, make_staff

INLINE = {
    "inline <script> without src": re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.I),
    "style= attribute": re.compile(r"<[^>]*\sstyle\s*=", re.I),
    "on… event handler": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript\s*:", re.I),
}


def inline_code(html: str) -> list[str]:
    return [what for what, pattern in INLINE.items() if pattern.search(html)]


def assert_security_headers(response, secure: bool = False):
    headers = response.headers
    csp = {part.strip().split(" ", 1)[0]: part.strip() for part in headers["Content-Security-Policy"].split(";")}
    assert "'self'" in csp["script-src"] and "unsafe-inline" not in headers["Content-Security-Policy"]
    assert "unsafe-eval" not in headers["Content-Security-Policy"]
    assert csp["frame-ancestors"] == "frame-ancestors 'none'"
    assert csp["object-src"] == "object-src 'none'"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] in {"same-origin", "strict-origin-when-cross-origin", "no-referrer"}
    if secure:
        assert re.fullmatch(r"max-age=\d{7,}; includeSubDomains", headers["Strict-Transport-Security"])
    else:
        assert "Strict-Transport-Security" not in headers


def test_no_template_has_inline_script_style_handlers_or_javascript_urls():
    found = {}
    templates = sorted((ROOT / "templates").rglob("*"))
    assert len([p for p in templates if p.is_file()]) > 20
    for path in templates:
        if path.is_file():
            problems = inline_code(path.read_text(encoding="utf-8"))
            if problems:
                found[str(path.relative_to(ROOT))] = problems
    assert not found, f"a strict CSP would block these (move the code to static/): {found}"


def test_the_scan_catches_what_it_looks_for():
    assert inline_code('<script>alert(1)</script>') == ["inline <script> without src"]
    assert inline_code('<p style="color: red">') == ["style= attribute"]
    assert inline_code('<button type="button" onclick="go()">') == ["on… event handler"]
    assert inline_code('<a href="JavaScript:go()">') == ["javascript: URL"]
    assert inline_code('<script src="/static/app.js" defer></script><a href="/x" data-once="1">') == []


@pytest.fixture
def people(app):
    with app.app_context():
        supervisor = make_staff("supervisor")
        emails = {"admin": make_staff("admin").email, "supervisor": supervisor.email,
                  "manager": make_staff("manager", supervisor=supervisor).email,
                  "cashier": make_staff("cashier").email}
        from portal.services.clients import access
        from portal.services.staff import api_keys
        link = access.signed_link(make_client(phone="+79161112233").id).split("/my/", 1)[1]
        _key, secret = api_keys.create_key("shop")
    return emails, link, secret


def test_every_kind_of_answer_carries_the_security_headers(app, people):
    emails, link, secret = people
    answers = {}
    anonymous = app.test_client()
    answers["login page"] = anonymous.get("/login")
    answers["client sign-in page"] = anonymous.get("/my/login")
    answers["404 page"] = anonymous.get("/no-such-page")
    answers["405 page"] = anonymous.put("/login")
    answers["redirect"] = anonymous.get("/admin/")
    answers["static file"] = anonymous.get("/static/css/portal.css")
    homes = {"admin": "/admin/", "supervisor": "/supervisor/", "manager": "/manager/", "cashier": "/cashier/"}
    for role, email in emails.items():
        http = app.test_client()
        assert http.post("/login", data={"email": email, "password": DEFAULT_PASSWORD}).status_code == 302
        answers[f"{role} cabinet"] = http.get(homes[role])
        if role == "supervisor":
            answers["CSV export"] = http.get("/supervisor/statistics/sales_by_client.csv")
            answers["PDF export"] = http.get("/supervisor/statistics/sales_by_client.pdf")
        if role == "manager":
            answers["403 page"] = http.get("/admin/")
    bonus = app.test_client()
    bonus.get("/my/" + link)
    answers["client bonus page"] = bonus.get("/my/")
    answers["API JSON"] = anonymous.get("/api/v1/products", headers={"Authorization": f"Bearer {secret}"})
    answers["API error"] = anonymous.get("/api/v1/products")
    expected = {"login page": 200, "client sign-in page": 200, "404 page": 404, "405 page": 405, "redirect": 302,
                "static file": 200, "admin cabinet": 200, "supervisor cabinet": 200, "manager cabinet": 200,
                "cashier cabinet": 200, "CSV export": 200, "PDF export": 200, "403 page": 403,
                "client bonus page": 200, "API JSON": 200, "API error": 401}
    assert {name: r.status_code for name, r in answers.items()} == expected
    assert answers["CSV export"].mimetype == "text/csv" and answers["PDF export"].mimetype == "application/pdf"
    assert answers["API JSON"].mimetype == "application/json"
    for name, response in answers.items():
        try:
            assert_security_headers(response)
        except (AssertionError, KeyError) as exc:
            raise AssertionError(f"{name}: {exc!r} in {dict(response.headers)}") from exc
        if response.mimetype == "text/html":  # the rendered page has no inline code either
            assert inline_code(response.get_data(as_text=True)) == [], name


@pytest.mark.ratelimit
def test_a_429_page_carries_them_too(app, people):
    app.config["LOGIN_RATE_LIMIT"] = "1 per minute"
    http = app.test_client()
    assert http.post("/login", data={"email": "x@example.com", "password": "wrong"}).status_code == 401
    refused = http.post("/login", data={"email": "x@example.com", "password": "wrong"})
    assert refused.status_code == 429
    assert_security_headers(refused)
    assert inline_code(refused.get_data(as_text=True)) == []


def test_hsts_only_over_https(app, people):
    emails, _link, secret = people
    http = app.test_client()
    assert_security_headers(http.get("/login", base_url="https://portal.example"), secure=True)
    assert_security_headers(http.get("/login"), secure=False)
    assert_security_headers(http.get("/api/v1/products", headers={"Authorization": f"Bearer {secret}"},
                                     base_url="https://portal.example"), secure=True)
    assert http.post("/login", data={"email": emails["admin"], "password": DEFAULT_PASSWORD},
                     base_url="https://portal.example").status_code == 302
    assert_security_headers(http.get("/admin/", base_url="https://portal.example"), secure=True)

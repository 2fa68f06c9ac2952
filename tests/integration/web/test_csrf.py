"""Every state-changing form is refused without its CSRF token."""
import re

import pytest

from ...factories import DEFAULT_PASSWORD, make_staff

pytestmark = pytest.mark.csrf


def _token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_login_without_a_token_is_refused(app, client):
    with app.app_context():
        make_staff("admin", email="a@example.com")
    response = client.post("/login", data={"email": "a@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 400
    assert "The form has expired" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302  # not signed in


def test_login_with_the_token_works(app, client):
    with app.app_context():
        make_staff("admin", email="a@example.com")
    token = _token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": "a@example.com", "password": DEFAULT_PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302


@pytest.mark.parametrize("path, data", [
    ("/logout", {}),
    ("/language", {"locale": "en"}),
    ("/notifications/read-all", {}),
    ("/admin/staff/new", {"name": "X", "email": "x@example.com", "role": "admin"}),
    ("/admin/locations/new", {"code": "Z1", "name": "Z", "kind": "shop", "active": "y"}),
    ("/admin/staff/1/reset-password", {}),
    ("/admin/staff/1/active", {"active": "0"}),
])
def test_state_changing_posts_need_the_token(app, client, path, data):
    with app.app_context():
        make_staff("admin", email="a@example.com")
    token = _token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": "a@example.com", "password": DEFAULT_PASSWORD, "csrf_token": token})
    response = client.post(path, data=data)
    assert response.status_code == 400, path
    assert client.get("/admin/").status_code == 200  # still signed in, nothing changed

"""GET /healthz: 200 on a database at the head of the migrations, 503 naming what failed; public,
without touching the signed-in user, the session or its cookie."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal import create_app, health
from portal.extensions import db, login_manager

from ..conftest import TEST_CONFIG

OK = {"status": "ok", "database": "ok", "migrations": "head"}


def head_and_previous(app) -> tuple[str, str]:
    script = health._script(health.migrations_folder(app))
    head = script.get_current_head()
    return head, script.get_revision(head).down_revision


def test_a_migrated_database_is_healthy(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == OK
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_anyone_may_ask_without_signing_in_and_nothing_redirects(app):
    response = app.test_client().get("/healthz", headers={"Accept-Language": "ru"})
    assert response.status_code == 200 and response.get_json() == OK
    assert app.test_client().head("/healthz").status_code == 200


def test_a_signed_in_session_is_neither_loaded_nor_written(app, client, login, monkeypatch):
    login("manager")

    def load_user(_user_id):
        raise AssertionError("/healthz loaded the signed-in user")

    monkeypatch.setattr(login_manager, "_user_callback", load_user)
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == OK
    assert "Set-Cookie" not in response.headers


@pytest.fixture
def alembic_version(app):
    """Set the database's alembic_version for a test; the head again afterwards."""
    def set_to(revision: str) -> None:
        with app.app_context():
            db.session.execute(sa.text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
            db.session.commit()

    head, _ = head_and_previous(app)
    yield set_to
    set_to(head)


def test_a_database_behind_the_migrations_is_503(app, client, alembic_version):
    head, previous = head_and_previous(app)
    alembic_version(previous)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "fail", "database": "ok",
                                   "migrations": f"behind: db {previous}, head {head}"}
    assert "Set-Cookie" not in response.headers


def test_a_revision_the_code_does_not_know_is_503(app, client, alembic_version):
    head, _ = head_and_previous(app)
    alembic_version("ffff_newer")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["migrations"] == f"unknown: db ffff_newer, head {head}"


def test_a_database_that_does_not_answer_is_503_without_details(tmp_path, caplog):
    missing = tmp_path / "no-such-folder" / "portal.sqlite3"
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{missing}"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "fail", "database": "error: OperationalError"}
    assert str(tmp_path) not in response.get_data(as_text=True)  # the details are only in the log
    assert any(r.name == "portal.health" and "unable to open database" in r.getMessage() for r in caplog.records)
    with app.app_context():
        db.engine.dispose()

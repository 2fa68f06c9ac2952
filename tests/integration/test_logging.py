"""The portal's loggers as create_app sets them up (portal/logs.py): INFO and above to stderr, text
or JSON lines, one handler however many apps are made, nothing else touched, caplog still works."""
from __future__ import annotations

import json
import logging

import pytest

from portal import create_app, logs
from portal.extensions import db

from ..conftest import TEST_CONFIG


@pytest.fixture
def make_app(tmp_path):
    """create_app with these settings on a throwaway database; the default logging set-up again afterwards."""
    made = []

    def make(**settings):
        app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'log.sqlite3'}",
                          **settings})
        made.append(app)
        return app

    yield make
    make(LOG_LEVEL="INFO", LOG_FORMAT="text")
    for app in made:
        with app.app_context():
            db.engine.dispose()


def portal_handlers() -> list[logging.Handler]:
    return logging.getLogger("portal").handlers


def test_many_apps_share_one_handler(make_app):
    for _ in range(3):
        make_app()
    assert len(portal_handlers()) == 1 and isinstance(portal_handlers()[0], logs.StderrHandler)
    make_app(LOG_FORMAT="json")  # other settings replace the handler, they do not add one
    make_app(LOG_FORMAT="json")
    assert len(portal_handlers()) == 1
    assert isinstance(portal_handlers()[0].formatter, logs.JsonFormatter)


def test_info_lines_of_the_portal_go_to_stderr_as_text(make_app, capsys):
    make_app()
    logging.getLogger("portal.orders").info("order %s placed", "W-1")
    logging.getLogger("portal.orders").debug("not shown at INFO")
    err = capsys.readouterr().err
    assert "[INFO] portal.orders: order W-1 placed" in err
    assert "not shown" not in err


def test_log_level_lets_debug_through(make_app, capsys):
    make_app(LOG_LEVEL="debug")
    logging.getLogger("portal.orders").debug("a detail")
    assert "[DEBUG] portal.orders: a detail" in capsys.readouterr().err


def test_json_lines_carry_time_level_logger_message_and_the_exception(make_app, capsys):
    make_app(LOG_FORMAT="json")
    log = logging.getLogger("portal.outbox")
    log.warning("gateway said %s", "«нет»")
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("delivery failed")
    first, second = [json.loads(line) for line in capsys.readouterr().err.strip().splitlines()]
    assert {"time", "level", "logger", "message"} <= set(first) and "exception" not in first
    assert first["level"] == "WARNING" and first["logger"] == "portal.outbox"
    assert first["message"] == "gateway said «нет»"
    assert first["time"].endswith("+00:00")
    assert second["level"] == "ERROR" and second["message"] == "delivery failed"
    assert "Traceback" in second["exception"] and "ValueError: boom" in second["exception"]


def test_caplog_still_sees_the_portals_records(make_app, caplog):
    make_app()
    with caplog.at_level(logging.WARNING):
        logging.getLogger("portal.services.transactions").warning("retried after a deadlock")
    assert [r.getMessage() for r in caplog.records if r.name == "portal.services.transactions"] == [
        "retried after a deadlock"]


def test_other_loggers_keep_their_handlers_and_stay_enabled(make_app):
    other = logging.getLogger("gunicorn.error.test-double")
    handler = logging.NullHandler()
    other.addHandler(handler)
    try:
        make_app(LOG_FORMAT="json")  # a new set-up (dictConfig runs again)
        assert handler in other.handlers and not other.disabled
        assert not logging.getLogger("werkzeug").disabled
    finally:
        other.removeHandler(handler)


@pytest.mark.parametrize("setting", [{"LOG_LEVEL": "LOUD"}, {"LOG_FORMAT": "xml"}])
def test_an_unknown_setting_stops_the_start(make_app, setting):
    with pytest.raises(RuntimeError, match=next(iter(setting))):
        make_app(**setting)

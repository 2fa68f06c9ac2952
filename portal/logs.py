"""Logging of the portal's own loggers ("portal", "portal.*"), configured once in create_app.

They log LOG_LEVEL (INFO) and above to stderr, as LOG_FORMAT says: `text` (lines shaped like
gunicorn's own: `[time] [pid] [LEVEL] logger: message`) or `json` (one JSON object per line with
time, level, logger, message, process and, when there is one, the exception's traceback; for log
shippers). Under gunicorn stderr is its error log, so the portal's lines land beside gunicorn's.

Nothing else is touched: gunicorn's, Werkzeug's and every other library's loggers keep what they
have, no existing logger is disabled, and the portal's records still propagate to the root logger
(pytest's caplog listens there). Configuring again with the same settings (tests create many apps)
changes nothing, and configuring with other settings replaces the one handler rather than adding one.
"""
from __future__ import annotations

import json
import logging
import logging.config
import sys
from datetime import UTC, datetime

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s [%(process)d] [%(levelname)s] %(name)s: %(message)s"
TEXT_DATE_FORMAT = "[%Y-%m-%d %H:%M:%S %z]"  # as gunicorn's error log

_applied: tuple[str, str] | None = None


class StderrHandler(logging.StreamHandler):
    """A StreamHandler on whatever sys.stderr is when a record is written (not when the handler was
    made), so a replaced or captured stderr (pytest, a test runner) never leaves it writing to a
    closed stream."""

    def __init__(self, level=logging.NOTSET):
        logging.Handler.__init__(self, level)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:  # StreamHandler.setStream; the stream is always sys.stderr
        pass


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, process, and
    `exception` (the traceback) / `stack` when the record has one. No dependency beyond json."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def settings(config) -> tuple[str, str]:
    """(level, format) from the app's LOG_LEVEL and LOG_FORMAT; RuntimeError for a value it does not know."""
    level = str(config.get("LOG_LEVEL") or "INFO").strip().upper()
    if level not in LEVELS:
        raise RuntimeError(f"LOG_LEVEL must be one of {', '.join(LEVELS)}, not {level!r}")
    kind = str(config.get("LOG_FORMAT") or "text").strip().lower()
    if kind not in FORMATS:
        raise RuntimeError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {kind!r}")
    return level, kind


def dict_config(level: str, kind: str) -> dict:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "text": {"format": TEXT_FORMAT, "datefmt": TEXT_DATE_FORMAT},
            "json": {"()": JsonFormatter},
        },
        "handlers": {"portal_stderr": {"()": StderrHandler, "formatter": kind}},
        "loggers": {"portal": {"level": level, "handlers": ["portal_stderr"], "propagate": True}},
    }


def configure(app) -> None:
    """Apply the app's LOG_LEVEL / LOG_FORMAT to the "portal" logger (once per process and setting)."""
    global _applied
    wanted = settings(app.config)
    portal = logging.getLogger("portal")
    ours = [h for h in portal.handlers if isinstance(h, StderrHandler)]
    if wanted == _applied and len(ours) == 1 and len(portal.handlers) == 1:
        return
    logging.config.dictConfig(dict_config(*wanted))
    _applied = wanted

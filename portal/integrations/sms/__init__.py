"""SMS gateway interface with three backends, chosen by SMS_BACKEND.

- console: prints the message (development);
- file: appends one JSON line per message to SMS_FILE_PATH (tests read codes from it);
- http: any HTTP gateway, described by configuration alone (see `http.py`): a URL template, the
  method, an optional body template, headers, what a successful answer looks like and where the
  gateway's message id is in it.

`send_sms` sends one message now and returns the gateway's message id (or None), or raises
SmsError. Business code does not call it: it queues an "sms" outbox event (portal/services/messaging/sms.py)
and the outbox delivery calls it, again after a failure.
"""
from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app

from portal.integrations.sms.errors import SmsError
from portal.integrations.sms.http import HttpGateway

__all__ = ["SmsError", "send_sms", "sent_messages"]


def send_sms(phone: str, text: str) -> str | None:
    backend = current_app.config.get("SMS_BACKEND", "console")
    if backend == "console":
        print(f"[sms to {phone}] {text}", file=sys.stderr, flush=True)
        return None
    if backend == "file":
        path = Path(current_app.config["SMS_FILE_PATH"])
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"at": datetime.now(UTC).isoformat(), "phone": phone, "text": text},
                          ensure_ascii=False)
        with path.open("a", encoding="utf-8") as f:
            f.write(line + "\n")
        return None
    if backend == "http":
        return HttpGateway.from_config(current_app.config).send(phone, text)
    raise SmsError(f"unknown SMS_BACKEND {backend!r} (console, file or http)")


def sent_messages(path: str | Path) -> list[dict]:
    """The messages the file backend wrote (for tests and support)."""
    path = Path(path)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

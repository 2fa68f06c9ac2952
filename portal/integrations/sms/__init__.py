"""SMS gateway interface with three backends, chosen by SMS_BACKEND.

- console: prints the message (development);
- file: appends one JSON line per message to SMS_FILE_PATH (tests read codes from it);
- http: calls SMS_HTTP_URL, a URL template with {phone} and {text} (URL-encoded), by GET,
  or by POST when SMS_HTTP_METHOD=POST.
"""
from __future__ import annotations

import json
import sys
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

from flask import current_app


class SmsError(RuntimeError):
    pass


def send_sms(phone: str, text: str) -> None:
    backend = current_app.config.get("SMS_BACKEND", "console")
    if backend == "console":
        print(f"[sms to {phone}] {text}", file=sys.stderr, flush=True)
    elif backend == "file":
        path = Path(current_app.config["SMS_FILE_PATH"])
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"at": datetime.now(timezone.utc).isoformat(), "phone": phone, "text": text},
                          ensure_ascii=False)
        with path.open("a", encoding="utf-8") as f:
            f.write(line + "\n")
    elif backend == "http":
        template = current_app.config.get("SMS_HTTP_URL") or ""
        if "{phone}" not in template or "{text}" not in template:
            raise SmsError("SMS_HTTP_URL must contain {phone} and {text}")
        url = template.format(phone=urllib.parse.quote(phone), text=urllib.parse.quote(text))
        method = current_app.config.get("SMS_HTTP_METHOD", "GET").upper()
        request = urllib.request.Request(url, method=method)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                if response.status >= 300:
                    raise SmsError(f"SMS gateway answered {response.status}")
        except OSError as exc:
            raise SmsError(f"SMS gateway unreachable: {exc}") from exc
    else:
        raise SmsError(f"unknown SMS_BACKEND {backend!r}")


def sent_messages(path: str | Path) -> list[dict]:
    """The messages the file backend wrote (for tests and support)."""
    path = Path(path)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

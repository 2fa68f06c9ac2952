"""The generic HTTP SMS gateway: every gateway's API described by settings, no code per vendor.

Settings (portal/config.py):

- SMS_HTTP_URL: URL template; {phone}, {phone_digits}, {text} and {sender} are URL-encoded into it;
- SMS_HTTP_METHOD: GET or POST;
- SMS_HTTP_BODY: the POST body template with the same placeholders, encoded for the content type;
- SMS_HTTP_CONTENT_TYPE: "form" (application/x-www-form-urlencoded) or "json" (values are escaped
  as JSON string contents, so a template reads `{"to": "{phone}", "message": "{text}"}`);
- SMS_HTTP_HEADERS: extra headers, "Name: value" separated by ";" or new lines;
- SMS_HTTP_SUCCESS: besides a 2xx status, text the answer's body must contain; with the prefix
  "re:" a regular expression it must match (e.g. `re:"status"\\s*:\\s*"ok"`);
- SMS_HTTP_MESSAGE_ID: a regular expression finding the gateway's message id in the body (its
  first group, or the whole match). An accepted message without one is still sent;
- SMS_HTTP_TIMEOUT: seconds to wait for the answer;
- SMS_SENDER: the sender name for {sender}.
"""
from __future__ import annotations

import json
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from portal.integrations.sms.errors import SmsError
from portal.text import squash

PLACEHOLDER = re.compile(r"\{(phone|phone_digits|text|sender)\}")
CONTENT_TYPES = {"form": "application/x-www-form-urlencoded; charset=utf-8",
                 "json": "application/json; charset=utf-8"}
MAX_BODY = 64 * 1024
SNIPPET = 200


def fill(template: str, values: Mapping[str, str], escape: Callable[[str], str]) -> str:
    """The template with each placeholder replaced by its escaped value, in one pass (a text that
    itself contains "{phone}" stays as it is)."""
    return PLACEHOLDER.sub(lambda m: escape(values[m.group(1)]), template)


def _json_string_contents(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)[1:-1]


def parse_headers(spec: str) -> list[tuple[str, str]]:
    headers = []
    for part in re.split(r"[;\n]", spec or ""):
        if not part.strip():
            continue
        name, sep, value = part.partition(":")
        if not sep or not name.strip() or not re.fullmatch(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+", name.strip()):
            raise SmsError(f"SMS_HTTP_HEADERS: {part.strip()!r} is not 'Name: value'")
        headers.append((name.strip(), value.strip()))
    return headers


def _snippet(body: str) -> str:
    body = squash(body)
    return body[:SNIPPET] + ("…" if len(body) > SNIPPET else "")


@dataclass(frozen=True)
class HttpGateway:
    url: str
    method: str = "GET"
    body: str = ""
    content_type: str = "form"
    headers: tuple[tuple[str, str], ...] = ()
    success: str = ""
    message_id: str = ""
    timeout: float = 10.0
    sender: str = ""

    @classmethod
    def from_config(cls, config: Mapping) -> HttpGateway:
        url = config.get("SMS_HTTP_URL") or ""
        method = (config.get("SMS_HTTP_METHOD") or "GET").upper()
        body = config.get("SMS_HTTP_BODY") or ""
        content_type = (config.get("SMS_HTTP_CONTENT_TYPE") or "form").lower()
        if not url.startswith(("http://", "https://")):
            raise SmsError("SMS_HTTP_URL must be an http:// or https:// URL template")
        if method not in ("GET", "POST"):
            raise SmsError(f"SMS_HTTP_METHOD must be GET or POST, not {method!r}")
        if "{text}" not in url + body or ("{phone}" not in url + body and "{phone_digits}" not in url + body):
            raise SmsError("SMS_HTTP_URL (or SMS_HTTP_BODY) must contain {phone} and {text}")
        if body and method != "POST":
            raise SmsError("SMS_HTTP_BODY needs SMS_HTTP_METHOD=POST")
        if content_type not in CONTENT_TYPES:
            raise SmsError(f"SMS_HTTP_CONTENT_TYPE must be form or json, not {content_type!r}")
        success, message_id = config.get("SMS_HTTP_SUCCESS") or "", config.get("SMS_HTTP_MESSAGE_ID") or ""
        for name, pattern in (("SMS_HTTP_SUCCESS", success[3:] if success.startswith("re:") else ""),
                              ("SMS_HTTP_MESSAGE_ID", message_id)):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise SmsError(f"{name} is not a valid regular expression: {exc}") from None
        return cls(url=url, method=method, body=body, content_type=content_type,
                   headers=tuple(parse_headers(config.get("SMS_HTTP_HEADERS") or "")), success=success,
                   message_id=message_id, timeout=float(config.get("SMS_HTTP_TIMEOUT") or 10),
                   sender=config.get("SMS_SENDER") or "")

    def request(self, phone: str, text: str) -> urllib.request.Request:
        values = {"phone": phone, "phone_digits": re.sub(r"\D", "", phone), "text": text, "sender": self.sender}
        url = fill(self.url, values, lambda v: urllib.parse.quote(v, safe=""))
        data = None
        headers = dict(self.headers)
        if self.method == "POST" and self.body:
            escape = _json_string_contents if self.content_type == "json" else (
                lambda v: urllib.parse.quote_plus(v, safe=""))
            data = fill(self.body, values, escape).encode("utf-8")
            headers.setdefault("Content-Type", CONTENT_TYPES[self.content_type])
        return urllib.request.Request(url, data=data, method=self.method, headers=headers)

    def send(self, phone: str, text: str) -> str | None:
        """Send one message; the gateway's message id (None when it gives none) or SmsError."""
        request = self.request(phone, text)
        host = urllib.parse.urlsplit(request.full_url).netloc  # never the URL: it holds the text
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status = response.status
                body = response.read(MAX_BODY).decode("utf-8", errors="replace")
        except urllib.error.HTTPError as exc:
            try:
                body = exc.read(MAX_BODY).decode("utf-8", errors="replace")
            except OSError:
                body = ""
            raise SmsError(f"SMS gateway {host} answered HTTP {exc.code}" + (f": {_snippet(body)}" if body else "")) \
                from None
        except TimeoutError:
            raise SmsError(f"SMS gateway {host} did not answer within {self.timeout:g} s") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, (TimeoutError, socket.timeout)):
                raise SmsError(f"SMS gateway {host} did not answer within {self.timeout:g} s") from None
            raise SmsError(f"SMS gateway {host} unreachable: {exc.reason}") from None
        except OSError as exc:
            raise SmsError(f"SMS gateway {host} unreachable: {exc}") from None
        if not 200 <= status < 300:
            raise SmsError(f"SMS gateway {host} answered HTTP {status}: {_snippet(body)}")
        if self.success and not self._accepted(body):
            raise SmsError(f"SMS gateway {host} answered HTTP {status} without {self.success!r}: {_snippet(body)}")
        return self._message_id(body)

    def _accepted(self, body: str) -> bool:
        if self.success.startswith("re:"):
            return re.search(self.success[3:], body) is not None
        return self.success in body

    def _message_id(self, body: str) -> str | None:
        if not self.message_id:
            return None
        found = re.search(self.message_id, body)
        if found is None:
            return None
        value = found.group(1) if found.groups() else found.group(0)
        return (value or "").strip()[:200] or None

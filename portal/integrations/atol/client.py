"""The HTTP side of ATOL's driver v10 web server: post a task under its uuid, read its result back.

    POST {base}/api/v2/requests       {"uuid": "...", "request": [task]}
         201: taken into the register's queue; 409: a task with this uuid is there already
    GET  {base}/api/v2/requests/{uuid}
         {"results": [{"status": "ready", "errorCode": 0, "errorDescription": "",
                       "result": {"fiscalParams": {...}}}]}

A result's status is "wait" (queued), "inProgress", "ready" (done), "error" (the register refused
the task: errorCode / errorDescription say why), "interrupted", "blocked" or "canceled". A task is
executed once per uuid: posting the same uuid again is refused with 409 and registers nothing, so
a lost answer is recovered by reading the result, never by a second receipt.

Codes of the register's errors the portal names (the driver's LIBFPTR_ERROR_* constants):
44 no paper, 45 cover open, 55 register busy, 68 shift over 24 hours, 73 denied in a closed shift,
83 denied in an open shift.
"""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from portal.integrations.atol.tasks import request_body

READY = "ready"
ERROR = "error"
CANCELED = "canceled"
# Not done yet: asking again later reads the result of the same task.
UNFINISHED = ("wait", "inProgress", "blocked", "interrupted")

NO_PAPER = 44
COVER_OPENED = 45
BUSY = 55
SHIFT_EXPIRED = 68
SHIFT_CLOSED = 73
SHIFT_OPEN = 83


class RegisterUnavailable(Exception):
    """The web server could not be reached or answered something other than the protocol."""


@dataclass(frozen=True)
class FiscalParams:
    """What the register put on a document (its `fiscalParams`)."""
    fn_number: str
    document_number: int | None
    fiscal_sign: str
    receipt_number: int | None
    shift_number: int | None
    date_time: str  # as the register wrote it: "2026-12-08T10:15:00+03:00"
    total: Decimal | None


@dataclass(frozen=True)
class TaskResult:
    status: str
    error_code: int = 0
    error_description: str = ""
    fiscal: FiscalParams | None = None

    @property
    def done(self) -> bool:
        return self.status == READY

    @property
    def refused(self) -> bool:
        return self.status in (ERROR, CANCELED)


def _url(base: str, path: str) -> str:
    return base.rstrip("/") + path


def _call(request: urllib.request.Request, timeout: float) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - an http(s) URL set by the admin
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read() or b""
    except (urllib.error.URLError, OSError) as exc:  # timeouts and refused connections too
        reason = getattr(exc, "reason", exc)
        raise RegisterUnavailable(f"the fiscal register at {request.full_url} is not reachable: {reason}") from None


def post_task(base: str, uuid: str, task: dict, timeout: float = 10) -> bool:
    """Queue the task on the register. True: taken now; False: the register had this uuid already."""
    request = urllib.request.Request(_url(base, "/api/v2/requests"), data=request_body(uuid, task), method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    status, body = _call(request, timeout)
    if status in (200, 201):
        return True
    if status == 409:
        return False
    raise RegisterUnavailable(f"the fiscal register answered HTTP {status} to the task: {_text(body)}")


def read_result(base: str, uuid: str, timeout: float = 10) -> TaskResult:
    request = urllib.request.Request(_url(base, f"/api/v2/requests/{uuid}"), method="GET")
    status, body = _call(request, timeout)
    if status != 200:
        raise RegisterUnavailable(f"the fiscal register answered HTTP {status} for task {uuid}: {_text(body)}")
    try:
        data = json.loads(body.decode("utf-8"), parse_float=Decimal)
        entry = data["results"][0]
    except (ValueError, KeyError, IndexError, TypeError):
        raise RegisterUnavailable(f"the fiscal register's answer for task {uuid} is not a task result: "
                                  f"{_text(body)}") from None
    return parse_result(entry)


def parse_result(entry: dict) -> TaskResult:
    status = str(entry.get("status") or "")
    code = _int(entry.get("errorCode")) or 0
    description = str(entry.get("errorDescription") or "")
    if status == READY and code:  # a finished task that failed
        status = ERROR
    fiscal = None
    params = ((entry.get("result") or {}).get("fiscalParams")) if isinstance(entry.get("result"), dict) else None
    if status == READY and isinstance(params, dict):
        total = params.get("total")
        try:
            total = Decimal(str(total)) if total is not None else None
        except InvalidOperation:
            total = None
        fiscal = FiscalParams(
            fn_number=str(params.get("fnNumber") or ""), document_number=_int(params.get("fiscalDocumentNumber")),
            fiscal_sign=str(params.get("fiscalDocumentSign") or ""),
            receipt_number=_int(params.get("fiscalReceiptNumber")), shift_number=_int(params.get("shiftNumber")),
            date_time=str(params.get("fiscalDocumentDateTime") or ""), total=total)
    return TaskResult(status, code, description, fiscal)


def run_task(base: str, uuid: str, task: dict, *, timeout: float = 10, wait: float = 10, interval: float = 0.2,
             sleep: Callable[[float], None] = time.sleep,
             clock: Callable[[], float] = time.monotonic) -> TaskResult:
    """Post the task (or find it there already) and read its result until it is done or refused or
    `wait` seconds have passed; then the last result read (its status says it is unfinished)."""
    post_task(base, uuid, task, timeout)
    deadline = clock() + wait
    while True:
        result = read_result(base, uuid, timeout)
        if result.done or result.refused or clock() >= deadline:
            return result
        sleep(interval)


def _int(value) -> int | None:
    try:
        return int(value) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None


def _text(body: bytes) -> str:
    return " ".join(body.decode("utf-8", "replace").split())[:300]

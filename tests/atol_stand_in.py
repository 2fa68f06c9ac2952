"""A stand-in for ATOL's driver v10 web server on 127.0.0.1: a real HTTP server speaking its JSON task
protocol, for tests. It keeps each task by uuid and answers as told.

    with AtolStandIn() as register:
        register.will("busy", "ok")          # the next task is refused (busy), the one after succeeds
        register.late_polls = 2              # each task answers "wait", then "inProgress", then its result
        location.fiscal_register_url = register.url

    POST /api/v2/requests {"uuid", "request": [task]} -> 201, or 409 for a uuid it has already
    GET  /api/v2/requests/<uuid> -> {"results": [{"status", "errorCode", "errorDescription", "result"}]}

Modes for a new task: "ok", "busy" (55), "shift_expired" (68), "paper_out" (44). A receipt whose
items, total and payments do not add up is refused (66, not fully paid), as a register would; so is
opening a shift that is open (83) and closing one that is closed (73).
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FN_NUMBER = "9999078900000961"
REGISTER_TZ = timezone(timedelta(hours=3))
ERRORS = {"busy": (55, "ККТ занята"), "shift_expired": (68, "Смена превысила 24 часа"),
          "paper_out": (44, "Нет бумаги")}


@dataclass
class Task:
    uuid: str
    body: str  # the request's JSON text as it came
    task: dict  # the task, numbers read as Decimal
    mode: str
    polls: int = 0
    result: dict | None = None


@dataclass
class AtolStandIn:
    tasks: dict[str, Task] = field(default_factory=dict)
    posts: list[str] = field(default_factory=list)  # every uuid posted, duplicates included
    modes: list[str] = field(default_factory=lambda: ["ok"])  # the last one repeats
    late_polls: int = 0
    document_number: int = 100
    receipt_number: int = 0
    shift_number: int = 7
    shift_open: bool = False  # a receipt or cash movement opens it, as ATOL's registers do by default
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self):
        register = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int, data: dict | None = None):
                body = json.dumps(data, ensure_ascii=False, default=str).encode() if data is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                if self.path.rstrip("/") != "/api/v2/requests":
                    return self._answer(404, {"error": "unknown path"})
                text = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
                try:
                    data = json.loads(text, parse_float=Decimal)
                    uuid, task = data["uuid"], data["request"][0]
                except (ValueError, KeyError, IndexError, TypeError):
                    return self._answer(400, {"error": "not a task request"})
                with register.lock:
                    register.posts.append(uuid)
                    if uuid in register.tasks:
                        return self._answer(409, {"error": {"code": 409, "description": "uuid already exists"}})
                    mode = register.modes.pop(0) if len(register.modes) > 1 else register.modes[0]
                    register.tasks[uuid] = Task(uuid, text, task, mode)
                return self._answer(201)

            def do_GET(self):
                prefix = "/api/v2/requests/"
                if not self.path.startswith(prefix):
                    return self._answer(404, {"error": "unknown path"})
                with register.lock:
                    task = register.tasks.get(self.path[len(prefix):])
                    if task is None:
                        return self._answer(404, {"error": "no such task"})
                    entry = register._poll(task)
                return self._answer(200, {"results": [entry]})

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       name="atol-stand-in", daemon=True)

    # ------------------------------------------------------------------ the register's behaviour

    def _poll(self, task: Task) -> dict:
        task.polls += 1
        if task.result is None and task.polls <= self.late_polls:
            return {"status": "wait" if task.polls == 1 else "inProgress", "errorCode": 0, "errorDescription": ""}
        if task.result is None:
            task.result = self._execute(task)
        return task.result

    def _execute(self, task: Task) -> dict:
        if task.mode in ERRORS:
            code, text = ERRORS[task.mode]
            return {"status": "error", "errorCode": code, "errorDescription": text, "result": None}
        kind = task.task.get("type")
        if kind == "openShift" and self.shift_open:
            return {"status": "error", "errorCode": 83, "errorDescription": "Смена открыта – операция невозможна",
                    "result": None}
        if kind == "closeShift" and not self.shift_open:
            return {"status": "error", "errorCode": 73, "errorDescription": "Смена закрыта – операция невозможна",
                    "result": None}
        if kind in ("sell", "sellReturn"):
            items = sum(item["amount"] for item in task.task["items"])
            paid = sum(payment["sum"] for payment in task.task["payments"])
            if not items == paid == task.task["total"]:
                return {"status": "error", "errorCode": 66, "errorDescription": "Чек оплачен не полностью",
                        "result": None}
        self.document_number += 1
        params = {"fiscalDocumentDateTime": datetime.now(REGISTER_TZ).replace(microsecond=0).isoformat(),
                  "fiscalDocumentNumber": self.document_number,
                  "fiscalDocumentSign": str(3_000_000_000 + self.document_number * 7919),
                  "fnNumber": FN_NUMBER, "registrationNumber": "0000000001002292", "shiftNumber": self.shift_number,
                  "fnsUrl": "www.nalog.gov.ru"}
        if kind in ("sell", "sellReturn"):
            self.receipt_number += 1
            params.update(fiscalReceiptNumber=self.receipt_number, total=task.task["total"])
        if kind == "closeShift":
            self.shift_number += 1
            self.receipt_number = 0
        self.shift_open = kind != "closeShift"
        return {"status": "ready", "errorCode": 0, "errorDescription": "", "result": {"fiscalParams": params}}

    # ------------------------------------------------------------------ for the tests

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def will(self, *modes: str) -> None:
        with self.lock:
            self.modes = list(modes)

    def registered(self, kind: str | None = None) -> list[Task]:
        """Tasks the register executed successfully, in the order they were posted."""
        with self.lock:
            return [t for t in self.tasks.values()
                    if t.result and t.result["status"] == "ready" and (kind is None or t.task["type"] == kind)]

    def __enter__(self) -> AtolStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

"""A real HTTP SMS gateway on 127.0.0.1 for tests: it records what it receives and answers as told.

    with LocalGateway() as gateway:
        gateway.answer(200, '{"status":"ok","id":"m1"}')   # or answer(503, "busy"), delay=2.0 ...
        app.config.update(gateway.settings())
"""
from __future__ import annotations

import itertools
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    method: str
    path: str
    query: dict
    headers: dict
    body: bytes


@dataclass
class Answer:
    status: int = 200
    body: str = '{"status":"ok","id":"{n}"}'
    delay: float = 0.0


@dataclass
class LocalGateway:
    received: list[Received] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=lambda: [Answer()])  # the last one repeats
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self):
        gateway = self
        counter = itertools.count(1)

        class Handler(BaseHTTPRequestHandler):
            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                split = urllib.parse.urlsplit(self.path)
                with gateway.lock:
                    n = next(counter)
                    gateway.received.append(Received(self.command, split.path,
                                                     dict(urllib.parse.parse_qsl(split.query)),
                                                     dict(self.headers.items()), body))
                    answer = gateway.answers.pop(0) if len(gateway.answers) > 1 else gateway.answers[0]
                if answer.delay:
                    time.sleep(answer.delay)
                data = answer.body.replace("{n}", f"m{n}").encode()
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting
                    pass

            do_GET = do_POST = _serve

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       name="sms-gateway", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def answer(self, *answers: Answer | tuple) -> None:
        with self.lock:
            self.answers = [a if isinstance(a, Answer) else Answer(*a) for a in answers]

    def settings(self, **overrides) -> dict:
        return {"SMS_BACKEND": "http", "SMS_HTTP_URL": self.url + "/send?to={phone}&text={text}",
                "SMS_HTTP_METHOD": "GET", "SMS_HTTP_BODY": "", "SMS_HTTP_HEADERS": "",
                "SMS_HTTP_SUCCESS": '"status":"ok"', "SMS_HTTP_MESSAGE_ID": '"id":"([^"]+)"',
                "SMS_HTTP_TIMEOUT": 5, **overrides}

    def __enter__(self) -> LocalGateway:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

"""A portal server that dies (os._exit, as a SIGKILL would leave it) at one chosen moment of the first
web-shop API POST it serves, to show what a crash at that moment leaves behind.

    python -m tests.integration.reliability.crashing_server PORT DATABASE_URL POINT

POINT is where the process dies while it answers its first POST to /api/v1/orders:
  after_flush    the order is written (its first flush), nothing is committed
  before_commit  the transaction that wrote the order is about to commit
  after_commit   the transaction that wrote the order committed; nothing has been sent back yet
  after_request  the answer is built (status and body) and about to be sent
  before_send    the answer is handed to the server, not a byte of it sent
  none           never (the server after the crash, serving the retries)
"""
from __future__ import annotations

import os
import sys

from flask import request, request_finished
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from portal import create_app
from portal.models import Order

POINTS = ("after_flush", "before_commit", "after_commit", "after_request", "before_send")


def main(port: int, database_url: str, point: str) -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret-key", "SQLALCHEMY_DATABASE_URI": database_url,
                      "SMS_BACKEND": "file", "PORTAL_COUNTRY": "RU", "PORTAL_CURRENCY": "RUB",
                      "RATELIMIT_ENABLED": False, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    armed = {"on": point != "none"}

    def in_the_order_post() -> bool:
        try:
            return armed["on"] and request.method == "POST" and request.path == "/api/v1/orders"
        except RuntimeError:  # no request (a worker thread's own session work)
            return False

    def die(at: str) -> None:
        if at == point and in_the_order_post():
            sys.stderr.write(f"crashing_server: dying {at}\n")
            sys.stderr.flush()
            os._exit(9)

    # The work is the order: the transaction that writes it is followed from its first flush.
    def flushed(session, _context) -> None:
        if any(isinstance(obj, Order) for obj in session.new):
            session.info["crash:work"] = True
            die("after_flush")

    def committing(session) -> None:
        if session.info.get("crash:work"):
            die("before_commit")

    def committed(session) -> None:
        if session.info.pop("crash:work", False):
            die("after_commit")

    event.listen(Session, "after_flush", flushed)
    event.listen(Session, "before_commit", committing)
    event.listen(Session, "after_commit", committed)
    request_finished.connect(lambda sender, response, **extra: die("after_request"), app, weak=False)

    wsgi = app.wsgi_app

    def dying_in_the_body(environ, start_response):
        body = wsgi(environ, start_response)
        if point == "before_send" and environ["REQUEST_METHOD"] == "POST" \
                and environ["PATH_INFO"] == "/api/v1/orders":
            sys.stderr.write("crashing_server: dying before_send\n")
            sys.stderr.flush()
            os._exit(9)
        return body

    app.wsgi_app = dying_in_the_body
    server = make_server("127.0.0.1", port, app, threaded=True)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], sys.argv[3])

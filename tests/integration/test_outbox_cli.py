"""flask worker --once, flask outbox status, flask outbox retry ID."""
from __future__ import annotations

import socket

from portal.extensions import db
from portal.integrations.sms import sent_messages
from portal.models import OutboxEvent
from portal.services.messaging import outbox, sms


def test_worker_once_delivers_what_is_due_and_outbox_status_and_retry_report(app, runner, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app.config.update(SMS_BACKEND="http", SMS_HTTP_URL=f"http://127.0.0.1:{port}/?p={{phone}}&t={{text}}",
                      SMS_HTTP_TIMEOUT=2, OUTBOX_MAX_ATTEMPTS=1, SMS_FILE_PATH=str(tmp_path / "sms.jsonl"))
    with app.app_context():
        outbox.enqueue("1c.order", "1c:order:1:confirmed", {"number": "1"})
        sms.queue("+79161234567", "Welcome!", "sms:welcome:client:1")
        db.session.commit()
        event_id = db.session.scalar(db.select(OutboxEvent.id).where(OutboxEvent.topic == "sms"))

    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith(": 0 delivered, 1 failed attempts, 1 given up")

    status = runner.invoke(args=["outbox", "status"])
    assert status.exit_code == 0, status.output
    lines = status.output.splitlines()
    assert lines[0].split() == ["1c.order", "pending", "1", "delivered", "0", "failed", "0", "(collected", "by", "the",
                                "receiver)"]
    assert lines[1].split()[:7] == ["sms", "pending", "0", "delivered", "0", "failed", "1"]
    assert lines[2].startswith(f"failed #{event_id} sms sms:welcome:client:1 after 1 attempts: SMS gateway 127.0.0.1:")

    app.config["SMS_BACKEND"] = "file"
    retried = runner.invoke(args=["outbox", "retry", str(event_id)])
    assert retried.exit_code == 0 and f"event #{event_id} (sms sms:welcome:client:1) is due again" in retried.output
    assert runner.invoke(args=["worker", "--once"]).output.strip().endswith(": 1 delivered, 0 failed attempts, 0 given up")
    assert [m["text"] for m in sent_messages(tmp_path / "sms.jsonl")] == ["Welcome!"]
    again = runner.invoke(args=["outbox", "retry", str(event_id)])
    assert again.exit_code == 1 and "Only an event that failed can be retried." in again.output

"""What the core announces, so that higher modules can react without the core importing them.

The services send these signals inside the transaction of the business change; a receiver runs in
that transaction too (the automation rules, connected in `create_app` by
`services.automation.engine.subscribe`). A receiver must not raise: the change goes on whatever a
receiver does. Signals are blinker's (Flask ships it); connecting the same receiver twice is a no-op.

    events.client_created.send(client, actor=user)
    events.order_changed.send(order, actor=user, created=True, status_changed=True, now=moment)
    events.task_no_answer.send(task, actor=user)
"""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# A client was created (by a manager, at a till, through the API). Sender: the Client; `actor`.
client_created = _signals.signal("client-created")
# An order was created or changed. Sender: the Order; `actor`, `created`, `status_changed`, `now`.
order_changed = _signals.signal("order-changed")
# A call task was closed with "No answer". Sender: the Task; `actor`.
task_no_answer = _signals.signal("task-no-answer")

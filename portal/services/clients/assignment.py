"""The responsible manager of a client (SPEC §4): a supervisor assigns an active manager of the team
to a client the supervisor sees; the manager is told, and the history names who replaced whom."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.errors import DomainError, ValidationError
from portal.extensions import db
from portal.ids import parse_id
from portal.models import Client, Role, User
from portal.services import audit
from portal.services.clients.changes import client_link, locked_client, may_be_assigned
from portal.services.transactions import one_transaction


def assign_manager(supervisor: User, client_id: int, manager_id: int) -> Client:
    """Make an active manager of the supervisor's team responsible for a client the supervisor sees;
    the manager is told, and the history keeps the names of the manager before and after. Assigning the
    manager already responsible changes nothing."""
    if supervisor is None or not supervisor.active or supervisor.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise DomainError(_l("Only a supervisor assigns a responsible manager."), code="forbidden")

    def run() -> Client:
        client = locked_client(supervisor, client_id)
        # An id no row can have (beyond the 32-bit ids) is nobody, not a database error.
        manager = db.session.get(User, manager_id) if parse_id(manager_id) is not None else None
        return assign_manager_in_transaction(supervisor, client, manager)

    return one_transaction(run)


def assign_manager_in_transaction(supervisor: User, client: Client, manager: User | None) -> Client:
    """The core of `assign_manager` in the caller's transaction (no commit): also used by the
    automation rules, which assign on behalf of the rule's supervisor."""
    if not may_be_assigned(supervisor, manager):
        raise ValidationError({"manager_id": _l("Choose an active manager of your team.")})
    if client.manager_id == manager.id:
        return client
    previous = db.session.get(User, client.manager_id) if client.manager_id is not None else None
    # The history reads "who reassigned whom": the names as they were, beside the ids.
    before = {"manager_id": client.manager_id, "manager": previous.name if previous is not None else None}
    client.manager_id = manager.id
    audit.record(supervisor, "client_assigned", client, before=before,
                 after={"manager_id": manager.id, "manager": manager.name})
    audit.notify(manager, "client_assigned", link=client_link(client.id), by=supervisor.name, client=client.name)
    return client

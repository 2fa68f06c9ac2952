"""What the administrator's "1C exchange" page shows: the settings, the last catalogue imports
with their rejects and errors, and where the orders exchange stands (read only)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from portal.extensions import db
from portal.integrations.onec.sale_exchange import TOPICS
from portal.models import Location, OnecImport, OnecOrderQuery, OutboxEvent

RECENT_IMPORTS = 10


@dataclass
class ExchangeStatus:
    enabled: bool
    login: str
    price_type: str
    encoding: str
    zip: bool
    file_limit: int
    warehouse: str | None
    imports: list[OnecImport]
    last_confirmed: OnecOrderQuery | None
    last_query: OnecOrderQuery | None
    waiting: dict[str, int]


def exchange_status() -> ExchangeStatus:
    config = current_app.config
    code = config.get("ONEC_WAREHOUSE", "")
    query = db.select(Location).where(Location.code == code) if code else \
        db.select(Location).where(Location.is_main.is_(True), Location.active.is_(True))
    warehouse = db.session.scalar(query)
    waiting = dict(db.session.execute(
        db.select(OutboxEvent.topic, db.func.count(OutboxEvent.id))
        .where(OutboxEvent.topic.in_(TOPICS), OutboxEvent.delivered_at.is_(None)).group_by(OutboxEvent.topic)).all())
    return ExchangeStatus(
        enabled=bool(config.get("ONEC_LOGIN")), login=config.get("ONEC_LOGIN", ""),
        price_type=config.get("ONEC_PRICE_TYPE", ""), encoding=config.get("ONEC_ENCODING", "utf-8"),
        zip=bool(config.get("ONEC_ZIP", True)), file_limit=int(config.get("ONEC_FILE_LIMIT", 0)),
        warehouse=f"{warehouse.name} ({warehouse.code})" if warehouse else None,
        imports=list(db.session.scalars(db.select(OnecImport).order_by(OnecImport.updated_at.desc(),
                                                                       OnecImport.id.desc()).limit(RECENT_IMPORTS))),
        last_confirmed=db.session.scalar(db.select(OnecOrderQuery).where(OnecOrderQuery.confirmed_at.is_not(None))
                                         .order_by(OnecOrderQuery.confirmed_at.desc()).limit(1)),
        last_query=db.session.scalar(db.select(OnecOrderQuery).order_by(OnecOrderQuery.id.desc()).limit(1)),
        waiting={topic: int(waiting.get(topic, 0)) for topic in TOPICS})


def last_activity(status: ExchangeStatus) -> datetime | None:
    moments = [i.updated_at for i in status.imports[:1]] + \
        [q.created_at for q in [status.last_query] if q is not None]
    return max(moments) if moments else None

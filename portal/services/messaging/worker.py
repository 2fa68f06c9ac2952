"""`flask worker`: the long-running process that delivers the outbox (several may run at once).

It drains whatever is due, sleeps OUTBOX_IDLE_SECONDS when nothing is, and on SIGTERM or SIGINT
finishes the event in hand, then stops. Once per company-local day it also runs the automation date
rules (birthdays, contract renewals, payments due): a restart or a second worker running them again the
same day adds nothing (each run is unique per rule, object and date). A failing database (restart, network) is waited out.
"""
from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass, field
from datetime import date

from flask import current_app

from portal.clock import local_date
from portal.extensions import db
from portal.services.automation import engine
from portal.services.messaging import delivery as outbox_delivery

log = logging.getLogger("portal.outbox")


@dataclass
class Worker:
    worker_id: str = field(default_factory=outbox_delivery.new_worker_id)
    idle_seconds: float | None = None
    stop_event: threading.Event = field(default_factory=threading.Event)
    totals: outbox_delivery.DrainResult = field(default_factory=outbox_delivery.DrainResult)
    dates_done_on: date | None = None  # the company-local day the date rules last ran for

    def stop(self, *_args) -> None:
        if not self.stop_event.is_set():
            log.info("worker %s: stopping after the current event", self.worker_id)
        self.stop_event.set()

    def _install_signals(self) -> dict:
        if threading.current_thread() is not threading.main_thread():
            return {}
        return {sig: signal.signal(sig, self.stop) for sig in (signal.SIGTERM, signal.SIGINT)}

    def run_once(self) -> outbox_delivery.DrainResult:
        """Deliver everything due now, then return (`flask worker --once`); first the day's date rules
        if they have not run in this process today."""
        self.run_date_rules()
        result = outbox_delivery.deliver_due(self.worker_id, should_stop=self.stop_event.is_set)
        self._add(result)
        return result

    def run_forever(self) -> outbox_delivery.DrainResult:
        idle = self.idle_seconds if self.idle_seconds is not None else float(
            current_app.config.get("OUTBOX_IDLE_SECONDS", 2))
        previous = self._install_signals()
        log.info("worker %s: delivering %s", self.worker_id, ", ".join(sorted(outbox_delivery.handlers())))
        try:
            while not self.stop_event.is_set():
                try:
                    result = self.run_once()
                except Exception:  # noqa: BLE001 - e.g. the database restarting: wait and go on
                    db.session.rollback()
                    log.exception("worker %s: delivery round failed; trying again in %s s", self.worker_id, idle)
                    result = None
                if result is None or result.attempts == 0:
                    self.stop_event.wait(idle)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            db.session.remove()
        return self.totals

    def run_date_rules(self, today: date | None = None) -> int | None:
        """The automation date rules of `today` (company-local), once a day per process."""
        today = today or local_date()
        if self.dates_done_on == today:
            return None
        try:
            made = engine.run_date_rules(today)
        except Exception:  # noqa: BLE001 - tried again on the next round
            db.session.rollback()
            log.exception("worker %s: automation date rules for %s failed", self.worker_id, today)
            return None
        self.dates_done_on = today
        if made:
            log.info("worker %s: %s automation date rule runs for %s", self.worker_id, made, today)
        return made

    def _add(self, result: outbox_delivery.DrainResult) -> None:
        for outcome in result.outcomes:
            self.totals.add(outcome)

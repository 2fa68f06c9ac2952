"""Administrator: the 1C exchange — its settings, the last catalogue imports with their rejects
and errors, and where the orders exchange stands."""
from __future__ import annotations

from flask import render_template

from portal.integrations.onec.status import exchange_status, last_activity
from portal.web.admin.blueprint import bp


@bp.get("/onec")
def onec():
    status = exchange_status()
    return render_template("admin/onec.html", status=status, last_activity=last_activity(status))

"""Supervisor's statistics screens (being built)."""
from flask import redirect, url_for

from .routes import bp


@bp.get("/statistics")
def statistics():
    return redirect(url_for("supervisor.home"))

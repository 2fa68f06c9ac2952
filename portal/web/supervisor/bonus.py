"""Supervisor's bonus screens (being built)."""
from flask import redirect, url_for

from .routes import bp


@bp.get("/bonus")
def bonus():
    return redirect(url_for("supervisor.home"))

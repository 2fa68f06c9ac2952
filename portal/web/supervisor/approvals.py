"""Supervisor's approvals screens (being built)."""
from flask import redirect, url_for

from .routes import bp


@bp.get("/approvals")
def approvals():
    return redirect(url_for("supervisor.home"))

"""The manager's clients: list, card, new client, proposed changes, contacts."""
from flask import render_template

from .routes import bp


@bp.get("/clients")
def clients():
    return render_template("manager/home.html")

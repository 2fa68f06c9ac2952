"""Orders made for clients: list, card, form, confirmation, payment."""
from flask import render_template

from .routes import bp


@bp.get("/orders")
def orders():
    return render_template("manager/home.html")

"""Staff sign-in and sign-out."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from portal.extensions import limiter
from portal.services.staff import auth
from portal.web.access import home_url
from portal.web.auth.forms import LoginForm
from portal.web.forms import safe_next

bp = Blueprint("auth", __name__)


def _failed_sign_in(response) -> bool:
    return response.status_code == 401


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


# Failed sign-ins per address (LOGIN_RATE_LIMIT); a successful one costs nothing, so a whole office
# behind one address can sign in at nine. The account lock-out (services/auth.py) counts per account.
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed_sign_in)
def login():
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    status = 200
    if form.validate_on_submit():
        user = auth.authenticate(form.email.data, form.password.data)
        if user is not None:
            chosen_locale = session.get("locale")
            session.clear()  # a fresh session on sign-in: nothing carried over from before
            login_user(user)
            # flask-login stored "id:version"; the id of a server-side session row replaces it, so
            # signing out can end this session for good (a copied cookie opens nothing after it).
            session["_user_id"] = auth.start_session(user)
            if user.locale is None and chosen_locale:
                session["locale"] = chosen_locale
            return redirect(safe_next(form.next.data) or home_url(user))
        form.form_errors.append(_("Wrong e-mail or password, or the account is temporarily locked "
                                  "after too many attempts. Check and try again later."))
        status = 401
    elif request.method == "POST":
        status = 422
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    locale = session.get("locale")
    auth.end_session(session.get("_user_id"))
    logout_user()
    session.clear()
    if locale:
        session["locale"] = locale
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))

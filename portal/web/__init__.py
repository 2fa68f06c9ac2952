"""Web doors: thin blueprints that parse input, call services and render results."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, flash, redirect, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import RequestEntityTooLarge

from portal import errors, labels
from portal.api.errors import error_response
from portal.extensions import db, login_manager, retry_after
from portal.models import Role
from portal.phones import display_phone
from portal.services import audit
from portal.services import tasks as task_service
from portal.services.orders.approvals import pending_count
from portal.services.sales import vat
from portal.services.staff import auth as auth_service
from portal.web.access import home_url, nav_items
from portal.web.admin import bp as admin_bp
from portal.web.auth.routes import bp as auth_bp
from portal.web.cashier.routes import bp as cashier_bp
from portal.web.client.receipt_link import bp as receipt_link_bp
from portal.web.client.routes import bp as client_bp
from portal.web.common.routes import bp as common_bp
from portal.web.forms import safe_next
from portal.web.manager import bp as manager_bp
from portal.web.supervisor import bp as supervisor_bp


def register_web(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to open this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(auth_service.load_session_user)


    for bp in (auth_bp, common_bp, admin_bp, manager_bp, supervisor_bp, cashier_bp, client_bp, receipt_link_bp):
        app.register_blueprint(bp)

    @app.before_request
    def load_user_first():
        """Resolve the signed-in staff member before any view work, so the session lookup (which
        now and then refreshes last_seen_at and commits) never commits a view's unfinished changes."""
        if request.blueprint not in (None, "api", "onec"):
            current_user._get_current_object()

    @app.context_processor
    def cabinet_context():
        unread = 0
        pending_approvals = None  # shown beside "Approvals" in a supervisor's navigation
        task_counts = None  # (open, overdue) beside "Tasks": one's own, or the team's for a supervisor
        if current_user.is_authenticated:
            unread = audit.unread_count(current_user.id)
            if current_user.role is Role.SUPERVISOR:
                pending_approvals = pending_count(current_user)
            if current_user.role in (Role.MANAGER, Role.SUPERVISOR):
                task_counts = task_service.badge_counts(current_user)
        return {"unread_notifications": unread, "nav_items": nav_items(), "home_url": home_url,
                "labels": labels, "display_phone": display_phone, "pending_approvals": pending_approvals,
                "task_counts": task_counts, "vat_by_rate": vat.by_rate}

    def error_page(status: int, title, message):
        if request.path.startswith("/api/"):
            code = {404: "not_found", 405: "method_not_allowed", 429: "rate_limited",
                    500: "internal_error"}.get(status, "validation_error")
            body, _ = error_response(code, message)
            return body, status
        return render_template("common/error.html", status=status, title=title, message=message), status

    @app.errorhandler(403)
    def forbidden(_e):
        return error_page(403, _l("Access denied"), _l("Your role does not give access to this page."))

    @app.errorhandler(404)
    def not_found(_e):
        return error_page(404, _l("Page not found"), _l("There is no such page, or it has been removed."))

    @app.errorhandler(405)
    def method_not_allowed(e):
        body, status = error_page(405, _l("Action not supported"), _l("This page does not support that action."))
        # RFC 9110: a 405 lists the methods the resource does support.
        return body, status, {"Allow": ", ".join(sorted(e.valid_methods or ()))}

    @app.errorhandler(CSRFError)
    def csrf_error(_e):
        return error_page(400, _l("The form has expired"),
                          _l("The page was open too long or came from elsewhere. Go back, reload it and try again."))

    # The services' refusals, where a view does not catch them to show them on its form: a missing
    # or another team's object is the 404 or 403 page; any other rule's refusal is said where the
    # person came from (a page that only shows something says it on the error page).
    @app.errorhandler(errors.NotFound)
    def missing(_e):
        return not_found(_e)

    @app.errorhandler(errors.Forbidden)
    def not_theirs(_e):
        return forbidden(_e)

    @app.errorhandler(errors.DomainError)
    def refused_by_a_rule(exc):
        if request.method in ("GET", "HEAD"):
            return error_page(409, _l("This cannot be done"), exc.message)
        flash(str(exc.message), "error")
        back = safe_next(urlsplit(request.referrer).path if request.referrer else None) or "/"
        if request.htmx:
            return "", 204, {"HX-Redirect": back}
        return redirect(back, 303)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_exc):
        limit = request.max_content_length
        if limit is not None and (request.content_length or 0) > limit:
            message = _l("What you sent is larger than the portal accepts (%(size)s MB at most). "
                         "Send a smaller file, or less at a time.", size=f"{limit / (1024 * 1024):.3g}")
        else:  # a form field or part count over Flask's MAX_FORM_MEMORY_SIZE / MAX_FORM_PARTS
            message = _l("What you sent is larger than the portal accepts. Send less at a time.")
        return error_page(413, _l("Too much data"), message)

    @app.errorhandler(429)
    def too_many_requests(_e):
        seconds = retry_after()
        body, status = error_page(429, _l("Too many attempts"),
                                  _l("Too many attempts from your address. Wait %(seconds)d s and try again.",
                                     seconds=seconds))
        return body, status, {"Retry-After": str(seconds)}

    @app.errorhandler(500)
    def server_error(_e):
        db.session.rollback()
        return error_page(500, _l("Something went wrong"),
                          _l("Nothing was saved. Try again; if it happens again, tell the administrator."))

    @app.after_request
    def security_headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response

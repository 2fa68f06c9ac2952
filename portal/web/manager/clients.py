"""The manager's clients: list, card, new client, proposed changes, contacts.

A manager sees their own clients, a supervisor the team's and the unassigned ones
(services/client_directory decides); someone else's client is a 403 page.
"""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.cursors import CursorError, decode_cursor, encode_cursor
from portal.errors import DomainError, Forbidden, NotFound, ValidationError
from portal.ids import parse_id
from portal.models import ClientStatus, Role
from portal.services.clients import assignment, directory
from portal.services.clients import changes as client_changes
from portal.services.clients import contacts as contact_service
from portal.services.clients import dates as client_dates
from portal.services.staff import team
from portal.web.forms import safe_next
from portal.web.manager.blueprint import bp
from portal.web.manager.client_forms import (
    TERM_INPUTS,
    ClientDatesForm,
    ClientFilterForm,
    ClientForm,
    ContactsForm,
    NewClientForm,
    TermForm,
    choices,
    contacts_data,
    show_errors,
    term_text,
)

LIST_ARGS = ("q", "kind", "status", "debt", "bonus", "manager", "sort", "dir")


def _me():
    return current_user._get_current_object()


def _visible_or_abort(client_id: int):
    return directory.visible_client(_me(), client_id)


def _list_url(**changes) -> str:
    """The list's address with its current search and filters, some of them changed."""
    args = {key: request.args.get(key, "") for key in LIST_ARGS}
    args.update(changes)
    return url_for("manager.clients", **{k: v for k, v in args.items() if v not in ("", None)})


@bp.get("/clients")
def clients():
    me = _me()
    form = ClientFilterForm(request.args)
    members = team.team_members(me, include_inactive=True) if me.role is Role.SUPERVISOR else []
    form.manager.choices = choices([("", _("All managers")), (directory.UNASSIGNED, _("Nobody yet"))]
                                   + [(str(m.id), m.name) for m in members])
    page = directory.search_clients(me, form.query(page=max(request.args.get("page", 1, type=int) or 1, 1)))
    filtered = any(request.args.get(key) for key in ("q", "kind", "status", "debt", "bonus", "manager"))
    return render_template("manager/clients.html", form=form, page=page, members=members, filtered=filtered,
                           list_url=_list_url)


@bp.get("/clients/<int:client_id>")
def client_card(client_id: int):
    return _card_page(client_id)


def _term_context(client, open_term: str | None = None, typed: str = "", error: str | None = None,
                  note: str | None = None) -> dict:
    """What the card's terms show: each term's value for its input, and the one being edited (with
    what was typed and why it was refused) or the note of the last save."""
    return {"term_texts": {term: term_text(term, client) for term in TERM_INPUTS}, "term_modes":
            {term: spec[3] for term, spec in TERM_INPUTS.items()}, "term_open": open_term, "term_typed": typed,
            "term_error": error, "term_note": note}


def _card_page(client_id: int, dates_form: ClientDatesForm | None = None, status: int = 200, terms: dict | None = None):
    """The client's card; `dates_form` is the dates form as posted, shown back with its errors;
    `terms` the in-place term edit as posted (see _term_context)."""
    start = None
    if request.args.get("from"):
        try:
            start = decode_cursor(request.args["from"], parts=3)
        except CursorError:
            start = None
    card = directory.client_card(_me(), client_id, legs_from=start)
    if dates_form is None:
        dates_form = ClientDatesForm(formdata=None)
        dates_form.fill(card.client)
    return render_template("manager/client.html", card=card, client=card.client,
                           next_legs=encode_cursor(card.next_legs),
                           decides=_me().role is not Role.MANAGER,
                           dates=client_dates.dates_of(card.client), dates_form=dates_form,
                           **(terms or _term_context(card.client))), status


@bp.post("/clients/<int:client_id>/terms/<term>")
def client_term_change(client_id: int, term: str):
    """The discount, the credit limit or the deferral typed on the card itself: a proposal for the
    supervisor (a manager), or changed at once (a supervisor). With htmx the answer is the card's terms
    (and its pending-change notice); a refusal keeps the field open with what was typed and why.
    Without htmx: back to the card, or the card with the refused field (422)."""
    if term not in TERM_INPUTS:
        abort(404)
    me = _me()
    client = _visible_or_abort(client_id)
    form = TermForm()
    typed = request.form.get("value", "") if isinstance(request.form.get("value"), str) else ""
    error = note = None
    if not form.validate():
        error = " ".join(str(m) for messages in form.errors.values() for m in messages)
    else:
        try:
            value = form.term_value(term)
        except ValueError as exc:
            error = str(exc)
        else:
            try:
                made = client_changes.change_term(me, client.id, TERM_INPUTS[term][0], value)
            except ValidationError as exc:
                error = " ".join(str(m) for m in exc.fields.values())
            except client_changes.NothingChanged:
                note = _("Nothing has changed.")
            except (NotFound, Forbidden):
                raise
            except DomainError as exc:
                error = str(exc.message)
            else:
                note = (_("Sent to your supervisor for approval.") if made is not None
                        else _("Changes to %(name)s have been saved.", name=client.name))
    terms = (_term_context(client, open_term=term, typed=typed, error=error) if error
             else _term_context(directory.visible_client(me, client.id), open_term=term, note=note))
    if request.htmx:
        card = directory.client_card(me, client.id)
        return (render_template("manager/_client_terms.html", card=card, client=card.client, **terms)
                + render_template("manager/_client_pending.html", card=card, pending_oob=True))
    if error:
        return _card_page(client.id, status=422, terms=terms)
    flash(note, "info" if note == _("Nothing has changed.") else "success")
    return redirect(url_for("manager.client_card", client_id=client.id), code=303)


@bp.post("/clients/<int:client_id>/dates")
def client_dates_update(client_id: int):
    """The birthday and the contract renewal date, set from the card directly (no approval)."""
    me = _me()
    client = _visible_or_abort(client_id)
    form = ClientDatesForm()
    if not form.validate():
        _check_on_error(form, form.dates(), lambda d: client_dates.check_dates(client.kind, d))
        return _card_page(client.id, dates_form=form, status=422)
    try:
        client_dates.update_dates(me, client.id, form.dates())
    except ValidationError as exc:
        show_errors(form, exc)
        return _card_page(client.id, dates_form=form, status=422)
    except DomainError as exc:
        flash(str(exc.message), "error")
    else:
        flash(_("The dates of %(name)s have been saved.", name=client.name), "success")
    return redirect(url_for("manager.client_card", client_id=client.id) + "#client-dates", code=303)


def _check_on_error(form, data, check) -> None:
    """The form could not read some fields: still show every other field's problem at once."""
    try:
        check(data)
    except ValidationError as exc:
        show_errors(form, exc, only_unmarked=True)
    except DomainError:
        pass


@bp.route("/clients/new", methods=["GET", "POST"])
def client_new():
    me = _me()
    form = NewClientForm()
    managers = directory.managers_to_choose(me)
    form.manager_id.choices = choices([("", _("Nobody yet"))] + [(m.id, m.name) for m in managers])
    if request.method == "POST":
        data = form.new_client()
        if not form.validate():
            _check_on_error(form, data, lambda d: client_changes.check_new_client(me, d))
        else:
            try:
                client = client_changes.create_client(me, data)
            except ValidationError as exc:
                show_errors(form, exc)
            except DomainError as exc:
                form.form_errors.append(str(exc.message))
            else:
                if client.status is ClientStatus.PENDING:
                    flash(_("%(name)s has been added. Until your supervisor approves the terms, "
                            "orders are prepaid only.", name=client.name), "success")
                else:
                    flash(_("%(name)s has been added.", name=client.name), "success")
                return redirect(url_for("manager.client_card", client_id=client.id))
    else:
        form.discount.data, form.credit_limit.data, form.deferral_days.data = 0, 0, 0
    return (render_template("manager/client_form.html", form=form, client=None, choose_manager=bool(managers),
                            proposes=me.role is Role.MANAGER),
            200 if request.method == "GET" else 422)


@bp.route("/clients/<int:client_id>/edit", methods=["GET", "POST"])
def client_edit(client_id: int):
    me = _me()
    client = _visible_or_abort(client_id)
    if client_changes.pending_request_of(client.id) is not None:
        flash(_("A change of this client is already waiting for approval."), "info")
        return redirect(url_for("manager.client_card", client_id=client.id))
    form = ClientForm()
    if request.method == "POST":
        data = form.change()
        if not form.validate():
            _check_on_error(form, data, client_changes.check_change)
        else:
            try:
                request_made = client_changes.change_client(me, client.id, data)
            except ValidationError as exc:
                show_errors(form, exc)
            except client_changes.NothingChanged:
                flash(_("Nothing has changed."), "info")
                return redirect(url_for("manager.client_card", client_id=client.id))
            except DomainError as exc:
                flash(str(exc.message), "error")
                return redirect(url_for("manager.client_card", client_id=client.id))
            else:
                if request_made is not None:
                    flash(_("Your change has been sent to your supervisor for approval."), "success")
                else:
                    flash(_("Changes to %(name)s have been saved.", name=client.name), "success")
                return redirect(url_for("manager.client_card", client_id=client.id))
    else:
        form.fill(client)
    return (render_template("manager/client_form.html", form=form, client=client, choose_manager=False,
                            proposes=me.role is Role.MANAGER),
            200 if request.method == "GET" else 422)


@bp.route("/clients/<int:client_id>/contacts", methods=["GET", "POST"])
def client_contacts(client_id: int):
    me = _me()
    client = _visible_or_abort(client_id)
    if request.method == "POST":
        form = ContactsForm()
        form.validate()
        try:
            contact_service.update_contacts(me, client.id, form.contacts())
        except ValidationError as exc:
            show_errors(form, exc)
        except DomainError as exc:
            form.form_errors.append(str(exc.message))
        else:
            flash(_("The contacts of %(name)s have been saved.", name=client.name), "success")
            return redirect(url_for("manager.client_card", client_id=client.id))
    else:
        form = ContactsForm(data=contacts_data(client))
    return (render_template("manager/client_contacts.html", form=form, client=client),
            200 if request.method == "GET" else 422)


# --- the responsible manager (a supervisor's one-click assignment) ----------------------------------

def _render_block(template_name: str, block: str, **context) -> str:
    """One block of a page template — the part htmx replaces — with the context a page gets, so the
    page and the fragment come from the same markup."""
    app = current_app._get_current_object()
    template = app.jinja_env.get_template(template_name)
    app.update_template_context(context)
    return "".join(template.blocks[block](template.new_context(context)))


@bp.post("/clients/<int:client_id>/assign")
def client_assign(client_id: int):
    """Make a manager of the team responsible for the client (a supervisor only). With htmx the answer
    is the assignment control of the list's row (`view=list`) or of the card; otherwise a redirect back."""
    me = _me()
    if me.role is not Role.SUPERVISOR:
        abort(403)
    client = _visible_or_abort(client_id)
    error = None
    try:
        client = assignment.assign_manager(me, client.id, request.form.get("manager_id", type=parse_id))
    except (NotFound, Forbidden):
        raise  # the 404 and 403 pages
    except ValidationError as exc:
        error = " ".join(str(message) for message in exc.fields.values())
    except DomainError as exc:
        error = str(exc.message)
    done = None if error else _("%(manager)s is now responsible for %(client)s.",
                                manager=client.manager.name if client.manager else "—", client=client.name)
    back = safe_next(request.form.get("next"))
    if request.htmx:
        if request.form.get("view") == "list":
            return _render_block("manager/clients.html", "assign_cell", c=client, assign_error=error,
                                 assign_done=done, assign_next=back or url_for("manager.clients"),
                                 members=team.team_members(me, include_inactive=True))
        return _render_block("manager/client.html", "assign_control", client=client, assign_error=error,
                             assign_done=done, assign_oob=error is None)
    flash(error or done, "error" if error else "success")
    return redirect(back or url_for("manager.client_card", client_id=client.id), code=303)

"""Web pages: one's events, an event with its members and invitation links, and their changes."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from tripbot.events.schemas import (
    ClaimLinkCreate,
    EventCreate,
    EventOut,
    EventUpdate,
    GuestCreate,
    InvitationCreate,
    MemberOut,
    MemberRoleChange,
)
from tripbot.gateway import auth
from tripbot.gateway.web import forms, glance, maps, setup
from tripbot.gateway.web.forms import INVALID, FormErrors, ModelT, message_for, role_label
from tripbot.ledger.schemas import EntryQuery
from tripbot.platform.errors import (
    Conflict,
    InvalidInput,
    Message,
    PermissionDenied,
    ServiceUnavailable,
)
from tripbot.platform.web import current_settings

bp = Blueprint("events", __name__)
forms.install(bp)

EVENT_FIELDS = ("name", "kind", "description", "place", "timezone", "currency")
NEW_EVENT = {"kind": "event", "timezone": "Europe/Madrid", "currency": "EUR"}
NEW_INVITATION = {"role": "participant", "max_uses": "1", "expires_in_hours": "168"}


def _read_event(schema: type[ModelT]) -> ModelT | FormErrors:
    """The event form as the API's schema: dates are read in the chosen time zone."""
    form = request.form
    data: dict[str, object] = {name: form.get(name, "").strip() for name in EVENT_FIELDS}
    missing: FormErrors = {}
    for name in ("starts_at", "ends_at"):
        value = form.get(name, "").strip()
        if value:
            data[name] = forms.aware(value, form.get("timezone", ""))
        else:
            missing[name] = _("This field is required.")
    result = forms.validate(schema, data)
    if missing:
        return {**(result if isinstance(result, dict) else {}), **missing}
    return result


def _zones(current: str) -> tuple[str, ...]:
    """The time zones to offer, with the event's own even if it is not a usual one."""
    offered = forms.timezones()
    if current in offered or not forms.is_timezone(current):
        return offered
    return (current, *offered)


def _event_form(
    template: str, form: Mapping[str, str], errors: FormErrors, **context: object
) -> str:
    return render_template(
        template,
        form=form,
        errors=errors,
        timezones=[(name, name) for name in _zones(form.get("timezone", ""))],
        kinds=forms.KIND_LABELS,
        **context,
    )


def alike(members: list[MemberOut]) -> set[int]:
    """The members whose name another member shares: they are shown with their ``#id``."""
    counts: dict[str, int] = {}
    for member in members:
        key = member.display_name.casefold()
        counts[key] = counts.get(key, 0) + 1
    return {m.user_id for m in members if counts[m.display_name.casefold()] > 1}


def _event_page(
    event_id: int,
    *,
    invite_form: Mapping[str, str] = NEW_INVITATION,
    invite_errors: FormErrors | None = None,
    role_errors: dict[int, str] | None = None,
    guest_form: Mapping[str, str] | None = None,
    guest_errors: FormErrors | None = None,
    claim_link: tuple[int, str] | None = None,
) -> str:
    client = auth.events()
    event = client.event(event_id)
    organizer = forms.at_least(event.my_role, "organizer")
    members = client.members(event_id)
    return render_template(
        "events/show.html",
        event=event,
        glance=glance.gather(event),
        map_layers=maps.layers_for_page(current_settings()),
        members=members,
        alike=alike(members),
        guest_form=guest_form or {},
        guest_errors=guest_errors or {},
        claim_link=claim_link,
        invitations=client.invitations(event_id) if organizer else [],
        me=auth.require_user(),
        invite_form=invite_form,
        invite_errors=invite_errors or {},
        role_errors=role_errors or {},
        new_code=request.args.get("new", ""),
    )


def _back(event_id: int, anchor: str | None = None) -> ResponseReturnValue:
    return redirect(url_for("events.show", event_id=event_id, _anchor=anchor))


@bp.get("/events")
@auth.login_required
def index() -> ResponseReturnValue:
    """The events one belongs to, soonest first."""
    return render_template(
        "events/index.html", events=auth.events().events(), setup=setup.checklist()
    )


@bp.route("/events/new", methods=["GET", "POST"])
@auth.login_required
def create() -> ResponseReturnValue:
    """Create an event; its creator becomes its owner."""
    if request.method == "GET":
        return _event_form("events/create.html", NEW_EVENT, {})
    result = _read_event(EventCreate)
    if isinstance(result, dict):
        return _event_form("events/create.html", request.form, result), INVALID
    event = auth.events().create_event(result)
    flash(_("The event was created; you are its owner."), "success")
    return _back(event.id)


@bp.get("/events/<int:event_id>")
@auth.login_required
def show(event_id: int) -> ResponseReturnValue:
    """An event: its details, its members and their roles, and (for organizers) its invitations."""
    return _event_page(event_id)


def _editable(event_id: int) -> EventOut:
    event = auth.events().event(event_id)
    if not forms.at_least(event.my_role, "organizer"):
        raise PermissionDenied(Message("only an event organizer or above may change the event"))
    return event


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@auth.login_required
def edit(event_id: int) -> ResponseReturnValue:
    """Change an event (owners and organizers)."""
    event = _editable(event_id)
    if request.method == "GET":
        form = {name: str(getattr(event, name)) for name in EVENT_FIELDS}
        form["starts_at"] = forms.local_input(event.starts_at, event.timezone)
        form["ends_at"] = forms.local_input(event.ends_at, event.timezone)
        return _event_form("events/edit.html", form, {}, event=event)
    result = _read_event(EventUpdate)
    if isinstance(result, dict):
        return _event_form("events/edit.html", request.form, result, event=event), INVALID
    try:
        auth.events().update_event(event_id, result)
    except InvalidInput as error:
        errors = forms.invalid_input_errors(error)
        return _event_form("events/edit.html", request.form, errors, event=event), INVALID
    flash(_("The event was saved."), "success")
    return _back(event_id)


@bp.get("/events/<int:event_id>/delete")
@auth.login_required
def confirm_delete(event_id: int) -> ResponseReturnValue:
    """What deleting an event takes away, and its money to download first (owners)."""
    event = auth.events().event(event_id)
    if event.my_role != "owner":
        raise PermissionDenied(Message("only an event owner or above may delete the event"))
    try:
        ledger = auth.services().ledger(auth.event_principal(event_id))
        money_entries: int | None = ledger.entries(event_id, EntryQuery(limit=1)).total
    except ServiceUnavailable:
        money_entries = None  # the page says it cannot tell; deleting stays possible
    return render_template("events/delete.html", event=event, money_entries=money_entries)


@bp.post("/events/<int:event_id>/delete")
@auth.login_required
def delete(event_id: int) -> ResponseReturnValue:
    """Delete an event and its memberships (owners)."""
    auth.events().delete_event(event_id)
    flash(_("The event was deleted."), "success")
    return redirect(url_for("events.index"))


@bp.post("/events/<int:event_id>/members/<int:user_id>/role")
@auth.login_required
def change_role(event_id: int, user_id: int) -> ResponseReturnValue:
    """Give a member another role (organizers; ownership only by owners)."""
    result = forms.validate(MemberRoleChange, {"role": request.form.get("role", "")})
    if isinstance(result, dict):
        return _event_page(event_id, role_errors={user_id: result["role"]}), INVALID
    try:
        member = auth.events().change_member_role(event_id, user_id, result)
    except Conflict as error:
        flash(message_for(error), "error")
        return _back(event_id, "members")
    flash(
        _("%(name)s is now %(role)s.", name=member.display_name, role=role_label(member.role)),
        "success",
    )
    return _back(event_id, "members")


@bp.post("/events/<int:event_id>/guests")
@auth.login_required
def add_guest(event_id: int) -> ResponseReturnValue:
    """Add a person without an account by name (organizers)."""
    result = forms.validate(GuestCreate, forms.filled(request.form, "display_name"))
    if isinstance(result, dict):
        page = _event_page(event_id, guest_form=request.form, guest_errors=result)
        return page, INVALID
    guest = auth.events().add_guest(event_id, result)
    flash(
        _("%(name)s was added to the event without an account.", name=guest.display_name),
        "success",
    )
    return _back(event_id, "members")


@bp.post("/events/<int:event_id>/guests/<int:guest_id>/claim-link")
@auth.login_required
def claim_link(event_id: int, guest_id: int) -> ResponseReturnValue:
    """Make a guest's personal link to claim their place (organizers); shown this once."""
    # Answered with the page itself, not a redirect: the link must not travel in an address.
    made = auth.events().create_claim_link(event_id, guest_id, ClaimLinkCreate())
    flash(_("Send this link to %(name)s only: it works once.", name=made.guest_name), "success")
    return _event_page(event_id, claim_link=(guest_id, forms.claim_url(made.token)))


@bp.post("/events/<int:event_id>/members/<int:user_id>/remove")
@auth.login_required
def remove_member(event_id: int, user_id: int) -> ResponseReturnValue:
    """Remove someone from an event (organizers; owners only by owners)."""
    try:
        auth.events().remove_member(event_id, user_id)
    except Conflict as error:
        flash(message_for(error), "error")
        return _back(event_id, "members")
    flash(_("The member was removed from the event."), "success")
    return _back(event_id, "members")


@bp.post("/events/<int:event_id>/leave")
@auth.login_required
def leave(event_id: int) -> ResponseReturnValue:
    """Leave an event (its last owner cannot)."""
    try:
        auth.events().remove_member(event_id, auth.require_user().id)
    except Conflict as error:
        flash(message_for(error), "error")
        return _back(event_id)
    flash(_("You left the event."), "success")
    return redirect(url_for("events.index"))


@bp.post("/events/<int:event_id>/invitations")
@auth.login_required
def create_invitation(event_id: int) -> ResponseReturnValue:
    """Make an invitation link (owners and organizers)."""
    data = forms.filled(request.form, "role", "max_uses", "expires_in_hours")
    result = forms.validate(InvitationCreate, data)
    if isinstance(result, dict):
        return _event_page(event_id, invite_form=request.form, invite_errors=result), INVALID
    invitation = auth.events().create_invitation(event_id, result)
    flash(_("The invitation link is ready: copy it and share it."), "success")
    return redirect(
        url_for("events.show", event_id=event_id, new=invitation.code, _anchor="invitations")
    )


@bp.post("/events/<int:event_id>/invitations/<code>/revoke")
@auth.login_required
def revoke_invitation(event_id: int, code: str) -> ResponseReturnValue:
    """Stop an invitation link from working (owners and organizers)."""
    auth.events().revoke_invitation(event_id, code)
    flash(_("The invitation link was revoked."), "success")
    return _back(event_id, "invitations")

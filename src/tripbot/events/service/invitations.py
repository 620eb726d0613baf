"""Invitation links: made and revoked by organizers, previewed by anyone, accepted to join."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select

from tripbot.events import OPERATIONS, rules, store
from tripbot.events.models import Event, Invitation, Membership, mail_outbox
from tripbot.events.schemas import (
    InvitationCreate,
    InvitationOut,
    InvitationsByEmail,
    MembershipOut,
)
from tripbot.events.service.accounts import mail_domain, policy_of
from tripbot.platform.db import utcnow
from tripbot.platform.errors import Message, NotFound
from tripbot.platform.mail import Mail, enqueue
from tripbot.platform.operations import Access, Call


@OPERATIONS.post("/events/<int:event_id>/invitations", status=201, public=False)
def create_invitation(call: Call, event_id: int, data: InvitationCreate) -> InvitationOut:
    """A new invitation link (owners and organizers)."""
    # Not public as it is: the gateway adds the link to share.
    with call.unit_of_work() as uow:
        uow.lock_for_write()
        actor = store.membership(uow, event_id, call.principal.user_id)
        rules.require_rank(
            actor.role, "organizer", Message("only an event organizer or above may invite people")
        )
        invitation = Invitation(
            code=secrets.token_urlsafe(18),
            event_id=event_id,
            role=data.role,
            created_by=actor.user_id,
            expires_at=utcnow() + timedelta(hours=data.expires_in_hours),
            max_uses=data.max_uses,
            uses=0,
        )
        uow.session.add(invitation)
        uow.commit()
        return store.invitation_out(invitation, actor.event.name)


@OPERATIONS.post("/events/<int:event_id>/invitations/email", status=201, public=False)
def invite_by_email(call: Call, event_id: int, data: InvitationsByEmail) -> list[InvitationOut]:
    """Invitations sent by email (owners and organizers): a single-use link for each address,
    its mail queued with it, all or none."""
    # Not public as it is: the gateway words the mails, in the inviter's chosen language.
    domain = mail_domain(policy_of(call))
    with call.unit_of_work() as uow:
        uow.lock_for_write()
        actor = store.membership(uow, event_id, call.principal.user_id)
        rules.require_rank(
            actor.role, "organizer", Message("only an event organizer or above may invite people")
        )
        made = []
        for invitee in data.invitees:
            invitation = Invitation(
                code=invitee.code,
                event_id=event_id,
                role=data.role,
                created_by=actor.user_id,
                expires_at=utcnow() + timedelta(hours=data.expires_in_hours),
                max_uses=1,
                uses=0,
            )
            uow.session.add(invitation)
            draft = invitee.mail
            mail = Mail(str(invitee.email), draft.subject, draft.text, draft.html, "invitation")
            enqueue(uow.session, mail_outbox, mail, domain)
            made.append(invitation)
        uow.commit()
        return [store.invitation_out(i, actor.event.name) for i in made]


@OPERATIONS.get("/events/<int:event_id>/invitations", public=False)
def invitations(call: Call, event_id: int) -> list[InvitationOut]:
    """An event's invitations, newest first (owners and organizers)."""
    # Not public as it is: the gateway adds the links to share.
    with call.unit_of_work() as uow:
        actor = store.membership(uow, event_id, call.principal.user_id)
        rules.require_rank(
            actor.role,
            "organizer",
            Message("only an event organizer or above may see invitations"),
        )
        rows = uow.session.scalars(
            select(Invitation).where(Invitation.event_id == event_id).order_by(Invitation.id.desc())
        )
        return [store.invitation_out(i, actor.event.name) for i in rows]


@OPERATIONS.delete("/events/<int:event_id>/invitations/<code>", tag="Invitations")
def revoke_invitation(call: Call, event_id: int, code: str) -> None:
    """Stop an invitation link from working (owners and organizers)."""
    with call.unit_of_work() as uow:
        uow.lock_for_write()
        actor = store.membership(uow, event_id, call.principal.user_id)
        rules.require_rank(
            actor.role,
            "organizer",
            Message("only an event organizer or above may revoke invitations"),
        )
        invitation = store.find_invitation(uow, code)
        if invitation.event_id != event_id:
            raise NotFound(Message("there is no such invitation; check the link"))
        invitation.revoked_at = invitation.revoked_at or utcnow()
        uow.commit()


@OPERATIONS.get("/invitations/<code>", access=Access.ANYONE, tag="Invitations")
def preview_invitation(call: Call, code: str) -> InvitationOut:
    """Which event an invitation is for, and whether it can still be used."""
    with call.unit_of_work() as uow:
        invitation = store.find_invitation(uow, code)
        event = uow.session.get(Event, invitation.event_id)
        return store.invitation_out(invitation, event.name if event else "")


@OPERATIONS.post("/invitations/<code>/accept", tag="Invitations")
def accept_invitation(call: Call, code: str) -> MembershipOut:
    """Join the event an invitation is for."""
    # Accepting again changes nothing.
    with call.unit_of_work() as uow:
        uow.lock_for_write()
        user_id = call.principal.require_user()
        # Locked: the same person accepting twice at once finds their first membership.
        invitation = store.find_invitation(uow, code, for_update=True)
        existing = uow.session.scalar(
            select(Membership).where(
                Membership.event_id == invitation.event_id, Membership.user_id == user_id
            )
        )
        if existing is None:
            existing = store.join(uow, store.usable_invitation(uow, code), user_id)
        uow.commit()
        return MembershipOut(event_id=existing.event_id, user_id=user_id, role=existing.role)

"""The events service's use cases, called directly over a real database (both backends)."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import profiles
from sqlalchemy import func, select, update

from tests.builders import (
    PASSWORD,
    a_member_of,
    a_token_request,
    a_user,
    an_event_of,
    an_invitation_to,
    as_principal,
    events_call,
    user_payload,
)
from tests.events.conftest import FAST_PASSWORDS
from tripbot.events import service
from tripbot.events.client import EventsClient
from tripbot.events.models import ApiToken, Event, Invitation, Membership, User
from tripbot.events.schemas import (
    Credentials,
    EventOut,
    EventUpdate,
    MemberRoleChange,
    TokenResolve,
    UserOut,
    UserRegister,
    UserRoleChange,
    UserUpdate,
)
from tripbot.platform.client import LocalTransport
from tripbot.platform.db import Database
from tripbot.platform.errors import (
    Conflict,
    Gone,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from tripbot.platform.identity import ANONYMOUS, Principal
from tripbot.platform.operations import Call
from tripbot.platform.passwords import Passwords

Policy = service.AccountPolicy


def _count(database: Database, model: type[object]) -> int:
    with database.unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(model)) or 0


def _register(database: Database, policy: Policy, **overrides: object) -> UserOut:
    return service.accounts.register(
        events_call(database, policy=policy), UserRegister(**user_payload(**overrides))
    )


def _login(database: Database, policy: Policy, email: str, password: str = PASSWORD) -> UserOut:
    credentials = Credentials(email=email, password=password)
    return service.accounts.authenticate(events_call(database, policy=policy), credentials)


def _set(database: Database, model: type[object], values: dict[str, object]) -> None:
    with database.unit_of_work() as uow:
        uow.session.execute(update(model).values(**values))
        uow.commit()


# ---- accounts -----------------------------------------------------------------------------


def test_the_first_account_is_admin_and_the_next_ones_members(
    database: Database, policy: Policy
) -> None:
    first = a_user(database, policy)
    second = a_user(database, policy)
    assert (first.role, second.role) == ("admin", "member")


def test_passwords_are_stored_as_argon2id_hashes(database: Database, policy: Policy) -> None:
    user = a_user(database, policy)
    with database.unit_of_work() as uow:
        stored = uow.session.get(User, user.id)
        assert stored is not None
        assert stored.password_hash.startswith("$argon2id$")
        assert PASSWORD not in stored.password_hash


def test_emails_are_kept_in_lower_case_and_unique(database: Database, policy: Policy) -> None:
    user = _register(database, policy, email="Ana.Lopez@Club.Example")
    assert user.email == "ana.lopez@club.example"
    with pytest.raises(Conflict, match="already exists") as raised:
        _register(database, policy, email="ANA.LOPEZ@club.example")
    assert raised.value.extensions == {"field": "email"}
    assert _count(database, User) == 1


def test_invitation_only_registration_needs_an_invitation(
    database: Database, policy: Policy
) -> None:
    closed = Policy(registration="invitation", passwords=FAST_PASSWORDS)
    with pytest.raises(PermissionDenied, match="only through an invitation"):
        _register(database, closed)
    with pytest.raises(PermissionDenied):
        _register(database, closed, invitation_code="")
    assert _count(database, User) == 0


def test_registering_with_an_invitation_joins_its_event(database: Database, policy: Policy) -> None:
    owner = a_user(database, policy)
    event = an_event_of(database, owner)
    invitation = an_invitation_to(database, event, owner, role="organizer")
    closed = Policy(registration="invitation", passwords=FAST_PASSWORDS)
    newcomer = _register(database, closed, invitation_code=invitation.code)
    members = service.members.members(events_call(database, as_principal(owner)), event.id)
    assert {(m.user_id, m.role) for m in members} == {
        (owner.id, "owner"),
        (newcomer.id, "organizer"),
    }
    assert service.invitations.preview_invitation(events_call(database), invitation.code).uses == 1


def _used(database: Database, invitation_code: str) -> None:
    _set(database, Invitation, {"uses": 1})


def _expired(database: Database, invitation_code: str) -> None:
    _set(database, Invitation, {"expires_at": datetime.now(UTC) - timedelta(seconds=1)})


def _revoked(database: Database, invitation_code: str) -> None:
    _set(database, Invitation, {"revoked_at": datetime.now(UTC)})


SPOILERS = {
    "used": (_used, "already been used"),
    "expired": (_expired, "expired"),
    "revoked": (_revoked, "revoked"),
}


@pytest.mark.parametrize("how", sorted(SPOILERS))
def test_registering_with_an_unusable_invitation_creates_nobody(
    database: Database, policy: Policy, how: str
) -> None:
    owner = a_user(database, policy)
    invitation = an_invitation_to(database, an_event_of(database, owner), owner)
    spoil, reason = SPOILERS[how]
    spoil(database, invitation.code)
    with pytest.raises(Gone, match=reason):
        _register(database, policy, invitation_code=invitation.code)
    assert _count(database, User) == 1
    assert _count(database, Membership) == 1


def test_registering_with_an_unknown_invitation_creates_nobody(
    database: Database, policy: Policy
) -> None:
    with pytest.raises(NotFound, match="no such invitation"):
        _register(database, policy, invitation_code="no-such-code")
    assert _count(database, User) == 0


def test_a_refused_registration_does_not_use_up_the_invitation(
    database: Database, policy: Policy
) -> None:
    owner = a_user(database, policy, email="owner@club.example")
    invitation = an_invitation_to(database, an_event_of(database, owner), owner)
    with pytest.raises(Conflict):
        _register(database, policy, email="owner@club.example", invitation_code=invitation.code)
    assert service.invitations.preview_invitation(events_call(database), invitation.code).uses == 0
    assert _count(database, Membership) == 1


# ---- logging in ---------------------------------------------------------------------------


def test_the_right_password_logs_in_whatever_the_email_case(
    database: Database, policy: Policy
) -> None:
    user = _register(database, policy, email="ana@club.example")
    assert _login(database, policy, "ANA@Club.example").id == user.id


@pytest.mark.parametrize(
    ("email", "password"),
    [("ana@club.example", "wrong password!"), ("nobody@club.example", PASSWORD)],
    ids=["wrong-password", "unknown-email"],
)
def test_a_wrong_email_or_password_says_the_same(
    database: Database, policy: Policy, email: str, password: str
) -> None:
    _register(database, policy, email="ana@club.example")
    with pytest.raises(NotAuthenticated, match=r"^wrong email or password$"):
        _login(database, policy, email, password)


def test_old_hashes_are_upgraded_at_login(
    database: Database, policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = a_user(database, policy)
    # A "strong" profile that differs from the fast one but costs as little, to keep tests quick.
    cheap_but_newer = dataclasses.replace(profiles.CHEAPEST, time_cost=2)
    monkeypatch.setattr(profiles, "RFC_9106_LOW_MEMORY", cheap_but_newer)
    strong = Policy(passwords=Passwords("strong"))
    assert strong.passwords.needs_rehash(FAST_PASSWORDS.hash(PASSWORD))
    _login(database, strong, user.email)
    with database.unit_of_work() as uow:
        stored = uow.session.get(User, user.id)
        assert stored is not None
        assert not strong.passwords.needs_rehash(stored.password_hash)
    assert _login(database, strong, user.email).id == user.id


# ---- one's own account and the instance's accounts ---------------------------------------


def test_people_change_their_name_and_language(database: Database, policy: Policy) -> None:
    user = a_user(database, policy)
    me = as_principal(user)
    changed = service.accounts.update_me(
        events_call(database, me), UserUpdate(display_name="Ana", language="en")
    )
    assert (changed.display_name, changed.language) == ("Ana", "en")
    assert service.accounts.me(events_call(database, me)) == changed


@pytest.mark.parametrize("field", ["display_name", "language"])
def test_a_name_or_language_cannot_be_emptied(
    database: Database, policy: Policy, field: str
) -> None:
    user = a_user(database, policy)
    with pytest.raises(InvalidInput, match=f"{field} cannot be empty"):
        service.accounts.update_me(
            events_call(database, as_principal(user)), UserUpdate(**{field: None})
        )
    assert service.accounts.me(events_call(database, as_principal(user))) == user


@pytest.mark.parametrize(
    ("principal", "error"),
    [(ANONYMOUS, "log in first"), (Principal(user_id=999), "no longer exists")],
    ids=["anonymous", "deleted-account"],
)
def test_only_existing_accounts_have_a_me(
    database: Database, principal: Principal, error: str
) -> None:
    with pytest.raises(NotAuthenticated, match=error):
        service.accounts.me(events_call(database, principal))


def test_only_admins_list_accounts(database: Database, policy: Policy) -> None:
    admin = a_user(database, policy)
    member = a_user(database, policy)
    listed = service.accounts.users(events_call(database, as_principal(admin)))
    assert [u.id for u in listed] == [admin.id, member.id]
    with pytest.raises(PermissionDenied, match="only an administrator"):
        service.accounts.users(events_call(database, as_principal(member)))


def test_admins_give_instance_roles(database: Database, policy: Policy) -> None:
    admin = a_user(database, policy)
    member = a_user(database, policy)
    assert service.accounts.change_user_role(
        events_call(database, as_principal(admin)), member.id, UserRoleChange(role="gear_keeper")
    ).role == ("gear_keeper")
    with pytest.raises(PermissionDenied):
        service.accounts.change_user_role(
            events_call(database, as_principal(member)), admin.id, UserRoleChange(role="member")
        )
    with pytest.raises(NotFound, match="no user 999"):
        service.accounts.change_user_role(
            events_call(database, as_principal(admin)), 999, UserRoleChange(role="member")
        )


def test_the_instance_keeps_an_admin(database: Database, policy: Policy) -> None:
    admin = a_user(database, policy)
    other = a_user(database, policy)
    with pytest.raises(Conflict, match="at least one administrator"):
        service.accounts.change_user_role(
            events_call(database, as_principal(admin)), admin.id, UserRoleChange(role="member")
        )
    assert service.accounts.me(events_call(database, as_principal(admin))).role == "admin"
    service.accounts.change_user_role(
        events_call(database, as_principal(admin)), other.id, UserRoleChange(role="admin")
    )
    assert (
        service.accounts.change_user_role(
            events_call(database, as_principal(other)), admin.id, UserRoleChange(role="member")
        ).role
        == "member"
    )


# ---- personal API tokens ------------------------------------------------------------------


def test_a_token_is_shown_once_and_stored_only_hashed(database: Database, policy: Policy) -> None:
    user = a_user(database, policy)
    created = service.tokens.create_token(
        events_call(database, as_principal(user)), a_token_request(user, name="CLI")
    )
    assert created.token.startswith("tb_")
    assert created.prefix == created.token[:10]
    with database.unit_of_work() as uow:
        stored = uow.session.scalars(select(ApiToken)).one()
        assert stored.token_hash == hashlib.sha256(created.token.encode()).hexdigest()
        assert created.token not in (stored.token_hash, stored.prefix, stored.name)
    listed = service.tokens.tokens(events_call(database, as_principal(user)))
    assert [(t.id, t.name, t.prefix) for t in listed] == [(created.id, "CLI", created.prefix)]
    assert "token" not in listed[0].model_dump()


def test_a_token_resolves_to_its_owner_until_revoked(database: Database, policy: Policy) -> None:
    user = a_user(database, policy)
    me = as_principal(user)
    created = service.tokens.create_token(events_call(database, me), a_token_request(user))
    assert (
        service.tokens.resolve_token(events_call(database), TokenResolve(token=created.token))
        == user
    )
    assert service.tokens.tokens(events_call(database, me))[0].last_used_at is not None
    service.tokens.revoke_token(events_call(database, me), created.id)
    with pytest.raises(NotAuthenticated, match="unknown or revoked"):
        service.tokens.resolve_token(events_call(database), TokenResolve(token=created.token))
    assert service.tokens.tokens(events_call(database, me)) == []
    with pytest.raises(NotFound):
        service.tokens.revoke_token(events_call(database, me), created.id)


@pytest.mark.parametrize("token", ["tb_unknown", "x", "tb_" + "a" * 5000, "tb_\x00"])
def test_unknown_tokens_do_not_resolve(database: Database, token: str) -> None:
    # Through the client, as the gateway asks with whatever a header held.
    events = EventsClient(LocalTransport(events_call(database).runtime))
    with pytest.raises(NotAuthenticated, match="unknown or revoked"):
        events.resolve_token(token)


def test_nobody_revokes_or_sees_the_tokens_of_others(database: Database, policy: Policy) -> None:
    owner = a_user(database, policy)
    other = a_user(database, policy)
    created = service.tokens.create_token(events_call(database), a_token_request(owner))
    with pytest.raises(NotFound, match=f"no token {created.id}"):
        service.tokens.revoke_token(events_call(database, as_principal(other)), created.id)
    assert service.tokens.tokens(events_call(database, as_principal(other))) == []
    assert (
        service.tokens.resolve_token(events_call(database), TokenResolve(token=created.token)).id
        == owner.id
    )


# ---- events ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cast:
    """An event with one account of every kind around it."""

    event: EventOut
    owner: UserOut
    organizer: UserOut
    participant: UserOut
    outsider: UserOut

    def of(self, kind: str) -> Principal:
        """The principal of the owner, organizer, participant or outsider."""
        user: UserOut = getattr(self, kind)
        return as_principal(user)


@pytest.fixture
def cast(database: Database, policy: Policy) -> Cast:
    """An event, its owner, an organizer, a participant, and an outsider."""
    owner = a_user(database, policy)
    event = an_event_of(database, owner)
    return Cast(
        event=event,
        owner=owner,
        organizer=a_member_of(database, policy, event, owner, "organizer"),
        participant=a_member_of(database, policy, event, owner),
        outsider=a_user(database, policy),
    )


def test_an_event_is_created_with_its_creator_as_owner_and_times_in_utc(
    database: Database, policy: Policy
) -> None:
    owner = a_user(database, policy)
    event = an_event_of(database, owner, starts_at="2027-05-01T08:00:00+02:00")
    assert (event.my_role, event.member_count) == ("owner", 1)
    assert event.starts_at == datetime(2027, 5, 1, 6, tzinfo=UTC)
    assert event.starts_at.utcoffset() == timedelta(0)
    assert service.events.event(events_call(database, as_principal(owner)), event.id) == event


def test_people_list_only_their_events_soonest_first(database: Database, policy: Policy) -> None:
    ana, luis = a_user(database, policy), a_user(database, policy)
    later = an_event_of(
        database, ana, starts_at="2027-06-01T08:00:00Z", ends_at="2027-06-01T09:00:00Z"
    )
    sooner = an_event_of(database, ana, starts_at="2027-05-01T08:00:00Z")
    an_event_of(database, luis)
    a_member_of(database, policy, later, ana)
    listed = service.events.events(events_call(database, as_principal(ana)))
    assert [(e.id, e.member_count) for e in listed] == [(sooner.id, 1), (later.id, 2)]


@pytest.mark.parametrize("kind", ["owner", "organizer", "participant"])
def test_members_see_the_event_with_their_role(database: Database, cast: Cast, kind: str) -> None:
    event = service.events.event(events_call(database, cast.of(kind)), cast.event.id)
    assert (event.my_role, event.member_count) == (kind, 3)


@pytest.mark.parametrize(
    "use_case", [service.events.event, service.members.members, service.members.membership]
)
def test_events_of_others_do_not_exist_for_outsiders(
    database: Database, cast: Cast, use_case: Callable[[Call, int], object]
) -> None:
    with pytest.raises(NotFound, match=rf"^there is no event {cast.event.id}$"):
        use_case(events_call(database, cast.of("outsider")), cast.event.id)
    with pytest.raises(NotFound, match=r"^there is no event 999$"):
        use_case(events_call(database, cast.of("owner")), 999)


@pytest.mark.parametrize(
    ("kind", "allowed"), [("owner", True), ("organizer", True), ("participant", False)]
)
def test_owners_and_organizers_change_the_event(
    database: Database, cast: Cast, kind: str, allowed: bool
) -> None:
    change = EventUpdate(name="Picos de Europa", currency="usd")
    if allowed:
        event = service.events.update_event(
            events_call(database, cast.of(kind)), cast.event.id, change
        )
        assert (event.name, event.currency) == ("Picos de Europa", "USD")
    else:
        with pytest.raises(PermissionDenied, match="only an event organizer or above"):
            service.events.update_event(events_call(database, cast.of(kind)), cast.event.id, change)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (EventUpdate(ends_at=datetime(2027, 4, 1, tzinfo=UTC)), "ends_at must not be before"),
        (EventUpdate(starts_at=datetime(2028, 1, 1, tzinfo=UTC)), "ends_at must not be before"),
        (EventUpdate(name=None), "name cannot be empty"),
        (EventUpdate(name="Renamed", starts_at=None), "starts_at cannot be empty"),
    ],
)
def test_a_refused_change_leaves_the_event_as_it_was(
    database: Database, cast: Cast, change: EventUpdate, error: str
) -> None:
    before = service.events.event(events_call(database, cast.of("owner")), cast.event.id)
    with pytest.raises(InvalidInput, match=error):
        service.events.update_event(events_call(database, cast.of("owner")), cast.event.id, change)
    assert service.events.event(events_call(database, cast.of("owner")), cast.event.id) == before


def test_only_owners_delete_an_event_and_everything_in_it_goes(
    database: Database, cast: Cast
) -> None:
    an_invitation_to(database, cast.event, cast.owner)
    for kind in ("organizer", "participant"):
        with pytest.raises(PermissionDenied, match="only an event owner"):
            service.events.delete_event(events_call(database, cast.of(kind)), cast.event.id)
    with pytest.raises(NotFound):
        service.events.delete_event(events_call(database, cast.of("outsider")), cast.event.id)
    service.events.delete_event(events_call(database, cast.of("owner")), cast.event.id)
    assert (
        _count(database, Event),
        _count(database, Membership),
        _count(database, Invitation),
    ) == (
        0,
        0,
        0,
    )


# ---- members and roles -------------------------------------------------------------------


def test_members_are_listed_owners_first(database: Database, cast: Cast) -> None:
    members = service.members.members(events_call(database, cast.of("participant")), cast.event.id)
    assert [(m.user_id, m.role) for m in members] == [
        (cast.owner.id, "owner"),
        (cast.organizer.id, "organizer"),
        (cast.participant.id, "participant"),
    ]
    assert members[0].display_name == cast.owner.display_name


ROLE_CHANGES = [
    # actor, target, new role, expected error (None: allowed)
    ("owner", "participant", "organizer", None),
    ("owner", "participant", "owner", None),
    ("owner", "organizer", "participant", None),
    ("organizer", "participant", "organizer", None),
    ("organizer", "organizer", "participant", None),
    ("organizer", "participant", "owner", PermissionDenied),
    ("organizer", "owner", "organizer", PermissionDenied),
    ("organizer", "organizer", "owner", PermissionDenied),
    ("participant", "participant", "organizer", PermissionDenied),
    ("participant", "organizer", "participant", PermissionDenied),
    ("outsider", "participant", "organizer", NotFound),
    ("owner", "outsider", "participant", NotFound),
]


@pytest.mark.parametrize(("actor", "target", "role", "error"), ROLE_CHANGES)
def test_who_may_change_which_roles(
    database: Database,
    cast: Cast,
    actor: str,
    target: str,
    role: str,
    error: type[Exception] | None,
) -> None:
    target_id = getattr(cast, target).id
    before = service.members.members(events_call(database, cast.of("owner")), cast.event.id)
    if error is None:
        changed = service.members.change_member_role(
            events_call(database, cast.of(actor)),
            cast.event.id,
            target_id,
            MemberRoleChange(role=role),
        )
        assert (changed.user_id, changed.role) == (target_id, role)
    else:
        with pytest.raises(error):
            service.members.change_member_role(
                events_call(database, cast.of(actor)),
                cast.event.id,
                target_id,
                MemberRoleChange(role=role),
            )
        after = service.members.members(events_call(database, cast.of("owner")), cast.event.id)
        assert after == before


def test_an_event_always_keeps_an_owner(database: Database, cast: Cast) -> None:
    event_id = cast.event.id
    with pytest.raises(Conflict, match="at least one owner"):
        service.members.change_member_role(
            events_call(database, cast.of("owner")),
            event_id,
            cast.owner.id,
            MemberRoleChange(role="organizer"),
        )
    with pytest.raises(Conflict, match="at least one owner"):
        service.members.remove_member(
            events_call(database, cast.of("owner")), event_id, cast.owner.id
        )
    assert (
        service.members.membership(events_call(database, cast.of("owner")), event_id).role
        == "owner"
    )
    service.members.change_member_role(
        events_call(database, cast.of("owner")),
        event_id,
        cast.organizer.id,
        MemberRoleChange(role="owner"),
    )
    service.members.change_member_role(
        events_call(database, cast.of("organizer")),
        event_id,
        cast.owner.id,
        MemberRoleChange(role="participant"),
    )
    with pytest.raises(Conflict):
        service.members.remove_member(
            events_call(database, cast.of("organizer")), event_id, cast.organizer.id
        )
    assert (
        service.members.membership(events_call(database, cast.of("owner")), event_id).role
        == "participant"
    )


REMOVALS = [
    # actor, target, expected error (None: allowed)
    ("participant", "participant", None),
    ("organizer", "organizer", None),
    ("organizer", "participant", None),
    ("owner", "organizer", None),
    ("participant", "organizer", PermissionDenied),
    ("organizer", "owner", PermissionDenied),
    ("outsider", "participant", NotFound),
    ("owner", "outsider", NotFound),
]


@pytest.mark.parametrize(("actor", "target", "error"), REMOVALS)
def test_who_may_remove_whom(
    database: Database, cast: Cast, actor: str, target: str, error: type[Exception] | None
) -> None:
    target_user: UserOut = getattr(cast, target)
    call = (events_call(database, cast.of(actor)), cast.event.id, target_user.id)
    if error is None:
        service.members.remove_member(*call)
        with pytest.raises(NotFound):
            service.events.event(events_call(database, as_principal(target_user)), cast.event.id)
    else:
        with pytest.raises(error):
            service.members.remove_member(*call)
        assert _count(database, Membership) == 3


# ---- invitations ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("owner", None),
        ("organizer", None),
        ("participant", PermissionDenied),
        ("outsider", NotFound),
    ],
)
def test_owners_and_organizers_invite(
    database: Database, cast: Cast, kind: str, error: type[Exception] | None
) -> None:
    by: UserOut = getattr(cast, kind)
    if error is None:
        invitation = an_invitation_to(database, cast.event, by, role="organizer", max_uses=5)
        assert (invitation.role, invitation.max_uses, invitation.uses) == ("organizer", 5, 0)
        assert invitation.usable
        assert invitation.event_name == cast.event.name
        assert (
            timedelta(hours=167) < invitation.expires_at - datetime.now(UTC) <= timedelta(hours=168)
        )
        listed = service.invitations.invitations(
            events_call(database, cast.of(kind)), cast.event.id
        )
        assert listed[0].code == invitation.code
        assert len(listed) == 3  # with the two the cast was built with
    else:
        with pytest.raises(error):
            an_invitation_to(database, cast.event, by)
        with pytest.raises(error):
            service.invitations.invitations(events_call(database, cast.of(kind)), cast.event.id)
        assert _count(database, Invitation) == 2  # the two the cast was built with


def test_invitations_are_listed_newest_first(database: Database, cast: Cast) -> None:
    first = an_invitation_to(database, cast.event, cast.owner)
    second = an_invitation_to(database, cast.event, cast.owner)
    listed = service.invitations.invitations(events_call(database, cast.of("owner")), cast.event.id)
    assert [i.code for i in listed[:2]] == [second.code, first.code]


def test_an_invitation_is_accepted_once_and_again_changes_nothing(
    database: Database, policy: Policy, cast: Cast
) -> None:
    invitation = an_invitation_to(database, cast.event, cast.owner, max_uses=2)
    guest = a_user(database, policy)
    for _ in range(2):
        joined = service.invitations.accept_invitation(
            events_call(database, as_principal(guest)), invitation.code
        )
        assert (joined.event_id, joined.user_id, joined.role) == (
            cast.event.id,
            guest.id,
            "participant",
        )
    assert service.invitations.preview_invitation(events_call(database), invitation.code).uses == 1


def test_a_member_accepting_keeps_their_role(database: Database, cast: Cast) -> None:
    invitation = an_invitation_to(database, cast.event, cast.owner)
    joined = service.invitations.accept_invitation(
        events_call(database, cast.of("owner")), invitation.code
    )
    assert joined.role == "owner"
    assert service.invitations.preview_invitation(events_call(database), invitation.code).uses == 0


def test_a_multi_use_invitation_lets_in_as_many_as_it_says(
    database: Database, policy: Policy, cast: Cast
) -> None:
    invitation = an_invitation_to(database, cast.event, cast.owner, max_uses=2)
    for _ in range(2):
        service.invitations.accept_invitation(
            events_call(database, as_principal(a_user(database, policy))), invitation.code
        )
    late = a_user(database, policy)
    with pytest.raises(Gone, match="already been used"):
        service.invitations.accept_invitation(
            events_call(database, as_principal(late)), invitation.code
        )
    preview = service.invitations.preview_invitation(events_call(database), invitation.code)
    assert (preview.uses, preview.usable) == (2, False)


@pytest.mark.parametrize("how", sorted(SPOILERS))
def test_an_unusable_invitation_is_gone(
    database: Database, policy: Policy, cast: Cast, how: str
) -> None:
    invitation = an_invitation_to(database, cast.event, cast.owner)
    spoil, reason = SPOILERS[how]
    with database.unit_of_work() as uow:  # spoil only this invitation, not the cast's
        uow.session.execute(
            update(Invitation).where(Invitation.code != invitation.code).values(max_uses=100)
        )
        uow.commit()
    spoil(database, invitation.code)
    guest = a_user(database, policy)
    with pytest.raises(Gone, match=reason):
        service.invitations.accept_invitation(
            events_call(database, as_principal(guest)), invitation.code
        )
    assert (
        service.invitations.preview_invitation(events_call(database), invitation.code).usable
        is False
    )
    assert _count(database, Membership) == 3


def test_revoking_stops_an_invitation(database: Database, policy: Policy, cast: Cast) -> None:
    invitation = an_invitation_to(database, cast.event, cast.owner)
    for kind, error in (("participant", PermissionDenied), ("outsider", NotFound)):
        with pytest.raises(error):
            service.invitations.revoke_invitation(
                events_call(database, cast.of(kind)), cast.event.id, invitation.code
            )
    assert service.invitations.preview_invitation(events_call(database), invitation.code).usable
    service.invitations.revoke_invitation(
        events_call(database, cast.of("organizer")), cast.event.id, invitation.code
    )
    service.invitations.revoke_invitation(
        events_call(database, cast.of("owner")), cast.event.id, invitation.code
    )
    with pytest.raises(Gone, match="revoked"):
        service.invitations.accept_invitation(
            events_call(database, as_principal(a_user(database, policy))), invitation.code
        )


def test_an_invitation_is_revoked_only_through_its_own_event(
    database: Database, policy: Policy, cast: Cast
) -> None:
    invitation = an_invitation_to(database, cast.event, cast.owner)
    own_event = an_event_of(database, cast.outsider)
    with pytest.raises(NotFound, match="no such invitation"):
        service.invitations.revoke_invitation(
            events_call(database, cast.of("outsider")), own_event.id, invitation.code
        )
    assert service.invitations.preview_invitation(events_call(database), invitation.code).usable


@pytest.mark.parametrize("code", ["no-such-code", "", "\x00", "x" * 500, "a b/c?d"])
def test_unknown_invitation_codes_are_not_found(database: Database, cast: Cast, code: str) -> None:
    with pytest.raises(NotFound, match="no such invitation"):
        service.invitations.preview_invitation(events_call(database), code)
    with pytest.raises(NotFound, match="no such invitation"):
        service.invitations.accept_invitation(events_call(database, cast.of("outsider")), code)
    with pytest.raises(NotFound, match="no such invitation"):
        service.invitations.revoke_invitation(
            events_call(database, cast.of("owner")), cast.event.id, code
        )


def test_accepting_needs_an_account(database: Database, cast: Cast) -> None:
    invitation = an_invitation_to(database, cast.event, cast.owner)
    with pytest.raises(NotAuthenticated):
        service.invitations.accept_invitation(events_call(database, ANONYMOUS), invitation.code)

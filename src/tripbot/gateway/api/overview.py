"""The public REST API of an event's overview: every service's part of it, asked at once."""

from __future__ import annotations

from apiflask import APIBlueprint

from tripbot.gateway import auth, overview
from tripbot.gateway.schemas import EventOverview

bp = APIBlueprint("api_overview", __name__, url_prefix="/api/v1", tag="Events")


@bp.get("/events/<int:event_id>/overview")
@bp.output(EventOverview)
def event_overview(event_id: int) -> EventOverview:
    """An event at a glance (members): its plan, now and next on the agenda, balances and
    total spent, gear reserved. A service that does not answer leaves its section as
    `{"unavailable": "<service>"}`; the total spent is `{"hidden": "<why>"}` when the
    organizers keep the report to themselves."""
    auth.require_user()
    return overview.gather(auth.services(), auth.principal(), event_id)

"""``SandboxControl``: a typed client of the control API (``/_sandbox/...``).

    ctl = SandboxControl("http://127.0.0.1:8790")
    ctl.seed_domain("acme.com")
    ctl.seed_user("alice@acme.com", admin=True)
    client = ctl.create_oauth_client()
    refresh = ctl.create_grant("alice@acme.com", client["client_id"], [CALENDAR_SCOPE])
    ctl.inject_fault("calendar.events.insert", status=503, reason="backendError", count=1)
    ctl.notification_counts()    # {"bob@acme.com": {"invitation": 1}}
    ctl.seed_room("room-a@resource.calendar.google.com", "Room A", 8)
    ctl.complete_pending()       # finish Meet creations, room answers and transfers now
    ctl.edit_move("alice@acme.com", event_id, start, end)   # a person drags the event
    ctl.drain_push()             # wait until every push notification went out

Every method raises :class:`~calsync_sandbox.control.transport.SandboxControlError` when the
sandbox answers with an error.
"""

from __future__ import annotations

from .calendars import CalendarCalls
from .clock import ClockCalls
from .edits import EditCalls
from .faults import FaultCalls
from .iam import IamCalls
from .logs import LogCalls
from .oauth import OAuthCalls
from .people import PeopleCalls
from .push import PushCalls
from .strictness import StrictnessCalls
from .tasks import TaskCalls
from .transfers import TransferCalls

__all__ = ["SandboxControl"]


class SandboxControl(
    PeopleCalls,
    OAuthCalls,
    FaultCalls,
    LogCalls,
    CalendarCalls,
    TaskCalls,
    TransferCalls,
    ClockCalls,
    StrictnessCalls,
    IamCalls,
    PushCalls,
    EditCalls,
):
    """Typed access to every control call; one method per route, grouped by concept in the
    ``*Calls`` classes it combines (see ``docs/sandbox.md`` for the table)."""

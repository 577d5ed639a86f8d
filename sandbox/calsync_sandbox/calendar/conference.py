"""``conferenceData`` on event writes, and Google Meet creation (pending -> success/failure).

    apply_conference(world, caller, version, sent=call.body, before=stored, after=new,
                     full_replace=False, calendar_id=cal.id)

Rules (``version`` = the ``conferenceDataVersion`` parameter):

- version 0 (default): ``conferenceData`` in the body is ignored; the stored one is kept.
- version 1, body without ``conferenceData``: patch keeps the stored one, update removes it
  (update replaces the whole event, which is why Google warns about wiping conferences).
- version 1, ``conferenceData: null``: removed (and ``hangoutLink`` with it).
- version 1, ``createRequest.requestId`` equal to the stored one: nothing changes (idempotent,
  Google ignores a repeated requestId). Strict reading (switch
  ``meet_request_id_reuse_ignored``): so does any ``requestId`` used before on that event, even
  after the conference was removed, so turning Meet off and on needs a new requestId.
- version 1, a new ``createRequest``: a bare service account gets 400 ``invalid`` "Invalid
  conference type value." (its calendars allow no conference types), as does any type other
  than ``hangoutsMeet``; otherwise the event gets ``createRequest.status.statusCode: pending``
  and, ``meet_delay`` seconds later on the sandbox clock (0 = at once), ``success`` with
  ``conferenceId``, a video entry point, ``conferenceSolution``, ``signature`` and the event's
  ``hangoutLink``, or ``failure`` (no entry points) when the control switch says so.
- version 1, ``conferenceData`` without ``createRequest``: stored as sent (copying).
"""

from __future__ import annotations

import copy
import secrets
import string
from typing import Any

from ..clock import rfc3339
from ..errors import ApiError
from ..state.identities import Principal
from ..state.world import World

__all__ = ["MEET_ICON", "apply_conference", "hangout_link"]

MEET_ICON = (
    "https://fonts.gstatic.com/s/i/productlogos/meet_2020q4/v6/web-512dp/"
    "logo_meet_2020q4_color_2x_web_512dp.png"
)
_INVALID_TYPE = "Invalid conference type value."


def apply_conference(
    world: World,
    caller: Principal,
    version: int,
    *,
    sent: dict[str, Any],
    before: dict[str, Any] | None,
    after: dict[str, Any],
    full_replace: bool,
    calendar_id: str,
) -> None:
    """Fix ``after["conferenceData"]``/``hangoutLink`` for a write of ``sent``; may schedule
    the Meet creation."""
    stored = copy.deepcopy((before or {}).get("conferenceData"))
    if version != 1 or ("conferenceData" not in sent and not full_replace):
        _set(after, stored)
        return
    wanted = sent.get("conferenceData")
    if not isinstance(wanted, dict):
        _set(after, None)
        return
    create = wanted.get("createRequest")
    if not isinstance(create, dict):
        _set(after, copy.deepcopy(wanted))
        return
    request_id = create.get("requestId")
    if not request_id:
        raise ApiError(400, "invalid", "Invalid conference create request: missing requestId.")
    used = world.meet_request_ids.setdefault((calendar_id, str(after["id"])), set())
    reused = world.strictness.meet_request_id_reuse_ignored and str(request_id) in used
    if reused or (stored and (stored.get("createRequest") or {}).get("requestId") == request_id):
        _set(after, stored)
        return
    kind = str((create.get("conferenceSolutionKey") or {}).get("type") or "hangoutsMeet")
    if caller.service_account or kind != "hangoutsMeet":
        raise ApiError(400, "invalid", _INVALID_TYPE)
    used.add(str(request_id))
    _set(
        after,
        {
            "createRequest": {
                "requestId": str(request_id),
                "conferenceSolutionKey": {"type": kind},
                "status": {"statusCode": "pending"},
            }
        },
    )
    fail = world.settings.meet_fails
    event_id = str(after["id"])
    if world.settings.meet_delay <= 0:
        _finish(after, fail)
        return

    def finish(w: World) -> None:
        _finish_later(w, calendar_id, event_id, str(request_id), fail)

    world.pending.add(
        "meet",
        f"{calendar_id}/{event_id}",
        world.clock.time() + world.settings.meet_delay,
        finish,
    )


def hangout_link(conference: dict[str, Any] | None) -> str | None:
    """The Meet URL of a hangoutsMeet conference (its video entry point), if any."""
    if not conference:
        return None
    key = ((conference.get("conferenceSolution") or {}).get("key") or {}).get("type")
    if key != "hangoutsMeet":
        return None
    for entry in conference.get("entryPoints") or []:
        if entry.get("entryPointType") == "video" and entry.get("uri"):
            return str(entry["uri"])
    return None


def _set(event: dict[str, Any], conference: dict[str, Any] | None) -> None:
    if conference:
        event["conferenceData"] = conference
    else:
        event.pop("conferenceData", None)
    link = hangout_link(conference)
    if link:
        event["hangoutLink"] = link
    else:
        event.pop("hangoutLink", None)


def _meeting_code() -> str:
    letters = string.ascii_lowercase
    parts = (3, 4, 3)
    return "-".join("".join(secrets.choice(letters) for _ in range(n)) for n in parts)


def _finish(event: dict[str, Any], fail: bool) -> None:
    conference = event["conferenceData"]
    create = conference["createRequest"]
    if fail:
        create["status"] = {"statusCode": "failure"}
        _set(event, conference)
        return
    code = _meeting_code()
    create["status"] = {"statusCode": "success"}
    conference.update(
        conferenceId=code,
        conferenceSolution={
            "key": {"type": create["conferenceSolutionKey"]["type"]},
            "name": "Google Meet",
            "iconUri": MEET_ICON,
        },
        entryPoints=[
            {
                "entryPointType": "video",
                "uri": f"https://meet.google.com/{code}",
                "label": f"meet.google.com/{code}",
            }
        ],
        signature=secrets.token_urlsafe(24),
    )
    _set(event, conference)


def _finish_later(
    world: World, calendar_id: str, event_id: str, request_id: str, fail: bool
) -> None:
    record = world.live_record(calendar_id, event_id)
    if record is None:
        return
    create = (record.data.get("conferenceData") or {}).get("createRequest") or {}
    if create.get("requestId") != request_id or create.get("status", {}).get("statusCode") != (
        "pending"
    ):
        return
    _finish(record.data, fail)
    record.data["etag"] = world.new_etag()
    record.data["updated"] = rfc3339(world.clock.now())
    world.put_event(record)

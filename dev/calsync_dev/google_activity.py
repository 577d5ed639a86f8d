"""What Google did during the demo, as the report's closing sections.

After the calendar table (``calsync_dev.report.render``) the demo prints the
latest rooms and Meet answers per part (from calsync's results), the e-mails
Google would have sent (read from the Google sandbox, the learners as one
count) and the Google API writes made::

    text = (
        amenities_section(results_seen)
        + emails_section(control, LEARNERS)
        + "\n"
        + writes_section(control)
    )
"""

from __future__ import annotations

from typing import Any

__all__ = ["amenities_section", "burst_section", "emails_section", "writes_section"]


def amenities_section(results: list[dict[str, Any]]) -> str:
    """The latest word on each part's rooms and Meet link, from calsync's results."""
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for result in results:
        if result.get("meet_url") or result.get("room_responses"):
            latest[(result["item"]["id"], str(result.get("part_key")))] = result
    if not latest:
        return ""
    lines = ["Rooms and Google Meet (from calsync-results):"]
    for (item_id, part), result in sorted(latest.items()):
        rooms = ", ".join(
            f"{room.split('@')[0]} {status}"
            for room, status in (result.get("room_responses") or {}).items()
        )
        meet = result.get("meet_url") or "no Meet link"
        lines.append(f"  {item_id}/{part}: {rooms or 'no rooms'}; {meet}")
    return "\n".join(lines) + "\n\n"


def emails_section(control: Any, summarised: dict[str, str]) -> str:
    """Per person, how many e-mails of each kind; the summarised people as one count."""
    counts: dict[str, dict[str, int]] = {}
    learner_mails = 0
    for note in control.notifications():
        if note["recipient"] in summarised:
            learner_mails += 1
            continue
        per = counts.setdefault(str(note["recipient"]), {})
        per[str(note["kind"])] = per.get(str(note["kind"]), 0) + 1
    lines = [f"E-mails Google would have sent (plus {learner_mails} to the learners):"]
    for person in sorted(counts):
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(counts[person].items()))
        lines.append(f"  {person}: {kinds}")
    return "\n".join(lines)


def burst_section(before: list[dict[str, Any]], after: list[dict[str, Any]], policy: str) -> str:
    """The e-mails an enrollment burst caused: to people already on the event (the storm
    Google's sendUpdates=all would cause) and to those it added. ``before`` and ``after`` are
    the notification log before the burst and once it converged."""
    invited = {
        (str(n["recipient"]), str(n["event_id"])) for n in before if n["kind"] != "cancellation"
    }
    burst = after[len(before) :]
    already = sum((str(n["recipient"]), str(n["event_id"])) in invited for n in burst)
    return (
        f"Enrollment burst (attendee_notifications: {policy}): {already} e-mails to guests "
        f"already invited, {len(burst) - already} to the newly enrolled\n"
    )


def writes_section(control: Any) -> str:
    """How many Google API writes (insert, patch, update, delete, move) of each method."""
    counts = control.request_counts()["counts"]
    writes = {
        k: v
        for k, v in counts.items()
        if k.split(".")[-1] in ("insert", "patch", "update", "delete", "move")
    }
    return "Google API writes: " + ", ".join(f"{k}={v}" for k, v in sorted(writes.items()))

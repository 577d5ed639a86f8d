"""Why is (or isn't) an item on a person's calendar? Answered from calsync's own records.

``explain`` is pure: it takes the tenant, the item, its part mappings and its
ledger and returns readable lines. ``calsync explain`` (the operator command)
loads them from Firestore and prints the lines.
"""

from __future__ import annotations

from calsync.contracts import Part
from calsync.records import ItemRecord, LedgerEntry, PartMapping, TenantRecord

__all__ = ["explain"]


def _role(record: ItemRecord, part: Part, email: str) -> str | None:
    item = record.item
    if item is None:
        return None
    hosts = part.host_emails if part.host_emails is not None else item.host_emails
    if email == item.organizer_email:
        return "organizer"
    if email in hosts:
        return "host"
    return None


_DRIFT_OUTCOMES = {
    "repaired": "calsync put it back",
    "reported": "left as it is (drift_policy: report) and reported to the platform",
}


def _drift_line(entry: LedgerEntry, email: str | None) -> str:
    """A change someone made in Google Calendar (two-way sync), and what calsync did."""
    fields = ", ".join(entry.detail.get("fields", [])) or "?"
    outcome = _DRIFT_OUTCOMES.get(entry.outcome, entry.outcome)
    line = (
        f"  {entry.at:%Y-%m-%d %H:%M:%S} changed in Google Calendar ({fields}) "
        f"at v{entry.version}: {outcome}"
    )
    added = entry.detail.get("guests_added_in_google", [])
    removed = entry.detail.get("guests_removed_in_google", [])
    if added:
        line += f"; guests added there: {', '.join(added)}"
    if removed:
        line += f"; guests removed there: {', '.join(removed)}"
    if email and email in added:
        line += f" ({email} was added by hand, not by calsync)"
    if email and email in removed:
        line += f" ({email} was removed by hand)"
    return line


def explain(
    tenant: TenantRecord | None,
    record: ItemRecord | None,
    mappings: dict[str, PartMapping],
    ledger: list[LedgerEntry],
    email: str | None = None,
) -> list[str]:
    """Readable lines explaining the item's state (for ``email`` if given)."""
    if tenant is None:
        return ["The tenant is unknown: calsync has received no settings.updated for it."]
    if record is None:
        return ["calsync has never received a message for this item."]
    lines = [
        f"Item {record.ref.key}: desired version {record.version}, "
        f"synced version {record.synced_version}"
        + (" (deleted on the platform)" if record.deleted else ""),
    ]
    if not tenant.settings.sync_enabled:
        lines.append("Sync is disabled for this tenant: nothing is written to Google.")
    if record.needs_sync:
        lines.append("Google does not reflect the latest version yet (a retry is pending).")
    parts = {p.key: p for p in record.item.parts} if record.item else {}
    for key in sorted(set(parts) | set(mappings)):
        mapping = mappings.get(key)
        where = (
            f"event {mapping.event_id} on {mapping.calendar_id} ({mapping.state})"
            if mapping
            else "not written to Google"
        )
        lines.append(f"Part {key}: {where}")
        if email and key in parts and not record.deleted:
            role = _role(record, parts[key], email)
            lines.append(
                f"  {email} is an attendee as {role}"
                if role
                else f"  {email} is not an organizer or host of this part"
            )
        for entry in [e for e in ledger if e.part_key == key][-5:]:
            if entry.operation == "drift":
                lines.append(_drift_line(entry, email))
                continue
            invited = entry.detail.get("attendees", [])
            mention = ""
            if email and "attendees" in entry.detail:
                mention = " (includes them)" if email in invited else " (without them)"
            lines.append(
                f"  {entry.at:%Y-%m-%d %H:%M:%S} {entry.operation} v{entry.version}: "
                f"{entry.reason} → {entry.outcome}; sendUpdates={entry.send_updates}{mention}"
            )
    if record.deleted:
        lines.append("The item was deleted on the platform, so its events are cancelled.")
    return lines

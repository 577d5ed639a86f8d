"""Calendar v3 acl.* and the access it grants: sharing a calendar with another identity."""

from __future__ import annotations

from typing import Any

import pytest
from googleapiclient.errors import HttpError
from sandbox_helpers import error_reason, timed_event

OWNER = "old-identity@acme.com"
OTHER = "new-identity@acme.com"


@pytest.fixture
def owner(calendar_for) -> Any:
    """The calendar's creator."""
    return calendar_for(OWNER)


@pytest.fixture
def other(calendar_for) -> Any:
    """The identity the calendar is shared with."""
    return calendar_for(OTHER)


@pytest.fixture
def calendar_id(owner: Any) -> str:
    """A secondary calendar of the owner."""
    created: dict[str, Any] = owner.calendars().insert(body={"summary": "Tenant"}).execute()
    return str(created["id"])


def _share(service: Any, calendar_id: str, role: str, email: str = OTHER) -> dict[str, Any]:
    body = {"role": role, "scope": {"type": "user", "value": email}}
    rule: dict[str, Any] = service.acl().insert(calendarId=calendar_id, body=body).execute()
    return rule


def _insert_event(service: Any, calendar_id: str, **extra: Any) -> dict[str, Any]:
    event: dict[str, Any] = (
        service.events().insert(calendarId=calendar_id, body=timed_event(**extra)).execute()
    )
    return event


def _status_and_reason(caught: pytest.ExceptionInfo[HttpError]) -> tuple[int, str | None]:
    return caught.value.status_code, error_reason(caught.value)


def test_insert_returns_the_rule(owner: Any, calendar_id: str) -> None:
    """acl.insert answers the rule with its scope-derived id."""
    rule = _share(owner, calendar_id, "writer")
    assert rule["kind"] == "calendar#aclRule"
    assert rule["id"] == f"user:{OTHER}"
    assert rule["scope"] == {"type": "user", "value": OTHER}
    assert rule["role"] == "writer"
    assert rule["etag"]


def test_list_holds_the_owner_rule_and_the_grants(owner: Any, calendar_id: str) -> None:
    """acl.list shows the data owner's own rule and every rule inserted."""
    _share(owner, calendar_id, "writer")
    owner.acl().insert(
        calendarId=calendar_id,
        body={"role": "reader", "scope": {"type": "domain", "value": "acme.com"}},
    ).execute()
    items = owner.acl().list(calendarId=calendar_id).execute()["items"]
    assert {r["id"]: r["role"] for r in items} == {
        f"user:{OWNER}": "owner",
        f"user:{OTHER}": "writer",
        "domain:acme.com": "reader",
    }


def test_get_returns_one_rule(owner: Any, calendar_id: str) -> None:
    """acl.get by rule id."""
    _share(owner, calendar_id, "reader")
    rule = owner.acl().get(calendarId=calendar_id, ruleId=f"user:{OTHER}").execute()
    assert rule["role"] == "reader"


def test_patch_changes_the_role(owner: Any, calendar_id: str) -> None:
    """acl.patch with a new role changes the rule and its etag."""
    before = _share(owner, calendar_id, "reader")
    after = (
        owner.acl()
        .patch(calendarId=calendar_id, ruleId=f"user:{OTHER}", body={"role": "owner"})
        .execute()
    )
    assert after["role"] == "owner"
    assert after["etag"] != before["etag"]


def test_deleted_rule_is_gone_from_the_list(owner: Any, calendar_id: str) -> None:
    """acl.delete answers 204; the rule then only shows with showDeleted, as role none."""
    _share(owner, calendar_id, "writer")
    assert owner.acl().delete(calendarId=calendar_id, ruleId=f"user:{OTHER}").execute() == ""
    live = owner.acl().list(calendarId=calendar_id).execute()["items"]
    everything = owner.acl().list(calendarId=calendar_id, showDeleted=True).execute()["items"]
    assert [r["id"] for r in live] == [f"user:{OWNER}"]
    assert {r["id"]: r["role"] for r in everything}[f"user:{OTHER}"] == "none"


def test_writer_can_insert_patch_and_delete_events(
    owner: Any, other: Any, calendar_id: str
) -> None:
    """A writer writes the shared calendar like its owner; the calendar stays the organizer."""
    _share(owner, calendar_id, "writer")
    event = _insert_event(other, calendar_id, id="evt00001")
    assert event["organizer"]["email"] == calendar_id
    assert event["creator"]["email"] == OTHER
    patched = (
        other.events()
        .patch(calendarId=calendar_id, eventId="evt00001", body={"summary": "Moved"})
        .execute()
    )
    assert patched["summary"] == "Moved"
    other.events().delete(calendarId=calendar_id, eventId="evt00001").execute()
    seen = owner.events().get(calendarId=calendar_id, eventId="evt00001").execute()
    assert seen["status"] == "cancelled"


def test_writer_sees_the_owners_events(owner: Any, other: Any, calendar_id: str) -> None:
    """Events the owner wrote are listed for the writer, with accessRole writer."""
    _insert_event(owner, calendar_id, id="evt00001")
    _share(owner, calendar_id, "writer")
    listed = other.events().list(calendarId=calendar_id).execute()
    assert [e["id"] for e in listed["items"]] == ["evt00001"]
    assert listed["accessRole"] == "writer"


def test_reader_cannot_write_events(owner: Any, other: Any, calendar_id: str) -> None:
    """A reader reads, but an insert is 403 requiredAccessLevel (writer access needed)."""
    _share(owner, calendar_id, "reader")
    assert other.events().list(calendarId=calendar_id).execute()["items"] == []
    with pytest.raises(HttpError) as caught:
        _insert_event(other, calendar_id)
    assert _status_and_reason(caught) == (403, "requiredAccessLevel")
    assert caught.value.reason == "You need to have writer access to this calendar."


def test_writer_cannot_change_the_acl(owner: Any, other: Any, calendar_id: str) -> None:
    """acl.insert by a writer is 403 requiredAccessLevel (owner access needed)."""
    _share(owner, calendar_id, "writer")
    with pytest.raises(HttpError) as caught:
        _share(other, calendar_id, "reader", email="third@acme.com")
    assert _status_and_reason(caught) == (403, "requiredAccessLevel")
    assert caught.value.reason == "You need to have owner access to this calendar."


def test_reader_cannot_list_the_acl(owner: Any, other: Any, calendar_id: str) -> None:
    """acl.list needs writer access (discovery: writer reads the ACL); a reader gets 403."""
    _share(owner, calendar_id, "reader")
    with pytest.raises(HttpError) as caught:
        other.acl().list(calendarId=calendar_id).execute()
    assert _status_and_reason(caught) == (403, "requiredAccessLevel")


def test_owner_by_acl_can_share_further(owner: Any, other: Any, calendar_id: str) -> None:
    """A co-owner (role owner) inserts rules of its own."""
    _share(owner, calendar_id, "owner")
    rule = _share(other, calendar_id, "writer", email="third@acme.com")
    assert rule["id"] == "user:third@acme.com"


def test_co_owner_can_write_a_primary_calendar(owner: Any, other: Any) -> None:
    """Sharing a primary calendar as owner lets the grantee write there; the user organizes."""
    _share(owner, "primary", "owner")
    event = _insert_event(other, OWNER)
    assert event["organizer"]["email"] == OWNER


def test_removing_the_rule_removes_access(owner: Any, other: Any, calendar_id: str) -> None:
    """After acl.delete the former writer gets 404 notFound, as for any unshared calendar."""
    _share(owner, calendar_id, "writer")
    owner.acl().delete(calendarId=calendar_id, ruleId=f"user:{OTHER}").execute()
    with pytest.raises(HttpError) as caught:
        other.events().list(calendarId=calendar_id).execute()
    assert _status_and_reason(caught) == (404, "notFound")


def test_co_owner_cannot_delete_the_calendar(owner: Any, other: Any, calendar_id: str) -> None:
    """Stricter reading: only the data owner deletes a secondary calendar; a co-owner gets
    403 requiredAccessLevel."""
    _share(owner, calendar_id, "owner")
    with pytest.raises(HttpError) as caught:
        other.calendars().delete(calendarId=calendar_id).execute()
    assert _status_and_reason(caught) == (403, "requiredAccessLevel")


def test_invalid_role_is_400(owner: Any, calendar_id: str) -> None:
    """A role outside the discovery list is 400 invalid."""
    with pytest.raises(HttpError) as caught:
        _share(owner, calendar_id, "editor")
    assert _status_and_reason(caught) == (400, "invalid")


def test_invalid_scope_type_is_400(owner: Any, calendar_id: str) -> None:
    """A scope type outside user/group/domain/default is 400 invalid."""
    body = {"role": "reader", "scope": {"type": "team", "value": OTHER}}
    with pytest.raises(HttpError) as caught:
        owner.acl().insert(calendarId=calendar_id, body=body).execute()
    assert _status_and_reason(caught) == (400, "invalid")


def test_missing_scope_value_is_400_required(owner: Any, calendar_id: str) -> None:
    """A user scope without a value is 400 required."""
    body = {"role": "reader", "scope": {"type": "user"}}
    with pytest.raises(HttpError) as caught:
        owner.acl().insert(calendarId=calendar_id, body=body).execute()
    assert _status_and_reason(caught) == (400, "required")


def test_owner_cannot_change_its_own_rule(owner: Any, calendar_id: str) -> None:
    """Deleting one's own rule is 403 cannotChangeOwnAcl."""
    with pytest.raises(HttpError) as caught:
        owner.acl().delete(calendarId=calendar_id, ruleId=f"user:{OWNER}").execute()
    assert _status_and_reason(caught) == (403, "cannotChangeOwnAcl")


def test_acl_of_an_unshared_calendar_is_404(other: Any, calendar_id: str) -> None:
    """Without any access, acl.list is 404 notFound."""
    with pytest.raises(HttpError) as caught:
        other.acl().list(calendarId=calendar_id).execute()
    assert _status_and_reason(caught) == (404, "notFound")


def test_domain_rule_gives_writers_of_that_domain(owner: Any, other: Any, calendar_id: str) -> None:
    """A domain rule grants its role to every user of the domain."""
    body = {"role": "writer", "scope": {"type": "domain", "value": "acme.com"}}
    owner.acl().insert(calendarId=calendar_id, body=body).execute()
    assert _insert_event(other, calendar_id)["status"] == "confirmed"


def test_grant_does_not_add_to_the_calendar_list(owner: Any, other: Any, calendar_id: str) -> None:
    """Stricter reading: the grantee's list gains the calendar only by calendarList.insert."""
    _share(owner, calendar_id, "owner")
    before = {c["id"] for c in other.calendarList().list().execute()["items"]}
    entry = other.calendarList().insert(body={"id": calendar_id}).execute()
    after = {c["id"] for c in other.calendarList().list().execute()["items"]}
    assert before == {OTHER}
    assert entry["accessRole"] == "owner"
    assert after == {OTHER, calendar_id}


def test_acl_list_sync_token_returns_the_changes(owner: Any, calendar_id: str) -> None:
    """A list with the last syncToken returns only the rules changed since, deletions too."""
    _share(owner, calendar_id, "writer")
    token = owner.acl().list(calendarId=calendar_id).execute()["nextSyncToken"]
    owner.acl().delete(calendarId=calendar_id, ruleId=f"user:{OTHER}").execute()
    changed = owner.acl().list(calendarId=calendar_id, syncToken=token).execute()["items"]
    assert [(r["id"], r["role"]) for r in changed] == [(f"user:{OTHER}", "none")]


def test_reset_clears_the_acl(owner: Any, calendar_id: str, sandbox: Any) -> None:
    """world.reset forgets every rule."""
    _share(owner, calendar_id, "writer")
    sandbox.reset()
    assert sandbox.world.acl == {}

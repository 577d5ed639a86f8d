"""Admin SDK Directory: calendar resources and users, admin-only access, paging and queries."""

from __future__ import annotations

from typing import Any

import google.oauth2.service_account
import pytest
from googleapiclient.errors import HttpError
from sandbox_helpers import ADMIN_SCOPES, CALENDAR_SCOPE, build_admin, error_reason

from calsync_sandbox import SandboxControl


@pytest.fixture
def directory(admin_api, ctl: SandboxControl) -> Any:
    """Directory service of ops@acme.com, an admin."""
    ctl.seed_user("ops@acme.com", admin=True, display_name="Ops Team")
    return admin_api("ops@acme.com")


def _seed_rooms(ctl: SandboxControl, count: int) -> None:
    for i in range(count):
        ctl.seed_room(f"room-{i}@resource.calendar.google.com", f"Room {i}", 4 + i, "HQ", "1")


def test_resources_list_returns_calendar_resources(directory: Any, ctl: SandboxControl) -> None:
    """Seeded rooms come back as CalendarResources of my_customer."""
    ctl.seed_room("room-a@resource.calendar.google.com", "Room A", 8, "HQ", "2", resource_id="ra")
    answer = directory.resources().calendars().list(customer="my_customer").execute()
    assert answer["kind"] == "admin#directory#resources#calendars#calendarResourcesList"
    (room,) = answer["items"]
    assert {k: v for k, v in room.items() if k != "etags"} == {
        "kind": "admin#directory#resources#calendars#CalendarResource",
        "resourceId": "ra",
        "resourceName": "Room A",
        "generatedResourceName": "HQ-2-Room A (8)",
        "resourceEmail": "room-a@resource.calendar.google.com",
        "resourceCategory": "CONFERENCE_ROOM",
        "capacity": 8,
        "buildingId": "HQ",
        "floorName": "2",
    }


def test_resources_list_pages_with_max_results(directory: Any, ctl: SandboxControl) -> None:
    """maxResults/pageToken page through every room once."""
    _seed_rooms(ctl, 5)
    seen: list[str] = []
    token = None
    while True:
        answer = (
            directory.resources()
            .calendars()
            .list(customer="my_customer", maxResults=2, pageToken=token)
            .execute()
        )
        seen += [r["resourceName"] for r in answer["items"]]
        token = answer.get("nextPageToken")
        if not token:
            break
    assert seen == [f"Room {i}" for i in range(5)]


def test_resources_list_query_and_order(directory: Any, ctl: SandboxControl) -> None:
    """query filters (capacity>=, AND) and orderBy sorts."""
    _seed_rooms(ctl, 4)
    answer = (
        directory.resources()
        .calendars()
        .list(
            customer="my_customer", query="buildingId=HQ AND capacity>=5", orderBy="capacity desc"
        )
        .execute()
    )
    assert [r["capacity"] for r in answer["items"]] == [7, 6, 5]


def test_resources_get_by_resource_id(directory: Any, ctl: SandboxControl) -> None:
    """get returns one room; an unknown id is 404."""
    ctl.seed_room("room-a@resource.calendar.google.com", "Room A", resource_id="ra")
    calendars = directory.resources().calendars()
    assert calendars.get(customer="my_customer", calendarResourceId="ra").execute()[
        "resourceEmail"
    ] == ("room-a@resource.calendar.google.com")
    with pytest.raises(HttpError) as caught:
        calendars.get(customer="my_customer", calendarResourceId="nope").execute()
    assert caught.value.status_code == 404


def test_rooms_of_other_customers_are_not_listed(directory: Any, ctl: SandboxControl) -> None:
    """Only the caller's customer's rooms are listed."""
    ctl.seed_domain("other.org")
    ctl.seed_room("room-x@resource.calendar.google.com", "Room X", domain="other.org")
    assert directory.resources().calendars().list(customer="my_customer").execute()["items"] == []


def test_non_admin_gets_403_for_resources(admin_api, ctl: SandboxControl) -> None:
    """A user without admin rights gets 403 'Not Authorized to access this resource/api'."""
    bob = admin_api("bob@acme.com")
    with pytest.raises(HttpError) as caught:
        bob.resources().calendars().list(customer="my_customer").execute()
    assert caught.value.status_code == 403
    assert caught.value.reason == "Not Authorized to access this resource/api"


def test_token_without_directory_scope_is_insufficient(admin_api, ctl: SandboxControl) -> None:
    """An admin token with only the Calendar scope -> 403 insufficientPermissions."""
    ctl.seed_user("ops@acme.com", admin=True)
    ops = admin_api("ops@acme.com", scopes=[CALENDAR_SCOPE])
    with pytest.raises(HttpError) as caught:
        ops.users().get(userKey="ops@acme.com").execute()
    assert error_reason(caught.value) == "insufficientPermissions"


def test_users_get_shows_suspension_and_id(directory: Any, ctl: SandboxControl) -> None:
    """users.get by email: id, primaryEmail, name, isAdmin, suspended, suspensionReason."""
    seeded = ctl.seed_user("carl@acme.com", display_name="Carl Jones", suspended=True)
    user = directory.users().get(userKey="carl@acme.com").execute()
    assert user["id"] == seeded["id"]
    assert user["primaryEmail"] == "carl@acme.com"
    assert user["name"] == {"givenName": "Carl", "familyName": "Jones", "fullName": "Carl Jones"}
    assert (user["isAdmin"], user["suspended"], user["suspensionReason"]) == (False, True, "ADMIN")


def test_users_get_by_id(directory: Any, ctl: SandboxControl) -> None:
    """userKey may be the user's id."""
    seeded = ctl.seed_user("carl@acme.com")
    assert directory.users().get(userKey=seeded["id"]).execute()["primaryEmail"] == "carl@acme.com"


def test_users_get_unknown_user_is_404(directory: Any) -> None:
    """An unknown userKey -> 404 notFound."""
    with pytest.raises(HttpError) as caught:
        directory.users().get(userKey="ghost@acme.com").execute()
    assert caught.value.status_code == 404


def test_users_list_suspended_query(directory: Any, ctl: SandboxControl) -> None:
    """query=isSuspended=true lists only suspended users; false the others."""
    ctl.seed_user("carl@acme.com", suspended=True)
    ctl.seed_user("dana@acme.com")
    users = directory.users()
    suspended = users.list(customer="my_customer", query="isSuspended=true").execute()
    active = users.list(customer="my_customer", query="isSuspended=false").execute()
    assert [u["primaryEmail"] for u in suspended["users"]] == ["carl@acme.com"]
    assert [u["primaryEmail"] for u in active["users"]] == ["dana@acme.com", "ops@acme.com"]


def test_users_list_combines_clauses(directory: Any, ctl: SandboxControl) -> None:
    """Space-separated clauses are ANDed (isSuspended and an email prefix)."""
    ctl.seed_user("carl@acme.com", suspended=True)
    ctl.seed_user("cora@acme.com", suspended=True)
    ctl.seed_user("dana@acme.com", suspended=True)
    answer = directory.users().list(domain="acme.com", query="isSuspended=true email:c*").execute()
    assert [u["primaryEmail"] for u in answer["users"]] == ["carl@acme.com", "cora@acme.com"]


def test_users_list_rejects_unknown_query_fields(directory: Any) -> None:
    """A clause the sandbox does not understand -> 400 invalid."""
    with pytest.raises(HttpError) as caught:
        directory.users().list(customer="my_customer", query="shoeSize=42").execute()
    assert caught.value.status_code == 400
    assert error_reason(caught.value) == "invalid"


def test_users_list_pages(directory: Any, ctl: SandboxControl) -> None:
    """maxResults/pageToken page through users; max 500 is enforced by discovery."""
    for i in range(4):
        ctl.seed_user(f"user{i}@acme.com")
    first = directory.users().list(customer="my_customer", maxResults=3).execute()
    second = (
        directory.users()
        .list(customer="my_customer", maxResults=3, pageToken=first["nextPageToken"])
        .execute()
    )
    assert len(first["users"]) + len(second["users"]) == 5
    assert "nextPageToken" not in second
    with pytest.raises(HttpError):
        directory.users().list(customer="my_customer", maxResults=501).execute()


def test_users_list_needs_customer_or_domain(directory: Any) -> None:
    """Neither customer nor domain -> 400."""
    with pytest.raises(HttpError) as caught:
        directory.users().list().execute()
    assert caught.value.status_code == 400


def test_users_list_of_another_domain_is_403(directory: Any, ctl: SandboxControl) -> None:
    """An admin of acme.com cannot list other.org."""
    ctl.seed_domain("other.org")
    with pytest.raises(HttpError) as caught:
        directory.users().list(domain="other.org").execute()
    assert caught.value.status_code == 403


def test_non_admin_gets_403_for_users(admin_api) -> None:
    """Non-admins get 403 for the admin view."""
    bob = admin_api("bob@acme.com")
    with pytest.raises(HttpError) as caught:
        bob.users().list(customer="my_customer", query="isSuspended=true").execute()
    assert caught.value.status_code == 403


def test_non_admin_may_read_the_domain_public_view(admin_api, ctl: SandboxControl) -> None:
    """viewType=domain_public works for any user and hides admin fields."""
    ctl.seed_user("carl@acme.com", suspended=True)
    bob = admin_api("bob@acme.com")
    user = bob.users().get(userKey="carl@acme.com", viewType="domain_public").execute()
    assert user["primaryEmail"] == "carl@acme.com"
    assert "suspended" not in user


def test_delegated_service_account_acting_as_admin(ctl: SandboxControl, base_url: str) -> None:
    """A DWD service account with subject = an admin reads users (calsync's setup)."""
    ctl.seed_user("ops@acme.com", admin=True)
    key = ctl.create_service_account(
        "dwd@proj.iam.gserviceaccount.com", domain_wide_delegation=True
    )
    creds = google.oauth2.service_account.Credentials.from_service_account_info(
        key, scopes=ADMIN_SCOPES, subject="ops@acme.com"
    )
    directory = build_admin(base_url, "directory_v1", creds)
    assert directory.users().get(userKey="ops@acme.com").execute()["isAdmin"] is True


def test_bare_service_account_gets_403(ctl: SandboxControl, base_url: str) -> None:
    """A service account acting as itself is not an admin."""
    key = ctl.create_service_account("robot@proj.iam.gserviceaccount.com")
    creds = google.oauth2.service_account.Credentials.from_service_account_info(
        key, scopes=ADMIN_SCOPES
    )
    directory = build_admin(base_url, "directory_v1", creds)
    with pytest.raises(HttpError) as caught:
        directory.users().list(customer="my_customer").execute()
    assert caught.value.status_code == 403


def test_directory_calls_are_counted(directory: Any, ctl: SandboxControl) -> None:
    """Each Directory call shows in the request log under its discovery method id."""
    directory.users().list(customer="my_customer", query="isSuspended=true").execute()
    directory.users().get(userKey="ops@acme.com").execute()
    counts = ctl.request_counts()["counts"]
    assert counts["directory.users.list"] == 1
    assert counts["directory.users.get"] == 1

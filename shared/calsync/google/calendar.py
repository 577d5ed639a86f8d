"""Google Calendar adapter: the few calls calsync makes, with retries and typed errors.

Built on google-api-python-client with its bundled (static) discovery document,
so building a client costs milliseconds and no network. The retries (transient failures
retried with backoff until the deadline, then ``TransientError``) and the typed errors
(``Duplicate``, ``PreconditionFailed``…) come from ``api_gateway.ApiGateway``, which every
Google gateway of calsync builds on.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from calsync.errors import Duplicate
from calsync.google.api_gateway import ApiGateway

if TYPE_CHECKING:
    from google.auth.credentials import Credentials

__all__ = ["CalendarGateway", "build_calendar_gateway", "quota_user_for"]

_HTTP_TIMEOUT_SECONDS = 30


class CalendarGateway(ApiGateway):
    """Calendar v3 calls for one identity (not thread-safe: one per thread)."""

    # -- events -----------------------------------------------------------
    def get_event(self, calendar_id: str, event_id: str) -> dict[str, Any] | None:
        """The event (cancelled tombstones included), or None when Google has none."""
        from calsync.errors import NotFound

        try:
            event: dict[str, Any] = self._call(
                "events.get",
                lambda: self._service.events().get(calendarId=calendar_id, eventId=event_id),
            )
        except NotFound:
            return None
        return event

    def insert_event(
        self, calendar_id: str, event_id: str, body: dict[str, Any], send_updates: str
    ) -> dict[str, Any]:
        """Create the event under ``event_id`` (409 ``Duplicate`` if the id is taken)."""
        event: dict[str, Any] = self._call(
            "events.insert",
            lambda: self._service.events().insert(
                calendarId=calendar_id,
                body={**body, "id": event_id},
                sendUpdates=send_updates,
                **_conference_version(body),
            ),
        )
        return event

    def patch_event(
        self, calendar_id: str, event_id: str, body: dict[str, Any], etag: str, send_updates: str
    ) -> dict[str, Any]:
        """Change the event if it still has ``etag`` (412 ``PreconditionFailed`` otherwise)."""
        event: dict[str, Any] = self._call(
            "events.patch",
            lambda: self._service.events().patch(
                calendarId=calendar_id,
                eventId=event_id,
                body=body,
                sendUpdates=send_updates,
                **_conference_version(body),
            ),
            etag=etag or None,
        )
        return event

    def delete_event(self, calendar_id: str, event_id: str, etag: str, send_updates: str) -> None:
        """Cancel the event (``Gone`` if it already was)."""
        self._call(
            "events.delete",
            lambda: self._service.events().delete(
                calendarId=calendar_id, eventId=event_id, sendUpdates=send_updates
            ),
            etag=etag or None,
        )

    # -- calendars --------------------------------------------------------
    def insert_calendar(self, summary: str, time_zone: str) -> str:
        """Create a secondary calendar owned by this identity; returns its id."""
        calendar: dict[str, Any] = self._call(
            "calendars.insert",
            lambda: self._service.calendars().insert(
                body={"summary": summary, "timeZone": time_zone}
            ),
        )
        return str(calendar["id"])

    def delete_calendar(self, calendar_id: str) -> None:
        """Delete a secondary calendar owned by this identity."""
        self._call(
            "calendars.delete", lambda: self._service.calendars().delete(calendarId=calendar_id)
        )

    def share_calendar(self, calendar_id: str, email: str, role: str) -> None:
        """Give ``email`` ``role`` (``writer``, ``owner``…) on a calendar this identity owns,
        without mail (``acl.insert``; a rule already there is rewritten)."""
        body = {"role": role, "scope": {"type": "user", "value": email}}
        try:
            self._call(
                "acl.insert",
                lambda: self._service.acl().insert(
                    calendarId=calendar_id, body=body, sendNotifications=False
                ),
            )
        except Duplicate:
            self._call(
                "acl.update",
                lambda: self._service.acl().update(
                    calendarId=calendar_id,
                    ruleId=f"user:{email}",
                    body=body,
                    sendNotifications=False,
                ),
            )

    def free_busy(self, time_min: str, time_max: str, calendar_ids: list[str]) -> dict[str, Any]:
        """Busy blocks per calendar (at most 50 calendars per call, Google's limit)."""
        body = {
            "timeMin": time_min,
            "timeMax": time_max,
            "items": [{"id": calendar_id} for calendar_id in calendar_ids],
        }
        answer: dict[str, Any] = self._call(
            "freebusy.query", lambda: self._service.freebusy().query(body=body)
        )
        calendars: dict[str, Any] = answer.get("calendars", {})
        return calendars

    def owned_calendars(self) -> list[tuple[str, bool]]:
        """``(calendar id, is primary)`` of the calendars in this identity's list that it owns
        (not the calendars it only subscribes to: others' shared ones, holidays, rooms)."""
        entries = self._pages("calendarList.list", self._service.calendarList().list, "items")
        return [
            (str(entry["id"]), bool(entry.get("primary")))
            for entry in entries
            if entry.get("accessRole") == "owner"
        ]

    def events(self, calendar_id: str) -> list[dict[str, Any]]:
        """Every event of ``calendar_id`` (cancelled ones left out)."""
        return list(
            self._pages("events.list", self._service.events().list, "items", calendarId=calendar_id)
        )

    # -- push channels and incremental sync (facts §8) -----------------------
    def watch_events(
        self, calendar_id: str, channel_id: str, address: str, token: str, ttl_seconds: int
    ) -> dict[str, Any]:
        """Open a push channel on the calendar's events (``params.ttl``, not ``expiration``:
        no dependence on this instance's clock); Google's ``api#channel`` answer."""
        body = {
            "id": channel_id,
            "type": "web_hook",
            "address": address,
            "token": token,
            "params": {"ttl": str(ttl_seconds)},
        }
        channel: dict[str, Any] = self._call(
            "events.watch",
            lambda: self._service.events().watch(calendarId=calendar_id, body=body),
        )
        return channel

    def stop_channel(self, channel_id: str, resource_id: str) -> None:
        """Stop a channel this identity opened (``NotFound`` if Google has no such live one)."""
        body = {"id": channel_id, "resourceId": resource_id}
        self._call("channels.stop", lambda: self._service.channels().stop(body=body))

    def changed_events(self, calendar_id: str, sync_token: str) -> tuple[list[dict[str, Any]], str]:
        """Events changed since ``sync_token`` (deletions included), every page, and the next
        token; with ``""`` the whole calendar (a full sync). No filter goes with a token
        (facts §8.4). ``showDeleted`` on both, as Google wants the parameters of a full sync
        and its incremental ones to match: a full list then also shows events deleted before
        it. ``Gone`` when the token is no longer valid: list in full again."""
        items: list[dict[str, Any]] = []
        page_token: str | None = None
        since = {"syncToken": sync_token} if sync_token else {}
        while True:
            page: dict[str, Any] = self._call(
                "events.list",
                partial(
                    self._service.events().list,
                    calendarId=calendar_id,
                    pageToken=page_token,
                    maxResults=2500,
                    showDeleted=True,
                    **since,
                ),
            )
            items.extend(page.get("items", []))
            page_token = page.get("nextPageToken")
            if not page_token:
                return items, str(page.get("nextSyncToken", ""))

    def calendar_exists(self, calendar_id: str) -> bool:
        """True when this identity can still see ``calendar_id``."""
        from calsync.errors import NotFound

        try:
            self._call(
                "calendars.get", lambda: self._service.calendars().get(calendarId=calendar_id)
            )
        except NotFound:
            return False
        return True


def _conference_version(body: dict[str, Any]) -> dict[str, int]:
    """``conferenceDataVersion=1`` whenever the body touches conferenceData (else it's ignored)."""
    return {"conferenceDataVersion": 1} if "conferenceData" in body else {}


def quota_user_for(credentials: Credentials, identity: str) -> str | None:
    """``identity`` when a service account acts as someone else (domain-wide delegation):
    Google charges a service account's requests to the service account unless ``quotaUser``
    is set (Calendar quota guide), so every delegated user would share one quota."""
    from google.oauth2 import service_account

    acting_as_other = isinstance(credentials, service_account.Credentials) and (
        identity.lower() != str(credentials.service_account_email).lower()
    )
    return identity if acting_as_other else None


def build_calendar_gateway(
    credentials: Credentials, identity: str, endpoint: str, retry_deadline: float
) -> CalendarGateway:
    """A gateway using the bundled discovery document and ``endpoint`` as the base URL; a
    service account acting as ``identity`` sends ``quotaUser`` (``quota_user_for``). The client
    is built on the gateway's first call: a reconcile with nothing to change in Google never
    imports google-api-python-client (nor httplib2)."""

    def service() -> Any:
        import google_auth_httplib2
        import httplib2
        from googleapiclient.discovery import build

        http = google_auth_httplib2.AuthorizedHttp(
            credentials, http=httplib2.Http(timeout=_HTTP_TIMEOUT_SECONDS)
        )
        return build(
            "calendar",
            "v3",
            http=http,
            client_options={"api_endpoint": endpoint},
            static_discovery=True,
            cache_discovery=False,
        )

    return CalendarGateway(service, identity, retry_deadline, quota_user_for(credentials, identity))

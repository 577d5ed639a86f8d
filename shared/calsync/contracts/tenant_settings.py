"""A tenant's calsync settings, as ``settings.updated`` carries them."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, model_validator

from calsync.contracts.fields import Domain, Email, WireModel, in_domains, unique

__all__ = ["AttendeeNotifications", "DriftPolicy", "TenantSettings"]

AttendeeNotifications = Literal["none", "external_only", "all"]
DriftPolicy = Literal["repair", "report"]


class TenantSettings(WireModel):
    """A tenant's calsync settings."""

    sync_enabled: bool = True
    use_organizer_accounts: bool = False
    domains: Annotated[list[Domain], Field(max_length=50), AfterValidator(unique)] = Field(
        default_factory=list
    )
    guests_can_see_other_guests: bool = False
    fallback_organizer_email: Email | None = None
    admin_email: Email | None = None
    attendee_notifications: AttendeeNotifications = "none"
    """Who Google e-mails when only the attendee list of an event changes (enrollments,
    waitlist promotions, unenrollments): ``none`` (nobody; internal people see the entry
    appear on their calendar), ``external_only`` (guests outside the tenant's Workspace,
    all of them on each such write) or ``all`` (every guest on each such write). Google's
    ``sendUpdates`` applies to a whole request, not to the guests it adds; see
    docs/decisions.md, "Notifications for attendee-only changes"."""
    attendee_domains: Annotated[list[Domain], Field(max_length=50)] | None = None
    """None: anyone may be invited. A list: only addresses in these domains are (calsync
    does not relay invitations to arbitrary addresses); others are left out of the events."""
    two_way_sync: bool = False
    """Watch the calendars calsync writes to (Calendar push channels) and read their changes
    back (issue 15). Off by default while two-way sync lands in slices; turning it off, or
    sync off, stops the tenant's channels."""
    drift_policy: DriftPolicy = "repair"
    """What two-way sync does when someone changes calsync's event in Google Calendar:
    ``repair`` (put it back with one write: attendees are told when time or place is put back,
    cosmetic repairs are silent; a deleted event is created again under a new id; guests added
    by hand are removed) or ``report`` (leave it). Both publish a ``drifted`` result."""

    @model_validator(mode="after")
    def _people_inside_domains(self) -> Self:
        """calsync acts as these people through delegation: only inside the tenant's domains."""
        for name in ("admin_email", "fallback_organizer_email"):
            email = getattr(self, name)
            if email is not None and not in_domains(email, self.domains):
                raise ValueError(f"{name} {email!r} is outside the tenant's domains")
        return self

"""Who and what the demo's story involves: two tenants' domains, their people and a room.

``acme`` runs in platform-account mode (``PEOPLE``, plus the ``LEARNERS`` who
enroll in a burst); ``globex`` runs in organizer mode (``GLOBEX_PEOPLE``) and
books the room ``THAMES``. ``seed_people(control)`` creates both Workspaces in
the Google sandbox before the story starts::

    seed_people(control)
    control.seed_room(THAMES, "Thames", 12, "London", "1", domain=GLOBEX_DOMAIN)
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "DOMAIN",
    "GLOBEX_DOMAIN",
    "GLOBEX_PEOPLE",
    "LEARNERS",
    "PEOPLE",
    "THAMES",
    "seed_people",
]

DOMAIN = "acme.com"
PEOPLE = {
    "alice@acme.com": "Alice Organizer",
    "bob@acme.com": "Bob Host",
    "dan@acme.com": "Dan Host",
    "carol@acme.com": "Carol Learner",
    "erin@acme.com": "Erin Learner",
    "frank@acme.com": "Frank Security",
    "grace@acme.com": "Grace Host",
}
GLOBEX_DOMAIN = "globex.com"
GLOBEX_PEOPLE = {
    "olivia@globex.com": "Olivia Organizer",
    "paul@globex.com": "Paul Host",
    "quinn@globex.com": "Quinn Organizer",
    "gadmin@globex.com": "Globex Workspace admin",
}
"""Tenant globex runs in organizer mode: events live in the organizers' own calendars."""
LEARNERS = {f"learner{n:02d}@acme.com": f"Learner {n:02d}" for n in range(1, 11)}
"""Colleagues who enroll in a burst (shown as one summary line in the report)."""

THAMES = "lon-1-thames@resource.calendar.google.com"
"""A London meeting room of globex."""


def seed_people(control: Any) -> None:
    """The tenants' Workspaces: their domains and people."""
    control.seed_domain(DOMAIN)
    control.seed_domain(GLOBEX_DOMAIN)
    for email, name in {**PEOPLE, **LEARNERS, **GLOBEX_PEOPLE}.items():
        control.seed_user(email, display_name=name, admin=email.startswith("gadmin@"))

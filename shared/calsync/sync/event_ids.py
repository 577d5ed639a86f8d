"""Deterministic Google Calendar event ids.

Google accepts client-chosen ids made of base32hex characters (``a``–``v`` and
``0``–``9``), 5 to 1024 long, unique per calendar, and answers a reused id with
409 ``duplicate`` even after a delete. Deriving the id from tenant, item, part
and a generation number makes a retried insert collide instead of creating a
second event; bumping the generation gives a part a fresh id when the old one
cannot be reused.
"""

from __future__ import annotations

import base64
import hashlib
import re

__all__ = ["event_id", "is_valid_event_id"]

_VALID = re.compile(r"^[a-v0-9]{5,1024}$")


def event_id(tenant_id: str, item_key: str, part_key: str, generation: int = 0) -> str:
    """The Google event id of one part of an item (32 base32hex characters)."""
    material = "\x1f".join(("calsync/v1", tenant_id, item_key, part_key, str(generation)))
    digest = hashlib.sha256(material.encode()).digest()[:20]
    return base64.b32hexencode(digest).decode().lower()


def is_valid_event_id(value: str) -> bool:
    """True when Google would accept ``value`` as a client-supplied event id."""
    return bool(_VALID.match(value))

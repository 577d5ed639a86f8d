"""The sandbox's strict readings of Google that the local stack relaxes, in one place.

The Google sandbox holds calsync to Google's strictest plausible behaviour by default (issue 13,
``docs/sandbox.md``, "Strictness switches"). Until calsync's own fixes for some of them land, the
local stack (tests, demo, benches) turns exactly those lenient after every sandbox reset::

    relax_until_calsync_ready(control)      # after control.reset() / Sandbox.reset()

Remove an entry when calsync is correct under the strict reading; the sandbox's defaults stay
strict. One leniency is permanent (``LOCAL_STACK_LENIENCY``): Google posts push notifications
only to https addresses with a valid certificate, and the local stack's functions serve plain
http on 127.0.0.1, so the sandbox must accept http watch addresses there. Deployed, the
address is the function's https URL (``CALSYNC_WATCH_URL``, terraform).
"""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["LENIENT_UNTIL_CALSYNC_READY", "LOCAL_STACK_LENIENCY", "relax_until_calsync_ready"]

LOCAL_STACK_LENIENCY: dict[str, Any] = {"push_requires_https": False}
"""Permanent: the local stack is http (functions-framework on 127.0.0.1, no certificate), and
Google, like the strict sandbox, only delivers push notifications to https (facts §8.1)."""

LENIENT_UNTIL_CALSYNC_READY: dict[str, Any] = {}
"""Empty: calsync is correct under every strict default (issue 13). Add an entry, with why,
only for a new strict reading whose calsync fix has not landed yet."""


class _Strictness(Protocol):
    def strictness(self, **switches: Any) -> dict[str, Any]: ...


def relax_until_calsync_ready(control: _Strictness) -> dict[str, Any]:
    """Set the lenient switches above (both lists) on the sandbox behind ``control``; returns
    every switch."""
    return control.strictness(**LOCAL_STACK_LENIENCY, **LENIENT_UNTIL_CALSYNC_READY)

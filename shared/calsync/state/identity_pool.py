"""Which platform identity holds each tenant's calendar, and each identity's calendar budget.

A tenant's calendar is created by one identity of the pool and stays with it
(``tenants/{t}.platform_identity``; empty: the primary). New tenants go to the identity with
the fewest tenants among those that may still create a calendar today: Google makes an account
read-only for hours after more than 60 calendars in a short period (facts §6.4), so each
identity keeps the times of its recent creations (``platform_identities/{sha256(email)}``) and
creates at most ``per_day`` in any 24 hours::

    booked = store.book_platform_calendar("acme", pool, 50, time.time(), worker=token)
    # booked.identity creates the calendar now (Paced: all are full; TransientError: another
    # worker is creating it); booked.existing: it was created meanwhile

A replacement calendar (the first was deleted in Google) stays with the tenant's identity and
counts against its budget too. ``move_platform_identity`` records a tenant's move to another
identity (``sync.identity_moves`` shares the calendar first).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from calsync.errors import Paced, TransientError
from calsync.records import now as timestamp
from calsync.state.firestore_base import FirestoreState, contended

if TYPE_CHECKING:
    from google.cloud import firestore

__all__ = ["CREATION_SECONDS", "DAY_SECONDS", "CalendarBooking", "IdentityPoolState"]

DAY_SECONDS = 86400.0
CREATION_SECONDS = 120.0
"""How long a booked calendar creation keeps other workers waiting, at most."""


@dataclass(frozen=True)
class CalendarBooking:
    """Who creates the tenant's calendar now, or the calendar another worker created."""

    identity: str
    existing: str | None


class IdentityPoolState(FirestoreState):
    """Tenants' platform identities and the identities' calendar budgets."""

    def _identity(self, email: str) -> firestore.DocumentReference:
        key = hashlib.sha256((email.lower() or "primary").encode()).hexdigest()
        return self._db.collection("platform_identities").document(key)

    def _creation(self, tenant_id: str) -> firestore.DocumentReference:
        return self._db.collection("calendar_creations").document(tenant_id)

    def book_platform_calendar(
        self,
        tenant_id: str,
        pool: Sequence[str],
        per_day: int,
        now: float,
        *,
        worker: str,
        replacing: str | None = None,
    ) -> CalendarBooking:
        """Book the creation of the tenant's (first or replacement) calendar for ``worker``:
        the identity that creates it, its creation counted against that identity's budget.

        One worker at a time: the booking creates ``calendar_creations/{tenant}`` (a create
        fails if it exists, so no transaction is contended however many workers arrive at
        once); another worker meanwhile gets a ``TransientError`` and comes back, and one that
        comes after the creation gets the calendar (``existing``). So a burst of first
        reconciles creates one calendar, not one each. The worker ends its claim with
        ``end_calendar_creation``; a claim left by a crash lapses after ``CREATION_SECONDS``.
        ``Paced`` when no identity that may hold the calendar has budget left today."""
        from google.api_core.exceptions import AlreadyExists, FailedPrecondition, NotFound

        tenant = self._tenant(tenant_id).get().to_dict() or {}
        existing = tenant.get("platform_calendar_id")
        if existing and existing != replacing:
            identity = str(tenant.get("platform_identity") or pool[0]).lower()
            return CalendarBooking(identity, str(existing))
        claim = self._creation(tenant_id)
        try:
            claim.create({"by": worker, "until": now + CREATION_SECONDS})
        except AlreadyExists:
            held = claim.get()
            if float((held.to_dict() or {}).get("until", 0)) > now:
                raise TransientError(
                    f"tenant {tenant_id}'s calendar is being created by another worker"
                ) from None
            # a crashed worker's claim: lift it (unless someone else just did)
            with contextlib.suppress(FailedPrecondition, NotFound):
                claim.delete(option=self._db.write_option(last_update_time=held.update_time))
            raise TransientError(
                f"tenant {tenant_id}'s earlier calendar creation lapsed; try again"
            ) from None
        try:
            return self._book_budget(tenant_id, pool, per_day, now, replacing)
        except BaseException:
            claim.delete()
            raise

    def _book_budget(
        self,
        tenant_id: str,
        pool: Sequence[str],
        per_day: int,
        now: float,
        replacing: str | None,
    ) -> CalendarBooking:
        from google.cloud import firestore

        tenant_ref = self._tenant(tenant_id)

        @firestore.transactional
        def book(transaction: firestore.Transaction) -> CalendarBooking:
            tenant = tenant_ref.get(transaction=transaction).to_dict() or {}
            current = tenant.get("platform_identity")
            existing = tenant.get("platform_calendar_id")
            if existing and existing != replacing:  # made before this worker's claim
                return CalendarBooking(str(current or pool[0]).lower(), str(existing))
            candidates = [str(current).lower()] if current is not None else list(pool)
            docs = {c: self._identity(c).get(transaction=transaction) for c in candidates}
            state = {c: _budget(d.to_dict() or {}, now) for c, d in docs.items()}
            open_ = [c for c in candidates if len(state[c]["created"]) < per_day]
            if not open_:
                wait = min(min(s["created"]) + DAY_SECONDS - now for s in state.values())
                raise Paced(
                    f"every platform identity that may hold tenant {tenant_id}'s calendar "
                    f"created {per_day} calendars in the last 24 hours",
                    retry_after=max(wait, 1.0),
                )
            chosen = min(open_, key=lambda c: (state[c]["tenants"], candidates.index(c)))
            record = state[chosen]
            transaction.set(
                self._identity(chosen),
                {
                    "email": chosen,
                    "created": [*record["created"], now],
                    "tenants": record["tenants"] + (0 if current is not None else 1),
                    "updated_at": timestamp(),
                },
            )
            if current is None:
                transaction.set(tenant_ref, {"platform_identity": chosen}, merge=True)
            return CalendarBooking(chosen, None)

        try:
            return cast(CalendarBooking, book(self._db.transaction()))
        except ValueError as exc:
            if contended(exc):
                raise TransientError(f"tenant {tenant_id}'s calendar booking is contended") from exc
            raise

    def end_calendar_creation(self, tenant_id: str, worker: str) -> None:
        """``worker`` is done creating the tenant's calendar (or gave up): others may go on."""
        claim = self._creation(tenant_id)
        held = claim.get()
        if held.exists and (held.to_dict() or {}).get("by") == worker:
            claim.delete(option=self._db.write_option(last_update_time=held.update_time))

    def move_platform_identity(self, tenant_id: str, holder: str, to: str) -> None:
        """Record that the tenant's calendar, held by ``holder`` until now, is written as
        ``to`` from now on (``sync.identity_moves`` shared the calendar with ``to`` first)."""
        from google.cloud import firestore

        tenant_ref = self._tenant(tenant_id)
        holder, to = holder.lower(), to.lower()
        if holder == to:
            return

        @firestore.transactional
        def move(transaction: firestore.Transaction) -> None:
            counts = {
                who: int(
                    (self._identity(who).get(transaction=transaction).to_dict() or {}).get(
                        "tenants", 0
                    )
                )
                for who in (holder, to)
            }
            transaction.set(
                self._identity(holder), {"tenants": max(counts[holder] - 1, 0)}, merge=True
            )
            transaction.set(
                self._identity(to), {"email": to, "tenants": counts[to] + 1}, merge=True
            )
            transaction.set(tenant_ref, {"platform_identity": to}, merge=True)

        move(self._db.transaction())

    def set_platform_writers(self, tenant_id: str, writers: Sequence[str]) -> None:
        """Record the pool identities the tenant's calendar is shared with as writers."""
        self._tenant(tenant_id).set(
            {"platform_writers": sorted({w.lower() for w in writers})}, merge=True
        )

    def identity_tenants(self, pool: Sequence[str]) -> dict[str, int]:
        """How many tenants each identity of the pool holds (for operators and tests)."""
        return {
            email: int((self._identity(email).get().to_dict() or {}).get("tenants", 0))
            for email in pool
        }


def _budget(raw: dict[str, Any], now: float) -> dict[str, Any]:
    created = [float(t) for t in raw.get("created") or [] if float(t) > now - DAY_SECONDS]
    return {"created": created, "tenants": int(raw.get("tenants", 0))}

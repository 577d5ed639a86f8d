"""The contracts' JSON Schemas, written to ``docs/schemas/`` by ``calsync schemas`` (a test
keeps the files current)."""

from __future__ import annotations

from typing import Any

from calsync.contracts.enrollments import EnrollmentMessage
from calsync.contracts.platform_events import PlatformEventMessage
from calsync.contracts.results import Result

__all__ = ["json_schemas"]


def json_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schema of every contract, keyed by file name (written to docs/schemas/)."""
    return {
        "platform-event.schema.json": PlatformEventMessage.json_schema(),
        "enrollment-changed.schema.json": EnrollmentMessage.json_schema(),
        "result.schema.json": Result.model_json_schema(),
    }

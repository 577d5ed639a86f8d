"""The contracts' JSON Schemas, written to ``docs/schemas/`` by ``calsync schemas`` (a test
keeps the files current).

Each file names its dialect (``$schema``: draft 2020-12, the one pydantic generates: ``$defs``,
not draft-07's ``definitions``) and its identity (``$id``: ``SCHEMA_BASE`` + the file name), so
a consumer can cache, compare or reference them (``docs/asyncapi.yaml`` does) without guessing.
The ``$id`` is a name, never fetched; the ``v1`` in it is the contracts' version (DESIGN §3): a
change a v1 reader could not parse would get new files under ``v2``.
"""

from __future__ import annotations

from typing import Any

from calsync.contracts.enrollments import EnrollmentMessage
from calsync.contracts.platform_events import PlatformEventMessage
from calsync.contracts.results import Result

__all__ = ["JSON_SCHEMA_DIALECT", "SCHEMA_BASE", "json_schemas"]

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
"""What pydantic emits (``GenerateJsonSchema.schema_dialect``)."""
SCHEMA_BASE = "https://calsync.dev/schemas/v1/"
"""Every published schema's ``$id`` is this followed by its file name."""


def json_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schema of every contract, keyed by file name (written to docs/schemas/)."""
    generated = {
        "platform-event.schema.json": PlatformEventMessage.json_schema(),
        "enrollment-changed.schema.json": EnrollmentMessage.json_schema(),
        "result.schema.json": Result.model_json_schema(),
    }
    return {
        name: {"$schema": JSON_SCHEMA_DIALECT, "$id": SCHEMA_BASE + name, **schema}
        for name, schema in generated.items()
    }

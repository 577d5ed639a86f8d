"""The published JSON Schemas in docs/schemas/ match the code."""

from __future__ import annotations

import json

from calsync.contracts import json_schemas
from calsync_dev.stack import repo_root


def test_published_schemas_are_current() -> None:
    """Regenerate with `./run calsync schemas` when this fails."""
    directory = repo_root() / "docs" / "schemas"
    for name, schema in json_schemas().items():
        published = json.loads((directory / name).read_text())
        assert published == json.loads(json.dumps(schema)), f"{name} is stale"


def test_every_schema_names_its_dialect_and_a_stable_id() -> None:
    """``$schema`` is the draft pydantic writes (2020-12: ``$defs``), ``$id`` the file's name
    under the contracts' version, so references to the files (docs/asyncapi.yaml) stay valid."""
    for name, schema in json_schemas().items():
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["$id"] == f"https://calsync.dev/schemas/v1/{name}"
        assert "definitions" not in schema

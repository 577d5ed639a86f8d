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

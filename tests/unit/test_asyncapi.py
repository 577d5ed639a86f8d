"""docs/asyncapi.yaml stays in step with what it describes: the contracts (message types,
result statuses, the JSON Schemas it references), the topics Terraform creates and the
attributes calsync.google.results_topic publishes. No AsyncAPI 3 validator on PyPI is kept up
well enough to depend on (docs/decisions.md), so the structure AsyncAPI 3.0 asks for is checked
here too."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any, get_args

import pytest
import yaml

from calsync.contracts import (
    EnrollmentChanged,
    EnrollmentMessage,
    PlatformEvent,
    PlatformEventMessage,
    Result,
    ResultStatus,
    json_schemas,
)
from calsync.contracts.schemas import JSON_SCHEMA_DIALECT
from calsync.google.results_topic import PubSubResults
from calsync_dev.stack import repo_root
from tests.terraform.deploycheck import TERRAFORM_DIR, load_config

DOCS = repo_root() / "docs"
SCHEMA_FORMAT = "application/schema+json;version=draft-2020-12"
"""The AsyncAPI schemaFormat of the dialect in the files' ``$schema``."""


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded = yaml.safe_load((DOCS / "asyncapi.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def pointer(root: Any, fragment: str) -> Any:
    """The value at JSON Pointer ``fragment`` (``/a/b``) in ``root``; KeyError if none."""
    value = root
    for token in fragment.lstrip("/").split("/") if fragment.strip("/") else []:
        token = token.replace("~1", "/").replace("~0", "~")
        value = value[int(token)] if isinstance(value, list) else value[token]
    return value


def refs(node: Any) -> list[str]:
    """Every ``$ref`` anywhere inside ``node``."""
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for value in node.values() for r in refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in refs(value)]
    return []


def resolve(document: dict[str, Any], ref: str) -> Any:
    """An internal (``#/...``) or file (``./schemas/x.json#/...``) reference's target."""
    path, _, fragment = ref.partition("#")
    root = json.loads((DOCS / path).read_text()) if path else document
    return pointer(root, fragment)


def messages_of(document: dict[str, Any], channel: str) -> dict[str, dict[str, Any]]:
    """A channel's messages by their ``name`` (the contract's type), references followed."""
    declared = document["channels"][channel]["messages"].values()
    found = [resolve(document, m["$ref"]) for m in declared]
    return {m["name"]: m for m in found}


def payload_ref(message: dict[str, Any]) -> str:
    ref: str = message["payload"]["schema"]["$ref"]
    return ref


def test_it_is_an_asyncapi_3_document_whose_operations_use_their_channels_messages(
    document: dict[str, Any],
) -> None:
    """The fields AsyncAPI 3.0 requires, and each operation's messages on its own channel."""
    assert document["asyncapi"] == "3.0.0"
    assert document["info"]["title"]
    assert document["info"]["version"]
    assert all(s["protocol"] == "googlepubsub" and s["host"] for s in document["servers"].values())
    for name, channel in document["channels"].items():
        assert channel["address"], name
        assert channel["messages"], name
    for name, operation in document["operations"].items():
        assert operation["action"] in ("send", "receive"), name
        channel_ref = operation["channel"]["$ref"]
        assert channel_ref.startswith("#/channels/"), name
        for message in operation["messages"]:
            assert message["$ref"].startswith(channel_ref + "/messages/"), name
    used = {op["channel"]["$ref"] for op in document["operations"].values()}
    assert used == {f"#/channels/{name}" for name in document["channels"]}


def test_every_reference_resolves_and_every_published_schema_is_used(
    document: dict[str, Any],
) -> None:
    """Internal references land in the document, file references in docs/schemas/ (file and
    fragment), and each of the contracts' schema files is referenced."""
    files = set()
    for ref in refs(document):
        assert resolve(document, ref) is not None, ref
        path = ref.partition("#")[0]
        if path:
            assert Path(path).parent == Path("schemas"), ref
            files.add(Path(path).name)
    assert files == set(json_schemas())


def test_payloads_are_the_contracts_json_schemas_in_their_dialect(
    document: dict[str, Any],
) -> None:
    """Every message's payload is a file reference with the schemaFormat of its ``$schema``."""
    assert {s["$schema"] for s in json_schemas().values()} == {JSON_SCHEMA_DIALECT}
    for message in document["components"]["messages"].values():
        assert message["payload"]["schemaFormat"] == SCHEMA_FORMAT, message["name"]
        assert payload_ref(message).startswith("./schemas/"), message["name"]


def test_platform_events_are_every_type_of_the_contract(document: dict[str, Any]) -> None:
    """One message per discriminator value, each pointing at its own definition."""
    mapping = PlatformEventMessage.json_schema()["discriminator"]["mapping"]
    union = get_args(get_args(PlatformEvent)[0])
    assert set(mapping) == {get_args(m.model_fields["type"].annotation)[0] for m in union}
    messages = messages_of(document, "platformEvents")
    assert set(messages) == set(mapping)
    for name, message in messages.items():
        assert payload_ref(message) == "./schemas/platform-event.schema.json" + mapping[name]
    attributes = document["components"]["schemas"]["platformEventAttributes"]
    assert set(attributes["properties"]["type"]["enum"]) == set(mapping)


def test_enrollments_are_the_enrollment_contract(document: dict[str, Any]) -> None:
    (kind,) = get_args(EnrollmentChanged.model_fields["type"].annotation)
    messages = messages_of(document, "platformEnrollments")
    assert set(messages) == {kind}
    assert payload_ref(messages[kind]) == "./schemas/enrollment-changed.schema.json"
    attributes = document["components"]["schemas"]["enrollmentAttributes"]
    assert attributes["properties"]["type"]["enum"] == [kind]


def test_every_result_status_is_an_attribute_value_and_explained(
    document: dict[str, Any],
) -> None:
    """The ``status`` attribute's values are ResultStatus's, and each has its line."""
    (result,) = messages_of(document, "calsyncResults").values()
    assert payload_ref(result) == "./schemas/result.schema.json"
    status = document["components"]["schemas"]["resultAttributes"]["properties"]["status"]
    assert status["enum"] == [s.value for s in ResultStatus]
    for value in ResultStatus:
        assert f"- `{value.value}`:" in result["description"], value


def test_channels_are_the_topics_terraform_creates(document: dict[str, Any]) -> None:
    tf = load_config(TERRAFORM_DIR)
    results_default = tf.variables["results_topic"]["default"]
    topics = {
        results_default if name == "${var.results_topic}" else name
        for name in tf.locals["source_topics"].values()
    }
    assert {c["address"] for c in document["channels"].values()} == topics


def test_result_attributes_are_what_calsync_publishes(document: dict[str, Any]) -> None:
    """Each result example, published through calsync.google.results_topic, carries exactly
    the attributes the document declares, with the example's values."""
    published: list[dict[str, str]] = []

    class RecordingSession:
        """Stands in for the authorized ``requests`` session: records each publish body."""

        def post(self, url: str, json: dict[str, Any], timeout: float) -> Any:
            assert url.endswith("/v1/projects/p/topics/calsync-results:publish"), url
            published.extend(message["attributes"] for message in json["messages"])
            ids = {"messageIds": [str(n) for n in range(len(json["messages"]))]}
            return SimpleNamespace(status_code=200, json=lambda: ids)

    (result,) = messages_of(document, "calsyncResults").values()
    declared = document["components"]["schemas"]["resultAttributes"]
    assert set(declared["required"]) == set(declared["properties"])
    assert declared["additionalProperties"] is False
    examples = result["examples"]
    PubSubResults("p", "calsync-results", session=RecordingSession()).publish(
        [Result.model_validate(e["payload"]) for e in examples]
    )
    assert len(published) == len(examples)
    for example, attributes in zip(examples, published, strict=True):
        assert set(attributes) == set(declared["properties"]), example["name"]
        assert attributes == example["headers"], example["name"]


@pytest.mark.parametrize(
    ("channel", "parse"),
    [
        ("platformEvents", PlatformEventMessage.validate_python),
        ("platformEnrollments", EnrollmentMessage.validate_python),
    ],
)
def test_inbound_examples_are_valid_messages_of_their_type(
    document: dict[str, Any], channel: str, parse: Any
) -> None:
    """Every example parses with the contract, and its type is its message's and attribute's."""
    for name, message in messages_of(document, channel).items():
        assert message["examples"], name
        for example in message["examples"]:
            assert parse(example["payload"]).type == name
            assert example["headers"] == {"type": name}

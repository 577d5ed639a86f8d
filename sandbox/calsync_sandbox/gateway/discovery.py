"""Route table built from the discovery documents bundled with google-api-python-client.

Every method of the sandboxed APIs is known by its discovery id, so handlers are registered by id
and an unknown path is answered like Google answers one::

    table = route_table()
    found = table.match("POST", "/calendar/v3/calendars/primary/events")
    found.method.id            # "calendar.events.insert"
    found.path_params          # {"calendarId": "primary"}

Paths come from each method's ``path`` under the document's ``servicePath``. A reserved expansion
(``{+name}``) is matched with the parameter's own ``pattern`` so Cloud Tasks' ``v2/{+name}``
resolves
to the right method (queue vs task vs location).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import googleapiclient

__all__ = ["API_DOCUMENTS", "ApiMethod", "Document", "RouteMatch", "RouteTable", "route_table"]

# API short name -> bundled discovery document file name.
API_DOCUMENTS: dict[str, str] = {
    "calendar": "calendar.v3.json",
    "directory": "admin.directory_v1.json",
    "datatransfer": "admin.datatransfer_v1.json",
    "cloudtasks": "cloudtasks.v2.json",
}

_DOCUMENTS_DIR = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"
_VARIABLE = re.compile(r"\{(\+?)([^}]+)\}")


@dataclass(frozen=True)
class Document:
    """One loaded discovery document."""

    api: str
    name: str
    parameters: dict[str, Any]
    schemas: dict[str, Any]
    proto_json: bool
    """One Platform APIs (Cloud Tasks) accept proto-JSON names and integer enums."""


@dataclass(frozen=True)
class ApiMethod:
    """One discovery method: its id, HTTP verb and parameter/request/response specs."""

    id: str
    http_method: str
    path: str
    parameters: dict[str, Any]
    request_ref: str | None
    response_ref: str | None
    scopes: tuple[str, ...]
    document: Document = field(repr=False)

    @property
    def api(self) -> str:
        """Short API name: calendar, directory, datatransfer or cloudtasks."""
        return self.document.api


@dataclass(frozen=True)
class RouteMatch:
    """A request path resolved to a method and its decoded path parameters."""

    method: ApiMethod
    path_params: dict[str, str]


@dataclass(frozen=True)
class _Route:
    method: ApiMethod
    pattern: re.Pattern[str]
    names: tuple[str, ...]
    literal_chars: int


class RouteTable:
    """All methods of the sandboxed APIs, matchable by HTTP verb and path."""

    def __init__(self, documents: list[dict[str, Any]], apis: list[str]) -> None:
        self.methods: dict[str, ApiMethod] = {}
        routes: list[_Route] = []
        for api, raw in zip(apis, documents, strict=True):
            doc = Document(
                api=api,
                name=raw["name"],
                parameters=raw.get("parameters", {}),
                schemas=raw.get("schemas", {}),
                proto_json=api == "cloudtasks",
            )
            for spec in _walk_methods(raw):
                method = ApiMethod(
                    id=spec["id"],
                    http_method=spec["httpMethod"],
                    path="/" + raw.get("servicePath", "") + spec["path"],
                    parameters=spec.get("parameters", {}),
                    request_ref=spec.get("request", {}).get("$ref"),
                    response_ref=spec.get("response", {}).get("$ref"),
                    scopes=tuple(spec.get("scopes", ())),
                    document=doc,
                )
                self.methods[method.id] = method
                routes.append(_compile(method))
        # The most literal template wins (".../events/import" before ".../events/{eventId}").
        self._routes = sorted(routes, key=lambda r: -r.literal_chars)

    def match(self, http_method: str, path: str) -> RouteMatch | None:
        """The method serving ``http_method path``, or None when Google would answer 404."""
        for route in self._routes:
            if route.method.http_method != http_method:
                continue
            found = route.pattern.fullmatch(path)
            if found:
                return RouteMatch(route.method, dict(zip(route.names, found.groups(), strict=True)))
        return None


def _walk_methods(resource: dict[str, Any]) -> list[dict[str, Any]]:
    out = list(resource.get("methods", {}).values())
    for child in resource.get("resources", {}).values():
        out.extend(_walk_methods(child))
    return out


def _compile(method: ApiMethod) -> _Route:
    parts: list[str] = []
    names: list[str] = []
    literal = 0
    position = 0
    for var in _VARIABLE.finditer(method.path):
        text = method.path[position : var.start()]
        parts.append(re.escape(text))
        literal += len(text)
        reserved, name = var.group(1), var.group(2)
        names.append(name)
        pattern = method.parameters.get(name, {}).get("pattern")
        if reserved and pattern:
            parts.append("(" + pattern.removeprefix("^").removesuffix("$") + ")")
        elif reserved:
            parts.append("(.+)")
        else:
            parts.append("([^/]+)")
        position = var.end()
    parts.append(re.escape(method.path[position:]))
    literal += len(method.path) - position
    return _Route(method, re.compile("".join(parts)), tuple(names), literal)


@functools.cache
def route_table() -> RouteTable:
    """The route table of all four bundled documents (loaded once per process)."""
    apis = list(API_DOCUMENTS)
    docs = [json.loads((_DOCUMENTS_DIR / API_DOCUMENTS[a]).read_text("utf-8")) for a in apis]
    return RouteTable(docs, apis)

"""Request validation against the discovery documents: query/path parameters and JSON bodies.

    params = validate_params(method, path_params, request.args)
    params.integer("maxResults", 250)
    body = validate_body(method, json_body)     # normalised copy, or ApiError 400

Parameters are checked for being known, type, enum, minimum/maximum, repetition and presence.
Bodies are checked recursively against the request schema: unknown fields, wrong JSON types, enum
values, date/date-time formats and fields the document marks as required for this method. JSON
``null`` is always accepted (it clears a field in a patch).

One Platform APIs (Cloud Tasks) also accept proto field names (``http_method``) and integer enums
(the GAPIC REST transport sends ``$alt=json;enum-encoding=int``); both are normalised to the
discovery form, so handlers only see camelCase names and enum strings.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from ..clock import parse_date, parse_rfc3339
from ..errors import ApiError
from .discovery import ApiMethod, Document

__all__ = ["Params", "validate_body", "validate_params"]

_REQUIRED_MESSAGES = {
    "start": "Missing start time.",
    "end": "Missing end time.",
    "summary": "Missing title.",
}


class _MultiDict(Protocol):
    def keys(self) -> Iterable[str]: ...
    def getlist(self, key: str) -> list[str]: ...


class Params:
    """Validated, typed parameters of one request."""

    def __init__(self, values: dict[str, object]) -> None:
        self._values = values

    def __contains__(self, name: str) -> bool:
        return name in self._values

    def string(self, name: str, default: str | None = None) -> str | None:
        """A string parameter (path or query)."""
        value = self._values.get(name, default)
        return value if isinstance(value, str) else default

    def required(self, name: str) -> str:
        """A string parameter that discovery marks as required (always present once validated)."""
        value = self._values.get(name)
        if not isinstance(value, str):
            raise KeyError(name)
        return value

    def integer(self, name: str, default: int | None = None) -> int | None:
        """An integer parameter."""
        value = self._values.get(name, default)
        return value if isinstance(value, int) and not isinstance(value, bool) else default

    def flag(self, name: str, default: bool = False) -> bool:
        """A boolean parameter."""
        value = self._values.get(name, default)
        return value if isinstance(value, bool) else default

    def strings(self, name: str) -> list[str]:
        """A repeated string parameter (empty when absent)."""
        value = self._values.get(name)
        if isinstance(value, list):
            return [str(v) for v in value]
        return [value] if isinstance(value, str) else []


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _invalid(doc: Document, message: str, reason: str, location: str | None = None) -> ApiError:
    return ApiError(
        400,
        reason,
        message,
        location_type="parameter" if location and reason != "invalid" else None,
        location=location,
        grpc_style=doc.proto_json,
    )


def validate_params(method: ApiMethod, path_params: Mapping[str, str], query: _MultiDict) -> Params:
    """Check path and query parameters against the method's spec; ApiError 400 on a problem."""
    doc = method.document
    specs = {**doc.parameters, **method.parameters}
    values: dict[str, object] = {}
    for name, raw in path_params.items():
        values[name] = _convert(doc, name, raw, specs.get(name, {"type": "string"}))
    for key in query.keys():  # noqa: SIM118 - a MultiDict, not a dict
        if doc.proto_json and key.startswith("$"):
            continue  # system parameters such as $alt=json;enum-encoding=int
        name = key if key in specs or not doc.proto_json else _camel(key)
        spec = specs.get(name)
        if spec is None or spec.get("location") == "path":
            raise _invalid(
                doc, f"Unknown parameter '{key}' for {method.id}.", "invalidParameter", key
            )
        raw_values = query.getlist(key)
        if spec.get("repeated"):
            values[name] = [_convert(doc, name, v, spec) for v in raw_values]
        elif len(raw_values) > 1:
            raise _invalid(doc, f"Parameter '{key}' may not be repeated.", "invalidParameter", key)
        else:
            values[name] = _convert(doc, name, raw_values[0], spec)
    for name, spec in method.parameters.items():
        if spec.get("required") and name not in values:
            raise _invalid(doc, f"Required parameter: {name}", "required", name)
    return Params(values)


def _convert(doc: Document, name: str, raw: str, spec: Mapping[str, Any]) -> object:
    kind = spec.get("type", "string")
    if kind == "integer":
        try:
            number = int(raw)
        except ValueError:
            raise _invalid(
                doc, f"Invalid value '{raw}'. Values must be integers.", "invalidParameter", name
            ) from None
        low, high = spec.get("minimum"), spec.get("maximum")
        if low is not None and number < int(low):
            raise _invalid(
                doc, f"Invalid value '{raw}'. Values must be at least {low}.", "invalid", name
            )
        if high is not None and number > int(high):
            raise _invalid(
                doc, f"Invalid value '{raw}'. Values must be at most {high}.", "invalid", name
            )
        return number
    if kind == "boolean":
        if raw not in ("true", "false"):
            raise _invalid(doc, f"Invalid boolean value '{raw}'.", "invalidParameter", name)
        return raw == "true"
    enum = spec.get("enum")
    if enum:
        if doc.proto_json and raw.isdigit() and int(raw) < len(enum):
            return str(enum[int(raw)])
        if raw not in enum:
            raise _invalid(
                doc,
                f"Invalid value '{raw}' for {name}; expected one of {enum}.",
                "invalidParameter",
                name,
            )
    return raw


def validate_body(method: ApiMethod, body: object) -> dict[str, Any]:
    """Check a decoded JSON body against the method's request schema; return it normalised."""
    doc = method.document
    ref = method.request_ref
    if ref is None:
        if body not in (None, {}):
            raise _invalid(doc, f"{method.id} does not take a request body.", "invalid")
        return {}
    if not isinstance(body, dict):
        raise _invalid(doc, "Invalid JSON payload received. Expected an object.", "invalid")
    root = ref[:1].lower() + ref[1:]
    checked = _Checker(method).value(body, {"$ref": ref}, root)
    assert isinstance(checked, dict)
    return checked


class _Checker:
    def __init__(self, method: ApiMethod) -> None:
        self.method = method
        self.doc = method.document

    def fail(self, message: str, reason: str = "invalid") -> ApiError:
        return _invalid(self.doc, message, reason)

    def value(self, value: object, schema: Mapping[str, Any], where: str) -> object:
        if value is None:
            return None
        if "$ref" in schema:
            schema = self.doc.schemas[schema["$ref"]]
        kind = schema.get("type", "any")
        if kind == "object":
            return self.obj(value, schema, where)
        if kind == "array":
            if not isinstance(value, list):
                raise self.fail(f"Invalid value at '{where}' (TYPE_LIST), {_show(value)}")
            items = schema.get("items", {})
            return [self.value(v, items, f"{where}[{i}]") for i, v in enumerate(value)]
        if kind == "string":
            return self.string(value, schema, where)
        if kind == "integer":
            if isinstance(value, str) and self.doc.proto_json and value.lstrip("-").isdigit():
                return int(value)
            if not isinstance(value, int) or isinstance(value, bool):
                raise self.fail(f"Invalid value at '{where}' (TYPE_INT32), {_show(value)}")
            return value
        if kind == "number":
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise self.fail(f"Invalid value at '{where}' (TYPE_DOUBLE), {_show(value)}")
            return value
        if kind == "boolean":
            if not isinstance(value, bool):
                raise self.fail(f"Invalid value at '{where}' (TYPE_BOOL), {_show(value)}")
            return value
        return value  # "any"

    def obj(self, value: object, schema: Mapping[str, Any], where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(f"Invalid value at '{where}' (TYPE_MESSAGE), {_show(value)}")
        props: Mapping[str, Any] = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = key
            if name not in props and self.doc.proto_json and _camel(name) in props:
                name = _camel(name)
            if name in props:
                out[name] = self.value(item, props[name], f"{where}.{name}")
            elif extra is not None:
                out[key] = self.value(item, extra, f"{where}[{key!r}]")
            elif not props:
                out[key] = item  # free-form object
            else:
                raise self.fail(
                    f"Invalid JSON payload received. Unknown name \"{key}\" at '{where}': "
                    "Cannot find field."
                )
        for name, spec in props.items():
            needed = spec.get("annotations", {}).get("required", ())
            if self.method.id in needed and out.get(name) is None:
                message = _REQUIRED_MESSAGES.get(name, f"Required field missing: {where}.{name}")
                raise self.fail(message, "required")
        return out

    def string(self, value: object, schema: Mapping[str, Any], where: str) -> object:
        fmt = schema.get("format")
        if fmt in ("int64", "uint64") and isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        enum = schema.get("enum")
        if enum and self.doc.proto_json and isinstance(value, int) and 0 <= value < len(enum):
            return str(enum[value])
        if not isinstance(value, str):
            raise self.fail(f"Invalid value at '{where}' (TYPE_STRING), {_show(value)}")
        if enum and value not in enum:
            raise self.fail(f"Invalid value at '{where}' (TYPE_ENUM), {_show(value)}")
        if fmt in ("date-time", "google-datetime") and parse_rfc3339(value) is None:
            raise self.fail(f"Invalid value at '{where}' (date-time), {_show(value)}")
        if fmt == "date" and parse_date(value) is None:
            raise self.fail(f"Invalid value at '{where}' (date), {_show(value)}")
        if fmt == "byte" and not _is_base64(value):
            raise self.fail(f"Invalid value at '{where}' (TYPE_BYTES), {_show(value)}")
        return value


def _is_base64(text: str) -> bool:
    padded = text + "=" * (-len(text) % 4)
    try:
        base64.b64decode(padded, altchars=b"-_" if ("-" in text or "_" in text) else None)
    except (binascii.Error, ValueError):
        return False
    return True


def _show(value: object) -> str:
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= 60 else text[:57] + "..."

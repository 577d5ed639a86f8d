"""Opaque page tokens over an in-memory result list.

    items, next_token = page(results, page_token, max_results, limit=2500, grpc_style=False)

A token encodes the offset of the next page; a token that was not made here is a 400.
"""

from __future__ import annotations

import base64
import secrets
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import ApiError

if TYPE_CHECKING:
    from .validation import Params

__all__ = ["admin_list", "page"]

T = TypeVar("T")
_PREFIX = "sbx-page:"


def _encode(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{offset}".encode()).decode().rstrip("=")


def _decode(token: str, grpc_style: bool) -> int:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        if not text.startswith(_PREFIX):
            raise ValueError(token)
        return int(text.removeprefix(_PREFIX))
    except ValueError:
        raise ApiError(
            400,
            "invalid",
            "Invalid page token.",
            location_type="parameter",
            location="pageToken",
            grpc_style=grpc_style,
        ) from None


def page(
    results: list[T],
    token: str | None,
    max_results: int | None,
    *,
    default: int = 250,
    limit: int = 2500,
    grpc_style: bool = False,
) -> tuple[list[T], str | None]:
    """One page of ``results`` and the token of the next page (None on the last page)."""
    start = _decode(token, grpc_style) if token else 0
    size = min(max_results or default, limit)
    chunk = results[start : start + size]
    following = start + size
    return chunk, (_encode(following) if following < len(results) else None)


def admin_list(found: list[Any], params: Params, kind: str, field: str) -> dict[str, Any]:
    """An Admin SDK list answer: one page of ``found`` under ``field`` (100 default, 500 max)."""
    items, next_token = page(
        found, params.string("pageToken"), params.integer("maxResults"), default=100, limit=500
    )
    body: dict[str, Any] = {"kind": kind, "etag": f'"{secrets.token_hex(8)}"', field: items}
    if next_token:
        body["nextPageToken"] = next_token
    return body

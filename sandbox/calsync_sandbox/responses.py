"""The HTTP answers the sandbox sends: JSON bodies, Google-shaped errors and hang-ups.

    json_response(200, {"kind": "calendar#event", ...})
    error_response(ApiError(404, "notFound", "Not Found"))
    drop_connection(request)          # an injected "drop" fault: no answer at all
    html_error(502)                   # Google's front end's HTML error page

Shared by the API gateway, the OAuth endpoints and the server's last-resort 500.
"""

from __future__ import annotations

import contextlib
import json
import socket
from typing import Any

from werkzeug.wrappers import Request, Response

from .errors import ApiError

__all__ = [
    "HTML_ERROR_STATUSES",
    "drop_connection",
    "error_response",
    "html_error",
    "json_response",
]

HTML_ERROR_STATUSES = (502, 504)
"""Front-end errors that Google's edge answers with an HTML page, not a JSON error body (strict
reading, switch ``html_error_bodies``)."""


def drop_connection(request: Request) -> Response:
    """Close the client's connection without an answer (a "connection reset" fault)."""
    sock = request.environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    return Response(b"", status=500)


def error_response(error: ApiError) -> Response:
    """The HTTP answer for an ApiError."""
    response = json_response(error.code, error.body())
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


def json_response(status: int, body: Any) -> Response:
    """A JSON answer (empty body when ``body`` is None)."""
    if body is None:
        return Response(b"", status=status)
    return Response(json.dumps(body), status=status, content_type="application/json; charset=UTF-8")


def html_error(status: int) -> Response:
    """An HTML error page like the one Google's front end sends for a gateway error."""
    page = (
        "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n"
        f"  <title>Error {status} (Server Error)!!1</title>\n"
        f"  <p><b>{status}.</b> <ins>That\u2019s an error.</ins>\n"
        "  <p>The server encountered a temporary error and could not complete your request."
        "<p>Please try again in 30 seconds. <ins>That\u2019s all we know.</ins>\n"
    )
    return Response(page, status=status, content_type="text/html; charset=UTF-8")

"""Structured JSON logs for Cloud Logging.

One JSON object per line on stderr with ``severity`` and ``message`` (mapped by
Cloud Logging), the request's trace when known, and any extra fields passed as
``extra={"fields": {...}}``. Secrets never belong in a log line: values under
keys that look like credentials are replaced before the line is written, and so is any
text that looks like one wherever it appears (the message, field values, exception text):
``Bearer …``, Google's access tokens (``ya29.…``), refresh tokens (``1//…``), authorization
codes (``4/…``), JWTs, PEM private keys, and ``name=value`` pairs whose name is a secret's.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

__all__ = [
    "JsonFormatter",
    "configure",
    "current_trace",
    "get_logger",
    "is_trace_id",
    "log_context",
    "redact",
    "scrub",
]

_SEVERITY = {
    logging.DEBUG: "DEBUG",
    logging.INFO: "INFO",
    logging.WARNING: "WARNING",
    logging.ERROR: "ERROR",
    logging.CRITICAL: "CRITICAL",
}
_SECRET_WORDS = (
    "token",
    "secret",
    "password",
    "authorization",
    "assertion",
    "code_verifier",
    "private_key",
    "credential",
    "refresh",
    "code",
)
_SECRET_VALUES = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)"
    r"|(?P<bearer>\bBearer\s+)[^\s'\",]+"
    r"|(?P<pair>\b\w*(?:token|secret|password|assertion|verifier|private_key)\w*['\"]?\s*[=:]"
    r"\s*['\"]?)(?!\[redacted\]|-----BEGIN)[^&\s'\",)}]+"
    r"|\bya29\.[\w.-]+"
    r"|(?<![\w/])1//[\w-]+"
    r"|(?<![\w/])4/[\w-]{10,}"
    r"|\beyJ[\w-]+\.[\w-]+\.[\w-]*",
    re.IGNORECASE | re.DOTALL,
)
"""Text that is a credential wherever it appears (the part after ``Bearer`` or ``name=``)."""
_TRACE_ID = re.compile(r"[0-9a-f]{32}", re.IGNORECASE)
"""A Cloud Trace id: 32 hexadecimal characters (the part of ``X-Cloud-Trace-Context``
before ``/``)."""
_EMPTY: Mapping[str, Any] = MappingProxyType({})
_context: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar(
    "calsync_log_context", default=_EMPTY
)


def redact(value: Any) -> Any:
    """Return ``value`` with every credential-looking entry, and every credential-looking
    piece of text, replaced by ``"[redacted]"``."""
    if isinstance(value, Mapping):
        return {
            key: "[redacted]" if _is_secret_key(str(key)) else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, BaseException):
        return scrub(str(value))
    return value


def scrub(text: str) -> str:
    """``text`` with every piece that looks like a credential replaced by ``[redacted]``."""

    def replace(match: re.Match[str]) -> str:
        return (match.group("bearer") or match.group("pair") or "") + "[redacted]"

    return _SECRET_VALUES.sub(replace, text)


def _is_secret_key(key: str) -> bool:
    lowered = key.lower()
    if lowered in ("error_code", "status_code", "code_path"):
        return False
    return any(word in lowered for word in _SECRET_WORDS)


class JsonFormatter(logging.Formatter):
    """Formats a record as one Cloud Logging structured-log line."""

    def __init__(self, project: str = "") -> None:
        super().__init__()
        self._project = project

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "severity": _SEVERITY.get(record.levelno, "DEFAULT"),
            "message": scrub(record.getMessage()),
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "logger": record.name,
        }
        context = dict(_context.get())
        trace = context.pop("trace", None)
        if trace and self._project:
            entry["logging.googleapis.com/trace"] = f"projects/{self._project}/traces/{trace}"
        entry.update(redact(context))
        fields = getattr(record, "fields", None)
        if isinstance(fields, Mapping):
            entry.update(redact(fields))
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure(project: str = "", level: int = logging.INFO) -> None:
    """Send the ``calsync`` loggers to stderr as JSON lines (idempotent)."""
    root = logging.getLogger("calsync")
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(project))
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False


def get_logger(name: str) -> logging.Logger:
    """A logger under the ``calsync`` hierarchy."""
    return logging.getLogger(name if name.startswith("calsync") else f"calsync.{name}")


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Add ``fields`` (e.g. ``trace``, ``tenant_id``) to every line logged inside the block."""
    token = _context.set({**_context.get(), **fields})
    try:
        yield
    finally:
        _context.reset(token)


def current_trace() -> str:
    """The trace id of the lines being logged now (``log_context(trace=...)``), or empty."""
    trace = _context.get().get("trace")
    return trace if isinstance(trace, str) else ""


def is_trace_id(value: str) -> bool:
    """True when ``value`` is a Cloud Trace id (32 hexadecimal characters)."""
    return bool(_TRACE_ID.fullmatch(value))

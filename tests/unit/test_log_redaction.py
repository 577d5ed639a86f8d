"""Log lines never carry a credential: by field name, and by what the text looks like."""

from __future__ import annotations

import json
import logging

import pytest

from calsync.logs import JsonFormatter, redact, scrub

SECRETS = {
    "a Bearer header": ("Authorization: Bearer abc.DEF-123_x, next", "abc.DEF-123_x"),
    "an access token": ("token ya29.a0AfB_byC-d.e here", "ya29.a0AfB_byC-d.e"),
    "a refresh token": ("got 1//0gAbC-dEf_123 back", "1//0gAbC-dEf_123"),
    "an authorization code": ("code 4/0AY0e-g7abcdefghijk", "4/0AY0e-g7abcdefghijk"),
    "a JWT": ("assertion eyJhbGci.eyJzdWIi.c2ln here", "eyJhbGci.eyJzdWIi.c2ln"),
    "a form field": ("grant_type=x&client_secret=GOCSPX-s3cr3t&a=b", "GOCSPX-s3cr3t"),
    "a dict's repr": ("{'refresh_token': 'opaque-value', 'x': 1}", "opaque-value"),
    "a PEM key": (
        '"private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQ\\n-----END PRIVATE KEY-----\\n"',
        "MIIEvQ",
    ),
}


@pytest.mark.parametrize(("text", "secret"), list(SECRETS.values()), ids=list(SECRETS))
def test_text_that_looks_like_a_credential_is_redacted(text: str, secret: str) -> None:
    """Wherever it appears in a string, whatever the field is called."""
    scrubbed = scrub(text)
    assert secret not in scrubbed
    assert "[redacted]" in scrubbed


@pytest.mark.parametrize(
    "text",
    [
        "token refresh failed: 500 backendError",
        "status_code=500 error_code: invalid_grant",
        "tenants/acme/organizers/alice@acme.com, day 1/2 and 4/5",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    """Error codes, statuses, paths and fractions are what operators need to read."""
    assert scrub(text) == text


def test_every_part_of_a_line_is_redacted_by_value() -> None:
    """The message, a field under an innocent name, the context and the exception text."""
    record = logging.LogRecord("calsync.x", logging.ERROR, __file__, 1, "sent Bearer abc", (), None)
    record.fields = {"error": "refresh_token=1//leak", "nested": ["ya29.leak"]}
    try:
        raise ValueError("Bearer inexc")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    line = JsonFormatter().format(record)
    for secret in ("abc", "1//leak", "ya29.leak", "inexc"):
        assert secret not in line, line
    assert json.loads(line)["error"] == "refresh_token=[redacted]"


def test_fields_named_like_credentials_are_redacted_whatever_their_value() -> None:
    """Redaction by name stays: an opaque value under ``client_secret`` never shows."""
    assert redact({"client_secret": "opaque", "error_code": "x"}) == {
        "client_secret": "[redacted]",
        "error_code": "x",
    }

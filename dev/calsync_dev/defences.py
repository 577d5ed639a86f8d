"""What a security defence is, for ``./run defence-check`` (docs/security.md).

Each :class:`Defence` names a defence, the small textual patches of library files that
remove it (path, old text, new text; the old text must occur exactly once), and the tests
(pytest node ids) that must then fail. The tables: ``calsync_dev.defences_boundaries``
(tenants, domains, grants at rest, logs) and ``calsync_dev.defences_connect_flow`` (the OAuth
connect flow and its id_token checks); the runner is ``calsync_dev.defence_check``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ATTACKS", "BROWSER", "DOMAINS", "LIB", "TOKENS", "Defence"]

LIB = "shared/calsync/"
ATTACKS = "tests/integration/test_oauth_attacks.py::"
TOKENS = "tests/unit/test_id_tokens.py::"
DOMAINS = "tests/integration/test_tenant_domains.py::"
BROWSER = "tests/browser/test_oauth_in_chromium.py::"


@dataclass(frozen=True)
class Defence:
    """One defence: how to switch it off (path, old text, new text) and the tests that
    must then fail (pytest node ids)."""

    name: str
    patches: tuple[tuple[str, str, str], ...]
    tests: tuple[str, ...]

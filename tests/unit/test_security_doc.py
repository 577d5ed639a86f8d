"""docs/security.md's threat table and the attack tests stay in step."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "security.md"
ATTACK_DOCSTRING = ("Attack", "Leak", "Relay")
_ROW_TEST = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")


def _named_in_the_table() -> set[tuple[str, str]]:
    table = DOC.read_text().split("## Threat table", 1)[1].split("\n## ", 1)[0]
    return {(m.group(1), m.group(2)) for m in _ROW_TEST.finditer(table)}


def _tests() -> dict[tuple[str, str], str]:
    """Every test function under tests/ with its docstring."""
    found = {}
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                key = (str(path.relative_to(ROOT)), node.name)
                found[key] = ast.get_docstring(node) or ""
    return found


def test_every_test_the_threat_table_names_exists() -> None:
    """A renamed or deleted attack test leaves no stale row behind."""
    missing = sorted(_named_in_the_table() - set(_tests()))
    assert not missing, missing


def test_every_attack_test_is_in_the_threat_table() -> None:
    """A new test whose docstring starts with Attack, Leak or Relay gets its row."""
    attacks = {key for key, doc in _tests().items() if doc.startswith(ATTACK_DOCSTRING)}
    unlisted = sorted(attacks - _named_in_the_table())
    assert not unlisted, unlisted


def test_the_threat_table_names_at_least_25_attack_tests() -> None:
    """Issue 14: at least 25 attacks, each refused by a named test."""
    assert len(_named_in_the_table()) >= 25

"""docs/google-behaviour.md has exactly one row per conformance test, and every row says
whether it is confirmed live."""

from __future__ import annotations

import ast
import re
from pathlib import Path

HERE = Path(__file__).parent
TABLE = HERE.parent.parent / "docs" / "google-behaviour.md"
ROW = re.compile(r"^\| `(test_[a-z0-9_]+)` \|(.*)\|\s*$")


def _conformance_tests() -> list[str]:
    names = []
    for path in sorted(HERE.glob("test_*_contract.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names += [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    return [n for n in names if n.startswith("test_")]


def _rows() -> dict[str, str]:
    rows: dict[str, str] = {}
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        found = ROW.match(line)
        if found:
            assert found.group(1) not in rows, f"two rows for {found.group(1)}"
            rows[found.group(1)] = found.group(2)
    return rows


def test_every_conformance_test_has_one_row_and_every_row_a_test() -> None:
    assert sorted(_rows()) == sorted(_conformance_tests())


def test_every_row_says_whether_it_is_confirmed_live() -> None:
    for name, cells in _rows().items():
        live = cells.rsplit("|", 1)[-1]
        assert re.search(r"not yet confirmed|confirmed live on \d{4}-\d{2}-\d{2}", live), name

"""checkov static analysis of terraform/: no failed checks, and every skip explained.

checkov runs from its own venv (``.venv-checkov/``; its pins clash with the test tools).
Without a Prisma Cloud API key checkov reports no severities, so the bar is the strict
one: no failed check at all, except those skipped in the code with
``#checkov:skip=CKV_...:reason``. Every skip must carry a reason and must still match a
check (a stale skip would silently hide a future finding).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.terraform.deploycheck import TERRAFORM_DIR, clean_environment

SKIP_COMMENT = re.compile(r"#\s*checkov:skip=(?P<id>[A-Z0-9_]+)(?::(?P<reason>.*))?")
MIN_REASON_WORDS = 8
BLOCKING_SEVERITIES = {"HIGH", "CRITICAL"}

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def source_skips() -> list[tuple[str, str, str]]:
    """(file, check id, reason) of every in-code checkov skip under terraform/."""
    found = []
    for path in sorted(TERRAFORM_DIR.rglob("*.tf")):
        for line in path.read_text(encoding="utf-8").splitlines():
            match = SKIP_COMMENT.search(line)
            if match:
                found.append((path.name, match["id"], (match["reason"] or "").strip()))
    return found


@pytest.fixture(scope="module")
def report(checkov: Path) -> dict[str, Any]:
    """checkov's JSON report of terraform/ (passed, failed and skipped checks)."""
    result = subprocess.run(
        [
            str(checkov),
            *("-d", str(TERRAFORM_DIR), "--framework", "terraform"),
            *("--compact", "--skip-download", "-o", "json"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=clean_environment(),
    )
    assert result.returncode in (0, 1), f"checkov crashed:\n{result.stderr[-4000:]}"
    parsed = json.loads(result.stdout)
    reports: list[dict[str, Any]] = parsed if isinstance(parsed, list) else [parsed]
    assert [r["check_type"] for r in reports] == ["terraform"]
    return reports[0]


def test_checkov_parses_everything(report: dict[str, Any]) -> None:
    """Every file parsed and the resources were seen."""
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["resource_count"] > 50


def test_no_failed_checks(report: dict[str, Any]) -> None:
    """No failed check: none of high/critical severity, and (severities unknown) none at all."""
    failed = report["results"].get("failed_checks", [])
    blocking = [c for c in failed if (c.get("severity") or "").upper() in BLOCKING_SEVERITIES]
    unknown = [c for c in failed if not c.get("severity")]
    lines = [f"{c['check_id']} {c['resource']}: {c['check_name']}" for c in blocking + unknown]
    assert not lines, "checkov findings:\n" + "\n".join(lines)


def test_every_skip_has_a_reason() -> None:
    """Each #checkov:skip names a check and says why, in a sentence."""
    skips = source_skips()
    assert skips, "expected the documented skips (docs/deployment.md lists them)"
    vague = [(f, i) for f, i, reason in skips if len(reason.split()) < MIN_REASON_WORDS]
    assert not vague, f"skips without a real reason: {vague}"


def test_every_skip_is_still_used(report: dict[str, Any]) -> None:
    """A skip that no longer matches a check is removed rather than left to hide findings."""
    used = {c["check_id"] for c in report["results"].get("skipped_checks", [])}
    stale = {i for _, i, _ in source_skips()} - used
    assert not stale, f"skips matching no check: {sorted(stale)}"
    reasons = [
        c["check_result"].get("suppress_comment") for c in report["results"]["skipped_checks"]
    ]
    assert all(reasons), "checkov saw a skip without its reason"


def test_skips_are_listed_in_the_deployment_doc() -> None:
    """docs/deployment.md lists every skipped check id."""
    doc = (TERRAFORM_DIR.parent / "docs" / "deployment.md").read_text(encoding="utf-8")
    missing = sorted({i for _, i, _ in source_skips() if i not in doc})
    assert not missing, f"docs/deployment.md does not list: {missing}"

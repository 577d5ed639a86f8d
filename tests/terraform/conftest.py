"""Fixtures of the deployment checks: the parsed Terraform configuration, checkov from its
own cached venv, and the ``slow`` marker for the venv-backed checks (they run by default).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.terraform.deploycheck import (
    TERRAFORM_DIR,
    TerraformConfig,
    checkov_executable,
    load_config,
)


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``slow`` marker: builds or reuses a cached virtual environment."""
    config.addinivalue_line(
        "markers", "slow: builds or reuses a cached virtual environment (runs in CI too)"
    )


@pytest.fixture(scope="session")
def tf() -> TerraformConfig:
    """The parsed deployment configuration."""
    return load_config(TERRAFORM_DIR)


@pytest.fixture(scope="session")
def checkov() -> Path:
    """The checkov executable from ``.venv-checkov/`` (created if missing or re-pinned)."""
    executable: Path = checkov_executable()
    return executable

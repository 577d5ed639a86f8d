"""Helpers of the deployment checks (tests/terraform): the parsed Terraform configuration
and cached tool environments.

Both environments are created with the Python running the tests, under the repository
root (``.venv-checkov/``, ``.venv-bundle-check/<key>/``; gitignored by ``.venv-*/``), and
reused while their stamp matches, so repeat runs are quick.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
import pytest

REPO = Path(__file__).resolve().parents[2]
TERRAFORM_DIR = REPO / "terraform"

# checkov pins packaging==23.2, which conflicts with the test tools, hence its own venv.
CHECKOV_PIN = "checkov==3.3.30"
CHECKOV_VENV = REPO / ".venv-checkov"
BUNDLE_VENVS = REPO / ".venv-bundle-check"
SETUP_TIMEOUT_SECONDS = 600


# ---- Terraform configuration ---------------------------------------------------------


@dataclass
class TerraformConfig:
    """Every block of ``terraform/*.tf``, merged across files, string quotes stripped."""

    resources: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    data: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    ephemeral: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)

    def resource(self, kind: str, name: str) -> dict[str, Any]:
        """One resource body; fails the test if it is not declared."""
        assert name in self.resources.get(kind, {}), f"{kind}.{name} is not declared"
        return self.resources[kind][name]

    def of_kind(self, kind: str) -> dict[str, dict[str, Any]]:
        """Every resource of one type, by name (empty if none)."""
        return self.resources.get(kind, {})


def parse_tf(path: Path) -> dict[str, Any]:
    """One ``.tf`` file as python-hcl2 sees it, with quotes stripped and blocks plain."""
    options = hcl2.SerializationOptions(explicit_blocks=False, strip_string_quotes=True)
    with path.open(encoding="utf-8") as handle:
        parsed: dict[str, Any] = hcl2.load(handle, serialization_options=options)
    return parsed


def _merge_labelled(target: dict[str, dict[str, dict[str, Any]]], blocks: list[Any]) -> None:
    """Merge ``[{type: {name: body}}]`` blocks into ``target[type][name]``."""
    for labelled in blocks:
        for kind, named in labelled.items():
            for name, body in named.items():
                assert name not in target.setdefault(kind, {}), f"{kind}.{name} declared twice"
                target[kind][name] = body


def load_config(directory: Path) -> TerraformConfig:
    """Parse and merge every ``.tf`` file of ``directory``."""
    config = TerraformConfig()
    for path in sorted(directory.glob("*.tf")):
        parsed = parse_tf(path)
        config.files[path.name] = parsed
        _merge_labelled(config.resources, parsed.get("resource", []))
        _merge_labelled(config.data, parsed.get("data", []))
        _merge_labelled(config.ephemeral, parsed.get("ephemeral", []))
        for variables in parsed.get("variable", []):
            config.variables.update(variables)
        for outputs in parsed.get("output", []):
            config.outputs.update(outputs)
        for values in parsed.get("locals", []):
            config.locals.update({k: v for k, v in values.items() if not k.startswith("__")})
    return config


def strings(value: Any) -> list[str]:
    """Every string anywhere inside a parsed HCL value (keys included)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [*strings(k), *strings(v)]]
    if isinstance(value, list):
        return [s for item in value for s in strings(item)]
    return []


def block(body: dict[str, Any], name: str) -> dict[str, Any]:
    """The single nested block ``name`` of a resource body."""
    blocks = body.get(name)
    assert isinstance(blocks, list), f"missing block {name!r}"
    assert len(blocks) == 1, f"expected one {name!r} block, found {len(blocks)}"
    found: dict[str, Any] = blocks[0]
    return found


# ---- cached virtual environments -------------------------------------------------------


def python_tag() -> str:
    """The interpreter a cached venv is built from (part of every stamp)."""
    return f"{sys.implementation.name}-{sys.version_info.major}.{sys.version_info.minor}"


def _run(args: list[str], what: str) -> None:
    """Run a setup command; fail the test with its output if it fails."""
    result = subprocess.run(
        args, capture_output=True, text=True, timeout=SETUP_TIMEOUT_SECONDS, check=False
    )
    if result.returncode != 0:
        pytest.fail(f"{what} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")


def ensure_venv(path: Path, stamp: str, requirements: list[str]) -> Path:
    """The Python of a venv at ``path`` holding ``requirements``; rebuilt when ``stamp`` changed."""
    stamp_file = path / ".calsync-stamp"
    python = path / "bin" / "python"
    if python.exists() and stamp_file.is_file() and stamp_file.read_text() == stamp:
        return python
    shutil.rmtree(path, ignore_errors=True)
    _run([sys.executable, "-m", "venv", str(path)], f"creating {path}")
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    _run([*pip, *requirements], f"pip install into {path}")
    stamp_file.write_text(stamp)
    return python


def checkov_executable() -> Path:
    """checkov from ``.venv-checkov/``, created if missing or if the pin changed."""
    python = ensure_venv(CHECKOV_VENV, f"{CHECKOV_PIN}\n{python_tag()}\n", [CHECKOV_PIN])
    return python.parent / "checkov"


def bundle_check_python(requirements_txt: Path) -> Path:
    """Python of a fresh venv with exactly ``requirements_txt`` installed, cached by its hash."""
    text = requirements_txt.read_text(encoding="utf-8")
    key = hashlib.sha256(f"{text}\n{python_tag()}".encode()).hexdigest()[:16]
    if BUNDLE_VENVS.is_dir():
        for stale in BUNDLE_VENVS.iterdir():
            if stale.name != key:
                shutil.rmtree(stale, ignore_errors=True)
    BUNDLE_VENVS.mkdir(exist_ok=True)
    return ensure_venv(BUNDLE_VENVS / key, f"{key}\n", ["-r", str(requirements_txt)])


def clean_environment(**extra: str) -> dict[str, str]:
    """A minimal subprocess environment: no PYTHONPATH, no project venv on PATH."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep}
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env

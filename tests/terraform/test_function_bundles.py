"""The function bundle builder (calsync_dev.bundle): what goes into a zip, stable hashes,
and that a bundle imports in a fresh virtual environment holding only the runtime pins.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import textwrap
import zipfile
from pathlib import Path

import pytest

from calsync_dev import bundle
from tests.terraform.deploycheck import REPO, bundle_check_python, clean_environment, load_config

PYPROJECT = """\
[project]
name = "demo"
dependencies = ["requests==2.34.2", "Flask==3.1.0", "functions-framework==3.10.2"]
"""

FORBIDDEN_PARTS = {"tests", "test", "__pycache__", "calsync_sandbox", "calsync_dev", "sandbox"}

# Dummy, secret-free values for the environment contract, as a deployed function sees it.
DEPLOYED_ENV = {
    "GOOGLE_CLOUD_PROJECT": "bundle-check",
    "CALSYNC_RESULTS_TOPIC": "calsync-results",
    "CALSYNC_TASKS_QUEUE": "projects/bundle-check/locations/us-central1/queues/calsync-reconcile",
    "CALSYNC_TASKS_URL": "https://reconcile-1.us-central1.run.app",
    "CALSYNC_TASKS_SERVICE_ACCOUNT": "calsync-tasks-invoker@bundle-check.iam.gserviceaccount.com",
    "CALSYNC_PLATFORM_IDENTITY": "service_account",
    "CALSYNC_PLATFORM_SUBJECT": "bot@example.com",
    "CALSYNC_OAUTH_CLIENT_ID": "1-abc.apps.googleusercontent.com",
    "CALSYNC_OAUTH_REDIRECT_URI": "https://oauth-callback-1.us-central1.run.app/callback",
    "CALSYNC_KMS_KEY": (
        "projects/bundle-check/locations/us-central1/keyRings/calsync/cryptoKeys/grants"
    ),
}

IMPORT_LIBRARY = """\
import importlib, importlib.util, pkgutil, sys
root = sys.argv[1]
sys.path.insert(0, root)
import calsync
assert calsync.__file__.startswith(root), calsync.__file__
for name in ("calsync_sandbox", "calsync_dev"):
    assert importlib.util.find_spec(name) is None, name + " must not be importable"
for module in pkgutil.walk_packages(calsync.__path__, "calsync."):
    importlib.import_module(module.name)
"""

LOAD_FUNCTION = """\
import sys
root, target = sys.argv[1], sys.argv[2]
sys.path.insert(0, root)
from functions_framework import create_app
app = create_app(target=target, source=root + "/main.py")
assert app is not None
"""


def write(path: Path, text: str = "") -> None:
    """Create ``path`` (and its parents) holding ``text``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def fake_repo(tmp_path: Path) -> Path:
    """A small repository with one function, the library, a sandbox, tests and caches."""
    repo = tmp_path / "repo"
    write(repo / "pyproject.toml", PYPROJECT)
    write(repo / "functions" / "alpha" / "main.py", "import calsync\n")
    write(repo / "functions" / "alpha" / "helpers.py", "X = 1\n")
    write(repo / "functions" / "alpha" / "test_main.py", "def test(): pass\n")
    write(repo / "functions" / "alpha" / "requirements.txt", "stale==0\n")
    write(repo / "functions" / "alpha" / "__pycache__" / "main.cpython-312.pyc")
    write(repo / "functions" / "beta" / "README.md", "no main.py yet\n")
    library = repo / "shared" / "calsync"
    write(library / "__init__.py", '"""lib."""\n')
    write(library / "py.typed")
    write(library / "store.py", "VALUE = 1\n")
    write(library / "schemas" / "event.json", "{}\n")
    write(library / "__pycache__" / "store.cpython-312.pyc")
    write(library / "tests" / "test_store.py", "def test(): pass\n")
    write(library / "conftest.py", "")
    write(repo / "sandbox" / "calsync_sandbox" / "__init__.py")
    write(repo / "dev" / "calsync_dev" / "__init__.py")
    write(repo / "tests" / "unit" / "test_x.py")
    return repo


def zip_names(path: Path) -> set[str]:
    """Entry names of a zip."""
    with zipfile.ZipFile(path) as archive:
        return set(archive.namelist())


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---- pure parts ------------------------------------------------------------------------


def test_discovers_functions_with_main_py(fake_repo: Path) -> None:
    """Only directories holding a main.py are functions."""
    assert bundle.discover_functions(fake_repo) == ["alpha"]


def test_requirements_from_pinned_dependencies(fake_repo: Path) -> None:
    """requirements.txt lists [project].dependencies, sorted, one per line."""
    pins = bundle.pinned_requirements(fake_repo / "pyproject.toml")
    assert pins == ["Flask==3.1.0", "functions-framework==3.10.2", "requests==2.34.2"]
    assert bundle.render_requirements(pins).splitlines()[1:] == pins


def test_unpinned_dependency_is_refused(fake_repo: Path) -> None:
    """A range instead of a pin would make deployments drift; the builder refuses it."""
    write(fake_repo / "pyproject.toml", '[project]\ndependencies = ["requests>=2"]\n')
    with pytest.raises(bundle.BundleError, match="pinned"):
        bundle.pinned_requirements(fake_repo / "pyproject.toml")


def test_zip_holds_function_requirements_and_library_only(fake_repo: Path, tmp_path: Path) -> None:
    """main.py, its siblings, requirements.txt and calsync/ — no tests, caches, sandbox, dev."""
    (staged,) = bundle.stage_all(fake_repo, tmp_path / "out")
    names = zip_names(bundle.write_zip(staged.path, tmp_path / "alpha.zip"))
    assert names == {
        "main.py",
        "helpers.py",
        "requirements.txt",
        "calsync/__init__.py",
        "calsync/py.typed",
        "calsync/store.py",
        "calsync/schemas/event.json",
    }
    assert names == set(staged.files)
    text = (staged.path / "requirements.txt").read_text(encoding="utf-8")
    assert "stale==0" not in text
    assert "functions-framework==3.10.2" in text


def test_staged_tree_is_normalised(fake_repo: Path, tmp_path: Path) -> None:
    """Fixed modification times and modes, whatever the sources had."""
    (staged,) = bundle.stage_all(fake_repo, tmp_path / "out")
    for path in staged.path.rglob("*"):
        assert int(path.stat().st_mtime) == bundle.FIXED_MTIME, path
        if path.is_file():
            assert path.stat().st_mode & 0o777 == 0o644, path


def test_hash_is_stable_when_nothing_changes(fake_repo: Path, tmp_path: Path) -> None:
    """Rebuilding after touching files (mtime only) gives identical hashes and zips."""
    (first,) = bundle.stage_all(fake_repo, tmp_path / "one")
    first_zip = sha256(bundle.write_zip(first.path, tmp_path / "one.zip"))
    os.utime(fake_repo / "shared" / "calsync" / "store.py", (2_000_000_000, 2_000_000_000))
    (second,) = bundle.stage_all(fake_repo, tmp_path / "two")
    assert second.sha256 == first.sha256
    assert sha256(bundle.write_zip(second.path, tmp_path / "two.zip")) == first_zip


def test_hash_changes_when_a_library_file_changes(fake_repo: Path, tmp_path: Path) -> None:
    """Any content change in the library changes the bundle hash (so Terraform redeploys)."""
    (before,) = bundle.stage_all(fake_repo, tmp_path / "out")
    write(fake_repo / "shared" / "calsync" / "store.py", "VALUE = 2\n")
    (after,) = bundle.stage_all(fake_repo, tmp_path / "out")
    assert after.sha256 != before.sha256


def test_hash_ignores_caches_and_tests(fake_repo: Path, tmp_path: Path) -> None:
    """Adding tests or bytecode to the library does not change what is deployed."""
    (before,) = bundle.stage_all(fake_repo, tmp_path / "out")
    write(fake_repo / "shared" / "calsync" / "tests" / "test_new.py", "def test(): pass\n")
    write(fake_repo / "shared" / "calsync" / "__pycache__" / "new.cpython-312.pyc", "x")
    (after,) = bundle.stage_all(fake_repo, tmp_path / "out")
    assert after.sha256 == before.sha256


def test_removed_function_bundle_is_dropped(fake_repo: Path, tmp_path: Path) -> None:
    """A bundle whose function disappeared is removed on the next build."""
    out = tmp_path / "out"
    write(fake_repo / "functions" / "gamma" / "main.py", "")
    assert [b.name for b in bundle.stage_all(fake_repo, out)] == ["alpha", "gamma"]
    shutil.rmtree(fake_repo / "functions" / "gamma")
    bundle.stage_all(fake_repo, out)
    assert sorted(p.name for p in out.iterdir()) == ["alpha"]


def test_cli_stages_and_zips(
    fake_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`python -m calsync_dev.bundle --out DIR --zip DIR` stages and zips every function."""
    code = bundle.main(
        ["--repo", str(fake_repo), "--out", str(tmp_path / "o"), "--zip", str(tmp_path / "z")]
    )
    assert code == 0
    assert "alpha" in capsys.readouterr().out
    assert (tmp_path / "z" / "alpha.zip").is_file()
    assert bundle.main(["--repo", str(tmp_path / "nowhere")]) == 1


def test_terraform_zips_the_builder_output() -> None:
    """Terraform's archive_file reads build/functions/<key>, the builder's default output."""
    config = load_config(REPO / "terraform")
    assert config.locals["bundle_root"] == "${path.module}/../build"
    source_dir = config.data["archive_file"]["bundle"]["source_dir"]
    assert source_dir == "${local.bundle_root}/functions/${each.key}"


def test_real_library_files_exclude_dev_code() -> None:
    """The real shared/calsync copies without caches, tests or dev-only packages."""
    files = bundle.library_files(REPO / "shared" / "calsync")
    assert Path("__init__.py") in files
    assert not [f for f in files if FORBIDDEN_PARTS & set(f.parts) or f.suffix == ".pyc"]


# ---- fresh virtual environment -------------------------------------------------------------


def probe_repo(tmp_path: Path) -> Path:
    """The real repository's pyproject, library and functions, plus a probe function."""
    repo = tmp_path / "probe-repo"
    repo.mkdir()
    shutil.copy(REPO / "pyproject.toml", repo / "pyproject.toml")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "shared" / "calsync", repo / "shared" / "calsync", ignore=ignore)
    for name in bundle.discover_functions(REPO):
        shutil.copytree(REPO / "functions" / name, repo / "functions" / name, ignore=ignore)
    probe = textwrap.dedent(
        """\
        import functions_framework

        import calsync


        @functions_framework.http
        def bundle_probe(request):
            return calsync.__name__
        """
    )
    write(repo / "functions" / "bundle_probe" / "main.py", probe)
    return repo


def unzip(path: Path, into: Path) -> Path:
    """Extract a bundle zip, as Cloud Build does, and return the directory."""
    with zipfile.ZipFile(path) as archive:
        archive.extractall(into)
    return into


def run_in(python: Path, script: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``script`` with the fresh venv's Python, isolated from this environment."""
    return subprocess.run(
        [str(python), "-I", "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=cwd,
        env=clean_environment(**DEPLOYED_ENV),
    )


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_bundles_import_in_a_fresh_venv(tmp_path: Path) -> None:
    """Each zip, unpacked into a venv holding only requirements.txt, imports and loads its entry
    point; the library imports module by module (no dev-only dependency slipped in)."""
    repo = probe_repo(tmp_path)
    bundles = bundle.stage_all(repo, tmp_path / "staged")
    python = bundle_check_python(bundles[0].path / "requirements.txt")
    failures = []
    for staged in bundles:
        root = unzip(
            bundle.write_zip(staged.path, tmp_path / f"{staged.name}.zip"),
            tmp_path / "x" / staged.name,
        )
        checks: list[tuple[str, ...]] = [(LOAD_FUNCTION, str(root), staged.name)]
        if staged.name == "bundle_probe":
            checks.append((IMPORT_LIBRARY, str(root)))
        for script, *args in checks:
            result = run_in(python, script, *args, cwd=tmp_path)
            if result.returncode != 0:
                failures.append(f"{staged.name}:\n{result.stderr[-3000:]}")
    assert not failures, "\n\n".join(failures)

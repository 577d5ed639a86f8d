"""The local stack: official emulators, the Google sandbox and every function.

``LocalStack.start()`` brings up, in order: the Firestore and Pub/Sub emulators
(in parallel), the Google sandbox (in this process), the platform identity in
the sandbox, the Cloud Tasks queue, each ``functions/<name>/main.py`` under
functions-framework, and the Pub/Sub wiring (push subscriptions with dead-letter
topics). ``stop()`` takes everything down again. The same class backs
``calsync dev``, ``calsync demo`` and the end-to-end tests.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from calsync_dev.emulators import check_prerequisites, start_firestore, start_pubsub
from calsync_dev.processes import ManagedProcess, StackError, free_port, port_is_free
from calsync_dev.wiring import PushRoute, drop_pending_pushes, wire_pubsub

__all__ = ["FUNCTION_ROUTES", "LocalStack", "StackConfig", "repo_root"]

FUNCTION_ROUTES = {"on_event_change": "platform-events", "on_enroll": "platform-enrollments"}
"""Which topic is pushed to which function."""


def repo_root() -> Path:
    """The checkout this tooling runs from."""
    return Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class StackConfig:
    """Ports (0 = any free port), project and the platform identity of the local stack."""

    project: str = "calsync-local"
    host: str = "127.0.0.1"
    firestore_port: int = 8681
    pubsub_port: int = 8682
    sandbox_port: int = 8690
    functions_base_port: int = 8701
    platform_email: str = "calsync@platform.example"
    platform_pool_size: int = 1
    """Platform identities in all: the primary and ``calsync<n>@<its domain>`` for n = 2…
    (``CALSYNC_PLATFORM_POOL``), each a Workspace user with its own OAuth grant."""
    coalesce_seconds: float = 2.0
    log_dir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()) / "calsync-dev")

    @classmethod
    def from_env(cls) -> StackConfig:
        """Defaults overridden by ``CALSYNC_DEV_*`` variables."""

        def port(name: str, default: int) -> int:
            return int(os.environ.get(f"CALSYNC_DEV_{name}_PORT", default))

        return cls(
            firestore_port=port("FIRESTORE", 8681),
            pubsub_port=port("PUBSUB", 8682),
            sandbox_port=port("SANDBOX", 8690),
            functions_base_port=port("FUNCTIONS_BASE", 8701),
        )

    @classmethod
    def ephemeral(cls, log_dir: Path) -> StackConfig:
        """Every port picked at random (tests)."""
        return cls(
            firestore_port=0, pubsub_port=0, sandbox_port=0, functions_base_port=0, log_dir=log_dir
        )


class LocalStack:
    """Starts and stops the whole local system."""

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.processes: list[ManagedProcess] = []
        self.sandbox: Any = None
        self.endpoints: dict[str, Any] = {}
        self.environment: dict[str, str] = {}
        self.push_routes: list[PushRoute] = []

    # -- lifecycle --------------------------------------------------------
    def start(self, with_functions: bool = True) -> dict[str, Any]:
        """Bring everything up; returns the endpoints (also printed by ``calsync dev``)."""
        try:
            return self._start(with_functions)
        except BaseException:
            self.stop()
            raise

    def _start(self, with_functions: bool) -> dict[str, Any]:
        check_prerequisites()
        cfg = self.config
        fs_port = cfg.firestore_port or free_port()
        ps_port = cfg.pubsub_port or free_port()
        with ThreadPoolExecutor(2) as pool:
            fs = pool.submit(start_firestore, fs_port, cfg.log_dir)
            ps = pool.submit(start_pubsub, ps_port, cfg.project, cfg.log_dir)
            for future in (fs, ps):
                try:
                    self.processes.append(future.result())
                except StackError:
                    for other in (fs, ps):
                        if other is not future and other.exception() is None:
                            other.result().stop()
                    raise
        self.environment = {
            "GOOGLE_CLOUD_PROJECT": cfg.project,
            "FIRESTORE_EMULATOR_HOST": f"{cfg.host}:{fs_port}",
            "PUBSUB_EMULATOR_HOST": f"{cfg.host}:{ps_port}",
        }
        os.environ.update(self.environment)
        sandbox_url = self._start_sandbox()
        self.environment.update(self._calsync_environment(sandbox_url))
        functions = self._start_functions() if with_functions else {}
        routes = [
            PushRoute(topic, functions[name])
            for name, topic in FUNCTION_ROUTES.items()
            if name in functions
        ]
        wire_pubsub(cfg.project, routes)
        self.push_routes = routes
        self.endpoints = {
            "project": cfg.project,
            "firestore_emulator": self.environment["FIRESTORE_EMULATOR_HOST"],
            "pubsub_emulator": self.environment["PUBSUB_EMULATOR_HOST"],
            "google_sandbox": sandbox_url,
            "functions": functions,
            "topics": {
                "platform_events": "platform-events",
                "platform_enrollments": "platform-enrollments",
                "results": "calsync-results",
            },
            "platform_identity": cfg.platform_email,
            "logs": str(cfg.log_dir),
        }
        return self.endpoints

    def drop_pending_pushes(self) -> None:
        """Forget the messages Pub/Sub still means to push (``wiring.drop_pending_pushes``)."""
        drop_pending_pushes(self.config.project, self.push_routes)

    def stop(self) -> None:
        """Stop functions, emulators and the sandbox; leaves no process behind."""
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None

    # -- parts ------------------------------------------------------------
    def _start_sandbox(self) -> str:
        from calsync_sandbox import Sandbox

        port = self.config.sandbox_port
        if port and not port_is_free(port, self.config.host):
            raise StackError(f"port {port} for the Google sandbox is busy; stop what uses it")
        self.sandbox = Sandbox()
        url: str = self.sandbox.start(host=self.config.host, port=port)
        return url

    def _calsync_environment(self, sandbox_url: str) -> dict[str, str]:
        """Seed the platform identity and queue; the variables every function gets."""
        from calsync.organizers.vault import LocalKeyring
        from calsync_dev.strictness import relax_until_calsync_ready
        from calsync_sandbox import SandboxControl

        control = SandboxControl(sandbox_url)
        relax_until_calsync_ready(control)
        credentials = seed_platform_identity(control, self.config.platform_email)
        admin_key = seed_admin_identity(control)
        queue = f"projects/{self.config.project}/locations/us-central1/queues/calsync"
        env = {
            "CALSYNC_GOOGLE_SANDBOX_URL": sandbox_url,
            "CALSYNC_PLATFORM_IDENTITY": "oauth",
            "CALSYNC_PLATFORM_SUBJECT": self.config.platform_email,
            "CALSYNC_PLATFORM_CREDENTIALS": json.dumps(credentials),
            "CALSYNC_TASKS_QUEUE": queue,
            "CALSYNC_COALESCE_SECONDS": str(self.config.coalesce_seconds),
            "CALSYNC_RETRY_DEADLINE_SECONDS": "5",
            # Organizers connect through the same (sandbox) OAuth client; a fresh state key and
            # local grant-encryption key per stack (the emulators start empty anyway).
            "CALSYNC_OAUTH_CLIENT_ID": credentials["client_id"],
            "CALSYNC_OAUTH_CLIENT_SECRET": credentials["client_secret"],
            "CALSYNC_STATE_SIGNING_KEY": secrets.token_urlsafe(32),
            "CALSYNC_LOCAL_ENCRYPTION_KEYS": LocalKeyring.generate_json(),
            # tenants' administrators (rooms catalog, orphan sweeper) via domain-wide delegation
            "CALSYNC_ADMIN_CREDENTIALS": json.dumps(admin_key),
        }
        pool = [
            {"subject": who, "credentials": seed_platform_identity(control, who)}
            for who in pool_members(self.config)
        ]
        if pool:
            env["CALSYNC_PLATFORM_POOL"] = json.dumps(pool)
        else:  # an earlier stack in this process may have set one
            os.environ.pop("CALSYNC_PLATFORM_POOL", None)
        os.environ.update(env)
        create_queue(sandbox_url, queue)
        return env

    def _start_functions(self) -> dict[str, str]:
        names = sorted(p.parent.name for p in (repo_root() / "functions").glob("*/main.py"))
        ports = {}
        for index, name in enumerate(names):
            base = self.config.functions_base_port
            ports[name] = base + index if base else free_port()
            if not port_is_free(ports[name], self.config.host):
                raise StackError(f"port {ports[name]} for function {name} is busy")
        urls = {name: f"http://{self.config.host}:{port}/" for name, port in ports.items()}
        if "reconcile" in urls:
            self.environment["CALSYNC_TASKS_URL"] = urls["reconcile"]
        if "on_calendar_change" in urls:  # http: see strictness.LOCAL_STACK_LENIENCY
            self.environment["CALSYNC_WATCH_URL"] = urls["on_calendar_change"]
            self.environment["CALSYNC_CALENDAR_CHANGE_SECONDS"] = str(self.config.coalesce_seconds)
            self.environment["CALSYNC_VERIFY_PAGE_SECONDS"] = str(self.config.coalesce_seconds)
        if "oauth_callback" in urls:
            self.environment["CALSYNC_OAUTH_REDIRECT_URI"] = urls["oauth_callback"] + "callback"
        for name in names:
            process = ManagedProcess(
                f"function {name}",
                [
                    sys.executable,
                    "-m",
                    "functions_framework",
                    "--target",
                    name,
                    "--source",
                    str(repo_root() / "functions" / name / "main.py"),
                    "--host",
                    self.config.host,
                    "--port",
                    str(ports[name]),
                ],
                self.config.log_dir / f"function-{name}.log",
                env=self.environment,
            )
            process.start()
            self.processes.append(process)
        for name in names:
            process = next(p for p in self.processes if p.name == f"function {name}")
            process.wait_ready(partial(_listening, self.config.host, ports[name]), 60)
        return urls


def _listening(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


PLATFORM_CLIENT = {
    "client_id": "calsync-local.apps.googleusercontent.com",
    "client_secret": "local-only-client-secret",
}
"""The local stack's OAuth client: fixed, so a sandbox reset can seed the same grant again."""


def pool_members(config: StackConfig) -> list[str]:
    """The pool's identities besides the primary (``StackConfig.platform_pool_size``)."""
    domain = config.platform_email.split("@", 1)[1]
    return [f"calsync{n}@{domain}" for n in range(2, config.platform_pool_size + 1)]


def seed_platform_identity(control: Any, email: str) -> dict[str, str]:
    """Create the platform's Workspace user and its OAuth grant in the sandbox (idempotent
    across resets: the same client and refresh token every time)."""
    domain = email.split("@", 1)[1]
    control.seed_domain(domain)
    control.seed_user(email, display_name="Learning platform")
    client = control.create_oauth_client(**PLATFORM_CLIENT)
    refresh_token = control.create_grant(
        email,
        client["client_id"],
        scopes=["https://www.googleapis.com/auth/calendar"],
        refresh_token=f"local-platform-grant-{email}",
    )
    return {
        "client_id": client["client_id"],
        "client_secret": client["client_secret"],
        "refresh_token": refresh_token,
    }


ADMIN_SERVICE_ACCOUNT = "calsync-admin@calsync-local.iam.gserviceaccount.com"


def seed_admin_identity(control: Any, key: dict[str, str] | None = None) -> dict[str, str]:
    """The service account tenants' admins authorise for domain-wide delegation; its key
    (``key`` re-creates it with a key handed out before a sandbox reset)."""
    created: dict[str, str] = control.create_service_account(
        ADMIN_SERVICE_ACCOUNT, domain_wide_delegation=True, key=key
    )
    return created


def create_queue(sandbox_url: str, queue: str) -> None:
    """Create the Cloud Tasks queue in the sandbox (idempotent)."""
    from google.api_core import exceptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import tasks_v2

    client = tasks_v2.CloudTasksClient(
        transport="rest",
        client_options={"api_endpoint": sandbox_url},
        credentials=AnonymousCredentials(),
    )
    parent, _, _ = queue.rpartition("/queues/")
    with contextlib.suppress(exceptions.Conflict):
        client.create_queue(parent=parent, queue=tasks_v2.Queue(name=queue))

"""The ``calsync`` command: the local stack, the demo, and operator tools.

calsync dev       run the local stack until Ctrl-C; prints one JSON line of endpoints
calsync demo      run the stack, play the scenario, print every calendar, stop
calsync schemas   write the contracts' JSON Schemas to docs/schemas/
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

import click

from calsync_dev.processes import StackError
from calsync_dev.stack import LocalStack, StackConfig, repo_root

__all__ = ["main"]


@click.group()
def main() -> None:
    """calsync: the learning platform's events in people's Google Calendars."""


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    return stop


@main.command()
def dev() -> None:
    """Run emulators, the Google sandbox and every function until Ctrl-C or SIGTERM."""
    stop = _stop_on_signals()
    stack = LocalStack(StackConfig.from_env())
    try:
        endpoints = stack.start()
        click.echo(json.dumps({"ready": True, **endpoints}), nl=True)
        sys.stdout.flush()
        stop.wait()
    except StackError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        stack.stop()
        click.echo("calsync dev: stopped", err=True)


@main.command()
@click.option("--timeout", default=60.0, show_default=True, help="Seconds to wait for each step.")
def demo(timeout: float) -> None:
    """Bring the stack up, play the scenario, print each person's calendar, shut down.

    Exits non-zero if any calendar does not match the platform's state.
    """
    from calsync_dev.scenario import run_scenario
    from calsync_sandbox import SandboxControl

    stop = _stop_on_signals()
    stack = LocalStack(StackConfig.ephemeral(StackConfig().log_dir))
    try:
        click.echo("calsync demo: starting emulators, Google sandbox and functions…", err=True)
        endpoints = stack.start()
        click.echo(f"calsync demo: stack ready (logs in {endpoints['logs']})", err=True)
        control = SandboxControl(endpoints["google_sandbox"])
        result = run_scenario(
            endpoints["project"],
            control,
            lambda line: click.echo(line),
            timeout,
            oauth_url=endpoints["functions"].get("oauth_callback", ""),
            sweeper_url=endpoints["functions"].get("orphan_sweeper", ""),
        )
        click.echo("\n" + result.report)
    except StackError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        stack.stop()
    if stop.is_set():
        raise click.ClickException("interrupted")
    if not result.converged:
        click.echo("\nCalendars do NOT match the platform's state:", err=True)
        for problem in result.problems:
            click.echo(f"  - {problem}", err=True)
        sys.exit(1)
    click.echo("\nEvery calendar matches the platform's state.")


@main.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Directory (default: docs/schemas in the checkout).",
)
def schemas(out: Path | None) -> None:
    """Write the JSON Schemas of the wire contracts."""
    from calsync.contracts import json_schemas

    target = out or repo_root() / "docs" / "schemas"
    target.mkdir(parents=True, exist_ok=True)
    for name, schema in json_schemas().items():
        (target / name).write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
        click.echo(f"wrote {target / name}")


@main.command()
@click.option("--tenant", required=True, help="Tenant id, e.g. acme.")
@click.option("--item", "item_key", required=True, help="kind:id, e.g. event:evt_123.")
@click.option("--email", default=None, help="The person to explain it for.")
def explain(tenant: str, item_key: str, email: str | None) -> None:
    """Explain an item's calendar state from calsync's records in Firestore.

    Uses the project and Firestore from the environment (GOOGLE_CLOUD_PROJECT,
    FIRESTORE_EMULATOR_HOST for the local stack).
    """
    from calsync.entrypoints.services import services
    from calsync.sync.explain import explain as explain_item

    store = services().store
    lines = explain_item(
        store.get_tenant(tenant),
        store.get_item(tenant, item_key),
        store.mappings(tenant, item_key),
        store.ledger(tenant, item_key),
        email.lower() if email else None,
    )
    click.echo("\n".join(lines))

"""The ``calsync`` command: the local stack, the demo, and operator tools.

calsync dev       run the local stack until Ctrl-C; prints one JSON line of endpoints
calsync demo      run the stack, play the scenario, print every calendar, stop
calsync schemas   write the contracts' JSON Schemas to docs/schemas/
calsync explain   one item's calendar state, from calsync's records
calsync status    one tenant's parts, failures, broken grants, waiting items, last sweep
calsync grants    each organizer's connection health in one tenant
calsync resync    schedule a paced re-sync of a tenant, or of one item
calsync dead-letters list|replay   the held dead letters; republish them after a fix

The operator commands read the project named by --project (default: GOOGLE_CLOUD_PROJECT),
with the operator's Application Default Credentials, or the local stack's emulators when
FIRESTORE_EMULATOR_HOST is set. Each offers --json for scripts.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

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


_PROJECT = click.option(
    "--project",
    default=None,
    help="Google Cloud project (default: GOOGLE_CLOUD_PROJECT, or the local stack's).",
)
_JSON = click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")


def _databases(project: str | None) -> tuple[Any, Any]:
    """Firestore clients for calsync's state and for the organizers' grants."""
    from calsync.config import get_settings
    from calsync.state.firestore_base import firestore_client

    settings = get_settings()
    name = project or settings.project
    return firestore_client(name), firestore_client(name, settings.grants_database)


def _progress() -> Any:
    """Progress lines go to stderr, so --json output stays one document on stdout."""
    return lambda line: click.echo(f"calsync: {line}", err=True)


@main.command()
@click.option("--tenant", required=True, help="Tenant id, e.g. acme.")
@_PROJECT
@_JSON
def status(tenant: str, project: str | None, as_json: bool) -> None:
    """One tenant's health: parts by state, failures by reason, broken grants, items
    waiting for Google (quota deferrals among them), the last sweep and verification."""
    from calsync_dev.operator_status import tenant_status

    db, grants_db = _databases(project)
    found = tenant_status(db, grants_db, tenant, _progress())
    if as_json:
        click.echo(json.dumps(found.as_json(), indent=2, sort_keys=True, default=str))
        return
    data = found.as_json()
    lines = [f"tenant {tenant}" + ("" if found.known else " (no tenant record)")]
    lines.append(f"items: {found.items}, waiting for Google: {len(found.waiting)}")
    lines += [f"  waiting: {key}" for key in found.waiting[:20]]
    if len(found.waiting) > 20:
        lines.append(f"  … and {len(found.waiting) - 20} more (--json lists them all)")
    lines.append("parts by state: " + _counts(found.parts_by_state))
    lines.append(
        "failures by reason (ledger outcomes other than ok): " + _counts(found.failures_by_reason)
    )
    lines.append(f"broken grants: {len(found.broken_grants)}")
    lines += [
        f"  {grant.email}: {grant.health} ({grant.reason or 'no reason recorded'})"
        for grant in found.broken_grants
    ]
    lines.append("last sweep: " + _when(data["last_sweep"], "at"))
    lines.append("last verification: " + _when(data["last_verification"], "finished_at"))
    click.echo("\n".join(lines))


@main.command()
@click.option("--tenant", required=True, help="Tenant id, e.g. acme.")
@_PROJECT
@_JSON
def grants(tenant: str, project: str | None, as_json: bool) -> None:
    """Each organizer's connection health in one tenant (never a token or secret)."""
    from calsync_dev.operator_grants import organizer_grants

    _, grants_db = _databases(project)
    found = organizer_grants(grants_db, tenant)
    if as_json:
        click.echo(json.dumps([grant.as_json() for grant in found], indent=2, sort_keys=True))
        return
    if not found:
        click.echo(f"tenant {tenant}: no organizer has connected Google Calendar")
        return
    for grant in found:
        mark = "BROKEN " if grant.broken else ""
        detail = f" ({grant.reason})" if grant.reason else ""
        missing = f", missing scopes {grant.missing_scopes}" if grant.missing_scopes else ""
        since = f", since {grant.updated_at}" if grant.updated_at else ""
        click.echo(f"{mark}{grant.email}: {grant.health}{detail}{missing}{since}")


@main.command()
@click.option("--tenant", required=True, help="Tenant id, e.g. acme.")
@click.option("--item", "item_key", default=None, help="Only this item: kind:id.")
@_PROJECT
@_JSON
def resync(tenant: str, item_key: str | None, project: str | None, as_json: bool) -> None:
    """Schedule a paced re-sync: Cloud Tasks walk the tenant a page at a time (or reconcile
    one item), at the queue's rate. Returns once the first task is scheduled.

    Against a deployed project, CALSYNC_TASKS_QUEUE, CALSYNC_TASKS_URL and
    CALSYNC_TASKS_SERVICE_ACCOUNT must name what the functions use (docs/operations.md).
    """
    from calsync.entrypoints.services import services
    from calsync_dev.operator_resync import ResyncRefused, schedule_resync

    _use_project(project)
    try:
        scheduled = schedule_resync(services(), tenant, item_key)
    except ResyncRefused as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(scheduled.as_json(), indent=2, sort_keys=True))
    elif scheduled.scope == "tenant":
        click.echo(
            f"tenant {tenant}: re-sync scheduled (first page task {scheduled.task}); "
            "`calsync status` shows the items still waiting"
        )
    else:
        click.echo(f"tenant {tenant}: reconcile of {scheduled.scope} scheduled ({scheduled.task})")


@main.command(name="move-tenant")
@click.option("--tenant", required=True, help="Tenant id, e.g. acme.")
@click.option("--to", "to", required=True, help="A platform identity of the pool (its email).")
@_PROJECT
@_JSON
def move_tenant(tenant: str, to: str, project: str | None, as_json: bool) -> None:
    """Move a tenant's calendar to another platform identity of the pool: shared with it as
    owner (no mail), then written as it. No event is recreated (docs/capacity.md).

    Needs CALSYNC_PLATFORM_SUBJECT, CALSYNC_PLATFORM_CREDENTIALS (or the delegation account)
    and CALSYNC_PLATFORM_POOL as the functions have them.
    """
    from calsync.entrypoints.services import services
    from calsync.errors import CalsyncError
    from calsync.sync.identity_moves import move_tenant as move

    _use_project(project)
    svc = services()
    try:
        report = move(svc.store, svc.platform_gateway, tenant, to)
    except CalsyncError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(report.__dict__, indent=2, sort_keys=True))
    elif report.moved:
        click.echo(f"tenant {tenant}: moved from {report.holder} to {report.to}")
    else:
        click.echo(f"tenant {tenant}: already with {report.to}")


@main.group(name="dead-letters")
def dead_letters() -> None:
    """Messages Pub/Sub gave up pushing, held on <topic>-dead-letter-hold for 7 days."""


_TOPIC = click.option(
    "--topic", default=None, help="Only this source topic's hold, e.g. platform-events."
)
_LIMIT = click.option("--limit", default=1000, show_default=True, help="At most this many.")


@dead_letters.command(name="list")
@_TOPIC
@_LIMIT
@_PROJECT
@_JSON
def dead_letters_list(topic: str | None, limit: int, project: str | None, as_json: bool) -> None:
    """Show the held messages without consuming them."""
    from calsync_dev.operator_dead_letters import dead_letters as held

    found = held(_project(project), topic, limit, _progress())
    if as_json:
        click.echo(json.dumps([letter.as_json() for letter in found], indent=2, sort_keys=True))
        return
    if not found:
        click.echo("no dead letters")
    for letter in found:
        click.echo(
            f"{letter.source_topic} {letter.message_id} published {letter.published_at}, "
            f"{letter.delivery_attempts or '?'} attempts: {letter.summary}"
        )


@dead_letters.command(name="replay")
@_TOPIC
@_LIMIT
@_PROJECT
@_JSON
def dead_letters_replay(topic: str | None, limit: int, project: str | None, as_json: bool) -> None:
    """Republish the held messages to their source topics (after the cause is fixed), then
    acknowledge them on the hold. calsync's version checks make a replay safe."""
    from calsync_dev.operator_dead_letters import replay_dead_letters

    replayed = replay_dead_letters(_project(project), topic, limit, _progress())
    if as_json:
        click.echo(json.dumps([letter.as_json() for letter in replayed], indent=2, sort_keys=True))
        return
    for letter in replayed:
        click.echo(f"replayed {letter.message_id} to {letter.source_topic}: {letter.summary}")
    click.echo(f"{len(replayed)} dead letters replayed")


def _project(project: str | None) -> str:
    from calsync.config import get_settings

    return project or get_settings().project


def _use_project(project: str | None) -> None:
    """Point calsync's settings (and so its clients) at ``project``."""
    if project is None:
        return
    import os

    from calsync.entrypoints.services import reset_services

    os.environ["GOOGLE_CLOUD_PROJECT"] = project
    reset_services()


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in counts.items()) or "none"


def _when(document: dict[str, Any] | None, at: str) -> str:
    if document is None:
        return "never"
    rest = {k: v for k, v in document.items() if k != at}
    return f"{document.get(at)} {json.dumps(rest, sort_keys=True, default=str)}"

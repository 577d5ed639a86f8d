"""Operator signals in Terraform (issue 16, item 6), read with python-hcl2 like the rest of
the deployment checks: the log-based metrics count lines calsync really writes, the alert
policies watch those metrics (and the dead-letter holds), the dashboard shows every metric
and every alert, and docs/operations.md explains each alert.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

from tests.terraform.deploycheck import REPO, TerraformConfig, block, strings

LIBRARY = REPO / "shared" / "calsync"
OPERATIONS_DOC = REPO / "docs" / "operations.md"

# metric resource name -> the module that writes the line it counts, and its labels
METRICS: dict[str, tuple[str, set[str]]] = {
    "results": ("google/results_topic.py", {"status", "error_code"}),
    "dead_letters": ("entrypoints/push.py", set()),
    "quota_deferrals": ("sync/quota_deferral.py", set()),
    "lease_takeovers": ("state/leases.py", {"lease"}),
    "broken_grants": ("organizers/grants.py", {"reason"}),
}
ALERTS = {"dead_letter_backlog", "failure_ratio", "quota_deferrals"}
LOG_CALLS = {"debug", "info", "warning", "error", "exception", "critical"}
METRIC_REF = re.compile(r"google_logging_metric\.(\w+)\.name")
LOCAL_REF = re.compile(r"local\.(\w+)")


def logged_messages(module: Path) -> set[str]:
    """The literal messages of every ``_LOG.<level>(message, ...)`` call in ``module`` (a
    module-level string constant counts as its value, ``a if x else b`` as both)."""
    tree = ast.parse(module.read_text(encoding="utf-8"))
    constants = {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in LOG_CALLS
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "_LOG"
            and node.args
        ):
            continue
        first = node.args[0]
        for message in [first.body, first.orelse] if isinstance(first, ast.IfExp) else [first]:
            if isinstance(message, ast.Constant) and isinstance(message.value, str):
                found.add(message.value)
            elif isinstance(message, ast.Name) and message.id in constants:
                found.add(constants[message.id])
    return found


def metrics_behind(tf: TerraformConfig, value: Any, seen: set[str] | None = None) -> set[str]:
    """The log-based metrics a value refers to, directly or through locals."""
    seen = set() if seen is None else seen
    text = " ".join(strings(value))
    names = set(METRIC_REF.findall(text))
    for local in LOCAL_REF.findall(text):
        if local not in seen and local in tf.locals:
            seen.add(local)
            names |= metrics_behind(tf, tf.locals[local], seen)
    return names


def threshold(policy: dict[str, Any], index: int = 0) -> dict[str, Any]:
    """The threshold condition of one of a policy's conditions."""
    conditions = policy["conditions"]
    assert isinstance(conditions, list)
    return block(conditions[index], "condition_threshold")


# ---- log-based metrics ---------------------------------------------------------------------


def test_the_five_log_metrics_are_declared_as_counters(tf: TerraformConfig) -> None:
    """Results, dead letters, quota deferrals, lease takeovers and broken grants: counters
    named under the deployment's prefix, over calsync's own function logs."""
    declared = tf.of_kind("google_logging_metric")
    assert set(declared) == set(METRICS)
    assert set(tf.locals["log_messages"]) == set(METRICS)
    for name, metric in declared.items():
        assert metric["name"].startswith("${var.name_prefix}/"), name
        descriptor = block(metric, "metric_descriptor")
        assert (descriptor["metric_kind"], descriptor["value_type"]) == ("DELTA", "INT64")
        assert "local.function_logs" in metric["filter"], name
        assert "jsonPayload.message=" in metric["filter"], name
        assert f"local.log_messages.{name}" in metric["filter"], name
    logs = tf.locals["function_logs"]
    assert 'resource.type=\\"cloud_run_revision\\"' in logs
    assert "for fn in local.functions" in logs
    assert "resource.labels.service_name" in logs


@pytest.mark.parametrize("name", sorted(METRICS))
def test_each_metric_counts_a_line_calsync_writes(tf: TerraformConfig, name: str) -> None:
    """The filter's message is exactly the message of a log call in the module that writes
    it: rewording the line without the metric (or the reverse) fails here."""
    module, _ = METRICS[name]
    message = tf.locals["log_messages"][name]
    assert message in logged_messages(LIBRARY / module), (
        f"{module} logs no line {message!r} (the {name} metric's filter)"
    )


@pytest.mark.parametrize("name", sorted(METRICS))
def test_labels_are_declared_and_extracted_from_the_line(tf: TerraformConfig, name: str) -> None:
    """Each label of a metric's descriptor has an extractor reading the same JSON field."""
    _, labels = METRICS[name]
    metric = tf.resource("google_logging_metric", name)
    declared = {label["key"] for label in block(metric, "metric_descriptor").get("labels", [])}
    assert declared == labels
    extractors = metric.get("label_extractors", {})
    assert set(extractors) == labels
    for key, extractor in extractors.items():
        assert extractor == f"EXTRACT(jsonPayload.{key})"


def test_dead_letters_are_pushes_refused_on_their_last_attempt(tf: TerraformConfig) -> None:
    """A push answered non-2xx with delivery_attempt >= max_delivery_attempts is the one
    Pub/Sub dead-letters; the filter reads the same variable as the subscriptions."""
    metric_filter = tf.resource("google_logging_metric", "dead_letters")["filter"]
    assert "jsonPayload.delivery_attempt>=${var.max_delivery_attempts}" in metric_filter
    push = tf.resource("google_pubsub_subscription", "push")
    assert block(push, "dead_letter_policy")["max_delivery_attempts"] == (
        "${var.max_delivery_attempts}"
    )


# ---- alert policies --------------------------------------------------------------------------


def test_the_three_alerts_notify_the_configured_channels(tf: TerraformConfig) -> None:
    """Dead-letter backlog, failure ratio, sustained quota deferrals; each notifies
    var.notification_channels (a list of channel names, empty by default)."""
    policies = tf.of_kind("google_monitoring_alert_policy")
    assert set(policies) == ALERTS
    for name, policy in policies.items():
        assert policy["notification_channels"] == "${var.notification_channels}", name
        assert policy["display_name"].startswith("calsync: "), name
        assert "local.operations_doc" in block(policy, "documentation")["content"], name
        assert policy["depends_on"] == ["${google_project_service.required}"], name
    channels = tf.variables["notification_channels"]
    assert channels["default"] == []
    assert channels["type"] == "${list(string)}"
    assert "notificationChannels" in block(channels, "validation")["condition"]


def test_dead_letter_backlog_watches_every_hold_subscription(tf: TerraformConfig) -> None:
    """Undelivered messages > 0 on the dead-letter holds for some minutes."""
    condition = threshold(tf.resource("google_monitoring_alert_policy", "dead_letter_backlog"))
    assert "pubsub.googleapis.com/subscription/num_undelivered_messages" in condition["filter"]
    assert "resource.labels.subscription_id=${local.dead_letter_holds}" in condition["filter"]
    holds = tf.locals["dead_letter_holds"]
    assert "monitoring.regex.full_match" in holds
    assert "google_pubsub_subscription.dead_letter_hold" in holds
    assert (condition["comparison"], condition["threshold_value"]) == ("COMPARISON_GT", 0)
    assert int(condition["duration"].rstrip("s")) >= 60


def test_failure_ratio_divides_failed_results_by_all_results(tf: TerraformConfig) -> None:
    """failed / all results from the results metric, over a variable threshold, and only with
    enough results to judge (both conditions, AND)."""
    policy = tf.resource("google_monitoring_alert_policy", "failure_ratio")
    assert policy["combiner"] == "AND"
    ratio = threshold(policy, 0)
    assert ratio["filter"] == "${local.failed_results}"
    assert ratio["denominator_filter"] == "${local.results_metric}"
    assert ratio["threshold_value"] == "${var.failure_ratio_threshold}"
    assert ratio["aggregations"] == ratio["denominator_aggregations"]
    assert metrics_behind(tf, ratio["filter"]) == {"results"}
    assert metrics_behind(tf, ratio["denominator_filter"]) == {"results"}
    failed = tf.locals["failed_results"]
    assert 'metric.labels.status="failed"' in failed
    assert 'metric.labels.error_code!="quotaExceeded"' in failed
    volume = threshold(policy, 1)
    assert volume["filter"] == "${local.results_metric}"
    assert volume["threshold_value"] == "${var.failure_ratio_min_results}"
    variable = tf.variables["failure_ratio_threshold"]
    assert 0 < variable["default"] < 1
    assert "var.failure_ratio_threshold" in block(variable, "validation")["condition"]


def test_quota_deferrals_alert_only_when_sustained(tf: TerraformConfig) -> None:
    """Deferrals in every window for at least 20 minutes, not one refusal."""
    condition = threshold(tf.resource("google_monitoring_alert_policy", "quota_deferrals"))
    assert metrics_behind(tf, condition["filter"]) == {"quota_deferrals"}
    assert (condition["comparison"], condition["threshold_value"]) == ("COMPARISON_GT", 0)
    assert int(condition["duration"].rstrip("s")) >= 1200


def test_monitoring_references_only_declared_metrics_and_alerts(tf: TerraformConfig) -> None:
    """Every google_logging_metric.X and google_monitoring_alert_policy.X named in
    monitoring.tf is declared."""
    text = " ".join(strings(tf.files["monitoring.tf"]))
    assert set(METRIC_REF.findall(text)) <= set(tf.of_kind("google_logging_metric"))
    policies = set(re.findall(r"google_monitoring_alert_policy\.(\w+)", text))
    assert policies <= set(tf.of_kind("google_monitoring_alert_policy"))


def test_the_monitoring_api_is_enabled(tf: TerraformConfig) -> None:
    """Alert policies and dashboards need the Monitoring API (logging is already on)."""
    assert "monitoring.googleapis.com" in tf.locals["required_apis"]
    assert "logging.googleapis.com" in tf.locals["required_apis"]


# ---- the dashboard --------------------------------------------------------------------------


def test_one_dashboard_shows_every_metric_and_every_alert(tf: TerraformConfig) -> None:
    """Its JSON is built from locals: a chart per signal (each log metric at least once),
    the failure ratio with its threshold, and one alert chart per policy."""
    dashboards = tf.of_kind("google_monitoring_dashboard")
    assert set(dashboards) == {"operations"}
    assert dashboards["operations"]["dashboard_json"] == (
        "${jsonencode(local.operations_dashboard)}"
    )
    layout = tf.locals["operations_dashboard"]["mosaicLayout"]
    for part in ("local.chart_tiles", "local.ratio_tile", "local.alert_tiles"):
        assert part in layout["tiles"]
    charted = set().union(*(metrics_behind(tf, c["filter"]) for c in tf.locals["dashboard_charts"]))
    assert charted == set(METRICS)
    pubsub = " ".join(c["filter"] for c in tf.locals["dashboard_charts"])
    assert "subscription/dead_letter_message_count" in pubsub
    assert "subscription/num_undelivered_messages" in pubsub
    alerts = {ref.split(".")[1].rstrip("}") for ref in tf.locals["dashboard_alerts"]}
    assert alerts == ALERTS
    assert "alertChart = {name = policy.name}" in tf.locals["alert_tiles"]
    ratio = tf.locals["ratio_tile"]["widget"]["xyChart"]
    query = ratio["dataSets"][0]["timeSeriesQuery"]["timeSeriesFilterRatio"]
    assert query["numerator"]["filter"] == "${local.failed_results}"
    assert query["denominator"]["filter"] == "${local.results_metric}"
    assert ratio["thresholds"][0]["value"] == "${var.failure_ratio_threshold}"


# ---- docs/operations.md ---------------------------------------------------------------------


def test_operations_doc_explains_each_alert_and_lists_each_metric(tf: TerraformConfig) -> None:
    """Each alert's documentation names its section in docs/operations.md, which exists;
    every metric is listed there under its metric name."""
    doc = OPERATIONS_DOC.read_text(encoding="utf-8")
    headings = {line.lstrip("#").strip() for line in doc.splitlines() if line.startswith("#")}
    for name, policy in tf.of_kind("google_monitoring_alert_policy").items():
        content = block(policy, "documentation")["content"]
        section = re.search(r'See \\?"([^"\\]+)\\?" in', content)
        assert section, f"{name}: its documentation names no section of docs/operations.md"
        assert section[1] in headings, f"docs/operations.md has no section {section[1]!r}"
    for name, metric in tf.of_kind("google_logging_metric").items():
        short = metric["name"].split("/", 1)[1]
        assert f"`{short}`" in doc, f"docs/operations.md does not list the {short} metric"
        assert tf.locals["log_messages"][name] in doc, name


def test_operations_doc_is_linked(tf: TerraformConfig) -> None:
    """The README and docs/deployment.md point operators to it."""
    for page in (REPO / "README.md", REPO / "docs" / "deployment.md"):
        assert "operations.md" in page.read_text(encoding="utf-8"), page.name

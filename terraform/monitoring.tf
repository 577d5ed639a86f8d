# Operator signals (docs/operations.md): log-based metrics counted from the structured lines
# calsync writes, alert policies on them and on the dead-letter holds, and one dashboard.
# Every metric's filter matches one log line's exact `message`; tests/terraform checks that
# each message is still what calsync logs, in the module named beside it.

locals {
  # The `message` of the line each log-based metric counts, and where calsync writes it.
  log_messages = {
    results         = "result published"                                                # google/results_topic.py
    dead_letters    = "push not acknowledged; Pub/Sub redelivers it or dead-letters it" # entrypoints/push.py
    quota_deferrals = "Google's usage limiter refused; the item is retried later"       # sync/quota_deferral.py
    lease_takeovers = "an expired lease was taken over from another worker"             # state/leases.py
    broken_grants   = "organizer needs to connect again"                                # organizers/grants.py
  }

  # calsync's container logs: the functions' Cloud Run services (gen2 functions log there).
  function_logs = join(" ", [
    "resource.type=\"cloud_run_revision\" AND",
    "(${join(" OR ", [for fn in local.functions : "resource.labels.service_name=\"${fn.name}\""])})",
  ])

  user_metric = "logging.googleapis.com/user"

  # The Pub/Sub subscriptions dead letters wait in (pubsub.tf), for the backlog alert.
  dead_letter_holds = "monitoring.regex.full_match(\"${join("|", [for hold in google_pubsub_subscription.dead_letter_hold : hold.name])}\")"
}

# ---- log-based metrics ----------------------------------------------------------------------

resource "google_logging_metric" "results" {
  project     = var.project_id
  name        = "${var.name_prefix}/results"
  description = "Results calsync published on ${var.results_topic}, one per part and outcome, by status and error code."
  filter      = "${local.function_logs} AND jsonPayload.message=\"${local.log_messages.results}\""

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "calsync results"

    labels {
      key         = "status"
      value_type  = "STRING"
      description = "synced, deleted, rejected, failed, skipped, needs_consent, room_declined, meet_failed, transferred, drifted or responded."
    }
    labels {
      key         = "error_code"
      value_type  = "STRING"
      description = "Why a part failed or was rejected (quotaExceeded, forbidden, …); empty otherwise."
    }
  }

  label_extractors = {
    status     = "EXTRACT(jsonPayload.status)"
    error_code = "EXTRACT(jsonPayload.error_code)"
  }

  depends_on = [google_project_service.required]
}

# A push answered with anything but 2xx on its last delivery attempt: Pub/Sub dead-letters
# the message. (Pub/Sub's own count, subscription/dead_letter_message_count, is on the
# dashboard too; it also sees pushes that timed out and the platform's results subscription.)
resource "google_logging_metric" "dead_letters" {
  project     = var.project_id
  name        = "${var.name_prefix}/dead_lettered_messages"
  description = "Pushes calsync failed on their last delivery attempt (max_delivery_attempts): messages Pub/Sub dead-letters."
  filter = join(" AND ", [
    local.function_logs,
    "jsonPayload.message=\"${local.log_messages.dead_letters}\"",
    "jsonPayload.delivery_attempt>=${var.max_delivery_attempts}",
  ])

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "calsync dead-lettered messages"
  }

  depends_on = [google_project_service.required]
}

resource "google_logging_metric" "quota_deferrals" {
  project     = var.project_id
  name        = "${var.name_prefix}/quota_deferrals"
  description = "Items Google's usage limiter (quotaExceeded) refused, deferred to a Cloud Task that retries them later."
  filter      = "${local.function_logs} AND jsonPayload.message=\"${local.log_messages.quota_deferrals}\""

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "calsync quota deferrals"
  }

  depends_on = [google_project_service.required]
}

resource "google_logging_metric" "lease_takeovers" {
  project     = var.project_id
  name        = "${var.name_prefix}/lease_takeovers"
  description = "Leases taken from a holder whose time ran out (a worker crashed, timed out or stalled mid-reconcile or mid-sweep)."
  filter      = "${local.function_logs} AND jsonPayload.message=\"${local.log_messages.lease_takeovers}\""

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "calsync lease takeovers"

    labels {
      key         = "lease"
      value_type  = "STRING"
      description = "reconcile (one item's) or the tenant-wide lease's name (sweep)."
    }
  }

  label_extractors = {
    lease = "EXTRACT(jsonPayload.lease)"
  }

  depends_on = [google_project_service.required]
}

resource "google_logging_metric" "broken_grants" {
  project     = var.project_id
  name        = "${var.name_prefix}/broken_grants"
  description = "Organizers' grants Google refused (invalid_grant, …): the organizer was marked needs_consent and must connect again."
  filter      = "${local.function_logs} AND jsonPayload.message=\"${local.log_messages.broken_grants}\""

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "calsync broken grants"

    labels {
      key         = "reason"
      value_type  = "STRING"
      description = "Why the grant broke (invalid_grant, …)."
    }
  }

  label_extractors = {
    reason = "EXTRACT(jsonPayload.reason)"
  }

  depends_on = [google_project_service.required]
}

# ---- alert policies -------------------------------------------------------------------------

locals {
  results_metric = "metric.type=\"${local.user_metric}/${google_logging_metric.results.name}\""
  # Failed results, quota deferrals aside (they are `failed` with error_code quotaExceeded
  # and have an alert of their own).
  failed_results = "${local.results_metric} AND metric.labels.status=\"failed\" AND metric.labels.error_code!=\"quotaExceeded\""
  quota_metric   = "metric.type=\"${local.user_metric}/${google_logging_metric.quota_deferrals.name}\""
  operations_doc = "docs/operations.md in the calsync repository"
}

resource "google_monitoring_alert_policy" "dead_letter_backlog" {
  project               = var.project_id
  display_name          = "calsync: dead letters waiting"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = var.notification_channels
  user_labels           = var.labels

  conditions {
    display_name = "Undelivered messages in a dead-letter hold subscription"

    condition_threshold {
      filter                  = "resource.type=\"pubsub_subscription\" AND metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\" AND resource.labels.subscription_id=${local.dead_letter_holds}"
      comparison              = "COMPARISON_GT"
      threshold_value         = 0
      duration                = "300s"
      evaluation_missing_data = "EVALUATION_MISSING_DATA_INACTIVE"

      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }

      trigger {
        count = 1
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "Messages calsync could not handle in ${var.max_delivery_attempts} attempts wait in a `*-dead-letter-hold` subscription for 7 days. See \"Dead letters waiting\" in ${local.operations_doc}: find why in the function's logs, fix it, replay, then acknowledge."
  }

  alert_strategy {
    auto_close = "604800s"
  }

  depends_on = [google_project_service.required]
}

resource "google_monitoring_alert_policy" "failure_ratio" {
  project               = var.project_id
  display_name          = "calsync: failed results over the threshold"
  combiner              = "AND"
  severity              = "ERROR"
  notification_channels = var.notification_channels
  user_labels           = var.labels

  conditions {
    display_name = "Failed results / all results over 15 minutes"

    condition_threshold {
      filter                  = local.failed_results
      denominator_filter      = local.results_metric
      comparison              = "COMPARISON_GT"
      threshold_value         = var.failure_ratio_threshold
      duration                = "0s"
      evaluation_missing_data = "EVALUATION_MISSING_DATA_INACTIVE"

      aggregations {
        alignment_period     = "900s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }

      denominator_aggregations {
        alignment_period     = "900s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }

      trigger {
        count = 1
      }
    }
  }

  conditions {
    display_name = "Enough results over 15 minutes to judge"

    condition_threshold {
      filter                  = local.results_metric
      comparison              = "COMPARISON_GT"
      threshold_value         = var.failure_ratio_min_results
      duration                = "0s"
      evaluation_missing_data = "EVALUATION_MISSING_DATA_INACTIVE"

      aggregations {
        alignment_period     = "900s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }

      trigger {
        count = 1
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "More than ${var.failure_ratio_threshold} of the results calsync published in 15 minutes (at least ${var.failure_ratio_min_results} of them) were `failed`, quota deferrals aside. See \"Failed results\" in ${local.operations_doc}: chart the failures by error code, then read those results' log lines."
  }

  alert_strategy {
    auto_close = "86400s"
  }

  depends_on = [google_project_service.required]
}

resource "google_monitoring_alert_policy" "quota_deferrals" {
  project               = var.project_id
  display_name          = "calsync: Google's usage limiter keeps refusing"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = var.notification_channels
  user_labels           = var.labels

  conditions {
    display_name = "Quota deferrals in every 10 minutes for 30 minutes"

    condition_threshold {
      filter                  = local.quota_metric
      comparison              = "COMPARISON_GT"
      threshold_value         = 0
      duration                = "1800s"
      evaluation_missing_data = "EVALUATION_MISSING_DATA_INACTIVE"

      aggregations {
        alignment_period     = "600s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }

      trigger {
        count = 1
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "Google's usage limiter (quotaExceeded) has refused calsync's writes for 30 minutes; the refused items wait in Cloud Tasks and retry with growing delays. See \"Sustained quota deferrals\" in ${local.operations_doc}: find which identity and tenant, then slow that identity down."
  }

  alert_strategy {
    auto_close = "86400s"
  }

  depends_on = [google_project_service.required]
}

# ---- the dashboard ----------------------------------------------------------------------------

locals {
  # One chart per signal, two to a row: title, filter, aligner and reducer, grouped by.
  dashboard_charts = [
    {
      title    = "Results by status"
      filter   = local.results_metric
      aligner  = "ALIGN_SUM"
      reducer  = "REDUCE_SUM"
      group_by = ["metric.label.status"]
    },
    {
      title    = "Failed results by error code"
      filter   = "${local.results_metric} AND metric.labels.status=\"failed\""
      aligner  = "ALIGN_SUM"
      reducer  = "REDUCE_SUM"
      group_by = ["metric.label.error_code"]
    },
    {
      title    = "Quota deferrals by function"
      filter   = local.quota_metric
      aligner  = "ALIGN_SUM"
      reducer  = "REDUCE_SUM"
      group_by = ["resource.label.service_name"]
    },
    {
      title    = "Lease takeovers by lease"
      filter   = "metric.type=\"${local.user_metric}/${google_logging_metric.lease_takeovers.name}\""
      aligner  = "ALIGN_SUM"
      reducer  = "REDUCE_SUM"
      group_by = ["metric.label.lease"]
    },
    {
      title    = "Broken grants by reason"
      filter   = "metric.type=\"${local.user_metric}/${google_logging_metric.broken_grants.name}\""
      aligner  = "ALIGN_SUM"
      reducer  = "REDUCE_SUM"
      group_by = ["metric.label.reason"]
    },
    {
      title    = "Dead-lettered pushes by function (calsync's logs)"
      filter   = "metric.type=\"${local.user_metric}/${google_logging_metric.dead_letters.name}\""
      aligner  = "ALIGN_SUM"
      reducer  = "REDUCE_SUM"
      group_by = ["resource.label.service_name"]
    },
    {
      title    = "Messages dead-lettered by subscription (Pub/Sub)"
      filter   = "resource.type=\"pubsub_subscription\" AND metric.type=\"pubsub.googleapis.com/subscription/dead_letter_message_count\""
      aligner  = "ALIGN_SUM"
      reducer  = "REDUCE_SUM"
      group_by = ["resource.label.subscription_id"]
    },
    {
      title    = "Dead letters waiting, by hold subscription"
      filter   = "resource.type=\"pubsub_subscription\" AND metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\" AND resource.labels.subscription_id=${local.dead_letter_holds}"
      aligner  = "ALIGN_MAX"
      reducer  = "REDUCE_MAX"
      group_by = ["resource.label.subscription_id"]
    },
  ]

  # The alerts' own charts (their conditions and incidents), below the signals.
  dashboard_alerts = [
    google_monitoring_alert_policy.dead_letter_backlog,
    google_monitoring_alert_policy.failure_ratio,
    google_monitoring_alert_policy.quota_deferrals,
  ]

  chart_tiles = [
    for index, chart in local.dashboard_charts : {
      xPos   = (index % 2) * 24
      yPos   = floor(index / 2) * 16
      width  = 24
      height = 16
      widget = {
        title = chart.title
        xyChart = {
          dataSets = [{
            plotType   = "STACKED_BAR"
            targetAxis = "Y1"
            timeSeriesQuery = {
              timeSeriesFilter = {
                filter = chart.filter
                aggregation = {
                  alignmentPeriod    = "300s"
                  perSeriesAligner   = chart.aligner
                  crossSeriesReducer = chart.reducer
                  groupByFields      = chart.group_by
                }
              }
            }
          }]
          yAxis = { scale = "LINEAR" }
        }
      }
    }
  ]

  # The failure ratio the failure_ratio alert watches, with its threshold.
  ratio_tile = {
    xPos   = 0
    yPos   = ceil(length(local.dashboard_charts) / 2) * 16
    width  = 48
    height = 16
    widget = {
      title = "Failed results / all results (quota deferrals aside)"
      xyChart = {
        dataSets = [{
          plotType   = "LINE"
          targetAxis = "Y1"
          timeSeriesQuery = {
            timeSeriesFilterRatio = {
              numerator = {
                filter = local.failed_results
                aggregation = {
                  alignmentPeriod    = "900s"
                  perSeriesAligner   = "ALIGN_SUM"
                  crossSeriesReducer = "REDUCE_SUM"
                }
              }
              denominator = {
                filter = local.results_metric
                aggregation = {
                  alignmentPeriod    = "900s"
                  perSeriesAligner   = "ALIGN_SUM"
                  crossSeriesReducer = "REDUCE_SUM"
                }
              }
            }
          }
        }]
        thresholds = [{ label = "failure_ratio_threshold", value = var.failure_ratio_threshold, targetAxis = "Y1" }]
        yAxis      = { scale = "LINEAR" }
      }
    }
  }

  alert_tiles = [
    for index, policy in local.dashboard_alerts : {
      xPos   = (index % 3) * 16
      yPos   = (ceil(length(local.dashboard_charts) / 2) + 1) * 16
      width  = 16
      height = 16
      widget = {
        title      = policy.display_name
        alertChart = { name = policy.name }
      }
    }
  ]

  operations_dashboard = {
    displayName  = "calsync operations"
    mosaicLayout = { columns = 48, tiles = concat(local.chart_tiles, [local.ratio_tile], local.alert_tiles) }
  }
}

resource "google_monitoring_dashboard" "operations" {
  project        = var.project_id
  dashboard_json = jsonencode(local.operations_dashboard)

  depends_on = [google_project_service.required]
}

# The Cloud Tasks queue behind coalescing and deferred work: named, delayed HTTP tasks
# that POST to the reconcile function with an OIDC token of the tasks invoker.

resource "google_cloud_tasks_queue" "reconcile" {
  project  = var.project_id
  name     = "${var.name_prefix}-reconcile"
  location = var.region

  rate_limits {
    # Sized to the Calendar API per-user quota (locals.tf); Cloud Tasks also backs off on
    # 429/503 answers and honours Retry-After.
    max_dispatches_per_second = local.reconcile_dispatches_per_second
    max_concurrent_dispatches = 10
  }

  retry_config {
    max_attempts       = 50
    max_retry_duration = "86400s"
    min_backoff        = "10s"
    max_backoff        = "600s"
    max_doublings      = 6
  }

  stackdriver_logging_config {
    sampling_ratio = 1.0
  }

  depends_on = [google_project_service.required]
}

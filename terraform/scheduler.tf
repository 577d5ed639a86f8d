# The orphan sweeper runs on a schedule; Cloud Scheduler calls it with an OIDC token.
# Scheduler is at-least-once and the sweeper is idempotent and resumable (DESIGN.md §6).

resource "google_cloud_scheduler_job" "orphan_sweeper" {
  project          = var.project_id
  region           = var.region
  name             = "${var.name_prefix}-orphan-sweeper"
  description      = "Moves suspended organizers' future events to successors."
  schedule         = var.sweeper_schedule
  time_zone        = var.sweeper_time_zone
  attempt_deadline = "1800s"

  retry_config {
    retry_count          = 3
    min_backoff_duration = "60s"
    max_backoff_duration = "600s"
    max_doublings        = 3
  }

  http_target {
    http_method = "POST"
    uri         = local.function_urls.orphan_sweeper
    body        = base64encode(jsonencode({ dry_run = false }))
    headers = {
      "Content-Type" = "application/json"
    }

    oidc_token {
      service_account_email = google_service_account.scheduler.email
      audience              = local.function_urls.orphan_sweeper
    }
  }

  depends_on = [google_project_service.required, google_cloud_run_v2_service_iam_member.invoker]
}

# Two-way sync's verification pass (docs/two-way-sync.md): compares every future synced part
# of each tenant with two-way sync on with Google, paced page by page through Cloud Tasks.
# The orphan sweeper's function answers it (POST /verify): both are Cloud Scheduler's jobs,
# with the same caller, ingress and identity. A repeated delivery of one schedule time names
# the same page tasks, so it schedules nothing twice.
resource "google_cloud_scheduler_job" "verification" {
  project          = var.project_id
  region           = var.region
  name             = "${var.name_prefix}-verification"
  description      = "Two-way sync: checks future synced events against Google Calendar."
  schedule         = var.verification_schedule
  time_zone        = var.sweeper_time_zone
  attempt_deadline = "300s"

  retry_config {
    retry_count          = 3
    min_backoff_duration = "60s"
    max_backoff_duration = "600s"
    max_doublings        = 3
  }

  http_target {
    http_method = "POST"
    uri         = "${local.function_urls.orphan_sweeper}/verify"
    headers = {
      "Content-Type" = "application/json"
    }

    oidc_token {
      service_account_email = google_service_account.scheduler.email
      audience              = local.function_urls.orphan_sweeper
    }
  }

  depends_on = [google_project_service.required, google_cloud_run_v2_service_iam_member.invoker]
}

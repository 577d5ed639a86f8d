# One service account per function (runtime identity), plus the identities that invoke
# them (Pub/Sub push, Cloud Tasks, Cloud Scheduler) and the one that builds them. No
# primitive roles anywhere; every grant is on the narrowest resource that takes it.

resource "google_service_account" "function" {
  for_each = local.functions

  project      = var.project_id
  account_id   = "${var.name_prefix}-${each.value.name}"
  display_name = "calsync ${each.value.name} function"
  description  = "Runtime identity of the ${each.value.name} function."

  depends_on = [google_project_service.required]
}

resource "google_service_account" "pubsub_push" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-pubsub-push"
  display_name = "calsync Pub/Sub push"
  description  = "OIDC identity of the push subscriptions; may invoke on-event-change and on-enroll."

  depends_on = [google_project_service.required]
}

resource "google_service_account" "tasks_invoker" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-tasks-invoker"
  display_name = "calsync Cloud Tasks invoker"
  description  = "OIDC identity of reconcile tasks; may invoke reconcile."

  depends_on = [google_project_service.required]
}

resource "google_service_account" "scheduler" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-scheduler"
  display_name = "calsync Cloud Scheduler"
  description  = "OIDC identity of the sweeper schedule; may invoke orphan-sweeper."

  depends_on = [google_project_service.required]
}

resource "google_service_account" "build" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-build"
  display_name = "calsync function builds"
  description  = "Cloud Build identity that turns function sources into images."

  depends_on = [google_project_service.required]
}

# ---- runtime grants -------------------------------------------------------------------

resource "google_project_iam_member" "firestore_user" {
  for_each = local.functions_with.firestore

  project = var.project_id
  role    = "roles/datastore.user"
  member  = google_service_account.function[each.key].member
}

# Functions that schedule reconciles: enqueue on the queue, and act as the tasks invoker
# (Cloud Tasks requires iam.serviceAccounts.actAs on a task's OIDC service account).
resource "google_cloud_tasks_queue_iam_member" "enqueuer" {
  for_each = local.functions_with.tasks

  project  = var.project_id
  location = google_cloud_tasks_queue.reconcile.location
  name     = google_cloud_tasks_queue.reconcile.name
  role     = "roles/cloudtasks.enqueuer"
  member   = google_service_account.function[each.key].member
}

resource "google_service_account_iam_member" "tasks_invoker_user" {
  for_each = local.functions_with.tasks

  service_account_id = google_service_account.tasks_invoker.name
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.function[each.key].member
}

# ---- build grants -----------------------------------------------------------------------

resource "google_project_iam_member" "build" {
  for_each = toset([
    "roles/logging.logWriter",    # build logs
    "roles/storage.objectViewer", # the staged source Cloud Functions copies for the build
  ])

  project = var.project_id
  role    = each.value
  member  = google_service_account.build.member
}

resource "google_artifact_registry_repository_iam_member" "build_writer" {
  project    = var.project_id
  location   = google_artifact_registry_repository.functions.location
  repository = google_artifact_registry_repository.functions.name
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.build.member
}

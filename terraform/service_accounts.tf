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

# Firestore access is granted per database through IAM conditions on resource.name: the main
# database to every function with `firestore`, the grants database only to those with `grants`.
resource "google_project_iam_member" "firestore_user" {
  for_each = local.functions_with.firestore

  project = var.project_id
  role    = "roles/datastore.user"
  member  = google_service_account.function[each.key].member

  condition {
    title       = "calsync main database only"
    description = "Firestore (default) database; not the grants database."
    expression  = "resource.name == \"${local.database_resource.main}\""
  }
}

resource "google_project_iam_member" "grants_database_user" {
  for_each = local.functions_with.grants

  project = var.project_id
  role    = "roles/datastore.user"
  member  = google_service_account.function[each.key].member

  condition {
    title       = "calsync grants database only"
    description = "Organizers' encrypted grants and OAuth flow states."
    expression  = "resource.name == \"${local.database_resource.grants}\""
  }
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

# ---- domain-wide delegation, keyless ----------------------------------------------------
# The accounts Workspace admins authorise for domain-wide delegation (their unique_id is the
# client ID to authorise; outputs.tf). They have no key, and the org policy
# iam.disableServiceAccountKeyCreation may stay enforced. A function acts through one by asking
# IAM Credentials (signJwt) to sign the assertion, which needs
# roles/iam.serviceAccountTokenCreator on that account, granted to exactly the functions with
# the matching capability. They hold no role in the project.

resource "google_service_account" "admin_delegation" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-admin-dwd"
  display_name = "calsync tenant admin (domain-wide delegation)"
  description  = "Keyless; acts as each tenant's admin_email (Directory, Data Transfer, successors)."

  depends_on = [google_project_service.required]
}

resource "google_service_account" "platform_delegation" {
  count = local.platform_uses_oauth ? 0 : 1

  project      = var.project_id
  account_id   = "${var.name_prefix}-platform-dwd"
  display_name = "calsync platform account (domain-wide delegation)"
  description  = "Keyless; acts as platform_subject, the owner of the tenants' calendars."

  depends_on = [google_project_service.required]
}

resource "google_service_account_iam_member" "admin_delegation_signer" {
  for_each = local.functions_with.admin

  service_account_id = google_service_account.admin_delegation.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = google_service_account.function[each.key].member
}

resource "google_service_account_iam_member" "platform_delegation_signer" {
  for_each = local.platform_uses_oauth ? toset([]) : local.functions_with.platform

  service_account_id = google_service_account.platform_delegation[0].name
  role               = "roles/iam.serviceAccountTokenCreator"
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

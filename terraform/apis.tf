# Google APIs calsync needs, enabled in the project. Disabling them on destroy is left
# off: other workloads in the project may use them too.

locals {
  required_apis = toset([
    "admin.googleapis.com",                # Admin SDK: Directory (users, rooms) and Data Transfer
    "artifactregistry.googleapis.com",     # function images
    "calendar-json.googleapis.com",        # Google Calendar API
    "cloudbuild.googleapis.com",           # builds function sources
    "cloudfunctions.googleapis.com",       # Cloud Run functions (gen2) API
    "cloudkms.googleapis.com",             # grant encryption key
    "cloudresourcemanager.googleapis.com", # project lookups
    "cloudscheduler.googleapis.com",       # orphan sweeper schedule
    "cloudtasks.googleapis.com",           # coalesced, delayed reconciles
    "compute.googleapis.com",              # the rate-limiting load balancer (public_domain)
    "firebaserules.googleapis.com",        # the deny-all Firestore security ruleset
    "firestore.googleapis.com",            # state
    "iam.googleapis.com",                  # service accounts
    "iamcredentials.googleapis.com",       # OIDC tokens for push, tasks and scheduler
    "logging.googleapis.com",              # function and build logs, log-based metrics
    "monitoring.googleapis.com",           # alert policies and the operations dashboard
    "pubsub.googleapis.com",               # platform topics, results, dead letters
    "run.googleapis.com",                  # the functions' Cloud Run services
    "secretmanager.googleapis.com",        # OAuth client secret, signing key, credentials
    "storage.googleapis.com",              # function source bundles
  ])
}

data "google_project" "this" {
  project_id = var.project_id
}

resource "google_project_service" "required" {
  for_each = local.required_apis

  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}

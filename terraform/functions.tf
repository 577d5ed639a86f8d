# The six HTTP functions (Cloud Run functions gen2, python312), their source bundles and
# who may invoke them. Build the bundles first: `python -m calsync_dev.bundle` stages
# build/functions/<key>/ (main.py, requirements.txt, calsync/), which is zipped here. The
# zip's MD5 is part of the object name, so any code change redeploys the function.

locals {
  # Relative, so the state does not depend on where the repository is checked out.
  bundle_root = "${path.module}/../build"
}

resource "google_storage_bucket" "sources" {
  #checkov:skip=CKV_GCP_62:Holds only build inputs (function zips) written by Terraform; object access is already in Cloud Audit Logs, a second log bucket adds nothing.
  project                     = var.project_id
  name                        = "${var.project_id}-${var.name_prefix}-sources"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  labels                      = var.labels

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 30
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.required]
}

resource "google_artifact_registry_repository" "functions" {
  #checkov:skip=CKV_GCP_84:Images hold only calsync's code and public PyPI packages, no data or secrets; Google-managed encryption at rest suffices, and a CMEK key could never be deleted again.
  project       = var.project_id
  location      = var.region
  repository_id = "${var.name_prefix}-functions"
  description   = "Images built from the calsync function sources."
  format        = "DOCKER"
  labels        = var.labels

  # Old builds are removed after 30 days, but the 5 newest images of each function (the
  # running one among them) are always kept.
  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 5
    }
  }

  cleanup_policies {
    id     = "delete-old"
    action = "DELETE"
    condition {
      tag_state  = "ANY"
      older_than = "2592000s"
    }
  }

  depends_on = [google_project_service.required]
}

data "archive_file" "bundle" {
  for_each = local.functions

  type             = "zip"
  source_dir       = "${local.bundle_root}/functions/${each.key}"
  output_path      = "${local.bundle_root}/zips/${each.key}.zip"
  output_file_mode = "0644"
}

resource "google_storage_bucket_object" "bundle" {
  for_each = local.functions

  bucket       = google_storage_bucket.sources.name
  name         = "functions/${each.value.name}-${data.archive_file.bundle[each.key].output_md5}.zip"
  source       = data.archive_file.bundle[each.key].output_path
  content_type = "application/zip"
}

resource "google_cloudfunctions2_function" "function" {
  #checkov:skip=CKV_GCP_124:Only oauth-callback (organizers' browsers) and rooms (the platform, outside Google Cloud) take ALLOW_ALL ingress, both behind IAM or their own checks; the four Google-invoked functions are ALLOW_INTERNAL_ONLY (tests/terraform asserts it).
  for_each = local.functions

  project     = var.project_id
  location    = var.region
  name        = each.value.name
  description = each.value.description
  labels      = var.labels

  build_config {
    runtime           = "python312"
    entry_point       = each.key
    service_account   = google_service_account.build.id
    docker_repository = google_artifact_registry_repository.functions.id

    source {
      storage_source {
        bucket = google_storage_bucket.sources.name
        object = google_storage_bucket_object.bundle[each.key].name
      }
    }
  }

  service_config {
    service_account_email            = google_service_account.function[each.key].email
    timeout_seconds                  = each.value.timeout
    available_memory                 = each.value.memory
    available_cpu                    = "1"
    max_instance_request_concurrency = 1
    min_instance_count               = lookup(var.min_instances, each.key, 0)
    max_instance_count               = var.max_instances
    # behind the rate-limiting load balancer (rate_limit.tf), oauth-callback cannot be reached
    # around it
    ingress_settings = local.ingress_settings[
      each.key == "oauth_callback" && local.public_lb ? "internal_and_lb" : each.value.ingress
    ]
    all_traffic_on_latest_revision = true
    environment_variables          = local.function_env[each.key]

    dynamic "secret_environment_variables" {
      for_each = local.function_secrets[each.key]

      content {
        key        = secret_environment_variables.key
        project_id = var.project_id
        secret     = google_secret_manager_secret.calsync[secret_environment_variables.value].secret_id
        version    = local.secret_version_numbers[secret_environment_variables.value]
      }
    }
  }

  depends_on = [
    google_project_iam_member.build,
    google_artifact_registry_repository_iam_member.build_writer,
    google_project_iam_member.firestore_user,
    google_project_iam_member.grants_database_user,
    google_secret_manager_secret_iam_member.function,
    google_kms_crypto_key_iam_member.function,
    google_service_account_iam_member.admin_delegation_signer,
    google_service_account_iam_member.platform_delegation_signer,
  ]
}

# Who may invoke each function: exactly one identity, its caller. Only oauth-callback,
# which organizers' browsers open, is public.
resource "google_cloud_run_v2_service_iam_member" "invoker" {
  for_each = local.functions

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.function[each.key].name
  role     = "roles/run.invoker"
  member   = local.invoker_members[each.value.invoker]
}

# The URLs the subscriptions, tasks, scheduler job and OAuth redirect use are computed
# before the services exist (locals.tf). Cloud Run reports the deterministic URL first
# when a service has one; warn if a service reports another.
check "deterministic_function_urls" {
  assert {
    condition = alltrue([
      for key, fn in google_cloudfunctions2_function.function : fn.service_config[0].uri == local.function_urls[key]
    ])
    error_message = "A function reports a URL other than its deterministic run.app URL; check that https://<name>-<project number>.<region>.run.app answers (the service name may be too long for one)."
  }
}

# Application secrets in Secret Manager. Values are written with write-only arguments
# from ephemeral inputs, so no secret is ever stored in a plan file or the state. Each
# function can read only the secrets it needs (locals.tf, capability_secrets).

# No secret holds a service account key: the domain-wide delegation accounts are keyless
# (service_accounts.tf). The platform's credentials are a secret only in 'oauth' mode, where
# they are a Workspace user's refresh token.

locals {
  platform_uses_oauth = var.platform_identity == "oauth"

  secrets = merge(
    {
      oauth_client_secret = "${var.name_prefix}-oauth-client-secret"
      state_signing_key   = "${var.name_prefix}-state-signing-key"
    },
    local.platform_uses_oauth ? { platform_credentials = "${var.name_prefix}-platform-credentials" } : {},
    var.platform_pool_size > 1 ? { platform_pool = "${var.name_prefix}-platform-pool" } : {},
  )
}

# HMAC key that signs OAuth `state` values; generated, never seen by anyone.
ephemeral "random_password" "state_signing_key" {
  length  = 64
  special = false
}

resource "google_secret_manager_secret" "calsync" {
  for_each = local.secrets

  project   = var.project_id
  secret_id = each.value
  labels    = var.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.required]
}

resource "google_secret_manager_secret_version" "oauth_client_secret" {
  secret                 = google_secret_manager_secret.calsync["oauth_client_secret"].id
  secret_data_wo         = var.oauth_client_secret
  secret_data_wo_version = var.secret_versions.oauth_client_secret

  lifecycle {
    create_before_destroy = true
  }
}

resource "google_secret_manager_secret_version" "state_signing_key" {
  secret                 = google_secret_manager_secret.calsync["state_signing_key"].id
  secret_data_wo         = ephemeral.random_password.state_signing_key.result
  secret_data_wo_version = var.secret_versions.state_signing_key

  lifecycle {
    create_before_destroy = true
  }
}

resource "google_secret_manager_secret_version" "platform_credentials" {
  count = local.platform_uses_oauth ? 1 : 0

  secret                 = google_secret_manager_secret.calsync["platform_credentials"].id
  secret_data_wo         = var.platform_credentials_json
  secret_data_wo_version = var.secret_versions.platform_credentials

  lifecycle {
    create_before_destroy = true

    precondition {
      condition     = var.platform_credentials_json != null
      error_message = "platform_identity = 'oauth' needs platform_credentials_json (TF_VAR_platform_credentials_json)."
    }
  }
}

# The pool's other identities (CALSYNC_PLATFORM_POOL): in 'oauth' mode their refresh tokens.
resource "google_secret_manager_secret_version" "platform_pool" {
  count = var.platform_pool_size > 1 ? 1 : 0

  secret                 = google_secret_manager_secret.calsync["platform_pool"].id
  secret_data_wo         = var.platform_pool_json
  secret_data_wo_version = var.secret_versions.platform_pool

  lifecycle {
    create_before_destroy = true

    precondition {
      condition     = var.platform_pool_json != null
      error_message = "platform_pool_size > 1 needs platform_pool_json (TF_VAR_platform_pool_json)."
    }
  }
}

locals {
  # The version each function pins; a new version redeploys the functions that read it.
  secret_version_numbers = merge(
    {
      oauth_client_secret = google_secret_manager_secret_version.oauth_client_secret.version
      state_signing_key   = google_secret_manager_secret_version.state_signing_key.version
    },
    { for v in google_secret_manager_secret_version.platform_credentials : "platform_credentials" => v.version },
    { for v in google_secret_manager_secret_version.platform_pool : "platform_pool" => v.version },
  )
}

resource "google_secret_manager_secret_iam_member" "function" {
  for_each = local.secret_grants

  project   = var.project_id
  secret_id = google_secret_manager_secret.calsync[each.value.secret].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.function[each.value.function].member
}

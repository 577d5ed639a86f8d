# Inputs of the calsync deployment. Only the first block has no default; the secret
# values are ephemeral: pass them as TF_VAR_* environment variables on every plan and
# apply, they never reach a plan file or the state (docs/deployment.md).

# ---- required -------------------------------------------------------------------------

variable "project_id" {
  description = "Google Cloud project that hosts calsync."
  type        = string
}

variable "platform_service_account" {
  description = "Email of the learning platform's own service account: publishes to the platform topics, reads calsync-results, calls the rooms function."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9-]+@[a-z0-9.-]+\\.iam\\.gserviceaccount\\.com$", var.platform_service_account))
    error_message = "platform_service_account must be a service account email (...@....iam.gserviceaccount.com)."
  }
}

variable "oauth_client_id" {
  description = "Client ID of the OAuth 2.0 web client organizers consent to (created in the console, see docs/deployment.md)."
  type        = string

  validation {
    condition     = endswith(var.oauth_client_id, ".apps.googleusercontent.com")
    error_message = "oauth_client_id must end with .apps.googleusercontent.com."
  }
}

variable "platform_identity" {
  description = "How calsync acts as the platform account: 'oauth' (stored refresh token of a Workspace user) or 'service_account' (domain-wide delegation impersonating platform_subject)."
  type        = string
  default     = "service_account"

  validation {
    condition     = contains(["oauth", "service_account"], var.platform_identity)
    error_message = "platform_identity must be 'oauth' or 'service_account'."
  }
}

variable "platform_subject" {
  description = "Workspace user the platform service account impersonates (required when platform_identity = 'service_account')."
  type        = string
  default     = ""

  validation {
    condition     = var.platform_identity != "service_account" || can(regex("^[^@\\s]+@[^@\\s]+$", var.platform_subject))
    error_message = "platform_subject must be a Workspace user's email when platform_identity is 'service_account'."
  }
}

# ---- secret values (ephemeral: never in plan or state) --------------------------------

variable "oauth_client_secret" {
  description = "Client secret of the OAuth web client. Stored in Secret Manager as calsync-oauth-client-secret."
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "platform_credentials_json" {
  description = "Only when platform_identity = 'oauth': the authorized-user JSON (client_id, client_secret, refresh_token) of the platform's Workspace user. Never a service account key: in 'service_account' mode the delegation account is keyless (IAM Credentials signs its assertions)."
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true

  validation {
    condition     = var.platform_credentials_json == null || !strcontains(coalesce(var.platform_credentials_json, "{}"), "private_key")
    error_message = "platform_credentials_json must not be a service account key: delegation is keyless (docs/deployment.md)."
  }
}

variable "platform_pool_size" {
  description = "Platform identities in all (issue 16, docs/capacity.md): 1 is the primary alone; more need platform_pool_json. The reconcile queue is sized to the pool's combined quota."
  type        = number
  default     = 1

  validation {
    condition     = var.platform_pool_size >= 1 && var.platform_pool_size <= 20 && floor(var.platform_pool_size) == var.platform_pool_size
    error_message = "platform_pool_size must be a whole number from 1 to 20 (about 20 identities fill a project's 10,000 calls a minute)."
  }
}

variable "platform_pool_json" {
  description = "Only when platform_pool_size > 1: CALSYNC_PLATFORM_POOL, a JSON list of the identities beside the primary, [{\"subject\": email, \"credentials\": {client_id, client_secret, refresh_token}}] ('oauth' mode; in 'service_account' mode only the subjects). Never a service account key."
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true

  validation {
    condition     = var.platform_pool_json == null || !strcontains(coalesce(var.platform_pool_json, "[]"), "private_key")
    error_message = "platform_pool_json must not hold a service account key: delegation is keyless (docs/deployment.md)."
  }
}

variable "secret_versions" {
  description = "Bump one of these to write a new version of that secret on the next apply (write-only values cannot be diffed)."
  type = object({
    oauth_client_secret  = optional(number, 1)
    state_signing_key    = optional(number, 1)
    platform_credentials = optional(number, 1)
    platform_pool        = optional(number, 1)
  })
  default = {}
}

# ---- placement --------------------------------------------------------------------------

variable "region" {
  description = "Region of the functions, the queue, the scheduler job, the key ring and the artifact repository."
  type        = string
  default     = "us-central1"
}

variable "firestore_location" {
  description = "Location of the Firestore database (a multi-region such as nam5/eur3, or a region)."
  type        = string
  default     = "nam5"
}

variable "create_firestore_database" {
  description = "Create the (default) Firestore database. Set false when the project already has one (its TTL policy and indexes are still managed)."
  type        = bool
  default     = true
}

variable "name_prefix" {
  description = "Prefix of calsync's service accounts, queue, key ring, secrets and bucket."
  type        = string
  default     = "calsync"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,13}$", var.name_prefix))
    error_message = "name_prefix must be 2-14 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "labels" {
  description = "Labels added to every resource that takes labels."
  type        = map(string)
  default     = { app = "calsync" }
}

# ---- behaviour ----------------------------------------------------------------------------

variable "results_topic" {
  description = "Name of the topic calsync publishes results to (CALSYNC_RESULTS_TOPIC)."
  type        = string
  default     = "calsync-results"
}

variable "public_domain" {
  description = "Host name organizers reach oauth-callback at through a load balancer with a Cloud Armor per-IP rate limit (rate_limit.tf); empty = the run.app URL, with no rate limit beyond max_instances."
  type        = string
  default     = ""

  validation {
    condition     = var.public_domain == "" || can(regex("^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$", var.public_domain))
    error_message = "public_domain must be a host name such as calendar-connect.example.com (or empty)."
  }
}

variable "oauth_rate_limit_per_minute" {
  description = "Requests per client IP and minute the Cloud Armor policy lets through to oauth-callback (with public_domain); beyond, 429. One connect takes about 3."
  type        = number
  default     = 60

  validation {
    condition     = var.oauth_rate_limit_per_minute >= 10 && var.oauth_rate_limit_per_minute <= 10000
    error_message = "oauth_rate_limit_per_minute must be between 10 and 10000."
  }
}

variable "oauth_redirect_uri" {
  description = "Override the OAuth redirect URI (e.g. behind a custom domain). Empty: the oauth-callback function's deterministic run.app URL + /callback."
  type        = string
  default     = ""
}

variable "max_delivery_attempts" {
  description = "Push deliveries of one message before it is dead-lettered (Pub/Sub allows 5 to 100)."
  type        = number
  default     = 10

  validation {
    condition     = var.max_delivery_attempts >= 5 && var.max_delivery_attempts <= 100
    error_message = "max_delivery_attempts must be between 5 and 100."
  }
}

variable "calendar_requests_per_user_per_minute" {
  description = "Calendar API quota per user per minute (Google's published default is 600)."
  type        = number
  default     = 600
}

variable "calendar_requests_per_task" {
  description = "Calendar API requests one reconcile task makes on average (read, write, conference/room read-back)."
  type        = number
  default     = 4
}

variable "quota_headroom" {
  description = "Fraction of the per-user quota the reconcile queue may use; the rest absorbs retries and the other functions."
  type        = number
  default     = 0.8

  validation {
    condition     = var.quota_headroom > 0 && var.quota_headroom <= 1
    error_message = "quota_headroom must be in (0, 1]."
  }
}

variable "sweeper_schedule" {
  description = "Cron schedule of the orphan sweeper (Cloud Scheduler syntax)."
  type        = string
  default     = "17 * * * *"
}

variable "verification_schedule" {
  description = "Cron schedule of two-way sync's verification pass (Cloud Scheduler syntax; time zone: sweeper_time_zone)."
  type        = string
  default     = "40 3 * * *"
}

variable "sweeper_time_zone" {
  description = "Time zone of sweeper_schedule (tz database name)."
  type        = string
  default     = "Etc/UTC"
}

variable "kms_rotation_period" {
  description = "Rotation period of the grant-encryption key (more than 86400s; new versions encrypt, old ones still decrypt)."
  type        = string
  default     = "7776000s"
}

variable "max_instances" {
  description = "Upper bound of instances per function."
  type        = number
  default     = 10
}

variable "min_instances" {
  description = "Warm instances per function (oauth-callback and rooms answer people; a warm instance costs money)."
  type        = map(number)
  default     = {}
}

# ---- operator signals (monitoring.tf, docs/operations.md) -----------------------------------

variable "notification_channels" {
  description = "Cloud Monitoring notification channels the alerts notify, as full names (projects/P/notificationChannels/ID). Empty: the alerts open incidents in the console only."
  type        = list(string)
  default     = []

  validation {
    condition = alltrue([
      for channel in var.notification_channels :
      can(regex("^projects/[^/]+/notificationChannels/[^/]+$", channel))
    ])
    error_message = "Each notification channel is a full name: projects/PROJECT/notificationChannels/ID."
  }
}

variable "failure_ratio_threshold" {
  description = "Alert when this share of the results published in 15 minutes failed (quota deferrals aside: they have their own alert)."
  type        = number
  default     = 0.05

  validation {
    condition     = var.failure_ratio_threshold > 0 && var.failure_ratio_threshold < 1
    error_message = "failure_ratio_threshold must be in (0, 1)."
  }
}

variable "failure_ratio_min_results" {
  description = "The failure-ratio alert needs at least this many results in the 15 minutes, so a single failure of a quiet platform does not page."
  type        = number
  default     = 20

  validation {
    condition     = var.failure_ratio_min_results >= 0
    error_message = "failure_ratio_min_results cannot be negative."
  }
}

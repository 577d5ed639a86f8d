# The functions and what each may do. Every environment variable, secret and IAM grant
# a function gets is derived from its `capabilities` (see `capability_*` below), so a
# function gets exactly what it needs and nothing else; tests/terraform checks this.

locals {
  project_number = data.google_project.this.number

  # key = directory under functions/ = Python entry point; name = deployed (kebab-case) name.
  functions = {
    on_event_change = {
      name         = "on-event-change"
      ingress      = "internal"
      description  = "Pub/Sub push from platform-events: records desired state and reconciles the item."
      invoker      = "pubsub_push"
      timeout      = 300
      memory       = "1Gi"
      capabilities = ["firestore", "results", "tasks", "platform", "admin", "oauth_client", "grants", "kms_decrypt", "watch"]
    }
    on_enroll = {
      name         = "on-enroll"
      ingress      = "internal"
      description  = "Pub/Sub push from platform-enrollments: records attendance, schedules coalesced reconciles."
      invoker      = "pubsub_push"
      timeout      = 120
      memory       = "512Mi"
      capabilities = ["firestore", "results", "tasks"]
    }
    reconcile = {
      name         = "reconcile"
      ingress      = "internal"
      description  = "Cloud Tasks target: plans and applies one item's Google Calendar changes."
      invoker      = "tasks"
      timeout      = 600
      memory       = "1Gi"
      capabilities = ["firestore", "results", "tasks", "platform", "admin", "oauth_client", "grants", "kms_decrypt", "watch"]
    }
    oauth_callback = {
      name         = "oauth-callback"
      ingress      = "all"
      description  = "Organizers' browsers (public): /connect, /start, /callback, /status, /disconnect."
      invoker      = "public"
      timeout      = 60
      memory       = "512Mi"
      capabilities = ["firestore", "grants", "tasks", "oauth_client", "oauth_flow", "kms_encrypt"]
    }
    orphan_sweeper = {
      name         = "orphan-sweeper"
      ingress      = "internal"
      description  = "Cloud Scheduler target: moves suspended organizers' future events to successors."
      invoker      = "scheduler"
      timeout      = 1800
      memory       = "1Gi"
      capabilities = ["firestore", "results", "tasks", "platform", "admin", "oauth_client", "grants", "kms_decrypt", "watch"]
    }
    on_calendar_change = {
      name         = "on-calendar-change"
      ingress      = "all"
      description  = "Google Calendar push notifications (public; only known channel tokens get in): schedules coalesced reads."
      invoker      = "public"
      timeout      = 30
      memory       = "512Mi"
      capabilities = ["firestore", "tasks"]
    }
    rooms = {
      name         = "rooms"
      ingress      = "all"
      description  = "Called by the platform (IAM-authenticated): rooms available for a time range."
      invoker      = "platform"
      timeout      = 60
      memory       = "512Mi"
      capabilities = ["firestore", "admin", "oauth_client", "grants", "kms_decrypt"]
    }
  }

  # Deterministic run.app URLs (https://SERVICE-PROJECT_NUMBER.REGION.run.app): known
  # before the services exist, so functions can be told each other's URL (and their own,
  # for the OAuth redirect and follow-up tasks) without a dependency cycle. The same URL is
  # the OIDC audience of every push subscription, task and scheduler job.
  function_urls = {
    for key, fn in local.functions : key => "https://${fn.name}-${local.project_number}.${var.region}.run.app"
  }

  oauth_public_url   = var.public_domain != "" ? "https://${var.public_domain}" : local.function_urls.oauth_callback
  oauth_redirect_uri = var.oauth_redirect_uri != "" ? var.oauth_redirect_uri : "${local.oauth_public_url}/callback"

  # Network ingress: "internal" admits Pub/Sub, Cloud Tasks and Cloud Scheduler of this
  # project calling the default run.app URL; "all" is for callers outside Google Cloud.
  ingress_settings = {
    internal        = "ALLOW_INTERNAL_ONLY"
    all             = "ALLOW_ALL"
    internal_and_lb = "ALLOW_INTERNAL_AND_GCLB"
  }

  # Identity allowed to invoke each kind of function (roles/run.invoker on its service).
  invoker_members = {
    pubsub_push = "serviceAccount:${google_service_account.pubsub_push.email}"
    tasks       = "serviceAccount:${google_service_account.tasks_invoker.email}"
    scheduler   = "serviceAccount:${google_service_account.scheduler.email}"
    platform    = "serviceAccount:${var.platform_service_account}"
    public      = "allUsers"
  }

  # ---- capabilities -> plain environment variables ------------------------------------
  capability_env = {
    firestore = {}
    grants    = { CALSYNC_GRANTS_DATABASE = google_firestore_database.grants.name }
    results   = { CALSYNC_RESULTS_TOPIC = google_pubsub_topic.results.name }
    tasks = {
      CALSYNC_TASKS_QUEUE           = google_cloud_tasks_queue.reconcile.id
      CALSYNC_TASKS_URL             = local.function_urls.reconcile
      CALSYNC_TASKS_SERVICE_ACCOUNT = google_service_account.tasks_invoker.email
    }
    platform = {
      CALSYNC_PLATFORM_IDENTITY           = var.platform_identity
      CALSYNC_PLATFORM_SUBJECT            = var.platform_subject
      CALSYNC_PLATFORM_DELEGATION_ACCOUNT = local.platform_uses_oauth ? "" : google_service_account.platform_delegation[0].email
    }
    admin        = { CALSYNC_ADMIN_DELEGATION_ACCOUNT = google_service_account.admin_delegation.email }
    oauth_client = { CALSYNC_OAUTH_CLIENT_ID = var.oauth_client_id }
    oauth_flow = {
      CALSYNC_OAUTH_REDIRECT_URI = local.oauth_redirect_uri
      # /status answers only the platform's service account (a Google ID token for this URL)
      CALSYNC_STATUS_CALLERS  = var.platform_service_account
      CALSYNC_STATUS_AUDIENCE = local.function_urls.oauth_callback
    }
    kms_encrypt = { CALSYNC_KMS_KEY = google_kms_crypto_key.grants.id }
    kms_decrypt = { CALSYNC_KMS_KEY = google_kms_crypto_key.grants.id }
    # two-way sync: whoever writes to calendars opens watch channels aimed at on_calendar_change
    watch = { CALSYNC_WATCH_URL = local.function_urls.on_calendar_change }
  }

  # ---- capabilities -> secret environment variables (env name => secret key) -------------
  # No service account key among them: delegation is signed by IAM Credentials. The platform
  # credentials exist only in 'oauth' mode (a refresh token); function_secrets drops them
  # otherwise.
  capability_secrets = {
    firestore    = {}
    grants       = {}
    results      = {}
    tasks        = {}
    platform     = { CALSYNC_PLATFORM_CREDENTIALS = "platform_credentials", CALSYNC_PLATFORM_POOL = "platform_pool" }
    admin        = {}
    oauth_client = { CALSYNC_OAUTH_CLIENT_SECRET = "oauth_client_secret" }
    oauth_flow   = { CALSYNC_STATE_SIGNING_KEY = "state_signing_key" }
    kms_encrypt  = {}
    kms_decrypt  = {}
    watch        = {}
  }

  function_env = {
    for key, fn in local.functions : key => merge(
      { GOOGLE_CLOUD_PROJECT = var.project_id },
      [for cap in fn.capabilities : local.capability_env[cap]]...
    )
  }

  function_secrets = {
    for key, fn in local.functions : key => {
      for env, secret in merge({}, [for cap in fn.capabilities : local.capability_secrets[cap]]...) :
      env => secret if contains(keys(local.secrets), secret)
    }
  }

  # Flattened grants, keyed "<function>/<thing>", for for_each.
  secret_grants = merge([
    for key, secrets in local.function_secrets : {
      for env, secret in secrets : "${key}/${secret}" => { function = key, secret = secret }
    }
  ]...)

  # Grants are sealed only where organizers connect (oauth_callback: encrypt, never decrypt; a
  # disconnect is revoked by a reconcile task) and opened only where calsync syncs (decrypt,
  # never encrypt). Re-encrypting after a key rotation is an operator's job.
  kms_grants = merge([
    for key, fn in local.functions : {
      for cap in fn.capabilities : "${key}/${cap}" => {
        function = key
        role     = cap == "kms_encrypt" ? "roles/cloudkms.cryptoKeyEncrypter" : "roles/cloudkms.cryptoKeyDecrypter"
      } if startswith(cap, "kms_")
    }
  ]...)

  functions_with = {
    for cap in keys(local.capability_env) : cap => toset([
      for key, fn in local.functions : key if contains(fn.capabilities, cap)
    ])
  }

  # Reconcile queue sized to the platform identities' combined Calendar quota: in platform
  # mode every write is made as one of the pool's users (a tenant's reconciles take turns
  # over them), so their quotas are the bottleneck, and one queue must not cap the pool.
  # 600 req/min/user * 0.8 headroom / 60 s / 4 req per task = 2 tasks/s per identity;
  # calsync's own pacing (CALSYNC_PACING_*) keeps each identity under its quota whatever the
  # queue lets through. Cloud Tasks allows at most 500 dispatches a second.
  reconcile_dispatches_per_second = min(500, floor(
    var.platform_pool_size * var.calendar_requests_per_user_per_minute * var.quota_headroom / 60 / var.calendar_requests_per_task * 100
  ) / 100)
}

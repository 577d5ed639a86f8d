# Topics the platform publishes to, the results topic it reads, their dead-letter topics,
# and explicit push subscriptions into the functions (not Eventarc triggers: those cannot
# carry a dead-letter policy, docs/gcp-facts.md §2).

locals {
  # Push subscriptions: topic key => function key.
  push_subscriptions = {
    platform_events      = "on_event_change"
    platform_enrollments = "on_enroll"
  }

  source_topics = {
    platform_events      = "platform-events"
    platform_enrollments = "platform-enrollments"
    results              = var.results_topic
  }

  pubsub_service_agent = "serviceAccount:${google_project_service_identity.pubsub.email}"
}

# The Pub/Sub service agent publishes dead letters and mints the push OIDC tokens.
resource "google_project_service_identity" "pubsub" {
  provider = google-beta

  project = var.project_id
  service = "pubsub.googleapis.com"

  depends_on = [google_project_service.required]
}

resource "google_pubsub_topic" "platform" {
  #checkov:skip=CKV_GCP_83:Messages are transient (7 days at most) and carry event metadata and work emails, never credentials; Google-managed encryption at rest applies. Organizers' grants, the sensitive data, are CMEK-encrypted (kms.tf).
  for_each = { for key, name in local.source_topics : key => name if key != "results" }

  project = var.project_id
  name    = each.value
  labels  = var.labels

  depends_on = [google_project_service.required]
}

resource "google_pubsub_topic" "results" {
  #checkov:skip=CKV_GCP_83:Messages are transient (7 days at most) and carry event metadata and work emails, never credentials; Google-managed encryption at rest applies. Organizers' grants, the sensitive data, are CMEK-encrypted (kms.tf).
  project = var.project_id
  name    = local.source_topics.results
  labels  = var.labels

  depends_on = [google_project_service.required]
}

resource "google_pubsub_topic" "dead_letter" {
  #checkov:skip=CKV_GCP_83:Messages are transient (7 days at most) and carry event metadata and work emails, never credentials; Google-managed encryption at rest applies. Organizers' grants, the sensitive data, are CMEK-encrypted (kms.tf).
  for_each = local.source_topics

  project = var.project_id
  name    = "${each.value}-dead-letter"
  labels  = merge(var.labels, { role = "dead-letter" })

  depends_on = [google_project_service.required]
}

# Dead letters are kept here (7 days, never expiring) until replayed or inspected.
resource "google_pubsub_subscription" "dead_letter_hold" {
  for_each = local.source_topics

  project                    = var.project_id
  name                       = "${each.value}-dead-letter-hold"
  topic                      = google_pubsub_topic.dead_letter[each.key].id
  ack_deadline_seconds       = 60
  message_retention_duration = "604800s"
  retain_acked_messages      = false
  labels                     = merge(var.labels, { role = "dead-letter" })

  expiration_policy {
    ttl = ""
  }
}

resource "google_pubsub_subscription" "push" {
  for_each = local.push_subscriptions

  project = var.project_id
  name    = "${local.functions[each.value].name}-push"
  topic   = google_pubsub_topic.platform[each.key].id
  labels  = var.labels

  # The push waits this long for the function's answer before counting a failed attempt.
  ack_deadline_seconds       = local.functions[each.value].timeout + 30
  message_retention_duration = "604800s"

  push_config {
    push_endpoint = local.function_urls[each.value]

    oidc_token {
      service_account_email = google_service_account.pubsub_push.email
      audience              = local.function_urls[each.value]
    }
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter[each.key].id
    max_delivery_attempts = var.max_delivery_attempts
  }

  expiration_policy {
    ttl = ""
  }

  depends_on = [google_cloud_run_v2_service_iam_member.invoker]
}

# The platform reads results from its own subscription.
resource "google_pubsub_subscription" "results_platform" {
  project                    = var.project_id
  name                       = "${var.results_topic}-platform"
  topic                      = google_pubsub_topic.results.id
  ack_deadline_seconds       = 60
  message_retention_duration = "604800s"
  labels                     = var.labels

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter["results"].id
    max_delivery_attempts = var.max_delivery_attempts
  }

  expiration_policy {
    ttl = ""
  }
}

locals {
  # Subscriptions with a dead-letter policy, keyed like their dead-letter topic.
  dead_lettered_subscriptions = merge(
    { for key, sub in google_pubsub_subscription.push : key => sub.id },
    { results = google_pubsub_subscription.results_platform.id },
  )
}

# ---- IAM ---------------------------------------------------------------------------------

# Dead-lettering: the service agent publishes to each dead-letter topic and must be able
# to acknowledge the forwarded message on the source subscription.
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  for_each = local.source_topics

  project = var.project_id
  topic   = google_pubsub_topic.dead_letter[each.key].name
  role    = "roles/pubsub.publisher"
  member  = local.pubsub_service_agent
}

resource "google_pubsub_subscription_iam_member" "dead_letter_source" {
  for_each = local.dead_lettered_subscriptions

  project      = var.project_id
  subscription = each.value
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
}

# Push authentication: the service agent mints OIDC tokens for the push identity
# (needed explicitly in projects whose agent predates April 2021; harmless otherwise).
resource "google_service_account_iam_member" "pubsub_push_token_creator" {
  service_account_id = google_service_account.pubsub_push.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_service_agent
}

# The platform publishes changes and reads results.
resource "google_pubsub_topic_iam_member" "platform_publisher" {
  for_each = google_pubsub_topic.platform

  project = var.project_id
  topic   = each.value.name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${var.platform_service_account}"
}

resource "google_pubsub_subscription_iam_member" "platform_results" {
  project      = var.project_id
  subscription = google_pubsub_subscription.results_platform.name
  role         = "roles/pubsub.subscriber"
  member       = "serviceAccount:${var.platform_service_account}"
}

# Functions that report outcomes publish to calsync-results.
resource "google_pubsub_topic_iam_member" "results_publisher" {
  for_each = local.functions_with.results

  project = var.project_id
  topic   = google_pubsub_topic.results.name
  role    = "roles/pubsub.publisher"
  member  = google_service_account.function[each.key].member
}

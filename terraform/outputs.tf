# What the operator and the platform need after `terraform apply` (docs/deployment.md).

output "oauth_redirect_uri" {
  description = "Register this as an authorized redirect URI of the OAuth web client."
  value       = local.oauth_redirect_uri
}

output "oauth_connect_url" {
  description = "Where the platform sends an organizer to connect their Google account."
  value       = "${local.oauth_public_url}/connect"
}

output "public_address" {
  description = "With public_domain: the load balancer's IP address, for the domain's A record."
  value       = one(google_compute_global_address.oauth_callback[*].address)
}

output "platform_topics" {
  description = "Topics the platform publishes to (short names and full resource names)."
  value = {
    for key, topic in google_pubsub_topic.platform : topic.name => topic.id
  }
}

output "results_topic" {
  description = "Topic calsync publishes results to."
  value       = google_pubsub_topic.results.id
}

output "results_subscription" {
  description = "Subscription the platform reads results from."
  value       = google_pubsub_subscription.results_platform.id
}

output "dead_letter_subscriptions" {
  description = "Where undeliverable messages wait for inspection or replay."
  value       = { for key, sub in google_pubsub_subscription.dead_letter_hold : key => sub.id }
}

output "rooms_url" {
  description = "URL of the rooms function; the platform calls it with an ID token for this audience."
  value       = local.function_urls.rooms
}

output "function_urls" {
  description = "Deterministic URL of every function (also the OIDC audience its callers use)."
  value       = local.function_urls
}

output "function_service_accounts" {
  description = "Runtime service account of every function."
  value       = { for key, sa in google_service_account.function : key => sa.email }
}

output "delegation_client_ids" {
  description = "Client IDs Workspace admins authorise for domain-wide delegation (Security > API controls), with the scopes in docs/deployment.md."
  value = merge(
    { admin = google_service_account.admin_delegation.unique_id },
    { for sa in google_service_account.platform_delegation : "platform" => sa.unique_id },
  )
}

output "grants_database" {
  description = "Firestore database of organizers' grants and OAuth states (CALSYNC_GRANTS_DATABASE)."
  value       = google_firestore_database.grants.name
}

output "tasks_queue" {
  description = "Full resource name of the reconcile queue (CALSYNC_TASKS_QUEUE)."
  value       = google_cloud_tasks_queue.reconcile.id
}

output "kms_key" {
  description = "Crypto key that encrypts organizers' grants (CALSYNC_KMS_KEY)."
  value       = google_kms_crypto_key.grants.id
}

output "function_bundles" {
  description = "Deployed source object of every function (name carries the bundle's MD5)."
  value       = { for key, obj in google_storage_bucket_object.bundle : key => obj.name }
}

output "operations_dashboard" {
  description = "The Cloud Monitoring dashboard of calsync's operator signals (docs/operations.md)."
  value       = google_monitoring_dashboard.operations.id
}

# Firestore (native mode) holds calsync's state: settings, desired state, mappings,
# encrypted grants, OAuth state records and the ledger (DESIGN.md §4).

resource "google_firestore_database" "main" {
  count = var.create_firestore_database ? 1 : 0

  project                           = var.project_id
  name                              = "(default)"
  location_id                       = var.firestore_location
  type                              = "FIRESTORE_NATIVE"
  concurrency_mode                  = "PESSIMISTIC"
  app_engine_integration_mode       = "DISABLED"
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"
  delete_protection_state           = "DELETE_PROTECTION_ENABLED"
  deletion_policy                   = "ABANDON"

  depends_on = [google_project_service.required]
}

# Organizers' encrypted grants and the OAuth flow states live in a database of their own:
# IAM conditions let only the functions that handle grants open it (service_accounts.tf), and
# the main database's grant names only "(default)", so no other function reaches a grant even
# encrypted.
resource "google_firestore_database" "grants" {
  project                           = var.project_id
  name                              = "${var.name_prefix}-grants"
  location_id                       = var.firestore_location
  type                              = "FIRESTORE_NATIVE"
  concurrency_mode                  = "PESSIMISTIC"
  app_engine_integration_mode       = "DISABLED"
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"
  delete_protection_state           = "DELETE_PROTECTION_ENABLED"
  deletion_policy                   = "ABANDON"

  depends_on = [google_project_service.required]
}

locals {
  firestore_database = var.create_firestore_database ? google_firestore_database.main[0].name : "(default)"

  # What a database-scoped IAM condition compares resource.name with.
  database_resource = {
    main   = "projects/${var.project_id}/databases/(default)"
    grants = "projects/${var.project_id}/databases/${google_firestore_database.grants.name}"
  }
}

# Short-lived OAuth `state` records expire by themselves. TTL deletion runs within about
# 24 h of expiry, so the code must still check expires_at when it reads a record.
resource "google_firestore_field" "oauth_states_ttl" {
  project    = var.project_id
  database   = google_firestore_database.grants.name
  collection = "oauth_states"
  field      = "expires_at"

  ttl_config {}
}

# Single-field index overrides the queries need. Firestore indexes each field
# automatically for queries on one collection only; a collection-group query needs a
# COLLECTION_GROUP-scoped index, which is declared here next to the collection-scoped
# defaults it replaces:
# - parts.calendar_id: Store.forget_calendar, collection group "parts" where calendar_id ==.
# - parts.owner_email: Store.parts_owned_by (the orphan sweeper), where owner_email in [...].
# - parts.event_id: Store.mapping_of_event (two-way sync: a deleted event is known by its id).
resource "google_firestore_field" "collection_group" {
  for_each = {
    "parts/calendar_id" = { collection = "parts", field = "calendar_id" }
    "parts/owner_email" = { collection = "parts", field = "owner_email" }
    "parts/event_id"    = { collection = "parts", field = "event_id" }
  }

  project    = var.project_id
  database   = local.firestore_database
  collection = each.value.collection
  field      = each.value.field

  index_config {
    indexes {
      order       = "ASCENDING"
      query_scope = "COLLECTION"
    }
    indexes {
      order       = "DESCENDING"
      query_scope = "COLLECTION"
    }
    indexes {
      array_config = "CONTAINS"
      query_scope  = "COLLECTION"
    }
    indexes {
      order       = "ASCENDING"
      query_scope = "COLLECTION_GROUP"
    }
  }
}

# Firestore security rules govern only the client SDKs (web, mobile) that reach Firestore
# without IAM; calsync's functions use IAM and bypass them. No client of calsync's data
# exists, so the explicit ruleset denies everything: nobody with a Firebase web key or an
# end-user token can read a tenant, a mapping or a grant, whatever else the project hosts.
resource "google_firebaserules_ruleset" "firestore_deny_all" {
  project = var.project_id

  source {
    files {
      name    = "firestore.rules"
      content = <<-EOT
        rules_version = '2';
        service cloud.firestore {
          match /databases/{database}/documents {
            match /{document=**} {
              allow read, write: if false;
            }
          }
        }
      EOT
    }
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [google_project_service.required]
}

resource "google_firebaserules_release" "firestore" {
  project      = var.project_id
  name         = "cloud.firestore"
  ruleset_name = "projects/${var.project_id}/rulesets/${google_firebaserules_ruleset.firestore_deny_all.name}"

  depends_on = [google_firestore_database.main]
}

# The same ruleset on the grants database (a named database's release is
# cloud.firestore/<database id>).
resource "google_firebaserules_release" "firestore_grants" {
  project      = var.project_id
  name         = "cloud.firestore/${google_firestore_database.grants.name}"
  ruleset_name = "projects/${var.project_id}/rulesets/${google_firebaserules_ruleset.firestore_deny_all.name}"
}

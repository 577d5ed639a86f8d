# Envelope encryption of organizers' OAuth grants (refresh tokens) stored in Firestore.
# A CryptoKey cannot be deleted: destroying it destroys its versions and makes every
# stored grant unreadable, so Terraform refuses to destroy it.

resource "google_kms_key_ring" "calsync" {
  project  = var.project_id
  name     = var.name_prefix
  location = var.region

  depends_on = [google_project_service.required]
}

resource "google_kms_crypto_key" "grants" {
  name            = "grants"
  key_ring        = google_kms_key_ring.calsync.id
  purpose         = "ENCRYPT_DECRYPT"
  rotation_period = var.kms_rotation_period
  labels          = var.labels

  version_template {
    algorithm        = "GOOGLE_SYMMETRIC_ENCRYPTION"
    protection_level = "SOFTWARE"
  }

  lifecycle {
    prevent_destroy = true
  }
}

resource "google_kms_crypto_key_iam_member" "function" {
  for_each = local.kms_grants

  crypto_key_id = google_kms_crypto_key.grants.id
  role          = each.value.role
  member        = google_service_account.function[each.value.function].member
}

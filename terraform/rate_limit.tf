# A rate limit in front of the one public function. Cloud Run has no per-client rate limit of
# its own (max_instances and one request per instance only cap the total), so organizers'
# browsers reach oauth-callback through an external Application Load Balancer whose Cloud
# Armor policy throttles each client IP. Enabled by public_domain (the host name organizers
# use, e.g. calendar-connect.example.com): then the run.app URL admits only internal and
# load-balancer traffic, so nobody can go around the limit, and the OAuth redirect URI is
# https://<public_domain>/callback. Point the domain's A record at the public_address output.

locals {
  public_lb = var.public_domain != ""
}

resource "google_compute_security_policy" "oauth_callback" {
  count = local.public_lb ? 1 : 0

  project     = var.project_id
  name        = "${var.name_prefix}-oauth-callback"
  description = "Per-IP rate limit (and known-exploit filter) in front of oauth-callback."
  type        = "CLOUD_ARMOR"

  rule {
    action      = "deny(403)"
    priority    = 900
    description = "Log4j (CVE-2021-44228) probes, refused before they reach the function."
    match {
      expr {
        expression = "evaluatePreconfiguredWaf('cve-canary')"
      }
    }
  }

  rule {
    action      = "throttle"
    priority    = 1000
    description = "At most oauth_rate_limit_per_minute requests per client IP and minute; 429 beyond."
    match {
      versioned_expr = "SRC_IPS_V1"
      config {
        src_ip_ranges = ["*"]
      }
    }
    rate_limit_options {
      conform_action = "allow"
      exceed_action  = "deny(429)"
      enforce_on_key = "IP"
      rate_limit_threshold {
        count        = var.oauth_rate_limit_per_minute
        interval_sec = 60
      }
    }
  }

  rule {
    action      = "allow"
    priority    = 2147483647
    description = "Default rule (required)."
    match {
      versioned_expr = "SRC_IPS_V1"
      config {
        src_ip_ranges = ["*"]
      }
    }
  }

  depends_on = [google_project_service.required]
}

resource "google_compute_region_network_endpoint_group" "oauth_callback" {
  count = local.public_lb ? 1 : 0

  project               = var.project_id
  name                  = "${var.name_prefix}-oauth-callback"
  region                = var.region
  network_endpoint_type = "SERVERLESS"

  cloud_run {
    service = google_cloudfunctions2_function.function["oauth_callback"].name
  }
}

resource "google_compute_backend_service" "oauth_callback" {
  count = local.public_lb ? 1 : 0

  project               = var.project_id
  name                  = "${var.name_prefix}-oauth-callback"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  protocol              = "HTTPS"
  security_policy       = google_compute_security_policy.oauth_callback[0].id

  backend {
    group = google_compute_region_network_endpoint_group.oauth_callback[0].id
  }

  log_config {
    enable      = true
    sample_rate = 1.0
  }
}

resource "google_compute_url_map" "oauth_callback" {
  count = local.public_lb ? 1 : 0

  project         = var.project_id
  name            = "${var.name_prefix}-oauth-callback"
  default_service = google_compute_backend_service.oauth_callback[0].id
}

resource "google_compute_managed_ssl_certificate" "oauth_callback" {
  count = local.public_lb ? 1 : 0

  project = var.project_id
  name    = "${var.name_prefix}-oauth-callback"

  managed {
    domains = [var.public_domain]
  }
}

resource "google_compute_ssl_policy" "oauth_callback" {
  count = local.public_lb ? 1 : 0

  project         = var.project_id
  name            = "${var.name_prefix}-oauth-callback"
  profile         = "MODERN"
  min_tls_version = "TLS_1_2"
}

resource "google_compute_target_https_proxy" "oauth_callback" {
  count = local.public_lb ? 1 : 0

  project          = var.project_id
  name             = "${var.name_prefix}-oauth-callback"
  url_map          = google_compute_url_map.oauth_callback[0].id
  ssl_certificates = [google_compute_managed_ssl_certificate.oauth_callback[0].id]
  ssl_policy       = google_compute_ssl_policy.oauth_callback[0].id
}

resource "google_compute_global_address" "oauth_callback" {
  count = local.public_lb ? 1 : 0

  project = var.project_id
  name    = "${var.name_prefix}-oauth-callback"
}

resource "google_compute_global_forwarding_rule" "oauth_callback" {
  count = local.public_lb ? 1 : 0

  project               = var.project_id
  name                  = "${var.name_prefix}-oauth-callback"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  port_range            = "443"
  target                = google_compute_target_https_proxy.oauth_callback[0].id
  ip_address            = google_compute_global_address.oauth_callback[0].id
  labels                = var.labels
}

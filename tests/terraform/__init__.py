"""Deployment checks: Terraform invariants, checkov, function bundles."""

"""Defences of calsync's boundaries: grants bound to their tenant and organizer, tenants to their
domains, successors and guests inside them, path parameters checked, grants revoked only when
they failed, secrets kept out of the logs (``./run defence-check``, docs/security.md)."""

from __future__ import annotations

from calsync_dev.defences import ATTACKS, DOMAINS, LIB, Defence

__all__ = ["BOUNDARIES"]

BOUNDARIES = (
    Defence(
        "grant-path-binding",
        (
            (
                LIB + "organizers/grant_store.py",
                "    if record.tenant_id != tenant_id or record.email != email.lower():",
                "    if False:",
            ),
            (
                LIB + "organizers/grant_store.py",
                "self._vault().open(envelope, grant_aad(tenant_id, email))",
                "self._vault().open(envelope, grant_aad(record.tenant_id, record.email))",
            ),
        ),
        (ATTACKS + "test_whole_grant_document_copied_elsewhere_is_refused",),
    ),
    Defence(
        "domains-are-host-names",
        ((LIB + "contracts/fields.py", "    if not _HOST.match(value):", "    if False:"),),
        (DOMAINS + "test_a_domain_that_is_not_a_host_name_is_rejected",),
    ),
    Defence(
        "first-claim-owns-a-domain",
        ((LIB + "state/tenants.py", "            if taken:", "            if False:"),),
        (DOMAINS + "test_a_domain_belongs_to_the_first_tenant_that_claims_it",),
    ),
    Defence(
        "admin-and-fallback-inside-domains",
        (
            (
                LIB + "contracts/tenant_settings.py",
                "if email is not None and not in_domains(email, self.domains):",
                "if False:",
            ),
        ),
        (DOMAINS + "test_a_person_calsync_acts_as_must_lie_inside_the_tenants_domains",),
    ),
    Defence(
        "successor-inside-domains",
        (
            (
                LIB + "sweeper/successors.py",
                "            and in_domains(candidate, domains)\n",
                "\n",
            ),
        ),
        (
            "tests/integration/test_sweeper.py::"
            "test_a_host_outside_the_tenants_domains_is_never_the_successor",
        ),
    ),
    Defence(
        "hand-over-inside-domains",
        ((LIB + "sweeper/hand_over.py", "        if outside:", "        if False:"),),
        (
            "tests/integration/test_sweeper.py::"
            "test_a_hand_over_to_someone_outside_the_tenants_domains_is_refused",
        ),
    ),
    Defence(
        "attendee-allowlist",
        ((LIB + "sync/rendering.py", "(allowed is None or in_domains(email, allowed))", "(True)"),),
        (DOMAINS + "test_a_tenant_may_limit_attendees_to_its_allowed_domains",),
    ),
    Defence(
        "path-parameters-checked",
        (
            (
                LIB + "contracts/fields.py",
                "    if not isinstance(tenant_id, str) or not re.match(_TENANT_ID, tenant_id):",
                "    return None\n    if False:",
            ),
        ),
        ("tests/integration/test_path_parameters.py",),
    ),
    Defence(
        "revoke-whatever-failed",
        (
            (
                LIB + "organizers/connect_flow.py",
                "        except Exception:  # refused, or storing the grant failed: keep nothing",
                "        except FlowRefused:",
            ),
        ),
        (ATTACKS + "test_tokens_are_revoked_when_storing_the_grant_fails",),
    ),
    Defence(
        "never-revoke-a-working-grant",
        (
            (
                LIB + "organizers/flow_tokens.py",
                "kept = sub is not None and self._grants.account_has_working_grant(sub)",
                "kept = False",
            ),
        ),
        (ATTACKS + "test_a_refused_flow_never_revokes_a_working_grant_of_the_same_account",),
    ),
    Defence(
        "log-redaction-by-value",
        ((LIB + "logs.py", "    return _SECRET_VALUES.sub(replace, text)", "    return text"),),
        (
            ATTACKS + "test_a_failing_token_refresh_logs_no_token_even_when_google_echoes_one",
            "tests/unit/test_log_redaction.py",
        ),
    ),
    Defence(
        "log-redaction-by-name",
        (
            (
                LIB + "logs.py",
                "    return any(word in lowered for word in _SECRET_WORDS)",
                "    return False",
            ),
        ),
        (
            ATTACKS + "test_no_token_code_verifier_or_state_reaches_a_log_line",
            "tests/unit/test_log_redaction.py::"
            "test_fields_named_like_credentials_are_redacted_whatever_their_value",
        ),
    ),
)

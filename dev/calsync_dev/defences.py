"""The security defences ``./run defence-check`` switches off in turn (docs/security.md).

Each :class:`Defence` names a defence, the small textual patches of library files that
remove it (path, old text, new text; the old text must occur exactly once), and the tests
(pytest node ids) that must then fail. The runner is ``calsync_dev.defence_check``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFENCES", "LIB", "Defence"]

LIB = "shared/calsync/"
ATTACKS = "tests/integration/test_oauth_attacks.py::"
TOKENS = "tests/unit/test_id_tokens.py::"
DOMAINS = "tests/integration/test_tenant_domains.py::"
BROWSER = "tests/browser/test_oauth_in_chromium.py::"


@dataclass(frozen=True)
class Defence:
    """One defence: how to switch it off (path, old text, new text) and the tests that
    must then fail (pytest node ids)."""

    name: str
    patches: tuple[tuple[str, str, str], ...]
    tests: tuple[str, ...]


DEFENCES = (
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
    Defence(
        "state-signature",
        (
            (
                LIB + "organizers/oauth_flow.py",
                "        if not hmac.compare_digest(signature, self._mac(payload)):",
                "        if False:",
            ),
        ),
        (
            ATTACKS + "test_forged_state_is_refused",
            "tests/unit/test_oauth_flow.py::test_state_signed_with_another_key_is_refused",
        ),
    ),
    Defence(
        "state-expiry",
        (
            (
                LIB + "organizers/oauth_flow.py",
                "        if claims.expires_at <= (time.time() if now is None else now):",
                "        if False:",
            ),
            (
                LIB + "organizers/flow_states.py",
                '    if record["expires_at"] <= now():',
                "    if False:",
            ),
        ),
        (
            ATTACKS + "test_expired_state_is_refused",
            ATTACKS + "test_expired_flow_record_is_refused",
        ),
    ),
    Defence(
        "flow-record-used-once",
        (
            (
                LIB + "organizers/flow_states.py",
                "            transaction.delete(ref)\n",
                "            pass\n",
            ),
        ),
        (
            ATTACKS + "test_replayed_state_is_refused",
            ATTACKS + "test_two_concurrent_callbacks_with_one_state_succeed_once",
        ),
    ),
    Defence(
        "flow-bound-to-tenant-and-organizer",
        (
            (
                LIB + "organizers/flow_states.py",
                "    if bound != (claims.purpose, claims.tenant_id, claims.organizer):",
                "    if False:",
            ),
        ),
        (ATTACKS + "test_state_from_another_tenant_is_refused",),
    ),
    Defence(
        "flow-bound-to-browser",
        (
            (
                LIB + "organizers/connect_flow.py",
                "        if not browser_binding.matches(flow.browser, cookie):",
                "        if False:",
            ),
        ),
        (
            ATTACKS + "test_a_callback_without_the_flows_cookie_is_refused",
            ATTACKS + "test_a_callback_with_a_wrong_cookie_is_refused",
            ATTACKS + "test_a_disconnect_started_by_someone_else_never_revokes_alices_grant",
            ATTACKS + "test_a_hop_nobody_opened_cannot_be_finished",
            BROWSER + "test_a_disconnect_started_in_another_browser_is_refused_in_alices_chromium",
        ),
    ),
    Defence(
        "hop-opens-once",
        (
            (
                LIB + "organizers/flow_states.py",
                '            if flow.browser:\n                raise InvalidState("opened")',
                '            if False:\n                raise InvalidState("opened")',
            ),
        ),
        (ATTACKS + "test_a_hop_opened_by_a_second_browser_is_refused",),
    ),
    Defence(
        "hops-for-the-platform-only",
        (
            (
                LIB + "entrypoints/oauth_callback.py",
                '    if path == "/status" or (starts and _wants_json(request)):',
                '    if path == "/status":',
            ),
        ),
        (ATTACKS + "test_only_the_platform_gets_a_hop",),
    ),
    Defence(
        "disconnect-same-origin",
        (
            (
                LIB + "entrypoints/oauth_callback.py",
                "            _same_origin(request)\n",
                "            pass\n",
            ),
        ),
        (
            ATTACKS + "test_a_form_on_another_site_cannot_start_a_disconnect",
            BROWSER + "test_a_form_on_another_site_cannot_start_a_disconnect_in_chromium",
        ),
    ),
    Defence(
        "id-token-email-is-the-organizer",
        ((LIB + "organizers/id_tokens.py", "    if email != organizer.lower():", "    if False:"),),
        (ATTACKS + "test_another_google_account_is_refused",),
    ),
    Defence(
        "id-token-email-verified",
        (
            (
                LIB + "organizers/id_tokens.py",
                '    if claims.get("email_verified") not in (True, "true"):',
                "    if False:",
            ),
        ),
        (ATTACKS + "test_unverified_email_is_refused",),
    ),
    Defence(
        "id-token-hosted-domain",
        (
            (
                LIB + "organizers/id_tokens.py",
                "    if hosted not in {d.lower() for d in domains}:",
                "    if False:",
            ),
        ),
        (ATTACKS + "test_foreign_hosted_domain_is_refused",),
    ),
    Defence(
        "every-scope-granted",
        (
            (
                LIB + "organizers/connect_flow.py",
                '        if missing:\n            raise FlowRefused("missing_scopes"',
                '        if False:\n            raise FlowRefused("missing_scopes"',
            ),
        ),
        (ATTACKS + "test_partial_scopes_store_nothing_and_name_the_missing_permission",),
    ),
    Defence(
        "id-token-issuer",
        (
            (
                LIB + "organizers/id_tokens.py",
                '    if claims.get("iss") not in ISSUERS:',
                "    if False:",
            ),
        ),
        (TOKENS + "test_a_token_from_another_issuer_is_refused",),
    ),
    Defence(
        "id-token-audience",
        (
            (
                LIB + "organizers/id_tokens.py",
                "            audience=audience,\n",
                "            audience=None,\n",
            ),
        ),
        (
            TOKENS + "test_a_token_for_another_client_is_refused",
            TOKENS + "test_a_token_whose_audience_is_a_list_is_refused",
        ),
    ),
    Defence(
        "id-token-clock",
        (
            (
                LIB + "organizers/id_tokens.py",
                "            clock_skew_in_seconds=_CLOCK_SKEW_SECONDS,\n",
                "            clock_skew_in_seconds=10**9,\n",
            ),
        ),
        (
            TOKENS + "test_an_expired_token_is_refused",
            TOKENS + "test_a_token_issued_in_the_future_is_refused",
        ),
    ),
    Defence(
        "id-token-signature",
        (
            (
                LIB + "organizers/id_tokens.py",
                "            certs=keys.certs(kid),\n",
                "            verify=False,\n            certs=keys.certs(kid),\n",
            ),
        ),
        (
            TOKENS + "test_an_unsigned_token_is_refused",
            TOKENS + "test_a_token_signed_with_hs256_under_the_public_key_is_refused",
            TOKENS + "test_a_token_naming_an_unknown_key_is_refused",
        ),
    ),
)

"""Defences of the OAuth connect flow: signed, expiring, single-use state bound to the tenant,
the organizer and the browser; the platform's hops; the id_token's checks; every scope granted
(``./run defence-check``, docs/security.md)."""

from __future__ import annotations

from calsync_dev.defences import ATTACKS, BROWSER, LIB, TOKENS, Defence

__all__ = ["CONNECT_FLOW"]

CONNECT_FLOW = (
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

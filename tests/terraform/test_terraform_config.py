"""Invariants of the Terraform deployment, read with python-hcl2 (no provider, no network).

What must hold: every function declared, gen2/python312, with its own service account;
no primitive roles; every subscription dead-lettered (dead-letter holds aside) with the
IAM the Pub/Sub service agent needs; only oauth_callback and on_calendar_change public; the
KMS key protected from destroy; secrets only through Secret Manager; `terraform fmt`-clean files.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import hcl2
import pytest

from tests.terraform.deploycheck import REPO, TERRAFORM_DIR, TerraformConfig, block, strings

# The functions of the issue: key (functions/<key>, entry point) -> deployed name, caller.
EXPECTED_FUNCTIONS = {
    "on_event_change": ("on-event-change", "pubsub_push"),
    "on_enroll": ("on-enroll", "pubsub_push"),
    "reconcile": ("reconcile", "tasks"),
    "oauth_callback": ("oauth-callback", "public"),
    "orphan_sweeper": ("orphan-sweeper", "scheduler"),
    "rooms": ("rooms", "platform"),
    "on_calendar_change": ("on-calendar-change", "public"),
}

# The environment contract the functions read; the last four only as secrets.
PLAIN_ENV = {
    "GOOGLE_CLOUD_PROJECT",
    "CALSYNC_RESULTS_TOPIC",
    "CALSYNC_TASKS_QUEUE",
    "CALSYNC_TASKS_URL",
    "CALSYNC_TASKS_SERVICE_ACCOUNT",
    "CALSYNC_PLATFORM_IDENTITY",
    "CALSYNC_PLATFORM_SUBJECT",
    "CALSYNC_OAUTH_CLIENT_ID",
    "CALSYNC_OAUTH_REDIRECT_URI",
    "CALSYNC_KMS_KEY",
    "CALSYNC_ADMIN_DELEGATION_ACCOUNT",
    "CALSYNC_PLATFORM_DELEGATION_ACCOUNT",
    "CALSYNC_STATUS_CALLERS",
    "CALSYNC_STATUS_AUDIENCE",
    "CALSYNC_GRANTS_DATABASE",
    "CALSYNC_WATCH_URL",
}
SECRET_ENV = {
    "CALSYNC_PLATFORM_CREDENTIALS",
    "CALSYNC_PLATFORM_POOL",
    "CALSYNC_OAUTH_CLIENT_SECRET",
    "CALSYNC_STATE_SIGNING_KEY",
}
KEY_ENV = {"CALSYNC_ADMIN_CREDENTIALS", "CALSYNC_SIGNER_CREDENTIALS"}
"""Local-only variables that hold a service account key: never set by the deployment."""
TOKEN_CREATOR = "roles/iam.serviceAccountTokenCreator"
PRIMITIVE_ROLES = re.compile(r"roles/(owner|editor|viewer)\b")
ROLE = re.compile(r"roles/[A-Za-z.]+")
COLLECTION_GROUP_QUERY = re.compile(
    r'collection_group\(\s*"(\w+)"\s*\)\s*\.where\(\s*(?:filter=FieldFilter\(\s*)?"(\w+)"'
)
TF_FILES = sorted(TERRAFORM_DIR.glob("*.tf"))


# ---- parsing and style -------------------------------------------------------------------


@pytest.mark.parametrize("path", TF_FILES, ids=[p.name for p in TF_FILES])
def test_every_file_parses(path: Path) -> None:
    """Each .tf file is valid HCL for python-hcl2."""
    with path.open(encoding="utf-8") as handle:
        assert isinstance(hcl2.load(handle), dict)


def test_terraform_fmt_clean() -> None:
    """`terraform fmt -check -recursive` finds nothing to rewrite."""
    binary = shutil.which("terraform")
    if binary is None:
        pytest.skip("terraform binary not on PATH; the fmt check needs it (no provider download)")
    result = subprocess.run(
        [binary, "fmt", "-check", "-recursive", "-diff", str(TERRAFORM_DIR)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": str(Path(binary).parent), "TF_CLI_CONFIG_FILE": "/dev/null"},
    )
    assert result.returncode == 0, f"terraform fmt would change:\n{result.stdout}{result.stderr}"


# ---- functions ---------------------------------------------------------------------------


def test_all_six_functions_declared(tf: TerraformConfig) -> None:
    """The function table holds exactly the six functions, with their names and callers."""
    functions = tf.locals["functions"]
    assert set(functions) == set(EXPECTED_FUNCTIONS)
    for key, (name, invoker) in EXPECTED_FUNCTIONS.items():
        assert functions[key]["name"] == name
        assert functions[key]["invoker"] == invoker


def test_every_function_dir_on_disk_is_declared(tf: TerraformConfig) -> None:
    """No functions/<name>/main.py is left out of the deployment."""
    on_disk = {p.parent.name for p in (REPO / "functions").glob("*/main.py")}
    assert on_disk <= set(tf.locals["functions"])


def test_functions_are_gen2_python312_from_hashed_bundles(tf: TerraformConfig) -> None:
    """One gen2 function per table entry, python312, entry point = key, hashed source object."""
    function = tf.resource("google_cloudfunctions2_function", "function")
    assert function["for_each"] == "${local.functions}"
    assert function["name"] == "${each.value.name}"
    build = block(function, "build_config")
    assert build["runtime"] == "python312"
    assert build["entry_point"] == "${each.key}"
    source = block(block(build, "source"), "storage_source")
    assert source["object"] == "${google_storage_bucket_object.bundle[each.key].name}"
    bundle = tf.resource("google_storage_bucket_object", "bundle")
    assert "output_md5" in bundle["name"], "the object name must carry the bundle hash"
    archive = tf.data["archive_file"]["bundle"]
    assert archive["for_each"] == "${local.functions}"
    assert archive["output_file_mode"] == "0644"
    assert archive["source_dir"].endswith("/functions/${each.key}")
    assert not tf.of_kind("google_cloudfunctions_function"), "gen1 functions are not allowed"


def test_each_function_has_its_own_service_account(tf: TerraformConfig) -> None:
    """Runtime identities: one service account per function, none shared with callers."""
    accounts = tf.resource("google_service_account", "function")
    assert accounts["for_each"] == "${local.functions}"
    assert "${each.value.name}" in accounts["account_id"]
    service = block(tf.resource("google_cloudfunctions2_function", "function"), "service_config")
    assert service["service_account_email"] == "${google_service_account.function[each.key].email}"
    callers = set(tf.of_kind("google_service_account")) - {"function"}
    delegation = {"admin_delegation", "platform_delegation"}
    assert callers == {"pubsub_push", "tasks_invoker", "scheduler", "build", *delegation}


def test_ingress_internal_for_google_invoked_functions(tf: TerraformConfig) -> None:
    """Functions called only by Pub/Sub, Cloud Tasks or Scheduler refuse outside traffic."""
    functions = tf.locals["functions"]
    for key, fn in functions.items():
        expected = "all" if fn["invoker"] in {"public", "platform"} else "internal"
        assert fn["ingress"] == expected, key
    assert tf.locals["ingress_settings"]["internal"] == "ALLOW_INTERNAL_ONLY"


# ---- who may invoke what ---------------------------------------------------------------


def test_only_oauth_callback_and_on_calendar_change_are_public(tf: TerraformConfig) -> None:
    """allUsers appears once: as the invoker of the public functions (organizers' browsers;
    Google's push notifications, which carry no credentials, only the channel's token)."""
    publics = [k for k, fn in tf.locals["functions"].items() if fn["invoker"] == "public"]
    assert sorted(publics) == ["oauth_callback", "on_calendar_change"]
    members = tf.locals["invoker_members"]
    assert members["public"] == "allUsers"
    assert all(
        "allUsers" not in m and "allAuthenticated" not in m
        for k, m in members.items()
        if k != "public"
    )
    everywhere = [s for body in tf.files.values() for s in strings(body)]
    assert sum(s == "allUsers" for s in everywhere) == 1
    assert not [s for s in everywhere if "allAuthenticatedUsers" in s]


def test_invoker_is_granted_only_to_the_callers_identity(tf: TerraformConfig) -> None:
    """Each function's run.invoker binding names exactly one member: its caller."""
    invoker = tf.resource("google_cloud_run_v2_service_iam_member", "invoker")
    assert invoker["for_each"] == "${local.functions}"
    assert invoker["role"] == "roles/run.invoker"
    assert invoker["member"] == "${local.invoker_members[each.value.invoker]}"
    for kind in ("google_cloud_run_service_iam_member", "google_cloud_run_service_iam_binding"):
        assert not tf.of_kind(kind)
    assert not tf.of_kind("google_cloud_run_v2_service_iam_binding")
    assert not tf.of_kind("google_cloud_run_v2_service_iam_policy")


def test_no_primitive_roles(tf: TerraformConfig) -> None:
    """No owner/editor/viewer anywhere; project-level grants limited to three narrow roles."""
    everywhere = [s for body in tf.files.values() for s in strings(body)]
    assert not [s for s in everywhere if PRIMITIVE_ROLES.search(s)]
    project_grants = tf.of_kind("google_project_iam_member").values()
    roles = {r for body in project_grants for s in strings(body) for r in ROLE.findall(s)}
    assert roles == {
        "roles/datastore.user",
        "roles/logging.logWriter",
        "roles/storage.objectViewer",
    }
    for banned in ("google_project_iam_binding", "google_project_iam_policy"):
        assert not tf.of_kind(banned), f"{banned} is authoritative; use *_iam_member"


# ---- Pub/Sub ---------------------------------------------------------------------------


def test_topics_for_the_platform(tf: TerraformConfig) -> None:
    """platform-events, platform-enrollments and calsync-results, each with a dead-letter topic."""
    topics = tf.locals["source_topics"]
    assert topics["platform_events"] == "platform-events"
    assert topics["platform_enrollments"] == "platform-enrollments"
    assert topics["results"] == "${var.results_topic}"
    assert tf.variables["results_topic"]["default"] == "calsync-results"
    dead_letter = tf.resource("google_pubsub_topic", "dead_letter")
    assert dead_letter["for_each"] == "${local.source_topics}"
    assert dead_letter["name"].endswith("-dead-letter")


def test_every_subscription_is_dead_lettered(tf: TerraformConfig) -> None:
    """Every subscription has a dead-letter policy, except the holds on dead-letter topics."""
    subscriptions = tf.of_kind("google_pubsub_subscription")
    assert set(subscriptions) == {"push", "results_platform", "dead_letter_hold"}
    for name, body in subscriptions.items():
        if name == "dead_letter_hold":
            assert body["topic"].startswith("${google_pubsub_topic.dead_letter[")
            assert "push_config" not in body, "dead letters wait in a pull subscription"
            assert block(body, "expiration_policy")["ttl"] == ""
            continue
        policy = block(body, "dead_letter_policy")
        assert policy["dead_letter_topic"].startswith("${google_pubsub_topic.dead_letter[")
        assert policy["max_delivery_attempts"] == "${var.max_delivery_attempts}"
        retry = block(body, "retry_policy")
        assert retry["minimum_backoff"]
        assert retry["maximum_backoff"]


def test_max_delivery_attempts_between_5_and_100(tf: TerraformConfig) -> None:
    """The default is in range and the variable rejects values outside 5..100."""
    variable = tf.variables["max_delivery_attempts"]
    assert 5 <= variable["default"] <= 100
    condition = block(variable, "validation")["condition"]
    assert ">= 5" in condition
    assert "<= 100" in condition


def test_push_subscriptions_use_oidc_into_the_functions(tf: TerraformConfig) -> None:
    """Explicit push subscriptions deliver to the function URLs with an OIDC token."""
    assert tf.locals["push_subscriptions"] == {
        "platform_events": "on_event_change",
        "platform_enrollments": "on_enroll",
    }
    push = block(tf.resource("google_pubsub_subscription", "push"), "push_config")
    assert push["push_endpoint"] == "${local.function_urls[each.value]}"
    token = block(push, "oidc_token")
    assert token["service_account_email"] == "${google_service_account.pubsub_push.email}"
    assert token["audience"] == "${local.function_urls[each.value]}"


def test_pubsub_service_agent_can_dead_letter(tf: TerraformConfig) -> None:
    """The service agent publishes to every dead-letter topic and subscribes to every source."""
    publisher = tf.resource("google_pubsub_topic_iam_member", "dead_letter_publisher")
    assert publisher["for_each"] == "${local.source_topics}"
    assert publisher["role"] == "roles/pubsub.publisher"
    assert publisher["member"] == "${local.pubsub_service_agent}"
    subscriber = tf.resource("google_pubsub_subscription_iam_member", "dead_letter_source")
    assert subscriber["for_each"] == "${local.dead_lettered_subscriptions}"
    assert subscriber["role"] == "roles/pubsub.subscriber"
    assert subscriber["member"] == "${local.pubsub_service_agent}"
    agent = tf.resource("google_project_service_identity", "pubsub")
    assert agent["service"] == "pubsub.googleapis.com"


# ---- scheduler, tasks, firestore, kms, secrets --------------------------------------------


def test_scheduler_calls_sweeper_with_oidc(tf: TerraformConfig) -> None:
    """The sweeper job POSTs to orphan-sweeper with the scheduler identity's OIDC token."""
    target = block(tf.resource("google_cloud_scheduler_job", "orphan_sweeper"), "http_target")
    assert target["uri"] == "${local.function_urls.orphan_sweeper}"
    token = block(target, "oidc_token")
    assert token["service_account_email"] == "${google_service_account.scheduler.email}"


def test_scheduler_starts_the_verification_pass_with_oidc(tf: TerraformConfig) -> None:
    """The verification job POSTs to orphan-sweeper's /verify as the scheduler identity; the
    OIDC audience is the service URL (Cloud Run checks it against the service, not the path)."""
    job = tf.resource("google_cloud_scheduler_job", "verification")
    assert job["schedule"] == "${var.verification_schedule}"
    target = block(job, "http_target")
    assert target["uri"] == "${local.function_urls.orphan_sweeper}/verify"
    token = block(target, "oidc_token")
    assert token["service_account_email"] == "${google_service_account.scheduler.email}"
    assert token["audience"] == "${local.function_urls.orphan_sweeper}"


def test_tasks_queue_is_sized_to_the_whole_pool_of_platform_identities(
    tf: TerraformConfig,
) -> None:
    """One queue must not cap the pool (issue 16): the dispatch rate grows with
    platform_pool_size, within Cloud Tasks' 500 a second; the pool's identities reach the
    functions as a secret only when there is more than one."""
    rate = tf.locals["reconcile_dispatches_per_second"]
    assert "var.platform_pool_size" in rate
    assert "min(500," in rate.replace(" ", "").replace("min(500,", "min(500,")
    assert tf.variables["platform_pool_size"]["default"] == 1
    pool = tf.resource("google_secret_manager_secret_version", "platform_pool")
    assert pool["count"] == "${var.platform_pool_size > 1 ? 1 : 0}"
    assert tf.locals["capability_secrets"]["platform"]["CALSYNC_PLATFORM_POOL"] == "platform_pool"


def test_tasks_queue_within_calendar_per_user_quota(tf: TerraformConfig) -> None:
    """Dispatch rate x requests per task stays within 600 requests/min/user by default."""
    limits = block(tf.resource("google_cloud_tasks_queue", "reconcile"), "rate_limits")
    assert limits["max_dispatches_per_second"] == "${local.reconcile_dispatches_per_second}"
    per_minute = tf.variables["calendar_requests_per_user_per_minute"]["default"]
    per_task = tf.variables["calendar_requests_per_task"]["default"]
    headroom = tf.variables["quota_headroom"]["default"]
    assert per_minute == 600
    rate = int(per_minute * headroom / 60 / per_task * 100) / 100
    assert 0 < rate * per_task * 60 <= per_minute
    assert "var.quota_headroom" in tf.locals["reconcile_dispatches_per_second"]


def test_oauth_states_ttl(tf: TerraformConfig) -> None:
    """The TTL policy deletes expired OAuth state records."""
    field = tf.resource("google_firestore_field", "oauth_states_ttl")
    assert (field["collection"], field["field"]) == ("oauth_states", "expires_at")
    assert field["database"] == "${google_firestore_database.grants.name}"
    assert field["ttl_config"] == [{}]


def test_collection_group_queries_have_indexes(tf: TerraformConfig) -> None:
    """Every collection-group query of the library has a COLLECTION_GROUP-scoped index."""
    library = REPO / "shared" / "calsync"
    source = "\n".join(p.read_text(encoding="utf-8") for p in sorted(library.rglob("*.py")))
    needed = set(COLLECTION_GROUP_QUERY.findall(source))
    assert ("parts", "owner_email") in needed, "the query pattern no longer finds the sweeper's"
    field = tf.resource("google_firestore_field", "collection_group")
    declared = {(v["collection"], v["field"]) for v in field["for_each"].values()}
    assert needed <= declared, f"collection-group queries without an index: {needed - declared}"
    scopes = [i.get("query_scope") for i in block(field, "index_config")["indexes"]]
    assert "COLLECTION_GROUP" in scopes
    assert "COLLECTION" in scopes, "the override must keep the collection-scoped defaults"


def test_kms_key_protected_from_destroy(tf: TerraformConfig) -> None:
    """The grant-encryption key has prevent_destroy and rotates."""
    key = tf.resource("google_kms_crypto_key", "grants")
    assert block(key, "lifecycle")["prevent_destroy"] is True
    assert key["rotation_period"] == "${var.kms_rotation_period}"


def test_secret_values_never_reach_state(tf: TerraformConfig) -> None:
    """Secret versions are write-only, fed by ephemeral sensitive variables."""
    versions = tf.of_kind("google_secret_manager_secret_version")
    assert set(versions) == {
        "oauth_client_secret",
        "state_signing_key",
        "platform_credentials",
        "platform_pool",
    }
    for body in versions.values():
        assert "secret_data" not in body
        assert body["secret_data_wo"]
        assert body["secret_data_wo_version"]
    for name in ("oauth_client_secret", "platform_credentials_json", "platform_pool_json"):
        assert tf.variables[name].get("ephemeral") is True, name
        assert tf.variables[name].get("sensitive") is True, name
    assert "random_password" in tf.ephemeral
    assert not tf.of_kind("random_password"), "a non-ephemeral random_password lands in state"


# ---- environment contract ----------------------------------------------------------------


def test_environment_contract(tf: TerraformConfig) -> None:
    """Plain variables and secrets come from the contract; credentials only as secrets."""
    plain = {k for env in tf.locals["capability_env"].values() for k in env}
    secret = {k for env in tf.locals["capability_secrets"].values() for k in env}
    assert plain | {"GOOGLE_CLOUD_PROJECT"} == PLAIN_ENV
    assert secret == SECRET_ENV
    capabilities = set(tf.locals["capability_env"])
    assert set(tf.locals["capability_secrets"]) == capabilities
    for key, fn in tf.locals["functions"].items():
        assert set(fn["capabilities"]) <= capabilities, key


def test_each_function_gets_only_what_it_needs(tf: TerraformConfig) -> None:
    """Credentials, signing key and admin identity go only where they are used."""
    functions = tf.locals["functions"]
    holders = {
        cap: {k for k, fn in functions.items() if cap in fn["capabilities"]}
        for cap in tf.locals["capability_env"]
    }
    # the admin identity: the sweeper; the rooms catalog; and whoever reconciles, to act as a
    # sweeper-appointed successor who has not connected (domain-wide delegation)
    assert holders["admin"] == {"orphan_sweeper", "rooms", "on_event_change", "reconcile"}
    assert holders["oauth_flow"] == {"oauth_callback"}
    # on_event_change reconciles inline (calsync.entrypoints.platform_events); on_enroll only
    # records and schedules the coalesced reconcile.
    assert holders["platform"] == {"on_event_change", "reconcile", "orphan_sweeper"}
    assert set(functions["on_enroll"]["capabilities"]) == {"firestore", "results", "tasks"}
    assert functions["on_event_change"]["capabilities"] == functions["reconcile"]["capabilities"]


def test_deployment_doc_lists_variables_and_environment(tf: TerraformConfig) -> None:
    """docs/deployment.md names every Terraform variable and every environment variable."""
    doc = (REPO / "docs" / "deployment.md").read_text(encoding="utf-8")
    missing = [v for v in [*tf.variables, *PLAIN_ENV, *SECRET_ENV] if f"`{v}`" not in doc]
    assert not missing, f"docs/deployment.md does not mention: {missing}"


def test_outputs_for_operator_and_platform(tf: TerraformConfig) -> None:
    """The redirect URI to register and the topic names for the platform are outputs."""
    assert {"oauth_redirect_uri", "platform_topics", "results_topic", "rooms_url"} <= set(
        tf.outputs
    )
    assert json.dumps(tf.outputs["oauth_redirect_uri"]).count("local.oauth_redirect_uri") == 1


# ---- keyless domain-wide delegation (issue 14, item 4) -----------------------------------


def test_no_service_account_key_anywhere(tf: TerraformConfig) -> None:
    """No google_service_account_key resource: the delegation accounts are keyless."""
    assert not tf.of_kind("google_service_account_key")


def test_no_secret_or_variable_holds_a_delegation_key(tf: TerraformConfig) -> None:
    """The admin key secret and variable are gone; no function gets a key variable."""
    assert "admin_credentials_json" not in tf.variables
    assert "admin_credentials" not in tf.locals["secrets"]
    contract = {
        k
        for table in ("capability_env", "capability_secrets")
        for env in tf.locals[table].values()
        for k in env
    }
    assert not contract & KEY_ENV
    platform_secret = tf.resource("google_secret_manager_secret_version", "platform_credentials")
    assert platform_secret["count"] == "${local.platform_uses_oauth ? 1 : 0}", (
        "the platform credentials are a secret only in 'oauth' mode (a refresh token)"
    )


def test_delegation_accounts_are_named_to_the_functions(tf: TerraformConfig) -> None:
    """Functions learn the delegation accounts' emails, to sign for them through IAM."""
    env = tf.locals["capability_env"]
    assert env["admin"] == {
        "CALSYNC_ADMIN_DELEGATION_ACCOUNT": "${google_service_account.admin_delegation.email}"
    }
    assert "platform_delegation[0].email" in env["platform"]["CALSYNC_PLATFORM_DELEGATION_ACCOUNT"]


def test_token_creator_only_on_the_delegation_accounts_for_their_functions(
    tf: TerraformConfig,
) -> None:
    """roles/iam.serviceAccountTokenCreator: per delegation account, to the functions holding
    its capability; elsewhere only the Pub/Sub agent on the push identity; never project-wide."""
    grants = {
        name: body
        for name, body in tf.of_kind("google_service_account_iam_member").items()
        if body["role"] == TOKEN_CREATOR
    }
    push = grants.pop("pubsub_push_token_creator")
    assert push["service_account_id"] == "${google_service_account.pubsub_push.name}"
    assert push["member"] == "${local.pubsub_service_agent}"
    assert set(grants) == {"admin_delegation_signer", "platform_delegation_signer"}
    admin = grants["admin_delegation_signer"]
    assert admin["for_each"] == "${local.functions_with.admin}"
    assert admin["service_account_id"] == "${google_service_account.admin_delegation.name}"
    assert admin["member"] == "${google_service_account.function[each.key].member}"
    platform = grants["platform_delegation_signer"]
    assert "local.functions_with.platform" in platform["for_each"]
    assert platform["service_account_id"] == "${google_service_account.platform_delegation[0].name}"
    everywhere = [s for body in tf.files.values() for s in strings(body)]
    assert sum(s == TOKEN_CREATOR for s in everywhere) == 3


def test_delegation_client_ids_are_an_output(tf: TerraformConfig) -> None:
    """Workspace admins authorise the delegation accounts' unique ids."""
    assert "admin_delegation.unique_id" in json.dumps(tf.outputs["delegation_client_ids"])


# ---- KMS: who seals, who opens (issue 14, item 5) -----------------------------------------


def test_only_oauth_callback_encrypts_and_only_the_syncing_functions_decrypt(
    tf: TerraformConfig,
) -> None:
    """oauth_callback seals grants but cannot open them; the syncing functions only open."""
    functions = tf.locals["functions"]
    encrypt = {k for k, fn in functions.items() if "kms_encrypt" in fn["capabilities"]}
    decrypt = {k for k, fn in functions.items() if "kms_decrypt" in fn["capabilities"]}
    assert encrypt == {"oauth_callback"}
    assert decrypt == {"on_event_change", "reconcile", "orphan_sweeper", "rooms"}
    roles = tf.locals["kms_grants"]
    assert (
        'cap == "kms_encrypt" ? "roles/cloudkms.cryptoKeyEncrypter" : '
        '"roles/cloudkms.cryptoKeyDecrypter"'
    ) in roles
    everywhere = [s for body in tf.files.values() for s in strings(body)]
    assert not [s for s in everywhere if "cryptoKeyEncrypterDecrypter" in s]
    grant = tf.resource("google_kms_crypto_key_iam_member", "function")
    assert grant["for_each"] == "${local.kms_grants}"
    assert grant["role"] == "${each.value.role}"


# ---- Firestore security rules (issue 14, item 5) ------------------------------------------


def test_an_explicit_deny_all_firestore_ruleset_is_released(tf: TerraformConfig) -> None:
    """Client SDKs can read or write nothing: one rule, `allow read, write: if false`."""
    ruleset = tf.resource("google_firebaserules_ruleset", "firestore_deny_all")
    files = block(block(ruleset, "source"), "files")
    rules = files["content"]
    assert "service cloud.firestore" in rules
    assert "match /{document=**}" in rules
    allows = [line.strip() for line in rules.splitlines() if line.strip().startswith("allow")]
    assert allows == ["allow read, write: if false;"]
    release = tf.resource("google_firebaserules_release", "firestore")
    assert release["name"] == "cloud.firestore"
    assert "google_firebaserules_ruleset.firestore_deny_all.name" in release["ruleset_name"]
    assert "firebaserules.googleapis.com" in tf.locals["required_apis"]


def test_status_answers_only_the_platforms_identity(tf: TerraformConfig) -> None:
    """oauth_callback is told who may read /status and the audience their ID token names."""
    flow = tf.locals["capability_env"]["oauth_flow"]
    assert flow["CALSYNC_STATUS_CALLERS"] == "${var.platform_service_account}"
    assert flow["CALSYNC_STATUS_AUDIENCE"] == "${local.function_urls.oauth_callback}"
    holders = {k for k, fn in tf.locals["functions"].items() if "oauth_flow" in fn["capabilities"]}
    assert holders == {"oauth_callback"}


# ---- the grants database (issue 14, item 5) -----------------------------------------------

GRANT_HOLDERS = {"on_event_change", "reconcile", "oauth_callback", "orphan_sweeper", "rooms"}


def test_grants_have_a_database_of_their_own(tf: TerraformConfig) -> None:
    """A second native database, protected like the main one, named to the grant holders."""
    grants = tf.resource("google_firestore_database", "grants")
    assert grants["name"] == "${var.name_prefix}-grants"
    assert grants["delete_protection_state"] == "DELETE_PROTECTION_ENABLED"
    assert grants["point_in_time_recovery_enablement"] == "POINT_IN_TIME_RECOVERY_ENABLED"
    assert tf.locals["capability_env"]["grants"] == {
        "CALSYNC_GRANTS_DATABASE": "${google_firestore_database.grants.name}"
    }
    holders = {k for k, fn in tf.locals["functions"].items() if "grants" in fn["capabilities"]}
    assert holders == GRANT_HOLDERS
    encrypt_or_decrypt = {
        k
        for k, fn in tf.locals["functions"].items()
        if {"kms_encrypt", "kms_decrypt"} & set(fn["capabilities"])
    }
    assert holders == encrypt_or_decrypt, "who opens the database is who handles grants"


def test_firestore_access_is_scoped_to_one_database_by_an_iam_condition(
    tf: TerraformConfig,
) -> None:
    """Every datastore.user grant carries a condition naming one database; the grants
    database's only for the grant holders."""
    main = tf.resource("google_project_iam_member", "firestore_user")
    grants = tf.resource("google_project_iam_member", "grants_database_user")
    assert main["for_each"] == "${local.functions_with.firestore}"
    assert grants["for_each"] == "${local.functions_with.grants}"
    for body, database in ((main, "main"), (grants, "grants")):
        assert body["role"] == "roles/datastore.user"
        condition = block(body, "condition")
        assert (
            condition["expression"] == f'resource.name == "${{local.database_resource.{database}}}"'
        )
    resources = tf.locals["database_resource"]
    assert resources["main"].endswith("/databases/(default)")
    assert resources["grants"].endswith("/databases/${google_firestore_database.grants.name}")
    unconditioned = [
        name
        for name, body in tf.of_kind("google_project_iam_member").items()
        if "datastore" in str(body.get("role")) and "condition" not in body
    ]
    assert not unconditioned


def test_the_grants_database_has_the_deny_all_rules_too(tf: TerraformConfig) -> None:
    """Client SDKs reach no grant either."""
    release = tf.resource("google_firebaserules_release", "firestore_grants")
    assert release["name"] == "cloud.firestore/${google_firestore_database.grants.name}"
    assert "firestore_deny_all" in release["ruleset_name"]


# ---- rate limit in front of the public function (issue 14, item 5) ------------------------


def test_cloud_armor_throttles_each_client_ip_in_front_of_oauth_callback(
    tf: TerraformConfig,
) -> None:
    """With public_domain, a per-IP throttle (429 beyond the limit) guards the backend."""
    policy = tf.resource("google_compute_security_policy", "oauth_callback")
    assert policy["count"] == "${local.public_lb ? 1 : 0}"
    rules = policy["rule"] if isinstance(policy["rule"], list) else [policy["rule"]]
    throttles = [r for r in rules if r["action"] == "throttle"]
    assert len(throttles) == 1
    options = block(throttles[0], "rate_limit_options")
    assert (options["enforce_on_key"], options["exceed_action"]) == ("IP", "deny(429)")
    threshold = block(options, "rate_limit_threshold")
    assert threshold["count"] == "${var.oauth_rate_limit_per_minute}"
    assert threshold["interval_sec"] == 60
    backend = tf.resource("google_compute_backend_service", "oauth_callback")
    assert backend["security_policy"] == "${google_compute_security_policy.oauth_callback[0].id}"
    neg = tf.resource("google_compute_region_network_endpoint_group", "oauth_callback")
    assert block(neg, "cloud_run")["service"] == (
        '${google_cloudfunctions2_function.function["oauth_callback"].name}'
    )


def test_behind_the_load_balancer_oauth_callback_cannot_be_reached_around_it(
    tf: TerraformConfig,
) -> None:
    """Its run.app URL then admits only internal and load-balancer traffic, and the OAuth
    redirect URI is the public domain's."""
    service = block(tf.resource("google_cloudfunctions2_function", "function"), "service_config")
    assert "local.public_lb" in service["ingress_settings"]
    assert '"internal_and_lb"' in service["ingress_settings"]
    assert tf.locals["ingress_settings"]["internal_and_lb"] == "ALLOW_INTERNAL_AND_GCLB"
    assert "var.public_domain" in tf.locals["oauth_public_url"]
    assert "local.oauth_public_url" in tf.locals["oauth_redirect_uri"]

"""Configuration read from the environment, with production defaults.

Every Google endpoint can be overridden, one by one or all at once with
``CALSYNC_GOOGLE_SANDBOX_URL`` (the local Google sandbox). Nothing here does I/O
beyond reading ``os.environ``; values are read when asked for, so tests and the
local stack can set variables before the first call.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache

__all__ = [
    "GoogleEndpoints",
    "OAuthSettings",
    "Settings",
    "get_settings",
    "reset_settings_cache",
]

# field of GoogleEndpoints -> (environment variable, production default, path under the sandbox)
_ENDPOINTS: dict[str, tuple[str, str, str]] = {
    "calendar": (
        "CALSYNC_CALENDAR_ENDPOINT",
        "https://www.googleapis.com/calendar/v3/",
        "/calendar/v3/",
    ),
    "directory": ("CALSYNC_DIRECTORY_ENDPOINT", "https://admin.googleapis.com/", "/"),
    "datatransfer": ("CALSYNC_DATATRANSFER_ENDPOINT", "https://admin.googleapis.com/", "/"),
    "token_uri": ("CALSYNC_OAUTH_TOKEN_URI", "https://oauth2.googleapis.com/token", "/token"),
    "auth_uri": (
        "CALSYNC_OAUTH_AUTH_URI",
        "https://accounts.google.com/o/oauth2/v2/auth",
        "/o/oauth2/v2/auth",
    ),
    "revoke_uri": ("CALSYNC_OAUTH_REVOKE_URI", "https://oauth2.googleapis.com/revoke", "/revoke"),
    "jwks_uri": (
        "CALSYNC_OAUTH_JWKS_URI",
        "https://www.googleapis.com/oauth2/v3/certs",
        "/oauth2/v3/certs",
    ),
    "tasks": ("CALSYNC_TASKS_ENDPOINT", "cloudtasks.googleapis.com", ""),
    "iam_credentials": (
        "CALSYNC_IAM_CREDENTIALS_ENDPOINT",
        "https://iamcredentials.googleapis.com/",
        "/",
    ),
}


@dataclass(frozen=True)
class GoogleEndpoints:
    """Base URLs of the Google APIs calsync calls."""

    calendar: str
    directory: str
    datatransfer: str
    token_uri: str
    auth_uri: str
    revoke_uri: str
    jwks_uri: str
    tasks: str
    sandbox: bool
    iam_credentials: str = "https://iamcredentials.googleapis.com/"
    """IAM Credentials, where keyless delegation signs its assertions (``signJwt``)."""


@dataclass(frozen=True)
class OAuthSettings:
    """The organizer connect flow and the encryption of stored grants (docs/oauth.md).

    Secrets are excluded from ``repr`` so a settings object never prints them.
    """

    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    redirect_uri: str = ""
    state_signing_key: str = field(default="", repr=False)
    kms_key: str = ""
    """Cloud KMS crypto key resource name; empty = the local keyring below."""
    local_encryption_keys: str = field(default="", repr=False)
    """JSON ``{"primary": "key-id", "keys": {"key-id": "<base64 of 32 bytes>", ...}}``."""
    status_callers: tuple[str, ...] = ()
    """Service accounts whose Google ID token may read ``/status`` (``CALSYNC_STATUS_CALLERS``,
    comma-separated); none = refused, except against the local sandbox."""
    status_audience: str = ""
    """The ``aud`` those ID tokens must carry: the function's URL (``CALSYNC_STATUS_AUDIENCE``)."""


@dataclass(frozen=True)
class Settings:
    """Process-wide settings of a calsync function or tool."""

    project: str
    results_topic: str
    tasks_queue: str
    tasks_url: str
    tasks_service_account: str
    coalesce_seconds: float
    platform_identity: str
    platform_subject: str
    platform_credentials: str = field(repr=False)
    google: GoogleEndpoints
    retry_deadline_seconds: float
    oauth: OAuthSettings = field(default_factory=OAuthSettings)
    admin_credentials: str = field(default="", repr=False)
    """Key JSON of the service account with domain-wide delegation used as tenant admins.

    Local use only: deployed, ``admin_delegation_account`` names the account instead."""
    admin_delegation_account: str = ""
    """Email of the tenants' admin delegation account, signed for keylessly through IAM
    Credentials (``CALSYNC_ADMIN_DELEGATION_ACCOUNT``); wins over ``admin_credentials``."""
    platform_delegation_account: str = ""
    """Email of the platform identity's delegation account in ``service_account`` mode, signed
    for keylessly (``CALSYNC_PLATFORM_DELEGATION_ACCOUNT``); wins over ``platform_credentials``."""
    grants_database: str = "(default)"
    """Firestore database of organizers' grants and OAuth flow states
    (``CALSYNC_GRANTS_DATABASE``); deployed, a database of its own that only the functions
    handling grants may open (docs/deployment.md)."""
    signer_credentials: str = field(default="", repr=False)
    """Local use only: key JSON of the identity that calls ``signJwt`` (the function's own
    service account). Empty = Application Default Credentials, the function's runtime account."""
    lease_seconds: float = 300.0
    """How long a reconcile holds an item between renewals (``CALSYNC_LEASE_SECONDS``)."""
    resync_page_size: int = 100
    """Items per task when a settings change re-syncs a tenant, 1-500 (``tenant_resync``)."""
    watch_url: str = ""
    """Where Google posts calendar changes: the ``on_calendar_change`` function's https URL
    (``CALSYNC_WATCH_URL``). Empty: calsync opens no watch channels (two-way sync off)."""
    watch_ttl_seconds: int = 604800
    """Lifetime asked for each watch channel, ``params.ttl`` (``CALSYNC_WATCH_TTL_SECONDS``;
    Google's default and, in the sandbox, its cap: 7 days)."""
    calendar_change_seconds: float = 5.0
    """Coalescing window of a calendar's change notifications (``CALSYNC_CALENDAR_CHANGE_SECONDS``):
    one incremental read per calendar per window, however many notifications Google sends."""
    verify_page_size: int = 50
    """Items per page of the verification pass, 1-500 (``CALSYNC_VERIFY_PAGE_SIZE``)."""
    verify_page_seconds: float = 10.0
    """Pause between two pages of a tenant's verification pass (``CALSYNC_VERIFY_PAGE_SECONDS``):
    its pace, about ``verify_page_size`` items' parts read per pause."""
    platform_pool: str = field(default="", repr=False)
    """More platform identities beside ``platform_subject`` (``CALSYNC_PLATFORM_POOL``), JSON:
    ``[{"subject": "calsync2@platform.example", "credentials": {...}}, ...]``. ``credentials``
    is that user's OAuth grant in ``oauth`` mode; with a delegation account (or, locally, a
    key) it may be left out: the same account acts as each subject. Tenants spread over the
    pool (``state.identity_pool``)."""
    calendars_per_identity_per_day: int = 50
    """Tenant calendars one platform identity may create in 24 hours
    (``CALSYNC_CALENDARS_PER_IDENTITY_PER_DAY``): Google makes an account that creates more than
    60 calendars in a short period read-only for hours (facts §6.4)."""
    pacing_calls_per_minute: float = 480.0
    """Google calls per minute per acting identity, across every function
    (``CALSYNC_PACING_CALLS_PER_MINUTE``; ``state.pacing``): 80% of Calendar's 600 per user per
    minute. 0 turns pacing off."""
    pacing_burst: int = 100
    """Calls an identity may make ahead of its pace (``CALSYNC_PACING_BURST``): at most
    ``burst + 2 + calls_per_minute`` in any minute (100 + 2 + 480 < 600)."""
    pacing_block: int = 4
    """Slots one process reserves per Firestore transaction (``CALSYNC_PACING_BLOCK``)."""
    pacing_max_wait_seconds: float = 10.0
    """The longest a call waits for its slot before the work is handed back
    (``CALSYNC_PACING_MAX_WAIT_SECONDS``)."""


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _endpoints() -> GoogleEndpoints:
    sandbox = _env("CALSYNC_GOOGLE_SANDBOX_URL").rstrip("/")
    values = {
        field: _env(var, sandbox + path if sandbox else default)
        for field, (var, default, path) in _ENDPOINTS.items()
    }
    return GoogleEndpoints(sandbox=bool(sandbox), **values)


@cache
def get_settings() -> Settings:
    """Read the settings once per process (see ``reset_settings_cache``)."""
    project = _env("GOOGLE_CLOUD_PROJECT") or _env("GCLOUD_PROJECT") or "calsync-local"
    return Settings(
        project=project,
        results_topic=_env("CALSYNC_RESULTS_TOPIC", "calsync-results"),
        tasks_queue=_env(
            "CALSYNC_TASKS_QUEUE", f"projects/{project}/locations/us-central1/queues/calsync"
        ),
        tasks_url=_env("CALSYNC_TASKS_URL"),
        tasks_service_account=_env("CALSYNC_TASKS_SERVICE_ACCOUNT"),
        coalesce_seconds=float(_env("CALSYNC_COALESCE_SECONDS", "10")),
        platform_identity=_env("CALSYNC_PLATFORM_IDENTITY", "oauth"),
        platform_subject=_env("CALSYNC_PLATFORM_SUBJECT"),
        platform_credentials=_env("CALSYNC_PLATFORM_CREDENTIALS"),
        google=_endpoints(),
        retry_deadline_seconds=float(_env("CALSYNC_RETRY_DEADLINE_SECONDS", "30")),
        admin_credentials=_env("CALSYNC_ADMIN_CREDENTIALS"),
        admin_delegation_account=_env("CALSYNC_ADMIN_DELEGATION_ACCOUNT"),
        platform_delegation_account=_env("CALSYNC_PLATFORM_DELEGATION_ACCOUNT"),
        signer_credentials=_env("CALSYNC_SIGNER_CREDENTIALS"),
        grants_database=_env("CALSYNC_GRANTS_DATABASE", "(default)"),
        lease_seconds=float(_env("CALSYNC_LEASE_SECONDS", "300")),
        resync_page_size=min(max(int(_env("CALSYNC_RESYNC_PAGE_SIZE", "100")), 1), 500),
        watch_url=_env("CALSYNC_WATCH_URL"),
        watch_ttl_seconds=max(int(_env("CALSYNC_WATCH_TTL_SECONDS", "604800")), 60),
        calendar_change_seconds=float(_env("CALSYNC_CALENDAR_CHANGE_SECONDS", "5")),
        verify_page_size=min(max(int(_env("CALSYNC_VERIFY_PAGE_SIZE", "50")), 1), 500),
        verify_page_seconds=max(float(_env("CALSYNC_VERIFY_PAGE_SECONDS", "10")), 0.0),
        platform_pool=_env("CALSYNC_PLATFORM_POOL"),
        calendars_per_identity_per_day=max(
            int(_env("CALSYNC_CALENDARS_PER_IDENTITY_PER_DAY", "50")), 1
        ),
        pacing_calls_per_minute=max(float(_env("CALSYNC_PACING_CALLS_PER_MINUTE", "480")), 0.0),
        pacing_burst=max(int(_env("CALSYNC_PACING_BURST", "100")), 0),
        pacing_block=min(max(int(_env("CALSYNC_PACING_BLOCK", "4")), 1), 100),
        pacing_max_wait_seconds=max(float(_env("CALSYNC_PACING_MAX_WAIT_SECONDS", "10")), 0.0),
        oauth=OAuthSettings(
            client_id=_env("CALSYNC_OAUTH_CLIENT_ID"),
            client_secret=_env("CALSYNC_OAUTH_CLIENT_SECRET"),
            redirect_uri=_env("CALSYNC_OAUTH_REDIRECT_URI"),
            state_signing_key=_env("CALSYNC_STATE_SIGNING_KEY"),
            kms_key=_env("CALSYNC_KMS_KEY"),
            local_encryption_keys=_env("CALSYNC_LOCAL_ENCRYPTION_KEYS"),
            status_callers=tuple(
                c.strip() for c in _env("CALSYNC_STATUS_CALLERS").split(",") if c.strip()
            ),
            status_audience=_env("CALSYNC_STATUS_AUDIENCE"),
        ),
    )


def reset_settings_cache() -> None:
    """Forget cached settings (tests and the local stack change the environment)."""
    get_settings.cache_clear()

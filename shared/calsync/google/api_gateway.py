"""The base of calsync's Google API gateways: one identity's calls, retried and typed.

Built on google-api-python-client: each call's request gets ``If-Match`` (an etag) and
``quotaUser`` added (``prepare``); transient failures (5xx, 429, rate limits, timeouts) are
retried with jittered exponential backoff inside the call (google-api-core's ``Retry``) and,
when the deadline passes, raised as ``TransientError`` for the message to be redelivered.
Everything else surfaces as a ``calsync.errors`` class through ``error_mapping``
(``Duplicate``, ``PreconditionFailed``…). List calls are read page by page (``_pages``). Every
attempt first takes a slot from the installed ``Pacer`` (``install_pacer``), so that no identity
goes over its per-minute quota whichever function calls as it.
``calendar.CalendarGateway`` and ``directory.DirectoryGateway`` build on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from calsync.errors import Paced, TransientError
from calsync.google.error_mapping import classify, is_transient
from calsync.logs import get_logger

__all__ = ["ApiGateway", "Pacer", "install_pacer", "with_query"]

_LOG = get_logger(__name__)


class Pacer(Protocol):
    """Spaces the calls made as one identity (``calsync.state.pacing.FirestorePacer``)."""

    def admit(self, identity: str) -> None:
        """Return when a call as ``identity`` keeps within its rate, or raise ``Paced``."""


_PACER: list[Pacer] = []


def install_pacer(pacer: Pacer | None) -> None:
    """Pace every gateway's calls in this process with ``pacer`` (None: no pacing). The
    composition root (``entrypoints.services``) installs it once."""
    _PACER[:] = [pacer] if pacer is not None else []


def _retryable(exc: BaseException) -> bool:
    return not isinstance(exc, Paced) and is_transient(exc)


class ApiGateway:
    """Google API calls for one identity, with retries and typed errors (not thread-safe:
    one per thread)."""

    def __init__(
        self,
        service: Callable[[], Any],
        identity: str,
        retry_deadline: float,
        quota_user: str | None = None,
    ) -> None:
        """``service`` builds the google-api-python-client resource; it is called on first
        use, so a request that never calls Google never imports the client (httplib2)."""
        self._build_service = service
        self._built: Any = None
        self.identity = identity
        self._retry_deadline = retry_deadline
        self.quota_user = quota_user
        """Sent as ``quotaUser`` on every call: the person a service account acts as, so
        Google charges per-user quota to them rather than to the service account."""

    @property
    def _service(self) -> Any:
        """The resource ``service`` built, on first use."""
        if self._built is None:
            self._built = self._build_service()
        return self._built

    def prepare(self, make_request: Callable[[], Any], etag: str | None = None) -> Any:
        """The request ``make_request`` builds, with ``If-Match`` and ``quotaUser`` added."""
        request = make_request()
        if etag:
            request.headers["If-Match"] = etag
        if self.quota_user:
            request.uri = with_query(request.uri, quotaUser=self.quota_user)
        return request

    def _call(self, what: str, make_request: Callable[[], Any], etag: str | None = None) -> Any:
        from google.api_core import exceptions as api_exceptions
        from google.api_core import retry as api_retry

        def attempt() -> Any:
            for pacer in _PACER:
                pacer.admit(self.identity)
            return self.prepare(make_request, etag).execute(num_retries=0)

        retry = api_retry.Retry(
            predicate=_retryable,
            initial=0.2,
            maximum=8.0,
            multiplier=2.0,
            timeout=self._retry_deadline,
            on_error=lambda exc: _LOG.warning(
                "retrying Google call after a transient failure",
                extra={"fields": {"call": what, "error": repr(classify(exc))}},
            ),
        )
        try:
            return retry(attempt)()
        except api_exceptions.RetryError as exc:
            raise TransientError(f"{what}: gave up after {self._retry_deadline:g}s: {exc}") from exc
        except Paced:
            raise
        except Exception as exc:
            error = classify(exc)
            if error is exc:
                raise
            raise error from exc

    def _pages(
        self, what: str, method: Callable[..., Any], field: str, **params: Any
    ) -> Iterator[dict[str, Any]]:
        """Every entry of ``field`` over all pages of a list call."""
        token: str | None = None
        while True:
            page: dict[str, Any] = self._call(what, partial(method, pageToken=token, **params))
            yield from page.get(field, [])
            token = page.get("nextPageToken")
            if not token:
                return


def with_query(uri: str, **params: str) -> str:
    """``uri`` with ``params`` added to (or replacing them in) its query string."""
    parts = urlsplit(uri)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    return urlunsplit(parts._replace(query=urlencode([*query, *params.items()])))

"""The :class:`Sandbox`: one in-memory world served over HTTP on a background thread.

    sb = Sandbox()
    base = sb.start(host="127.0.0.1", port=0)     # "http://127.0.0.1:54321"
    ...                                           # point the real Google clients at ``base``
    sb.reset()                                    # wipe all state between tests
    sb.stop()

Under the base URL: ``/calendar/v3/...``, ``/admin/directory/v1/...``,
``/admin/datatransfer/v1/...``, ``/v2/projects/...`` (Cloud Tasks), IAM Credentials'
``/v1/projects/-/serviceAccounts/{email}:signJwt`` and ``:generateIdToken``, the OAuth endpoints
(``/token``, ``/revoke``, ``/o/oauth2/v2/auth``, ``/oauth2/v3/certs``) and the control API
(``/_sandbox/...``).
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterable
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from .calendar import acl, calendars, events, freebusy, watch
from .calendar.push_delivery import PushDeliverer
from .control.api import ControlApi
from .directory import resources, users
from .errors import ApiError
from .gateway.pipeline import Gateway
from .iam import IAM_PATH, IamEndpoints
from .oauth.endpoints import OAUTH_PATHS, OAuthEndpoints
from .oauth.signing_keys import Signer
from .responses import error_response
from .state.world import World
from .tasks import queues
from .tasks.dispatcher import Dispatcher
from .transfer import transfers

__all__ = ["Sandbox"]

_LOGGER = logging.getLogger("calsync_sandbox")


class _QuietRequestHandler(WSGIRequestHandler):
    """Sends werkzeug's per-request lines to ``logging`` (debug) instead of stderr."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        _LOGGER.debug("%s %s -> %s", self.command, self.path, code)

    def log(self, type: str, message: str, *args: Any) -> None:
        _LOGGER.log(logging.ERROR if type == "error" else logging.DEBUG, message, *args)


class Sandbox:
    """A local stand-in for Google's REST APIs: Calendar, Directory, Data Transfer, OAuth, Tasks.

    ``push`` POSTs Calendar push notifications (``events.watch`` channels) in the background."""

    def __init__(self, *, dispatch_tick: float = 0.05) -> None:
        self.world = World()
        self.signer = Signer.create()
        self.dispatcher = Dispatcher(self.world, self.signer, tick=dispatch_tick)
        self.push = PushDeliverer(self.world, tick=dispatch_tick)
        handlers = {
            **acl.HANDLERS,
            **calendars.HANDLERS,
            **events.HANDLERS,
            **freebusy.HANDLERS,
            **watch.HANDLERS,
            **users.HANDLERS,
            **resources.HANDLERS,
            **transfers.HANDLERS,
            **queues.HANDLERS,
        }
        self.gateway = Gateway(self.world, handlers)
        self.oauth = OAuthEndpoints(self.world, self.signer)
        self.iam = IamEndpoints(self.world, self.signer)
        self.control = ControlApi(self.world, self.signer, self.dispatcher, lambda: self.base_url)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._base_url: str | None = None

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the running server."""
        if self._base_url is None:
            raise RuntimeError("the sandbox is not started")
        return self._base_url

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on ``host:port`` (0 = any free port) in a background thread; return the base URL.

        Raises OSError if the port is taken.
        """
        if self._server is not None:
            raise RuntimeError("the sandbox is already started")
        # Bind first so a busy port is a plain OSError (werkzeug would print and exit).
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as listener:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((host, port))
            listener.listen(128)
            server = make_server(
                host,
                listener.getsockname()[1],
                self.wsgi_app,
                threaded=True,
                request_handler=_QuietRequestHandler,
                fd=listener.fileno(),
            )
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
        self._base_url = f"http://{shown}:{server.port}"
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.1,), name="sandbox-http", daemon=True
        )
        self._thread.start()
        self.dispatcher.start()
        self.push.start()
        return self._base_url

    def stop(self) -> None:
        """Stop serving, dispatching and push delivery."""
        self.dispatcher.stop()
        self.push.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def reset(self) -> None:
        """Wipe all state (same as the control API's reset)."""
        self.world.reset()

    def __enter__(self) -> Sandbox:
        if self._server is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def wsgi_app(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        """The WSGI application (usable with any WSGI server)."""
        request = Request(environ)
        try:
            response = self._route(request)
        except Exception:
            _LOGGER.exception("sandbox error on %s %s", request.method, request.path)
            response = error_response(ApiError(500, "backendError", "Backend Error"))
        result: Iterable[bytes] = response(environ, start_response)
        return result

    def _route(self, request: Request) -> Response:
        path = request.path
        if path.startswith("/_sandbox/"):
            return self.control(request)
        if path in OAUTH_PATHS:
            return self.oauth(request)
        if IAM_PATH.match(path):
            return self.iam(request)
        return self.gateway(request, self.base_url)

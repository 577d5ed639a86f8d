"""The control API under ``/_sandbox/``: seed the world, inject faults, read the logs.

JSON in, JSON out, no authentication. Every route is documented with an example in
``docs/sandbox.md``; :class:`calsync_sandbox.control.client.SandboxControl` wraps each one.
Bad input answers 400 ``{"error": "..."}``; unknown things 404.

The routes live with the concept they control, one group per module: :mod:`.people`,
:mod:`.oauth`, :mod:`.faults`, :mod:`.logs`, :mod:`.calendars`, :mod:`.tasks`, :mod:`.transfers`,
:mod:`.clock`, :mod:`.strictness`, :mod:`.iam`, :mod:`.push` and :mod:`.edits`. Each handler
runs with ``world.lock`` held after the due pending work has run (``world.settle()``), except
the routes marked ``under_lock=False``.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from ..oauth.signing_keys import Signer
from ..state.world import World
from ..tasks.dispatcher import Dispatcher
from .calendars import CalendarRoutes
from .clock import ClockRoutes
from .edits import EditRoutes
from .faults import FaultRoutes
from .iam import IamRoutes
from .logs import LogRoutes
from .oauth import OAuthRoutes
from .people import PeopleRoutes
from .push import PushRoutes
from .routes import ControlError, Route
from .strictness import StrictnessRoutes
from .tasks import TaskRoutes
from .transfers import TransferRoutes

__all__ = ["ControlApi"]


class ControlApi:
    """Routes ``/_sandbox/...`` requests to the route groups."""

    def __init__(
        self,
        world: World,
        signer: Signer,
        dispatcher: Dispatcher,
        base_url: Callable[[], str],
    ) -> None:
        self.world = world
        routes: list[Route] = [
            *PeopleRoutes(world).routes(),
            *OAuthRoutes(world, signer, base_url).routes(),
            *FaultRoutes(world).routes(),
            *LogRoutes(world).routes(),
            *CalendarRoutes(world).routes(),
            *TaskRoutes(world, dispatcher).routes(),
            *TransferRoutes(world).routes(),
            *ClockRoutes(world).routes(),
            *StrictnessRoutes(world).routes(),
            *IamRoutes(world, base_url).routes(),
            *PushRoutes(world).routes(),
            *EditRoutes(world).routes(),
        ]
        self._routes = {f"{r.verb} {r.path}": r for r in routes}
        self._map = Map(
            [Rule(r.path, methods=[r.verb], endpoint=f"{r.verb} {r.path}") for r in routes]
        )

    def __call__(self, request: Request) -> Response:
        """Answer one control request."""
        try:
            endpoint, values = self._map.bind_to_environ(request.environ).match()
            raw = request.get_data(as_text=True)
            body = json.loads(raw) if raw.strip() else {}
            if not isinstance(body, dict):
                raise ControlError(400, "body must be a JSON object")
            body = {**request.args.to_dict(), **body}
            route = self._routes[str(endpoint)]
            if not route.under_lock:
                return _json(200, route.handler(body))
            with self.world.lock:
                self.world.settle()
                return _json(200, route.handler(body, **values))
        except ControlError as exc:
            return _json(exc.status, {"error": str(exc)})
        except (ValueError, LookupError) as exc:
            status = 404 if isinstance(exc, LookupError) else 400
            return _json(status, {"error": str(exc)})
        except HTTPException as exc:
            return _json(exc.code or 404, {"error": exc.description or "not found"})


def _json(status: int, body: object) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")

"""HTTP face of IAM Credentials: ``/v1/projects/-/serviceAccounts/{email}:signJwt`` and
``:generateIdToken``.

Calls are logged under the method ids ``iamcredentials.signJwt`` and
``iamcredentials.generateIdToken`` with the caller's identity when known, and injected faults
with that id apply to them.
"""

from __future__ import annotations

import json
import re
import time

from werkzeug.wrappers import Request, Response

from ..errors import ApiError
from ..oauth.signing_keys import Signer
from ..responses import drop_connection, error_response, json_response
from ..state.world import World
from .id_tokens import generate_id_token
from .sign_jwt import sign_jwt

__all__ = ["IAM_PATH", "IamEndpoints"]

IAM_PATH = re.compile(r"^/v1/projects/-/serviceAccounts/([^/:]+):(signJwt|generateIdToken)$")


class IamEndpoints:
    """Answers IAM Credentials requests for one world."""

    def __init__(self, world: World, signer: Signer) -> None:
        self.world = world
        self.signer = signer

    def __call__(self, request: Request) -> Response:
        """Answer one ``signJwt`` or ``generateIdToken`` request."""
        match = IAM_PATH.match(request.path)
        if match is None or request.method != "POST":
            return error_response(ApiError(404, "notFound", "Not Found", grpc_style=True))
        account, method = match.group(1), match.group(2)
        method_id = f"iamcredentials.{method}"
        with self.world.lock:
            caller = self._caller(request)
            fault = self.world.faults.take(method_id, caller)
        if fault is not None and fault.action == "drop":
            return drop_connection(request)
        if fault is not None and fault.action == "delay":
            time.sleep(fault.delay)
        if fault is not None and fault.action == "error":
            response = error_response(
                ApiError(fault.status, fault.reason, fault.message, grpc_style=True)
            )
        else:
            try:
                body = json.loads(request.get_data(as_text=True) or "{}")
            except ValueError:
                body = None
            authorization = request.headers.get("Authorization")
            with self.world.lock:
                try:
                    if method == "signJwt":
                        reply = sign_jwt(self.world, authorization, account, body)
                    else:
                        reply = generate_id_token(
                            self.world, self.signer, authorization, account, body
                        )
                    response = json_response(200, reply)
                except ApiError as exc:
                    response = error_response(exc)
        with self.world.lock:
            self.world.requests.add(method_id, "POST", request.path, caller, response.status_code)
        return response

    def _caller(self, request: Request) -> str | None:
        _, _, value = (request.headers.get("Authorization") or "").partition(" ")
        token = self.world.tokens.get(value.strip())
        return token.email if token is not None else None

"""HTTP face of the OAuth 2.0 endpoints: token, revoke, consent and signing certificates.

    POST /token                  grant_type=refresh_token | authorization_code | jwt-bearer
    POST /revoke                 token=...
    GET  /o/oauth2/v2/auth       auto-consent for login_hint -> 302 to redirect_uri?code=&state=
                                 (or the consent page, when the user's rule asks for it)
    POST /o/oauth2/v2/auth       the consent page's Allow / Cancel -> 302 as above
    GET  /oauth2/v3/certs        JWK set of the sandbox's id_token keys (current + previous)
    GET  /oauth2/v1/certs        {kid: x509 PEM} map of the same keys

Token requests are logged under the method id ``oauth2.token`` (the user is the grant's or the
JWT's identity when known) and can be hit by injected faults with that id; an injected error
comes back in the OAuth shape ``{"error": reason, "error_description": message}``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping

from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from ..errors import OAuthError
from ..responses import drop_connection, json_response
from ..state.world import World
from . import jwt
from .consent import authorize, consent_screen
from .signing_keys import Signer
from .token_endpoint import basic_credentials, token_endpoint
from .tokens import revoke

__all__ = ["OAUTH_PATHS", "OAuthEndpoints"]

OAUTH_PATHS = ("/token", "/revoke", "/o/oauth2/v2/auth", "/oauth2/v3/certs", "/oauth2/v1/certs")


class OAuthEndpoints:
    """Answers the OAuth paths for one world and signing key."""

    def __init__(self, world: World, signer: Signer) -> None:
        self.world = world
        self.signer = signer
        self._certs: dict[str, str] = {}

    def __call__(self, request: Request) -> Response:
        """Answer one OAuth request."""
        path = request.path
        if path == "/token" and request.method == "POST":
            return self._token(request)
        if path == "/revoke" and request.method == "POST":
            return self._revoke(request)
        if path == "/o/oauth2/v2/auth" and request.method in ("GET", "POST"):
            return self._consent(request)
        if path == "/oauth2/v3/certs":
            keys = [jwt.jwk(key, kid) for key, kid in self.signer.published()]
            return _certs_response({"keys": keys})
        if path == "/oauth2/v1/certs":
            return _certs_response(
                {kid: self._cert(key, kid) for key, kid in self.signer.published()}
            )
        return json_response(405, {"error": "method_not_allowed"})

    def _consent(self, request: Request) -> Response:
        with self.world.lock:
            try:
                if request.method == "POST":  # a click on the consent page
                    form = request.form.to_dict()
                    decision = form.pop("decision", "deny")
                    return redirect(authorize(self.world, form, decision), 302)
                args = request.args.to_dict()
                screen = consent_screen(self.world, args)
                if screen is not None:
                    return Response(screen, status=200, content_type="text/html; charset=utf-8")
                return redirect(authorize(self.world, args), 302)
            except OAuthError as exc:
                return json_response(exc.code, exc.body())

    def _cert(self, key: rsa.RSAPrivateKey, kid: str) -> str:
        if kid not in self._certs:
            self._certs[kid] = jwt.self_signed_cert_pem(key, "sandbox")
        return self._certs[kid]

    def _subject(self, form: Mapping[str, str]) -> str | None:
        grant = self.world.grants.get(form.get("refresh_token", ""))
        if grant is not None:
            return grant.email
        if form.get("assertion"):
            try:
                _, claims = jwt.unverified_parts(form["assertion"])
            except ValueError:
                return None
            return str(claims.get("sub") or claims.get("iss") or "") or None
        return None

    def _token(self, request: Request) -> Response:
        form = {
            **basic_credentials(request.headers.get("Authorization")),
            **request.form.to_dict(),
        }
        with self.world.lock:
            who = self._subject(form)
            fault = self.world.faults.take("oauth2.token", who)
        status: int
        if fault is not None and fault.action == "drop":
            self._log(who, 0)
            return drop_connection(request)
        if fault is not None and fault.action == "delay":
            time.sleep(fault.delay)
        if fault is not None and fault.action == "error":
            response = json_response(
                fault.status, {"error": fault.reason, "error_description": fault.message}
            )
        else:
            with self.world.lock:
                try:
                    response = json_response(200, token_endpoint(self.world, form, self.signer))
                except OAuthError as exc:
                    response = json_response(exc.code, exc.body())
        response.headers["Cache-Control"] = "no-cache, no-store, max-age=0, must-revalidate"
        status = response.status_code
        self._log(who, status)
        return response

    def _revoke(self, request: Request) -> Response:
        token = request.form.get("token") or request.args.get("token") or ""
        with self.world.lock:
            try:
                revoke(self.world, token)
            except OAuthError as exc:
                return json_response(exc.code, exc.body())
        return Response(json.dumps({}), status=200, content_type="application/json")

    def _log(self, who: str | None, status: int) -> None:
        with self.world.lock:
            self.world.requests.add("oauth2.token", "POST", "/token", who, status)


def _certs_response(body: object) -> Response:
    """The signing keys, cacheable for a while like Google's; a verifier that meets a ``kid``
    it has not seen (after a rotation) has to fetch them again."""
    response = json_response(200, body)
    response.headers["Cache-Control"] = "public, max-age=300, must-revalidate, no-transform"
    return response

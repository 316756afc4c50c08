"""Sign-in through OpenID Connect against a fake identity provider (an httpx transport that
answers discovery, the token endpoint with an RS256-signed ID token, and the JWKS)."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.testclient import TestClient

from services.portal.config import OidcConfig
from tests.support import portal as support

ISSUER = "https://idp.example"
CLIENT = "rsnms-portal"


class FakeIdP:
    def __init__(self, claims: dict[str, Any]):
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        self.claims = claims
        self.nonce = ""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/.well-known/openid-configuration":
            return httpx.Response(
                200,
                json={
                    "issuer": ISSUER,
                    "authorization_endpoint": f"{ISSUER}/authorize",
                    "token_endpoint": f"{ISSUER}/token",
                    "jwks_uri": f"{ISSUER}/jwks",
                    "id_token_signing_alg_values_supported": ["RS256"],
                },
            )
        if path == "/jwks":
            return httpx.Response(200, json={"keys": [self.key.as_dict(private=False)]})
        if path == "/token":
            now = int(time.time())
            claims = {"iss": ISSUER, "aud": CLIENT, "iat": now, "exp": now + 300, "nonce": self.nonce, **self.claims}
            token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.key)
            return httpx.Response(
                200, json={"access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": token}
            )
        return httpx.Response(404)


def sign_in_via(idp: FakeIdP) -> tuple[TestClient, httpx.Response]:
    config = OidcConfig(f"{ISSUER}/.well-known/openid-configuration", CLIENT, "secret-of-the-client")
    client = TestClient(support.portal(oidc=config, oidc_transport=httpx.MockTransport(idp)))
    assert "Региональная учётная запись" in client.get("/login").text
    redirect = client.get("/oidc/login", follow_redirects=False)
    assert redirect.status_code == 302 and redirect.headers["location"].startswith(f"{ISSUER}/authorize")
    query = parse_qs(urlparse(redirect.headers["location"]).query)
    idp.nonce = query["nonce"][0]
    callback = client.get(f"/oidc/callback?code=abc&state={query['state'][0]}", follow_redirects=False)
    return client, callback


def test_a_municipal_user_signs_in_through_the_identity_provider() -> None:
    idp = FakeIdP({"sub": "u-1", "preferred_username": "ivanova", "rsnms_role": "municipal",
                   "rsnms_region": "RU-YEV", "rsnms_municipality": "mun-01"})  # fmt: skip
    client, callback = sign_in_via(idp)
    assert callback.status_code == 303 and callback.headers["location"] == "/region/RU-YEV/municipality/mun-01"
    assert client.get("/region/RU-YEV/municipality/mun-01").status_code == 200
    assert client.get("/region/RU-YEV/municipality/mun-02").status_code == 403


def test_an_identity_without_a_role_is_refused() -> None:
    _, callback = sign_in_via(FakeIdP({"sub": "u-2"}))
    assert callback.status_code == 403


def test_a_forged_state_is_refused() -> None:
    config = OidcConfig(f"{ISSUER}/.well-known/openid-configuration", CLIENT, "secret-of-the-client")
    client = TestClient(support.portal(oidc=config, oidc_transport=httpx.MockTransport(FakeIdP({"sub": "x"}))))
    client.get("/oidc/login", follow_redirects=False)
    assert client.get("/oidc/callback?code=abc&state=forged", follow_redirects=False).status_code == 401

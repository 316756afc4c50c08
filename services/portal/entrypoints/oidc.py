"""Sign-in through a regional identity provider (OpenID Connect, authorization code flow with
Authlib). The provider's claims name the role and scope; a person without a valid role claim is
refused, exactly as an unknown local login."""

from __future__ import annotations

from typing import Any

from authlib.integrations.starlette_client import OAuth, OAuthError
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from services.portal.config import OidcConfig
from services.portal.domain import access
from services.portal.domain.access import Role, User
from services.portal.entrypoints.web import sign_in


def user_from_claims(claims: dict[str, Any], config: OidcConfig) -> User | None:
    try:
        role = Role(str(claims.get(config.role_claim, "")))
        return User(
            str(claims.get("preferred_username") or claims["sub"]),
            role,
            claims.get(config.region_claim),
            claims.get(config.municipality_claim),
            str(claims.get("name", "")),
        )
    except (ValueError, KeyError):
        return None


def routes(config: OidcConfig, transport: Any = None) -> list[Route]:
    """`transport`: an httpx transport for the calls to the provider (tests pass a fake provider)."""
    oauth = OAuth()
    oauth.register(
        "region",
        server_metadata_url=config.metadata_url,
        client_id=config.client_id,
        client_secret=config.client_secret,
        client_kwargs={"scope": config.scope, **({"transport": transport} if transport else {})},
    )

    async def login(request: Request) -> Response:
        return await oauth.region.authorize_redirect(request, str(request.url_for("oidc_callback")))

    async def callback(request: Request) -> Response:
        try:
            token = await oauth.region.authorize_access_token(request)
        except OAuthError as exc:
            return PlainTextResponse(f"Вход через поставщика удостоверений не выполнен: {exc.error}", 401)
        user = user_from_claims(dict(token.get("userinfo") or {}), config)
        if user is None:
            return PlainTextResponse("Учётной записи не назначена роль в РСНМС", 403)
        sign_in(request, user, local=False)
        return RedirectResponse(access.home_path(user), 303)

    return [Route("/oidc/login", login), Route("/oidc/callback", callback, name="oidc_callback")]

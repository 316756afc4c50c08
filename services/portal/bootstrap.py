"""The composition root of the portal: takes its dependencies as parameters (tests pass fakes
or a real stack) and returns the ASGI application."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import date
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contracts.competency import competency_titles
from services.portal.adapters.accounts import Accounts
from services.portal.adapters.feed import Changes
from services.portal.adapters.indicators_api import IndicatorsClient
from services.portal.config import PortalConfig
from services.portal.domain.board import Board
from services.portal.domain.directory import Directory
from services.portal.entrypoints import api, web
from services.portal.service import Ingestion, Uploads

SESSION_MAX_AGE_S = 8 * 3600
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class SecurityHeaders:
    """Pages may not be framed, run foreign scripts or be sniffed into another type."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)


def build(
    config: PortalConfig,
    *,
    indicators: IndicatorsClient,
    board: Board,
    changes: Changes,
    directory: Directory,
    accounts: Accounts,
    uploads: Uploads | None,
    ingestion: Ingestion | None,
    on_startup: Sequence[Callable[[], Awaitable[None]]] = (),
    on_shutdown: Sequence[Callable[[], Awaitable[None]]] = (),
    ready: Callable[[], Awaitable[bool]] | None = None,
    today: Callable[[], date] = date.today,
    oidc_transport: Any = None,
) -> Starlette:
    pages = web.Pages(
        indicators,
        board,
        changes,
        directory,
        accounts,
        uploads,
        today,
        config.oidc.title if config.oidc else None,
        competency_titles(config.competency_frameworks),
    )

    async def live(request: Request) -> Response:
        return JSONResponse({"status": "alive", "service": "portal"})

    async def readiness(request: Request) -> Response:
        ok = await ready() if ready else True
        return JSONResponse({"ready": ok}, 200 if ok else 503)

    routes: list[Route | Mount] = [
        *web.routes(pages),
        *api.routes(ingestion),
        Route("/health/live", live),
        Route("/health/ready", readiness),
        Mount("/static", StaticFiles(directory=str(web.HERE / "static")), name="static"),
    ]
    if config.oidc:
        from services.portal.entrypoints import oidc

        routes.extend(oidc.routes(config.oidc, oidc_transport))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        for fn in on_startup:
            await fn()
        try:
            yield
        finally:
            for fn in on_shutdown:
                await fn()

    middleware = [
        Middleware(SecurityHeaders),
        Middleware(
            SessionMiddleware,
            secret_key=config.session_secret,
            session_cookie="rsnms_portal",
            max_age=SESSION_MAX_AGE_S,
            same_site="lax",
            https_only=config.secure_cookies,
        ),
    ]
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan)

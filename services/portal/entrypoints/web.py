"""The pages people open: sign-in, region overview, drill-down, passport, road map, federal table,
uploads; the exports (CSV, XLSX, DOCX, PDF) and the live-update stream. Every handler checks the
signed-in person's scope on the server (domain.access) before it reads a figure."""

from __future__ import annotations

import asyncio
import hmac
import secrets
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from contracts import IndicatorTable, IndicatorValue
from services.portal.adapters import documents, tables
from services.portal.adapters.feed import Changes
from services.portal.adapters.indicators_api import IndicatorsClient, IndicatorsUnavailable, NoData
from services.portal.domain import access, formats, rounds
from services.portal.domain.access import ROLE_TITLES, Forbidden, Role, User
from services.portal.domain.accounts import AccountError, AccountStore, check_new_account
from services.portal.domain.board import Board
from services.portal.domain.directory import Directory
from services.portal.domain.report import analytical_report
from services.portal.domain.throttle import Throttle
from services.portal.domain.uploads import TEMPLATES, Checked
from services.portal.domain.views import (
    INDICATOR_ORDER,
    overview,
    passport_sections,
    scope_rows,
    trend_dates,
)
from services.portal.service import Uploads, log

HERE = Path(__file__).parent
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class NotSignedIn(Exception):
    pass


@dataclass
class Pages:
    """Everything the pages need, given by the composition root."""

    indicators: IndicatorsClient
    board: Board
    changes: Changes
    directory: Directory
    accounts: AccountStore
    uploads: Uploads | None
    today: Callable[[], date] = date.today
    oidc_title: str | None = None
    competencies: Mapping[str, str] = field(default_factory=dict)  # competency id -> Russian title


def templates() -> Jinja2Templates:
    t = Jinja2Templates(directory=str(HERE / "templates"))
    t.env.filters["num"] = formats.number
    t.env.filters["pct"] = formats.percent
    t.env.filters["day"] = formats.day
    t.env.filters["moment"] = formats.moment
    t.env.globals["INDICATORS"] = INDICATOR_ORDER
    return t


def current_user(request: Request) -> User:
    data = request.session.get("user")
    if not data:
        raise NotSignedIn()
    return User(data["login"], Role(data["role"]), data.get("region"), data.get("municipality"), data.get("name", ""))


def sign_in(request: Request, user: User, local: bool = True) -> None:
    """`local`: signed in with a password of the accounts file (not through the identity provider)."""
    request.session.clear()
    request.session["user"] = {
        "login": user.login,
        "role": str(user.role),
        "region": user.region,
        "municipality": user.municipality,
        "name": user.display_name,
        "local": local,
    }
    request.session["csrf"] = secrets.token_urlsafe(32)


def csrf_token(request: Request) -> str:
    if "csrf" not in request.session:
        request.session["csrf"] = secrets.token_urlsafe(32)
    return request.session["csrf"]


async def check_csrf(request: Request) -> Any:
    """Every form carries the session's token; a POST without it is refused (403)."""
    form = await request.form()
    sent = str(form.get("csrf", ""))
    expected = request.session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Forbidden("CSRF")
    return form


#: what a multipart form adds to the file it carries (boundaries, the CSRF token, the kind)
UPLOAD_FORM_OVERHEAD = 64 * 1024


class RecentUploads:
    """Refused rows of recent uploads, kept in memory for the person who uploaded them: the last
    `keep` uploads, and of them no more than `max_rows` refused rows all together (the oldest go
    first; the newest is always kept)."""

    def __init__(self, keep: int = 200, max_rows: int = 300_000):
        self._items: OrderedDict[str, tuple[str, str, Checked]] = OrderedDict()
        self._keep, self._max_rows, self._rows = keep, max_rows, 0

    def put(self, login: str, kind: str, checked: Checked) -> str:
        upload_id = uuid.uuid4().hex
        # the accepted rows' events are on the bus already; only the refused rows are asked for again
        kept = replace(checked, events=())
        self._items[upload_id] = (login, kind, kept)
        self._rows += len(kept.refused_rows)
        while len(self._items) > 1 and (len(self._items) > self._keep or self._rows > self._max_rows):
            _, (_, _, gone) = self._items.popitem(last=False)
            self._rows -= len(gone.refused_rows)
        return upload_id

    def get(self, login: str, upload_id: str) -> tuple[str, Checked] | None:
        entry = self._items.get(upload_id)
        if entry is None or entry[0] != login:
            return None
        return entry[1], entry[2]


def routes(pages: Pages) -> list[Route]:
    t = templates()
    recent = RecentUploads()
    throttle = Throttle(time.monotonic)

    def render(request: Request, template: str, status: int = 200, /, **ctx: Any) -> HTMLResponse:
        try:
            user = current_user(request)
        except NotSignedIn:
            user = None
        ctx |= {"user": user, "csrf": csrf_token(request), "directory": pages.directory, "request": request}
        return t.TemplateResponse(request, template, ctx, status_code=status)

    def active_user(request: Request) -> User:
        """The signed-in person. A session ends at its next request if its account was blocked since
        sign-in, or (a local account) removed or given another role, region or municipality."""
        user = current_user(request)
        ended = pages.accounts.is_blocked(user.login)
        if not ended and request.session["user"].get("local", True):
            now = pages.accounts.get(user.login)
            ended = now is None or (now.role, now.region, now.municipality) != (
                user.role,
                user.region,
                user.municipality,
            )
        if ended:
            request.session.clear()
            raise NotSignedIn()
        return user

    def page(fn: Callable[[Request, User], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        async def handler(request: Request) -> Response:
            try:
                user = active_user(request)
                return await fn(request, user)
            except NotSignedIn:
                return RedirectResponse(f"/login?next={request.url.path}", 303)
            except Forbidden:
                return render(
                    request,
                    "message.html",
                    403,
                    title="Доступ запрещён",
                    text="Эти сведения относятся к другому региону или муниципалитету.",
                )
            except NoData:
                return render(
                    request, "message.html", 404, title="Нет данных", text="По этому региону данные ещё не поступали."
                )
            except IndicatorsUnavailable as exc:
                return render(request, "message.html", 503, title="Сервис показателей недоступен", text=str(exc))

        return handler

    def export(name: str, header: list[str], rows: list[list[Any]], fmt: str) -> Response:
        if fmt == "csv":
            return Response(
                tables.csv_bytes(header, rows),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
            )
        return Response(
            tables.xlsx_bytes(name, header, rows),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )

    async def report_file(doc: Any, name: str, fmt: str) -> Response:
        """An analytical report as a DOCX or PDF download."""
        if fmt == "docx":
            body, media_type = documents.report_docx(doc), DOCX
        else:
            body, media_type = await asyncio.to_thread(documents.report_pdf, doc), "application/pdf"
        return Response(
            body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'}
        )

    async def region_table(region: str) -> IndicatorTable:
        return await pages.indicators.table(region)

    async def round_tables(region: str, last: int = 3) -> list[tuple[str, IndicatorTable]]:
        """The frozen tables of the region's latest closed monitoring rounds (oldest first)."""
        listing = await pages.indicators.rounds(region) or []
        closed = sorted(
            (r for r in listing if r.get("closed") and r.get("versions")), key=lambda r: r["reporting_date"]
        )
        found = await asyncio.gather(
            *(pages.indicators.round_table(region, r["round_id"], len(r["versions"])) for r in closed[-last:])
        )
        return [(f"тур {r['round_id']}", t) for r, t in zip(closed[-last:], found, strict=True) if t is not None]

    def report_names(region: str) -> rounds.Names:
        """Municipality codes and competency ids of a round's report, by name."""
        municipalities = dict(pages.directory.municipalities.get(region, {}))
        return rounds.Names({**pages.competencies, **municipalities})

    def org_name(region: str) -> Callable[[str], str]:
        return lambda oid: pages.board.organization_title(region, oid)

    def org_municipality(region: str) -> dict[str, str]:
        return {o: org.municipality_id for o, org in pages.board.organizations.get(region, {}).items()}

    # ---- sign-in -------------------------------------------------------------------------
    async def login_form(request: Request) -> Response:
        return render(request, "login.html", next=request.query_params.get("next", "/"), oidc=pages.oidc_title)

    async def login(request: Request) -> Response:
        try:
            form = await check_csrf(request)
        except Forbidden:
            return render(request, "login.html", 403, error="Сессия устарела, повторите вход.", next="/")
        login_name = str(form.get("login", ""))
        keys = (f"login:{login_name}", f"address:{request.client.host if request.client else ''}")
        if throttle.blocked(*keys):
            return render(
                request,
                "login.html",
                429,
                error="Слишком много неудачных попыток входа. Повторите через 15 минут.",
                next="/",
                oidc=pages.oidc_title,
            )
        user = await asyncio.to_thread(pages.accounts.verify, login_name, str(form.get("password", "")))
        if user is None:
            throttle.failed(*keys)
        else:
            throttle.succeeded(*keys)
        if user is None:
            return render(
                request,
                "login.html",
                401,
                error="Неверное имя пользователя или пароль.",
                next=str(form.get("next", "/")),
                oidc=pages.oidc_title,
            )
        sign_in(request, user)
        target = str(form.get("next", "/"))
        return RedirectResponse(target if target.startswith("/") and not target.startswith("//") else "/", 303)

    async def logout(request: Request) -> Response:
        try:
            await check_csrf(request)
        except Forbidden:
            return PlainTextResponse("Запрос отклонён: нет токена CSRF", 403)
        request.session.clear()
        return RedirectResponse("/login", 303)

    @page
    async def home(request: Request, user: User) -> Response:
        return RedirectResponse(access.home_path(user), 303)

    # ---- region --------------------------------------------------------------------------
    @page
    async def region_overview(request: Request, user: User) -> Response:
        region = request.path_params["region"]
        access.require(access.can_see_region(user, region), region)
        table = await region_table(region)
        titles = await pages.indicators.titles(region)
        dates = trend_dates(table.as_of)
        past = await asyncio.gather(*(pages.indicators.table(region, d) for d in dates))
        trend = [(formats.day(d), t) for d, t in zip(dates, past, strict=True)]
        trend += await round_tables(region)
        rows = overview(table, titles, trend)
        fmt = request.query_params.get("format")
        if fmt in ("csv", "xlsx"):
            header = ["Код", "Показатель", "Числитель", "Знаменатель", "Значение", "Цель", "Статус"]
            data = [[r.indicator, r.title, r.numerator, r.denominator, r.value, r.target_text, r.status] for r in rows]
            return export(f"pokazateli-{region}-{table.as_of.isoformat()}", header, data, fmt)
        return render(
            request,
            "overview.html",
            region=region,
            table=table,
            rows=rows,
            trend_days=[label for label, _ in trend],
            drill=access.can_see_all_municipalities(user, region),
            live=region,
        )

    @page
    async def drill_down(request: Request, user: User) -> Response:
        region = request.path_params["region"]
        access.require(access.can_see_all_municipalities(user, region), region)
        table = await region_table(region)
        rows = scope_rows(table, "municipality", lambda m: pages.directory.municipality(region, m))
        fmt = request.query_params.get("format")
        if fmt in ("csv", "xlsx"):
            return export(
                f"municipalitety-{region}",
                ["Муниципальное образование", *INDICATOR_ORDER],
                [[r.name, *[c[0] for c in r.cells]] for r in rows],
                fmt,
            )
        return render(
            request,
            "scopes.html",
            region=region,
            table=table,
            rows=rows,
            scope="municipality",
            heading="Муниципальные образования",
            live=region,
        )

    @page
    async def municipality(request: Request, user: User) -> Response:
        region, muni = request.path_params["region"], request.path_params["municipality"]
        access.require(access.can_see_municipality(user, region, muni), f"{region}/{muni}")
        table = await region_table(region)
        titles = await pages.indicators.titles(region)
        rows = overview(table, titles, (), "municipality", muni)
        owned = org_municipality(region)
        orgs = scope_rows(table, "organization", org_name(region), lambda o: owned.get(o) == muni)
        fmt = request.query_params.get("format")
        if fmt in ("csv", "xlsx"):
            return export(
                f"organizacii-{region}-{muni}",
                ["Организация", *INDICATOR_ORDER],
                [[r.name, *[c[0] for c in r.cells]] for r in orgs],
                fmt,
            )
        return render(
            request, "municipality.html", region=region, muni=muni, table=table, rows=rows, orgs=orgs, live=region
        )

    @page
    async def organization(request: Request, user: User) -> Response:
        region, org = request.path_params["region"], request.path_params["organization"]
        muni = org_municipality(region).get(org, "")
        access.require(access.can_see_municipality(user, region, muni), f"{region}/{org}")
        table = await region_table(region)
        rows = overview(table, await pages.indicators.titles(region), (), "organization", org)
        return render(
            request,
            "organization.html",
            region=region,
            muni=muni,
            org=org,
            name=pages.board.organization_title(region, org),
            table=table,
            rows=rows,
            live=region,
        )

    @page
    async def passport(request: Request, user: User) -> Response:
        region = request.path_params["region"]
        access.require(access.can_see_region(user, region), region)
        listing = await pages.indicators.rounds(region) or []
        wanted = request.query_params.get("round", "")
        latest = (
            next((r for r in listing if r["round_id"] == wanted and r.get("versions")), None)
            if wanted
            else rounds.latest_closed(listing)
        )
        # a closed round's passport (with the sections submitted and its life), else the latest snapshot
        found = await pages.indicators.round_passport(region, latest["round_id"]) if latest else None
        snap = rounds.round_passport(found) if found else await pages.indicators.latest_passport(region)
        fmt = request.query_params.get("format")
        if fmt == "xlsx":
            if snap is None:
                return PlainTextResponse("Паспорт ещё не сформирован", 404)
            body = documents.passport_xlsx(snap, pages.directory.region(region), await pages.indicators.titles(region))
            name = f"pasport-{region}" + (f"-{latest['round_id']}" if found and latest else "")
            return Response(
                body, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'}
            )
        return render(
            request,
            "passport.html",
            region=region,
            snap=snap,
            sections=passport_sections(snap) if snap else [],
            passport_status=rounds.PASSPORT_STATUS_TITLES.get(found["status"], found["status"]) if found else None,
            history=rounds.passport_history(found) if found else [],
            latest=latest if found else None,
            rounds_with_passports=[r for r in listing if r.get("versions")],
            live=region,
        )

    @page
    async def roadmap(request: Request, user: User) -> Response:
        region = request.path_params["region"]
        access.require(access.can_see_region(user, region), region)
        snap = await pages.indicators.latest_passport(region)
        table = await region_table(region)
        rm = overview(table, await pages.indicators.titles(region), (), "region", None)
        section = next((s for s in passport_sections(snap) if s.key == "roadmap"), None) if snap else None
        return render(
            request,
            "roadmap.html",
            region=region,
            snap=snap,
            section=section,
            rm=[r for r in rm if r.indicator == "RM"],
            live=region,
        )

    @page
    async def deficits(request: Request, user: User) -> Response:
        region = request.path_params["region"]
        access.require(access.can_see_region(user, region), region)
        listing = await pages.indicators.rounds(region)
        latest = rounds.latest_closed(listing or [])
        if latest is None:
            return render(
                request,
                "message.html",
                title="Карта дефицитов",
                text="Карта дефицитов (компетенция × муниципалитет) строится по итогам закрытого тура "
                "мониторинга; закрытых туров по региону ещё нет.",
            )
        analysis = await pages.indicators.round_analysis(region, latest["round_id"])
        found = rounds.deficit_map(
            (analysis or {}).get("analysis", {}),
            lambda m: pages.directory.municipality(region, m),
            pages.competencies,
        )
        fmt = request.query_params.get("format")
        if fmt in ("csv", "xlsx"):
            return export(
                f"karta-deficitov-{region}-{latest['round_id']}",
                ["Муниципальное образование", *found.competencies],
                [[name, *[c[0] for c in cells]] for name, cells in found.rows],
                fmt,
            )
        return render(request, "deficits.html", region=region, round=latest, found=found, live=region)

    @page
    async def rounds_list(request: Request, user: User) -> Response:
        region = request.path_params["region"]
        access.require(access.can_see_region(user, region), region)
        listing = await pages.indicators.rounds(region)
        return render(
            request,
            "rounds.html",
            region=region,
            available=listing is not None,
            rows=rounds.round_rows(listing or []),
            live=region,
        )

    @page
    async def round_report(request: Request, user: User) -> Response:
        region, round_id = request.path_params["region"], request.path_params["round_id"]
        access.require(access.can_see_region(user, region), region)
        doc = await pages.indicators.round_report(region, round_id)
        if doc is None:
            return render(request, "message.html", 404, title="Нет такого тура", text=f"Тур «{round_id}» не найден.")
        report_doc = rounds.round_report(doc, report_names(region))
        fmt = request.path_params.get("fmt", "html")
        name = f"spravka-{region}-{round_id}-v{doc.get('version', 1)}"
        if fmt in ("docx", "pdf"):
            return await report_file(report_doc, name, fmt)
        return render(
            request,
            "report.html",
            region=region,
            report=report_doc,
            base=f"/region/{region}/rounds/{round_id}/report",
            live=region,
        )

    @page
    async def report(request: Request, user: User) -> Response:
        region, fmt = request.path_params["region"], request.path_params.get("fmt", "html")
        access.require(access.can_see_region(user, region), region)
        table = await region_table(region)
        previous = await pages.indicators.table(region, trend_dates(table.as_of)[-1])
        doc = analytical_report(
            table,
            await pages.indicators.titles(region),
            pages.directory.region(region),
            lambda m: pages.directory.municipality(region, m),
            await pages.indicators.latest_passport(region),
            previous,
        )
        name = f"spravka-{region}-{table.as_of.isoformat()}"
        if fmt in ("docx", "pdf"):
            return await report_file(doc, name, fmt)
        return render(request, "report.html", region=region, report=doc, base=f"/region/{region}/report", live=region)

    # ---- federal operator ----------------------------------------------------------------
    @page
    async def federal(request: Request, user: User) -> Response:
        access.require(access.can_see_federal_table(user), "federal")
        rows = []
        for region in pages.board.regions():
            table = pages.board.tables[region]
            values: dict[str, IndicatorValue] = {v.indicator: v for v in table.values if v.scope_kind == "region"}
            summary = rounds.federal_rounds(pages.board.rounds.get(region))
            rows.append((region, pages.directory.region(region), table, values, summary))
        rows.sort(key=lambda r: r[1])
        fmt = request.query_params.get("format")
        if fmt in ("csv", "xlsx"):
            header = ["Регион", "На дату"] + [
                f"{k} {part}" for k in INDICATOR_ORDER for part in ("числ.", "знам.", "знач.")
            ]
            data: list[list[Any]] = []
            header += ["Туры (закрыто из объявленных)", "Паспорт последнего закрытого тура"]
            for _, name, tb, vals, summary in rows:
                line: list[Any] = [name, formats.day(tb.as_of)]
                for k in INDICATOR_ORDER:
                    v = vals.get(k)
                    line += [v.numerator, v.denominator, v.value] if v else ["", "", ""]
                data.append([*line, summary[0], summary[1]])
            return export("federalnaya-tablica", header, data, fmt)
        return render(request, "federal.html", rows=rows, live="*")

    # ---- uploads -------------------------------------------------------------------------
    @page
    async def upload_form(request: Request, user: User) -> Response:
        region = request.path_params["region"]
        access.require(access.can_upload(user, region), region)
        return render(request, "uploads.html", region=region, templates=TEMPLATES)

    @page
    async def upload_template(request: Request, user: User) -> Response:
        kind, fmt = request.path_params["kind"], request.path_params["fmt"]
        if kind not in TEMPLATES:
            return PlainTextResponse("Нет такого шаблона", 404)
        title, columns = TEMPLATES[kind]
        header = [c.title for c in columns]
        if fmt == "csv":
            return Response(
                tables.csv_bytes(header, []),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="shablon-{kind}.csv"'},
            )
        return Response(
            tables.xlsx_bytes(title, header, [], [c.hint for c in columns]),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="shablon-{kind}.xlsx"'},
        )

    @page
    async def upload(request: Request, user: User) -> Response:
        region = request.path_params["region"]
        access.require(access.can_upload(user, region), region)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > tables.MAX_UPLOAD_BYTES + UPLOAD_FORM_OVERHEAD:
            # refused before the body is read (and spooled to disk)
            return render(request, "uploads.html", 413, region=region, templates=TEMPLATES, error=tables.TOO_LARGE)
        form = await check_csrf(request)
        kind = str(form.get("kind", ""))
        file = form.get("file")
        if kind not in TEMPLATES or file is None or isinstance(file, str):
            return render(
                request, "uploads.html", 400, region=region, templates=TEMPLATES, error="Выберите вид списка и файл."
            )
        if pages.uploads is None:
            return render(
                request,
                "message.html",
                503,
                title="Загрузка недоступна",
                text="Портал запущен без ключа подписи (RSNMS_SOURCE_KEYS) или ключа псевдонимизации.",
            )
        if file.size is not None and file.size > tables.MAX_UPLOAD_BYTES:
            return render(request, "uploads.html", 413, region=region, templates=TEMPLATES, error=tables.TOO_LARGE)
        data = await file.read()
        try:
            # in a thread: a large workbook takes seconds to parse, and every other page waits on the loop
            rows = await asyncio.to_thread(tables.read_rows, kind, file.filename or "", data)
        except tables.UnreadableFile as exc:
            return render(request, "uploads.html", 400, region=region, templates=TEMPLATES, error=str(exc))
        checked = await pages.uploads.apply(kind, region, rows, by=user.login)
        upload_id = recent.put(user.login, kind, checked)
        return render(
            request,
            "upload_report.html",
            region=region,
            checked=checked,
            upload_id=upload_id,
            title=TEMPLATES[kind][0],
            filename=file.filename,
        )

    @page
    async def refused(request: Request, user: User) -> Response:
        entry = recent.get(user.login, request.path_params["upload_id"])
        if entry is None:
            return PlainTextResponse("Нет такой загрузки", 404)
        kind, checked = entry
        _, columns = TEMPLATES[kind]
        header = [c.title for c in columns] + ["Ошибка"]
        rows = [[r.get(h, "") for h in header] for r in checked.refused_rows]
        return export(f"otklonyonnye-{kind}", header, rows, request.path_params["fmt"])

    # ---- accounts (the administrator) ----------------------------------------------------
    def accounts_page(request: Request, status: int = 200, /, **ctx: Any) -> HTMLResponse:
        ctx.setdefault("errors", {})
        ctx.setdefault("values", {})
        response = render(
            request,
            "accounts.html",
            status,
            accounts=pages.accounts.list(),
            writable=pages.accounts.writable,
            roles=ROLE_TITLES,
            **ctx,
        )
        response.headers["Cache-Control"] = "no-store"  # a one-time password is never kept by the browser
        return response

    @page
    async def accounts_list(request: Request, user: User) -> Response:
        access.require(access.can_manage_accounts(user), "accounts")
        return accounts_page(request)

    @page
    async def account_create(request: Request, user: User) -> Response:
        access.require(access.can_manage_accounts(user), "accounts")
        form = await check_csrf(request)
        values = {k: str(form.get(k, "")).strip() for k in ("login", "display_name", "role", "region", "municipality")}
        new, errors = check_new_account(**values, directory=pages.directory)
        if new is None or not pages.accounts.writable:
            if not pages.accounts.writable:
                errors["login"] = "Файл учётных записей не задан: изменения невозможны."
            return accounts_page(request, 400, errors=errors, values=values)
        try:
            password = await asyncio.to_thread(pages.accounts.create, new)
        except AccountError as exc:
            return accounts_page(request, 400, errors={"login": str(exc)}, values=values)
        log.info("portal_account_created", by=user.login, login=new.login, role=str(new.role),
                 region=new.region, municipality=new.municipality)  # fmt: skip
        return accounts_page(request, one_time=(new.login, password))

    def edit_page(request: Request, account: User, status: int = 200, /, **ctx: Any) -> HTMLResponse:
        values = {"display_name": account.display_name, "role": str(account.role), "region": account.region or "",
                  "municipality": account.municipality or ""}  # fmt: skip
        ctx.setdefault("errors", {})
        ctx["values"] = values | ctx.get("values", {})
        return render(request, "account_edit.html", status, login=account.login, roles=ROLE_TITLES, **ctx)

    @page
    async def account_edit_form(request: Request, user: User) -> Response:
        access.require(access.can_manage_accounts(user), "accounts")
        account = pages.accounts.get(request.path_params["login"])
        if account is None:
            return PlainTextResponse("Нет такой учётной записи", 404)
        return edit_page(request, account)

    @page
    async def account_edit(request: Request, user: User) -> Response:
        access.require(access.can_manage_accounts(user), "accounts")
        form = await check_csrf(request)
        account = pages.accounts.get(request.path_params["login"])
        if account is None:
            return PlainTextResponse("Нет такой учётной записи", 404)
        values = {k: str(form.get(k, "")).strip() for k in ("display_name", "role", "region", "municipality")}
        changed, errors = check_new_account(account.login, **values, directory=pages.directory)
        if changed is not None and account.login == user.login and changed.role is not user.role:
            changed, errors = None, {"role": "Нельзя изменить роль собственной учётной записи."}
        if changed is None or not pages.accounts.writable:
            if not pages.accounts.writable:
                errors["display_name"] = "Файл учётных записей не задан: изменения невозможны."
            return edit_page(request, account, 400, errors=errors, values=values)
        try:
            pages.accounts.update(changed)
        except AccountError as exc:
            return edit_page(request, account, 400, error=str(exc), values=values)
        log.info("portal_account_changed", by=user.login, login=changed.login, role=str(changed.role),
                 region=changed.region, municipality=changed.municipality)  # fmt: skip
        return accounts_page(request, notice=f"Учётная запись {changed.login} изменена.")

    @page
    async def account_change(request: Request, user: User) -> Response:
        access.require(access.can_manage_accounts(user), "accounts")
        form = await check_csrf(request)
        login, action = request.path_params["login"], request.path_params["action"]
        if action not in ("reset", "block", "unblock"):
            return PlainTextResponse("Нет такого действия", 404)
        if action == "block" and login == user.login:
            return accounts_page(request, 400, error="Нельзя заблокировать собственную учётную запись.")
        del form
        try:
            if action == "reset":
                password = await asyncio.to_thread(pages.accounts.reset_password, login)
            else:
                pages.accounts.set_blocked(login, action == "block")
        except AccountError as exc:
            return accounts_page(request, 400 if pages.accounts.get(login) else 404, error=str(exc))
        log.info(f"portal_account_{action}", by=user.login, login=login)
        if action == "reset":
            return accounts_page(request, one_time=(login, password))
        done = "заблокирована" if action == "block" else "разблокирована"
        return accounts_page(request, notice=f"Учётная запись {login} {done}.")

    # ---- live updates --------------------------------------------------------------------
    async def live(request: Request) -> Response:
        try:
            user = active_user(request)
        except NotSignedIn:
            return PlainTextResponse("", 401)
        region = request.query_params.get("region", "")
        access_ok = access.can_see_federal_table(user) if region == "*" else access.can_follow_region(user, region)
        if not access_ok:
            return PlainTextResponse("", 403)

        async def stream() -> AsyncIterator[str]:
            seen = version()
            yield "retry: 3000\n\n"
            started = time.monotonic()
            while time.monotonic() - started < 600 and not await request.is_disconnected():
                await pages.changes.wait(15.0)
                now = version()
                if now != seen:
                    seen = now
                    pages.indicators.changed(region)
                    yield f"event: changed\ndata: {now}\n\n"
                else:
                    yield ": keep-alive\n\n"

        def version() -> int:
            if region == "*":
                return sum(pages.changes.version(r) for r in pages.board.regions())
            return pages.changes.version(region)

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})

    return [
        Route("/", home),
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/federal", federal),
        Route("/live", live),
        Route("/region/{region}", region_overview),
        Route("/region/{region}/municipalities", drill_down),
        Route("/region/{region}/municipality/{municipality}", municipality),
        Route("/region/{region}/organization/{organization}", organization),
        Route("/region/{region}/passport", passport),
        Route("/region/{region}/roadmap", roadmap),
        Route("/region/{region}/deficits", deficits),
        Route("/region/{region}/rounds", rounds_list),
        Route("/region/{region}/rounds/{round_id}", round_report),
        Route("/region/{region}/rounds/{round_id}/report.{fmt}", round_report),
        Route("/region/{region}/report", report),
        Route("/region/{region}/report.{fmt:str}", report),
        Route("/region/{region}/uploads", upload_form, methods=["GET"]),
        Route("/region/{region}/uploads", upload, methods=["POST"]),
        Route("/uploads/template/{kind}.{fmt}", upload_template),
        Route("/uploads/{upload_id}/refused.{fmt}", refused),
        Route("/admin/accounts", accounts_list, methods=["GET"]),
        Route("/admin/accounts", account_create, methods=["POST"]),
        Route("/admin/accounts/{login}/edit", account_edit_form, methods=["GET"]),
        Route("/admin/accounts/{login}/edit", account_edit, methods=["POST"]),
        Route("/admin/accounts/{login}/{action}", account_change, methods=["POST"]),
    ]

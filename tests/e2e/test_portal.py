"""The portal on the real stack, driven through Debian's Chromium (Playwright pointed at
/usr/bin/chromium): the four services and the portal as processes, a generated region fed
through Kafka. Sign-in as each role, the server's refusals (403), downloads parsed and compared
with the indicators API, an upload with refused rows, the ingestion API, live updates.
Screenshots of the main pages are kept in tests/artifacts/portal/ (printed at the end)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import secrets
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from docx import Document
from faststream.kafka import KafkaBroker
from openpyxl import load_workbook

from contracts import (
    EducatorRecorded,
    EducatorRegistered,
    MonitoringRoundClosed,
    MonitoringRoundDeclared,
    OrganizationRegistered,
    RoundClosure,
    RoundDeclaration,
)
from contracts.competency import competency_titles
from demo.feed import caught_up
from demo.generator import RegionSpec
from rsnms_runtime.kafka import EventPublisher
from rsnms_runtime.localstack import ROOT
from services.portal.adapters.accounts import account_entry
from services.portal.domain import formats
from services.portal.domain.access import Role, User
from services.portal.domain.rounds import Names
from tests.e2e.checks import feed, region_under_test
from tests.e2e.platform import SERVICES, Platform
from tests.support.factories import region_code

pytestmark = [pytest.mark.infra, pytest.mark.e2e, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "tests" / "artifacts" / "portal"
PASSWORD = "portal-test-" + secrets.token_hex(8)
PSEUDONYM_KEY = "portal-e2e-pseudonym-key-" + secrets.token_hex(4)
API_TOKEN = "api-" + secrets.token_hex(16)
MINISTRY = "roiv-portal-test"
MUNICIPALITIES = {"mun-01": "городской округ «Город Биробиджан»", "mun-02": "Ленинский район"}


class Stack:
    def __init__(
        self,
        platform: Platform,
        region: str,
        orgs: dict[str, str],
        prefix: str,
        kafka: str,
        cnppm: str,
        keys: dict[str, bytes],
    ):
        self.platform, self.region, self.orgs, self.prefix, self.kafka = platform, region, orgs, prefix, kafka
        self.cnppm, self.keys = cnppm, keys
        self.base = platform.url("portal", "")

    def api(self, path: str) -> Any:
        return self.platform.get("indicators", path)

    def region_value(self, indicator: str) -> dict[str, Any]:
        table = self.api(f"/indicators?region={self.region}")
        return next(v for v in table["values"] if v["indicator"] == indicator and v["scope_kind"] == "region")

    async def settle(self) -> None:
        for service in ("registry", "indicators"):
            await caught_up(self.kafka, f"{self.prefix}.{service}", 120)

    async def until_denominator(self, expected: int, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while self.region_value("I1")["denominator"] != expected:
            assert time.monotonic() < deadline, f"I1 denominator stayed {self.region_value('I1')['denominator']}"
            await asyncio.sleep(0.5)


@pytest.fixture(scope="module")
async def stack(infra: Any, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    workdir = tmp_path_factory.mktemp("portal")
    prefix = "t" + uuid.uuid4().hex[:10]
    region = region_code()
    spec = RegionSpec(
        region=region,
        municipalities=2,
        schools_per_municipality=(2, 3),
        educators_per_school=(6, 10),
        programs=12,
        today=date.today(),
        seed=7,
    )
    generator, keys = region_under_test(spec)
    keys["portal"] = secrets.token_hex(16).encode()
    keys[MINISTRY] = secrets.token_hex(16).encode()
    cnppm = generator.sources[0]
    users = [
        User("region", Role.REGIONAL, region, None, "Аналитик ЦНППМ"),
        User("muni1", Role.MUNICIPAL, region, "mun-01", "ММС города"),
        User("federal", Role.FEDERAL, None, None, "Федеральный оператор"),
        User("admin", Role.ADMIN, None, None, "Администратор"),
    ]
    (workdir / "accounts.json").write_text(json.dumps({"accounts": [account_entry(u, PASSWORD) for u in users]}))
    directory = {
        "regions": {
            region: {
                "name": "Еврейская автономная область (тест)",
                "municipalities": MUNICIPALITIES,
            }
        }
    }
    (workdir / "directory.yaml").write_text(yaml.safe_dump(directory, allow_unicode=True))
    platform = Platform(
        infra,
        prefix,
        workdir,
        keys,
        region,
        services=(*SERVICES, "portal"),
        grants={MINISTRY: ["MonitoringRoundDeclared", "MonitoringRoundClosed"]},
        extra_env={
            "RSNMS_PORTAL_SECRET": secrets.token_hex(32),
            "RSNMS_PORTAL_ACCOUNTS": str(workdir / "accounts.json"),
            "RSNMS_PORTAL_DIRECTORY": str(workdir / "directory.yaml"),
            "RSNMS_PSEUDONYM_KEY": PSEUDONYM_KEY,
            "RSNMS_PORTAL_API_TOKENS": f"{cnppm}={API_TOKEN}",
        },
    )
    platform.env["RSNMS_INDICATORS_URL"] = platform.url("indicators", "")
    with platform:
        fed = await feed(infra, generator, keys, prefix, timeout=240)
        orgs = {
            e.payload.organization_id: e.payload.municipality_id
            for e in fed.region.registry
            if isinstance(e, OrganizationRegistered) and e.payload.kind == "school"
        }
        s = Stack(platform, region, orgs, prefix, infra.kafka, cnppm, keys)
        await s.settle()
        request = urllib.request.Request(
            platform.url("indicators", f"/passports/snapshot?region={region}"), method="POST"
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            assert response.status == 200
        yield s


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        await chromium.close()
    print(f"\nportal screenshots: {ARTIFACTS}")


async def signed_in(browser: Any, stack: Stack, login: str, password: str = PASSWORD) -> Any:
    context = await browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True, locale="ru-RU")
    page = await context.new_page()
    await page.goto(stack.base + "/login")
    await page.fill("input[name=login]", login)
    await page.fill("input[name=password]", password)
    await page.click("button[type=submit]")
    await page.wait_for_load_state()
    return page


async def shot(page: Any, name: str) -> None:
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


async def until_text(page: Any, selector: str, text: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while text not in (await page.text_content(selector) or ""):
        assert time.monotonic() < deadline, f"{selector} never showed {text!r}"
        await asyncio.sleep(0.5)
        await page.reload()


async def test_each_role_signs_in_and_sees_only_its_scope(stack: Stack, browser: Any) -> None:
    region = stack.region
    page = await signed_in(browser, stack, "region")
    assert page.url.endswith(f"/region/{region}")
    assert "Еврейская автономная область (тест)" in await page.text_content("h1")
    i1 = stack.region_value("I1")
    assert formats.number(i1["denominator"]) in await page.text_content("tr[data-indicator=I1]")
    await shot(page, "01-region-overview")
    await page.goto(f"{stack.base}/region/{region}/municipalities")
    assert "городской округ «Город Биробиджан»" in await page.text_content("table.scopes")
    await page.click("table.scopes th:nth-child(2)")  # sort by I1
    await shot(page, "02-municipalities")
    await page.goto(f"{stack.base}/region/{region}/passport")
    await shot(page, "03-passport")
    await page.goto(f"{stack.base}/region/{region}/report")
    await shot(page, "04-report")
    await page.goto(f"{stack.base}/region/{region}/roadmap")
    await shot(page, "05-roadmap")
    await page.context.close()

    muni = await signed_in(browser, stack, "muni1")
    assert muni.url.endswith(f"/region/{region}/municipality/mun-01")
    await shot(muni, "06-municipality")
    refused = await muni.goto(f"{stack.base}/region/{region}/municipality/mun-02")
    assert refused is not None and refused.status == 403
    assert "Доступ запрещён" in await muni.text_content("h1")
    await shot(muni, "07-refused")
    export = await muni.context.request.get(f"{stack.base}/region/{region}/municipality/mun-02?format=xlsx")
    assert export.status == 403
    own = await muni.context.request.get(f"{stack.base}/region/{region}/municipality/mun-01?format=xlsx")
    assert own.status == 200
    other_org = next(o for o, m in stack.orgs.items() if m == "mun-02")
    assert (await muni.context.request.get(f"{stack.base}/region/{region}/organization/{other_org}")).status == 403
    assert (await muni.context.request.get(f"{stack.base}/region/{region}/passport?format=xlsx")).status == 403
    await muni.context.close()

    federal = await signed_in(browser, stack, "federal")
    assert federal.url.endswith("/federal")
    await until_text(federal, "table.federal", "Еврейская автономная область (тест)")
    await shot(federal, "08-federal")
    assert (await federal.context.request.get(f"{stack.base}/region/{region}/municipality/mun-01")).status == 403
    await federal.context.close()

    admin = await signed_in(browser, stack, "admin")
    assert (await admin.goto(f"{stack.base}/region/{region}/municipality/mun-02")).status == 200
    await admin.context.close()


async def test_the_administrator_creates_and_edits_a_municipal_account(stack: Stack, browser: Any) -> None:
    region = stack.region
    admin = await signed_in(browser, stack, "admin")
    await admin.click("text=Учётные записи")
    assert "Учётные записи" in await admin.text_content("h1")
    await admin.fill("form.account-form input[name=login]", "mms-lenin")
    await admin.fill("form.account-form input[name=display_name]", "ММС Ленинского района")
    await admin.select_option("form.account-form select[name=role]", "municipal")
    await admin.select_option("form.account-form select[name=region]", region)
    await admin.select_option("form.account-form select[name=municipality]", "mun-02")
    await admin.click("form.account-form button[type=submit]")
    await admin.wait_for_load_state()
    password = (await admin.text_content("#one-time-password") or "").strip()
    assert len(password) >= 16
    row = await admin.text_content("tr[data-login='mms-lenin']") or ""
    assert "Ленинский район" in row and "Муниципальная методическая служба" in row and "активна" in row
    await shot(admin, "17-accounts")
    await admin.click("header form.who button[type=submit]")
    await admin.wait_for_load_state()
    assert admin.url.endswith("/login")
    await admin.context.close()

    muni = await signed_in(browser, stack, "mms-lenin", password)
    assert muni.url.endswith(f"/region/{region}/municipality/mun-02")
    refused = await muni.goto(f"{stack.base}/region/{region}/municipality/mun-01")
    assert refused is not None and refused.status == 403
    assert (await muni.goto(f"{stack.base}/admin/accounts")).status == 403

    # moved to another municipality: the open session ends, the next one has the new rights
    admin = await signed_in(browser, stack, "admin")
    await admin.goto(f"{stack.base}/admin/accounts")
    await admin.click("tr[data-login='mms-lenin'] >> text=Изменить")
    await admin.wait_for_load_state()
    assert "mms-lenin" in (await admin.text_content("h1") or "")
    await admin.select_option("form.account-form select[name=municipality]", "mun-01")
    await admin.click("form.account-form button[type=submit]")
    await admin.wait_for_load_state()
    assert "изменена" in (await admin.text_content("p.note") or "")
    await admin.context.close()
    await muni.goto(f"{stack.base}/region/{region}/municipality/mun-02")
    assert "/login" in muni.url
    await muni.context.close()
    muni = await signed_in(browser, stack, "mms-lenin", password)
    assert muni.url.endswith(f"/region/{region}/municipality/mun-01")
    await muni.context.close()


async def download(page: Any, selector: str) -> bytes:
    async with page.expect_download() as info:
        await page.click(selector)
    path = await (await info.value).path()
    return Path(path).read_bytes()


async def test_downloaded_documents_equal_the_indicators_api(stack: Stack, browser: Any) -> None:
    region = stack.region
    page = await signed_in(browser, stack, "region")
    api = {
        v["indicator"]: v for v in stack.api(f"/indicators?region={region}")["values"] if v["scope_kind"] == "region"
    }

    sheet = load_workbook(io.BytesIO(await download(page, "a[href='?format=xlsx']"))).active
    for code, _title, num, den, value, *_ in list(sheet.iter_rows(values_only=True))[1:]:
        assert (num, den) == (api[code]["numerator"], api[code]["denominator"]), code
        assert value == pytest.approx(api[code]["value"]) if api[code]["value"] is not None else value is None

    await page.goto(f"{stack.base}/region/{region}/passport")
    book = load_workbook(io.BytesIO(await download(page, "a[href='?format=xlsx']"))).active
    latest = {
        v["indicator"]: v for v in stack.api(f"/passports/latest?region={region}")["document"]["indicators"]
        if v["scope_kind"] == "region"
    }  # fmt: skip
    rows = {r[1]: r for r in book.iter_rows(values_only=True) if r[1] in latest}
    assert set(rows) == set(latest)
    for code, row in rows.items():
        assert row[2:4] == (latest[code]["numerator"], latest[code]["denominator"]), code
    assert book["A1"].value.startswith("Паспорт")

    await page.goto(f"{stack.base}/region/{region}/report")
    doc = Document(io.BytesIO(await download(page, "a[href$='report.docx']")))
    table = doc.tables[0]
    for row in table.rows[1:]:
        cells = [c.text for c in row.cells]
        code = cells[0].split(".")[0]
        assert cells[1:3] == [formats.number(api[code]["numerator"]), formats.number(api[code]["denominator"])]
    pdf = await download(page, "a[href$='report.pdf']")
    assert pdf.startswith(b"%PDF") and len(pdf) > 2000
    await page.context.close()


def snils(n: int) -> str:
    """A valid SNILS (checksum) from a number."""
    body = f"{100_000_000 + n:09d}"
    total = sum(int(d) * (9 - i) for i, d in enumerate(body))
    control = total if total < 100 else (total % 101) % 100
    return f"{body[:3]}-{body[3:6]}-{body[6:]} {control:02d}"


async def test_upload_applies_only_valid_rows_and_live_pages_follow(stack: Stack, browser: Any, tmp_path: Path) -> None:
    region = stack.region
    org = next(o for o, m in stack.orgs.items() if m == "mun-01")
    day = (date.today() - timedelta(days=3)).strftime("%d.%m.%Y")
    header = [
        "СНИЛС",
        "Роль",
        "Код организации",
        "Код муниципалитета",
        "Год рождения",
        "Начало педагогического стажа",
        "Дата включения в реестр",
    ]
    base = uuid.uuid4().int % 800_000_000
    rows = [
        [snils(base + 1), "педагог", org, "mun-01", "1991", "01.09.2016", day],
        [snils(base + 2), "руководитель", org, "mun-01", "1980", "01.09.2005", day],
        [
            snils(base + 3)[:-1] + "0" if not snils(base + 3).endswith("0") else snils(base + 3)[:-1] + "1",
            "педагог",
            org,
            "mun-01",
            "1990",
            "01.09.2015",
            day,
        ],  # fmt: skip
        [snils(base + 4), "учитель", org, "mun-01", "1890", "31.02.2015", day],
    ]
    path = tmp_path / "pedagogi.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        csv.writer(out, delimiter=";").writerows([header, *rows])

    before = stack.region_value("I1")["denominator"]
    watcher = await signed_in(browser, stack, "region")  # stays on the overview: live updates
    page = await signed_in(browser, stack, "region")
    await page.goto(f"{stack.base}/region/{region}/uploads")
    await shot(page, "09-uploads")
    await page.select_option("select[name=kind]", "educators")
    await page.set_input_files("input[name=file]", str(path))
    await page.click("form.upload button[type=submit]")
    await page.wait_for_selector("#accepted")
    assert await page.text_content("#accepted") == "2" and await page.text_content("#refused") == "2"
    report = await page.text_content("table.refusals")
    assert "СНИЛС неверен" in report and "недопустимое значение «учитель»" in report and "не дата" in report
    assert "1890" in report  # the birth year out of range is named too
    for row in rows:
        assert row[0] not in (await page.content())  # no SNILS echoed on the page
    await shot(page, "10-upload-report")
    refused = load_workbook(io.BytesIO(await download(page, "a[href$='refused.xlsx']"))).active
    assert [r[-1] is not None for r in list(refused.iter_rows(values_only=True))[1:]] == [True, True]

    await stack.until_denominator(before + 2)
    text = formats.number(before + 2)
    deadline = time.monotonic() + 60
    while text not in (await watcher.text_content("tr[data-indicator=I1]") or ""):
        assert time.monotonic() < deadline, "the open overview never updated itself"
        await asyncio.sleep(0.5)
    await shot(watcher, "11-overview-after-live-update")

    await page.goto(f"{stack.base}/region/{region}/uploads")
    await page.select_option("select[name=kind]", "educators")
    await page.set_input_files("input[name=file]", str(path))
    await page.click("form.upload button[type=submit]")
    await page.wait_for_selector("#accepted")
    await stack.settle()
    assert stack.region_value("I1")["denominator"] == before + 2, "the same file again added something"
    await page.context.close()
    await watcher.context.close()


async def test_ingestion_api(stack: Stack) -> None:
    region = stack.region
    org = next(o for o, m in stack.orgs.items() if m == "mun-02")

    def educator(region_code: str, source: str) -> bytes:
        event = EducatorRegistered.create(
            EducatorRecorded(
                educator_id="ed-" + uuid.uuid4().hex,
                role="teacher",
                organization_id=org,
                municipality_id="mun-02",
                birth_year=1995,
                career_start=date(2020, 9, 1),
                registered_on=date.today() - timedelta(days=2),
            ),
            source=source,
            region=region_code,
        )
        return event.to_bytes()

    url = stack.base + "/api/v1/events"
    good = {"Authorization": f"Bearer {API_TOKEN}", "Content-Type": "application/json"}
    async with httpx.AsyncClient(timeout=30) as http:
        bad_token = await http.post(url, content=educator(region, stack.cnppm), headers={"Authorization": "Bearer x"})
        assert bad_token.status_code == 401 and "token" in bad_token.json()["reason"]
        wrong_region = await http.post(url, content=educator("RU-MOW", stack.cnppm), headers=good)
        assert wrong_region.status_code == 403 and "may not publish for region RU-MOW" in wrong_region.json()["reason"]
        malformed = await http.post(url, content=b'{"event_type": "EducatorRegistered", "payload": {}}', headers=good)
        assert malformed.status_code == 422 and malformed.json()["error"] == "malformed"
        await stack.settle()
        before = stack.region_value("I1")["denominator"]
        ok = await http.post(url, content=educator(region, stack.cnppm), headers=good)
        assert ok.status_code == 202, ok.text
        spec = (await http.get(stack.base + "/api/openapi.json")).json()
        assert "EducatorRegistered" in json.dumps(spec["components"]["schemas"]["InboundEvent"])
    await stack.until_denominator(before + 1)
    with urllib.request.urlopen(stack.platform.url("portal", "/health/ready")) as response:
        assert json.loads(response.read())["ready"] is True


async def test_a_closed_round_in_the_portal(stack: Stack, browser: Any) -> None:
    """The regional ministry declares and closes a round (signed events); the portal lists it with
    its passport status, shows its report (DOCX cells equal the indicators API's report) and the
    deficit map of its analysis; the federal table carries the rounds' summary from the feed."""
    region, round_id = stack.region, "portal-1"
    broker = KafkaBroker(stack.kafka)
    await broker.start()
    try:
        publisher = EventPublisher(broker, keys=stack.keys)
        declaration = RoundDeclaration(
            round_id=round_id, title="Мониторинг, второе полугодие", reporting_date=date.today(),
            schedule="semiannual", signed_by="minister",
        )  # fmt: skip
        await publisher.publish(MonitoringRoundDeclared.create(declaration, source=MINISTRY, region=region))
        closure = RoundClosure(round_id=round_id, closed_on=date.today(), signed_by="minister")
        await publisher.publish(MonitoringRoundClosed.create(closure, source=MINISTRY, region=region))
    finally:
        await broker.stop()
    deadline = time.monotonic() + 120
    while True:
        listing = stack.api(f"/rounds?region={region}")["rounds"]
        if any(r["round_id"] == round_id and r["closed"] and r["versions"] for r in listing):
            break
        assert time.monotonic() < deadline, f"the round was never frozen: {listing}"
        await asyncio.sleep(0.5)

    page = await signed_in(browser, stack, "region")
    await page.goto(f"{stack.base}/region/{region}/rounds")
    row = await page.text_content(f"tr[data-round='{round_id}']")
    assert "закрыт" in row and "черновик" in row and formats.day(date.today().isoformat()) in row
    await shot(page, "12-rounds")
    await page.goto(f"{stack.base}/region/{region}/rounds/{round_id}")
    await shot(page, "13-round-report")
    report = stack.api(f"/rounds/report?region={region}&round={round_id}")
    doc = Document(io.BytesIO(await download(page, "a[href$='report.docx']")))
    names = Names({**competency_titles(), **MUNICIPALITIES})  # codes in cells are shown by name
    expected = [
        tuple(names.cell(c) for c in t["columns"]) for s in report["sections"] for t in s["tables"] if t["columns"]
    ]
    expected_rows = [
        tuple(names.cell(c) for c in r)
        for s in report["sections"]
        for t in s["tables"]
        if t["columns"]
        for r in t["rows"]
    ]
    assert any("городской округ «Город Биробиджан»" in row for row in expected_rows)
    assert [tuple(c.text for c in t.rows[0].cells) for t in doc.tables] == expected
    assert [tuple(c.text for c in r.cells) for t in doc.tables for r in t.rows[1:]] == expected_rows
    assert (await download(page, "a[href$='report.pdf']")).startswith(b"%PDF")

    await page.goto(f"{stack.base}/region/{region}/deficits")
    analysis = stack.api(f"/rounds/analysis?region={region}&round={round_id}")["analysis"]
    cells = analysis["deficit_map"]
    assert cells, "the generated region has deficits"
    text = await page.text_content("table.deficits")
    assert "Ленинский район" in text and competency_titles()[cells[0]["competency"]] in text
    for cell in cells:
        assert f"{formats.percent(cell['share'])} ({cell['educators']} из {cell['diagnosed']})" in text
    await shot(page, "14-deficits")
    await page.goto(f"{stack.base}/region/{region}/passport")
    assert await page.text_content("#passport-status") == "черновик"
    frozen = stack.api(f"/rounds/passport?region={region}&round={round_id}")["document"]["indicators"]
    book = load_workbook(io.BytesIO(await download(page, "a[href$='format=xlsx']"))).active
    rows = {r[1]: r[2:4] for r in book.iter_rows(values_only=True) if r[1] in {v["indicator"] for v in frozen}}
    assert rows == {v["indicator"]: (v["numerator"], v["denominator"]) for v in frozen if v["scope_kind"] == "region"}
    await shot(page, "16-round-passport")
    await page.goto(f"{stack.base}/region/{region}")
    assert f"тур {round_id}" in await page.text_content("table.indicators")
    await page.context.close()

    federal = await signed_in(browser, stack, "federal")
    await until_text(federal, "table.federal", "1 из 1")
    await shot(federal, "15-federal-with-rounds")
    await federal.context.close()

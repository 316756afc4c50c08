"""The portal with a fake indicators API: sign-in and CSRF, scope checks (403), Russian formats,
exports and documents parsed back, uploads with a row report, the ingestion API's refusals."""

from __future__ import annotations

import io
import re
import uuid

import pytest
from docx import Document
from openpyxl import load_workbook
from starlette.testclient import TestClient

from contracts import Completion, EducatorRegistered, ProgramCompleted
from services.portal.domain import formats
from services.portal.domain.uploads import check_rows
from tests.support import portal as support
from tests.support.portal import PASSWORD, REGION, Published


def client(published: Published | None = None) -> TestClient:
    return TestClient(support.portal(published))


def csrf(page: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, "every form carries a CSRF token"
    return match.group(1)


def signed_in(login: str, published: Published | None = None) -> TestClient:
    c = client(published)
    token = csrf(c.get("/login").text)
    response = c.post("/login", data={"login": login, "password": PASSWORD, "csrf": token, "next": "/"})
    assert response.status_code == 200, response.text[:500]
    return c


def test_russian_formats() -> None:
    assert formats.number(12345.6, 1) == "12\u00a0345,6"
    assert formats.percent(0.4523) == "45,2\u00a0%"
    assert formats.day("2026-12-05") == "05.12.2026"


def test_wrong_password_and_missing_csrf_are_refused() -> None:
    c = client()
    token = csrf(c.get("/login").text)
    assert c.post("/login", data={"login": "region", "password": "nope", "csrf": token}).status_code == 401
    assert c.post("/login", data={"login": "region", "password": PASSWORD}).status_code == 403
    assert c.get("/region/RU-YEV", follow_redirects=False).status_code == 303  # not signed in: to /login
    headers = c.get("/login").headers
    assert headers["x-frame-options"] == "DENY" and "default-src 'self'" in headers["content-security-policy"]
    assert "httponly" in c.get("/login").headers.get("set-cookie", "httponly").lower()


def test_password_guessing_is_throttled() -> None:
    from services.portal.domain.throttle import Throttle

    now = [0.0]
    throttle = Throttle(lambda: now[0], attempts=3, window_s=60)
    for _ in range(3):
        throttle.failed("login:x")
    assert throttle.blocked("login:x") and not throttle.blocked("login:y")
    now[0] = 61
    assert not throttle.blocked("login:x")

    c = client()
    token = csrf(c.get("/login").text)
    statuses = [
        c.post("/login", data={"login": "region", "password": "guess", "csrf": token}).status_code for _ in range(6)
    ]
    assert statuses == [401] * 5 + [429]
    assert c.post("/login", data={"login": "region", "password": PASSWORD, "csrf": token}).status_code == 429


@pytest.mark.parametrize(
    ("login", "home"),
    [("region", "/region/RU-YEV"), ("muni1", "/region/RU-YEV/municipality/mun-01"), ("federal", "/federal"),
     ("admin", "/federal")],
)  # fmt: skip
def test_each_role_lands_on_its_home(login: str, home: str) -> None:
    c = signed_in(login)
    response = c.get("/", follow_redirects=False)
    assert response.headers["location"] == home
    assert c.get(home).status_code == 200


def test_region_overview_shows_names_and_russian_figures() -> None:
    page = signed_in("region").get("/region/RU-YEV").text
    assert "Еврейская автономная область" in page
    assert "12\u00a0345" in page and "61,7\u00a0%" in page  # 12 345 / 20 000
    assert "01.11.2026" in page  # the trend columns
    assert "тур 2026-1" in page and "51,7\u00a0%" in page  # and the closed monitoring round (10 345 / 20 000)
    drill = signed_in("region").get("/region/RU-YEV/municipalities").text
    assert "городской округ «Город Биробиджан»" in drill and "mun-01</td>" not in drill


def test_scopes_are_enforced_by_the_server() -> None:
    muni = signed_in("muni1")
    assert muni.get("/region/RU-YEV/municipality/mun-01").status_code == 200
    assert "Школа № 1" in muni.get("/region/RU-YEV/municipality/mun-01").text
    assert muni.get("/region/RU-YEV/municipality/mun-02").status_code == 403
    assert muni.get("/region/RU-YEV/municipality/mun-02?format=xlsx").status_code == 403
    assert muni.get("/region/RU-YEV/organization/sch-3").status_code == 403
    assert muni.get("/region/RU-YEV/municipalities").status_code == 403
    assert muni.get("/federal").status_code == 403
    assert muni.get("/region/RU-YEV").status_code == 403  # the region's totals are not the municipality's
    assert muni.get("/region/RU-YEV/passport?format=xlsx").status_code == 403
    other = signed_in("other")
    assert other.get("/region/RU-YEV").status_code == 403
    assert other.get("/region/RU-YEV/passport?format=xlsx").status_code == 403
    assert other.get("/region/RU-YEV/report.docx").status_code == 403
    federal = signed_in("federal")
    assert federal.get("/region/RU-YEV/municipality/mun-01").status_code == 403
    assert federal.get("/region/RU-YEV/uploads").status_code == 403


def test_a_region_without_data_is_said_so() -> None:
    response = signed_in("admin").get("/region/RU-MOW")
    assert response.status_code == 404 and "данные ещё не поступали" in response.text


def test_the_feed_reads_tables_larger_than_the_inbound_limit() -> None:
    from contracts import MAX_EVENT_BYTES, IndicatorsPublished
    from services.portal.adapters.feed import decode_feed

    big = support.table()
    values = tuple(
        support.value("I1", "organization", f"org-{i:05d}", i % 100, 100) for i in range(3000)
    )  # a region with 3,000 organizations
    event = IndicatorsPublished.create(
        big.model_copy(update={"values": big.values + values}), source="indicators", region=REGION
    )
    raw = event.to_bytes()
    assert len(raw) > MAX_EVENT_BYTES
    assert decode_feed(raw, "rsnms.indicators.aggregates") == event


def test_rounds_report_deficit_map_and_passport_status() -> None:
    c = signed_in("region")
    page = c.get("/region/RU-YEV/rounds").text
    assert "Первое полугодие 2026" in page and "30.06.2026" in page and "возвращён на доработку" in page
    report = c.get("/region/RU-YEV/rounds/2026-1").text
    assert "+5,0 п. п." in report and "Провести диагностику" in report
    doc = Document(io.BytesIO(c.get("/region/RU-YEV/rounds/2026-1/report.docx").content))
    assert [cell.text for cell in doc.tables[0].rows[1].cells] == ["I1", "61,7 %".replace(" ", " "), "+5,0 п. п."]
    assert c.get("/region/RU-YEV/rounds/2026-1/report.pdf").content.startswith(b"%PDF")
    deficits = c.get("/region/RU-YEV/deficits").text
    assert "Работа с цифровыми образовательными платформами" in deficits and "30,0 % (30 из 100)" in deficits
    assert "городской округ «Город Биробиджан»" in deficits
    passport = c.get("/region/RU-YEV/passport").text
    assert "возвращён на доработку" in passport and "Уточнить раздел 4" in passport and "10.07.2026" in passport
    assert "представлено 05.07.2026 (roiv-yev)" in passport  # the financing section's stated completeness
    sheet = load_workbook(io.BytesIO(c.get("/region/RU-YEV/passport?round=2026-1&format=xlsx").content)).active
    assert sheet["B3"].value == "05.12.2026"
    other = signed_in("other")
    assert other.get("/region/RU-YEV/rounds/2026-1/report.docx").status_code == 403
    assert "ещё нет" in other.get("/region/RU-KYA/deficits").text  # no rounds offered for this region


def test_federal_table_comes_from_the_feed() -> None:
    page = signed_in("federal").get("/federal").text
    assert "Еврейская автономная область" in page and "Красноярский край" in page
    sheet = load_workbook(io.BytesIO(signed_in("federal").get("/federal?format=xlsx").content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["Еврейская автономная область", "Красноярский край"]
    assert rows[1][2:4] == (12345, 20000)
    assert rows[1][-2:] == ("1 из 2", "возвращён на доработку с замечаниями")  # the rounds' summary from the feed
    assert rows[2][-2:] == ("—", "—")


def test_exports_equal_the_indicators() -> None:
    c = signed_in("region")
    expected = {v.indicator: v for v in support.table().values if v.scope_kind == "region"}
    sheet = load_workbook(io.BytesIO(c.get("/region/RU-YEV?format=xlsx").content)).active
    for code, _title, num, den, value, *_ in list(sheet.iter_rows(values_only=True))[1:]:
        assert (num, den) == (expected[code].numerator, expected[code].denominator)
        assert value == pytest.approx(expected[code].value)
    text = c.get("/region/RU-YEV?format=csv").content.decode("utf-8-sig")
    assert text.splitlines()[1].startswith("I1;")
    passport = load_workbook(io.BytesIO(c.get("/region/RU-YEV/passport?format=xlsx").content)).active
    cells = {row[1]: row for row in passport.iter_rows(values_only=True) if row[1] in expected}
    assert all(cells[k][2:4] == (expected[k].numerator, expected[k].denominator) for k in expected)
    doc = Document(io.BytesIO(c.get("/region/RU-YEV/report.docx").content))
    table = doc.tables[0]
    first = [cell.text for cell in table.rows[1].cells]
    assert first[1:3] == ["12\u00a0345", "20\u00a0000"]
    assert c.get("/region/RU-YEV/report.pdf").content.startswith(b"%PDF")


def test_upload_reports_each_refused_row_and_publishes_only_valid_ones() -> None:
    published = Published()
    c = signed_in("region", published)
    header = "СНИЛС;Роль;Код организации;Код муниципалитета;Год рождения;Начало педагогического стажа;Дата включения в реестр"
    rows = [
        "112-233-445 95;педагог;sch-1;mun-01;1990;01.09.2015;01.09.2024",
        "112-233-445 96;педагог;sch-1;mun-01;1990;01.09.2015;01.09.2024",  # bad checksum
        "087-654-321 00;учитель;sch-1;mun-01;1990;01.09.2015;01.09.2024",  # unknown role
        "123-456-789 64;педагог;sch-2;mun-01;1990;31.02.2015;01.09.2024",  # no such date
    ]
    data = ("\n".join([header, *rows]) + "\n").encode()
    page = c.get("/region/RU-YEV/uploads").text
    response = c.post(
        "/region/RU-YEV/uploads",
        data={"kind": "educators", "csrf": csrf(page)},
        files={"file": ("list.csv", data, "text/csv")},
    )
    assert response.status_code == 200
    assert 'id="accepted">1<' in response.text and 'id="refused">3<' in response.text
    assert "СНИЛС неверен" in response.text and "недопустимое значение «учитель»" in response.text
    assert "не дата" in response.text and "112-233-445" not in response.text
    assert len(published.events) == 1 and isinstance(published.events[0], EducatorRegistered)
    assert published.events[0].source == "portal" and "112" not in published.events[0].model_dump_json()
    refused = load_workbook(
        io.BytesIO(c.get(re.search(r'href="(/uploads/[^"]+\.xlsx)"', response.text).group(1)).content)
    )
    assert len(list(refused.active.iter_rows(values_only=True))) == 4  # the header and three rows to fix
    again = c.post(
        "/region/RU-YEV/uploads", data={"kind": "educators", "csrf": csrf(page)}, files={"file": ("list.csv", data)}
    )
    assert again.status_code == 200
    assert published.events[0].event_id == published.events[1].event_id  # a replay, not a new fact
    assert (
        c.post("/region/RU-YEV/uploads", data={"kind": "educators"}, files={"file": ("l.csv", data)}).status_code == 403
    )


def test_upload_of_another_region_is_refused() -> None:
    c = signed_in("other")
    assert c.get("/region/RU-YEV/uploads").status_code == 403


def test_templates_are_readable_and_complete() -> None:
    c = signed_in("region")
    for kind in ("educators", "programs", "diagnostics"):
        book = load_workbook(io.BytesIO(c.get(f"/uploads/template/{kind}.xlsx").content))
        assert book.active.max_row == 1 and book["Пояснения"].max_row > 2


def test_diagnostics_rows() -> None:
    rows = [{"session_id": "s-1", "snils": "11223344595", "role": "педагог", "kind": "первичная",
             "taken_on": "01.10.2026", "scores": "c1:45; c2:80"}]  # fmt: skip
    checked = check_rows("diagnostics", rows, REGION, "portal", support.PSEUDONYM_KEY)
    assert not checked.refusals and checked.events[0].payload.scores == {"c1": 45.0, "c2": 80.0}


def activity(region: str = REGION, source: str = "iro-lms") -> bytes:
    event = ProgramCompleted.create(
        Completion(educator_id="ed-" + "a" * 32, program_id="prog-1", completed_on="2026-11-01"),
        source=source,
        region=region,
    )
    return event.to_bytes()


def test_ingestion_api_checks_like_a_kafka_publisher() -> None:
    published = Published()
    c = client(published)
    good = {"Authorization": f"Bearer {support.LMS_TOKEN}"}
    assert c.post("/api/v1/events", content=activity()).status_code == 401
    bad = c.post("/api/v1/events", content=activity(), headers={"Authorization": "Bearer wrong"})
    assert bad.status_code == 401 and bad.json()["reason"]
    wrong_region = c.post("/api/v1/events", content=activity(region="RU-MOW"), headers=good)
    assert wrong_region.status_code == 403 and "region RU-MOW" in wrong_region.json()["reason"]
    forged = c.post("/api/v1/events", content=activity(source="assessment-platform"), headers=good)
    assert forged.status_code == 403 and "forged source" in forged.json()["reason"]
    malformed = c.post("/api/v1/events", content=b'{"event_type": "ProgramCompleted"', headers=good)
    assert malformed.status_code == 422 and malformed.json()["error"] == "malformed"
    assert not published.events
    ok = c.post("/api/v1/events", content=activity(), headers=good)
    assert ok.status_code == 202 and uuid.UUID(ok.json()["accepted"]) == published.events[0].event_id
    spec = c.get("/api/openapi.json").json()
    assert "/api/v1/events" in spec["paths"] and "InboundEvent" in spec["components"]["schemas"]


def test_xlsx_upload_of_programs_and_nothing_personal_in_the_logs(capsys: pytest.CaptureFixture[str]) -> None:
    from openpyxl import Workbook

    published = Published()
    c = signed_in("region", published)
    book = Workbook()
    book.active.append(["Код программы", "Код организации-разработчика", "Наименование программы", "Объём, часов",
                        "Компетенции", "Направление", "Номер в ФР ДПП", "В ФР ДПП с"])  # fmt: skip
    book.active.append(["dpp-100", "iro", "Цифровая дидактика", 72, "digital_tools; assessment", "цифровая", "FR-100",
                        "01.09.2026"])  # fmt: skip
    book.active.append(["dpp-101", "iro", "Без часов", 0, "digital_tools", "кулинарная", "", ""])
    data = io.BytesIO()
    book.save(data)
    page = c.get("/region/RU-YEV/uploads").text
    response = c.post(
        "/region/RU-YEV/uploads",
        data={"kind": "programs", "csrf": csrf(page)},
        files={"file": ("programmy.xlsx", data.getvalue())},
    )
    assert 'id="accepted">1<' in response.text and 'id="refused">1<' in response.text
    assert "вне допустимого диапазона" in response.text and "«кулинарная»" in response.text
    program = published.events[0].payload
    assert program.hours == 72 and program.competencies == ("digital_tools", "assessment")
    assert str(program.register_from) == "2026-09-01"

    rows = "Код сессии диагностики;СНИЛС;Роль;Вид диагностики;Дата диагностики;Баллы по компетенциям\n"
    rows += "s-77;112-233-445 95;педагог;первичная;01.10.2026;c1:40\n"
    c.post(
        "/region/RU-YEV/uploads",
        data={"kind": "diagnostics", "csrf": csrf(page)},
        files={"file": ("d.csv", rows.encode())},
    )
    out = capsys.readouterr()
    assert "portal_upload" in out.out + out.err
    assert "11223344595" not in out.out + out.err and "112-233-445" not in out.out + out.err


def test_ingestion_api_refuses_a_body_over_the_event_limit_without_reading_it_whole() -> None:
    from contracts import MAX_EVENT_BYTES

    c = client(Published())
    good = {"Authorization": f"Bearer {support.LMS_TOKEN}"}
    declared = c.post("/api/v1/events", content=b"x" * (MAX_EVENT_BYTES + 1), headers=good)
    assert declared.status_code == 413 and declared.json()["error"] == "too_large"

    def chunks():  # chunked, no Content-Length: refused once the limit is passed
        for _ in range(1000):
            yield b"x" * (64 * 1024)

    streamed = c.post("/api/v1/events", content=chunks(), headers=good)
    assert streamed.status_code == 413
    assert c.post("/api/v1/events", content=activity(), headers=good).status_code == 202

"""Builders for the portal's tests: a small indicator table and passport, a fake indicators
HTTP API (httpx MockTransport), accounts for every role, and the portal composed around them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import httpx
import yaml

from contracts import (
    IndicatorsPublished,
    IndicatorTable,
    IndicatorValue,
    OrganizationRecorded,
    OrganizationRegistered,
    PassportDocument,
    PassportSection,
    PassportSnapshot,
    RoundsSummary,
    RoundsSummaryPublished,
    RoundSummary,
    SectionCompleteness,
)
from rsnms_runtime.sources import SourceGate, load_policy
from services.portal.adapters.accounts import Accounts, account_entry
from services.portal.adapters.feed import Changes
from services.portal.adapters.indicators_api import IndicatorsClient
from services.portal.bootstrap import build
from services.portal.config import DEFAULT_DIRECTORY, PortalConfig
from services.portal.domain.access import Role, User
from services.portal.domain.board import Board
from services.portal.domain.directory import Directory
from services.portal.service import Ingestion, Uploads

REGION = "RU-YEV"
TODAY = date(2026, 12, 5)
PASSWORD = "correct horse battery staple"
SECRET = "s" * 40
PSEUDONYM_KEY = b"test-pseudonym-key-0123456789"
PORTAL_KEY = b"portal-secret-0123456789"
LMS_KEY = b"lms-secret-0123456789abcd"
LMS_TOKEN = "lms-token-0123456789abcdefghijkl"
ORGS = {"sch-1": ("Школа № 1", "mun-01"), "sch-2": ("Школа № 2", "mun-01"), "sch-3": ("Школа № 3", "mun-02")}
USERS = {
    "region": User("region", Role.REGIONAL, REGION, None, "Аналитик ЦНППМ"),
    "muni1": User("muni1", Role.MUNICIPAL, REGION, "mun-01", "ММС Биробиджана"),
    "muni2": User("muni2", Role.MUNICIPAL, REGION, "mun-02", "ММС района"),
    "federal": User("federal", Role.FEDERAL, None, None, "Федеральный оператор"),
    "admin": User("admin", Role.ADMIN, None, None, "Администратор"),
    "other": User("other", Role.REGIONAL, "RU-KYA", None, "Аналитик другого региона"),
}


def value(ind: str, kind: str, scope: str, num: int, den: int, target: float | None = 0.5) -> IndicatorValue:
    v = (num / den) if den else None
    if ind == "E1":
        met = None if v is None or target is None else v <= target
    else:
        met = None if v is None or target is None else v >= target
    return IndicatorValue(
        indicator=ind, scope_kind=kind, scope_id=scope, numerator=num, denominator=den, value=v,
        target=target, target_met=met,
    )  # fmt: skip


def table(as_of: date = TODAY, bump: int = 0, region: str = REGION) -> IndicatorTable:
    values = []
    for i, ind in enumerate(("I1", "I2", "I3", "I4", "I5", "I6", "E1", "E2", "RM")):
        target = 150.0 if ind == "E1" else 0.5
        values.append(value(ind, "region", region, 12345 + i + bump, 20000, target))
        values.append(value(ind, "municipality", "mun-01", 700 + i, 1000, target))
        values.append(value(ind, "municipality", "mun-02", 300 + i, 1000, target))
        for n, org in enumerate(ORGS):
            values.append(value(ind, "organization", org, 40 + n + i, 100, target))
    return IndicatorTable(
        region=region, as_of=as_of, computed_at=datetime(2026, 12, 5, 10, tzinfo=UTC), values=tuple(values)
    )


def passport(region: str = REGION) -> PassportSnapshot:
    def section(title: str, **figures: Any) -> PassportSection:
        return PassportSection(title=title, figures=figures)

    t = table(region=region)
    doc = PassportDocument(
        title="Паспорт ДППО",
        region=region,
        as_of=TODAY,
        staff=section("Кадровый состав", educators=20000, teachers=18000),
        programs=section("Программы", implemented=40, in_federal_register=30, federal_register_share=0.75),
        infrastructure=section("Инфраструктура", organizations=120),
        financing=PassportSection(title="Финансовое обеспечение", figures={"total_rub": None}, note="Нет данных"),
        involvement=section("Вовлечение", diagnosed=12345),
        information_resources=PassportSection(title="Информационные ресурсы", items=("https://cnppm.example",)),
        indicators=tuple(v for v in t.values if v.scope_kind == "region"),
        students_results=PassportSection(title="Результаты обучающихся", figures={"correlation": None}),
        roadmap=PassportSection(
            title="Дорожная карта",
            figures={"items": 10, "done": 7, "overdue": 1, "completion": 0.7},
            breakdown={"items_by_status": {"done": 7, "planned": 3}},
        ),
        kafka_positions=(),
    )
    return PassportSnapshot(
        snapshot_id=f"{region}-2026-12-05-v1", region=region, version=1, as_of=TODAY,
        taken_at=datetime(2026, 12, 5, 10, tzinfo=UTC), document=doc,
    )  # fmt: skip


CATALOGUE = {
    "region": REGION,
    "indicators": [
        {"indicator": k, "title": f"Показатель {k}", "unit": "share", "target": 0.5, "target_is_maximum": k == "E1"}
        for k in ("I1", "I2", "I3", "I4", "I5", "I6", "E1", "E2", "RM")
    ],
}


ROUNDS = [
    {"round_id": "2026-1", "title": "Первое полугодие 2026", "reporting_date": "2026-06-30", "schedule": "semiannual",
     "signed_by": "minister", "closed": {"round_id": "2026-1", "closed_on": "2026-07-01", "signed_by": "minister"},
     "passport_status": "returned", "versions": [{"version": 1}]},
    {"round_id": "2026-2", "title": "Второе полугодие 2026", "reporting_date": "2026-12-31", "schedule": "semiannual",
     "signed_by": "minister", "closed": None, "passport_status": "draft", "versions": []},
]  # fmt: skip
ROUND_REPORT = {
    "format": "rsnms.round-report/1", "region": REGION, "round_id": "2026-1", "version": 1,
    "reporting_date": "2026-06-30", "generated_at": "2026-07-01T10:00:00Z",
    "title": "Аналитическая справка по итогам тура мониторинга", "subtitle": "Тур 2026-1",
    "sections": [
        {"key": "indicators", "title": "2. Показатели", "paragraphs": ["Изменения к предыдущему туру."],
         "tables": [{"title": "Показатели", "columns": ["Показатель", "Значение", "Изменение"],
                     "rows": [["I1", "61,7 %", "+5,0 п. п."]]}],
         "recommendations": [{"recommendation_id": "r1", "round_id": "2026-1", "version": 1,
                              "scope_kind": "municipality", "scope_id": "mun-02", "rule": "below_target",
                              "text": "Провести диагностику в Биробиджанском районе", "figures": {}}]},
    ],
    "figures": {},
}  # fmt: skip
ROUND_ANALYSIS = {
    "deficit_map": [
        {
            "municipality_id": "mun-01",
            "competency": "digital_platforms",
            "educators": 30,
            "diagnosed": 100,
            "share": 0.3,
        },
        {"municipality_id": "mun-02", "competency": "assessment", "educators": 5, "diagnosed": 50, "share": 0.1},
    ]
}


def fake_indicators_api(request: httpx.Request) -> httpx.Response:
    region = request.url.params.get("region", "")
    if region == "RU-MOW":
        return httpx.Response(404, json={"error": "no data about this region"})
    if request.url.path == "/indicators":
        as_of = date.fromisoformat(request.url.params.get("as_of", TODAY.isoformat()))
        bump = 0 if as_of == TODAY else -1000
        return httpx.Response(200, content=table(as_of, bump, region).model_dump_json())
    if request.url.path == "/indicators/catalogue":
        return httpx.Response(200, json={**CATALOGUE, "region": region})
    if request.url.path.startswith("/rounds") and region != REGION:
        return httpx.Response(404, json={"error": "not found"})
    if request.url.path == "/rounds":
        return httpx.Response(200, json={"region": region, "rounds": ROUNDS})
    if request.url.path == "/rounds/version":
        frozen = table(date(2026, 6, 30), -2000)
        return httpx.Response(
            200,
            json={"reporting_date": "2026-06-30", "frozen_at": "2026-07-01T10:00:00Z",
                  "indicators": [v.model_dump(mode="json") for v in frozen.values]},
        )  # fmt: skip
    if request.url.path == "/rounds/passport":
        doc = passport(region).document.model_copy(
            update={
                "completeness": (
                    SectionCompleteness(section="financing", title="Финансовое обеспечение", source="submission",
                                        status="complete", completeness=1.0, submitted_on=date(2026, 7, 5),
                                        submitted_by="roiv-yev"),
                ),
            }
        )  # fmt: skip
        history = [
            {"round_id": "2026-1", "sequence": 1, "status": "approved", "previous": "draft", "decided_on": "2026-07-10",
             "decided_by": "roiv-yev", "signed_by": "minister", "remarks": [], "decision_event_id": "e1"},
            {"round_id": "2026-1", "sequence": 2, "status": "returned", "previous": "sent", "decided_on": "2026-08-01",
             "decided_by": "federal-operator", "signed_by": "director", "remarks": ["Уточнить раздел 4"],
             "decision_event_id": "e2"},
        ]  # fmt: skip
        return httpx.Response(
            200,
            json={"round_id": "2026-1", "region": region, "version": 1, "status": "returned", "history": history,
                  "document": doc.model_dump(mode="json")},
        )  # fmt: skip
    if request.url.path == "/rounds/report":
        return httpx.Response(200, json=ROUND_REPORT)
    if request.url.path == "/rounds/analysis":
        return httpx.Response(200, json={"analysis": ROUND_ANALYSIS, "recommendations": []})
    if request.url.path == "/passports/latest":
        return httpx.Response(200, content=passport(region).model_dump_json())
    return httpx.Response(404, json={"error": "no such path"})


def accounts() -> Accounts:
    return Accounts([account_entry(u, PASSWORD) for u in USERS.values()])


def board() -> Board:
    b = Board()
    b.apply([IndicatorsPublished.create(table(), source="indicators", region=REGION)])
    b.apply([IndicatorsPublished.create(table(region="RU-KYA", bump=-5000), source="indicators", region="RU-KYA")])
    summary = RoundsSummary(
        region=REGION,
        computed_at=datetime(2026, 7, 1, tzinfo=UTC),
        rounds=(
            RoundSummary(round_id="2026-1", reporting_date=date(2026, 6, 30), closed=True, versions=1,
                         passport_status="returned", recommendations=3, program_requests=1),
            RoundSummary(round_id="2026-2", reporting_date=date(2026, 12, 31), closed=False, versions=0,
                         passport_status="draft", recommendations=0, program_requests=0),
        ),
        passports_by_status={"returned": 1, "draft": 1},
    )  # fmt: skip
    b.apply([RoundsSummaryPublished.create(summary, source="indicators", region=REGION)])
    b.apply(
        OrganizationRegistered.create(
            OrganizationRecorded(organization_id=o, kind="school", title=t, municipality_id=m),
            source="cnppm-ru-yev", region=REGION,
        )
        for o, (t, m) in ORGS.items()
    )  # fmt: skip
    return b


def gate() -> SourceGate:
    policy = yaml.safe_load((DEFAULT_DIRECTORY.parents[2] / "deploy" / "sources.yaml").read_text())
    return SourceGate({"portal": PORTAL_KEY, "iro-lms": LMS_KEY}, load_policy(policy))


class Published:
    def __init__(self) -> None:
        self.events: list[Any] = []

    async def __call__(self, events: Any) -> None:
        self.events.extend(events)


def accounts_file(path: Any) -> Any:
    """The test accounts written to a file (as RSNMS_PORTAL_ACCOUNTS names it)."""
    path.write_text(json.dumps({"accounts": [account_entry(u, PASSWORD) for u in USERS.values()]}), encoding="utf-8")
    return path


def portal(
    published: Published | None = None, oidc: Any = None, oidc_transport: Any = None, accounts_path: Any = None
) -> Any:
    published = published or Published()
    config = PortalConfig(
        session_secret=SECRET, pseudonym_key=PSEUDONYM_KEY, api_tokens={"iro-lms": LMS_TOKEN}, oidc=oidc
    )
    client = httpx.AsyncClient(transport=httpx.MockTransport(fake_indicators_api), base_url="http://indicators")
    directory = Directory.from_document(yaml.safe_load(DEFAULT_DIRECTORY.read_text(encoding="utf-8")))
    g = gate()
    return build(
        config,
        indicators=IndicatorsClient("http://indicators", client, today=lambda: TODAY),
        board=board(),
        changes=Changes(),
        directory=directory,
        accounts=Accounts.from_file(accounts_path) if accounts_path else accounts(),
        uploads=Uploads("portal", PSEUDONYM_KEY, g, published),
        ingestion=Ingestion({"iro-lms": LMS_TOKEN}, {"iro-lms": LMS_KEY, "portal": PORTAL_KEY}, g, published),
        today=lambda: TODAY,
        oidc_transport=oidc_transport,
    )


def json_dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode()

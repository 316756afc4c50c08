"""Lists a ЦНППМ uploads (educators, programs, diagnostic results): the templates' columns,
the validation of each row with a Russian reason per refused cell, and the events valid rows
become. A SNILS is turned into the pseudonymous id at once and never leaves this module.

Event ids are deterministic (uuid5 of the business key), so uploading the same file again
publishes the same events, which every consumer recognises as replays: nothing is added."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from pydantic import BaseModel, ValidationError

from contracts import (
    DiagnosticResult,
    DiagnosticResultSubmitted,
    EducatorRecorded,
    EducatorRegistered,
    Event,
    ProgramRecorded,
    ProgramRegistered,
)
from contracts.pseudonym import educator_pseudonym


@dataclass(frozen=True)
class Column:
    field: str
    title: str
    hint: str
    required: bool = True


@dataclass(frozen=True)
class Refusal:
    row: int  # the row number in the file (the header is row 1)
    column: str
    value: str
    reason: str


@dataclass(frozen=True)
class Checked:
    events: tuple[Event, ...]
    refusals: tuple[Refusal, ...]
    #: the original cells of each refused row and its reasons, to fix and upload again; it goes back
    #: only to the person who uploaded the file (it may hold a SNILS), never to the bus or the logs
    refused_rows: tuple[dict[str, str], ...]
    rows: int


class CellError(ValueError):
    def __init__(self, field: str, reason: str):
        super().__init__(reason)
        self.field, self.reason = field, reason


ROLES = {"педагог": "teacher", "педагогический работник": "teacher", "руководитель": "manager", "управленец": "manager"}
CATEGORIES = {"": "none", "без категории": "none", "нет": "none", "первая": "first", "высшая": "highest"}
KINDS = {"первичная": "initial", "повторная": "repeat"}
TOPICS = {
    "предметная": "subject",
    "методическая": "methodical",
    "психолого-педагогическая": "psychological_pedagogical",
    "цифровая": "digital",
    "управленческая": "management",
    "управление качеством образования": "education_quality_management",
}
YES = {"да": True, "нет": False, "": True}
PROVIDERS = {"": "cnppm", "цнппм": "cnppm", "цопмкп": "copmkp", "другой центр": "other_centre"}

TEMPLATES: dict[str, tuple[str, tuple[Column, ...]]] = {
    "educators": (
        "Педагогические работники и управленческие кадры",
        (
            Column("snils", "СНИЛС", "11 цифр, например 112-233-445 95"),
            Column("role", "Роль", "педагог или руководитель"),
            Column("organization_id", "Код организации", "как в реестре организаций, например sch-mun-01-01"),
            Column("municipality_id", "Код муниципалитета", "например mun-01"),
            Column("birth_year", "Год рождения", "например 1990"),
            Column("career_start", "Начало педагогического стажа", "дата ДД.ММ.ГГГГ"),
            Column("registered_on", "Дата включения в реестр", "дата ДД.ММ.ГГГГ"),
            Column("qualification_category", "Квалификационная категория", "без категории, первая или высшая", False),
            Column("subject_areas", "Предметные области", "через точку с запятой", False),
        ),
    ),
    "programs": (
        "Дополнительные профессиональные программы",
        (
            Column("program_id", "Код программы", "латиница, цифры, - _ . :"),
            Column("provider_id", "Код организации-разработчика", "как в реестре организаций"),
            Column("title", "Наименование программы", "до 500 символов"),
            Column("hours", "Объём, часов", "целое число от 1 до 2000"),
            Column("competencies", "Компетенции", "коды компетенций через точку с запятой"),
            Column("topic", "Направление", ", ".join(TOPICS)),
            Column("implemented", "Реализуется", "да или нет", False),
            Column("register_id", "Номер в ФР ДПП", "если программа в реестре", False),
            Column("register_from", "В ФР ДПП с", "дата ДД.ММ.ГГГГ", False),
            Column("register_to", "В ФР ДПП по", "дата ДД.ММ.ГГГГ", False),
        ),
    ),
    "diagnostics": (
        "Результаты диагностики профессиональных дефицитов",
        (
            Column("session_id", "Код сессии диагностики", "уникальный код сессии"),
            Column("snils", "СНИЛС", "11 цифр"),
            Column("role", "Роль", "педагог или руководитель"),
            Column("kind", "Вид диагностики", "первичная или повторная"),
            Column("taken_on", "Дата диагностики", "дата ДД.ММ.ГГГГ"),
            Column("scores", "Баллы по компетенциям", "код:балл через точку с запятой, баллы 0..100"),
            Column("framework_id", "Код модели компетенций", "если не основная модель", False),
            Column("conducted_by", "Кем проведена", "ЦНППМ (по умолчанию), ЦОПМКП или другой центр", False),
            Column("centre_id", "Код организации, проводившей диагностику", "как в реестре организаций", False),
        ),
    ),
}

_SNILS = re.compile(r"^\d{3}-?\d{3}-?\d{3}[ -]?\d{2}$")


def snils_valid(raw: str) -> bool:
    """Format and checksum of a СНИЛС (the control number of the first nine digits)."""
    if not _SNILS.match(raw.strip()):
        return False
    digits = re.sub(r"\D", "", raw)
    body, control = digits[:9], int(digits[9:])
    total = sum(int(d) * (9 - i) for i, d in enumerate(body))
    expected = total if total < 100 else (total % 101) % 100
    return expected == control


def parse_day(field: str, raw: str) -> date:
    raw = raw.strip()
    for fmt in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(raw[:10], fmt).date()
        except ValueError:
            continue
    raise CellError(field, f"не дата: ожидается ДД.ММ.ГГГГ, получено «{raw}»")


def parse_int(field: str, raw: str, low: int | None = None, high: int | None = None) -> int:
    try:
        value = int(float(raw.strip().replace(",", ".").replace(" ", "")))
    except ValueError:
        raise CellError(field, f"не целое число: «{raw}»") from None
    if (low is not None and value < low) or (high is not None and value > high):
        raise CellError(field, f"значение {value} вне допустимого диапазона {low}–{high}")
    return value


def choice(field: str, raw: str, options: Mapping[str, Any]) -> Any:
    key = raw.strip().lower()
    if key not in options:
        allowed = ", ".join(k for k in options if k)
        raise CellError(field, f"недопустимое значение «{raw}»; допустимо: {allowed}")
    return options[key]


def split_list(raw: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in raw.replace(",", ";").split(";") if p.strip())


def parse_scores(field: str, raw: str) -> dict[str, float]:
    scores: dict[str, float] = {}
    for part in split_list(raw.replace(",", ";") if ":" in raw else raw):
        code, sep, value = part.partition(":")
        if not sep or not code.strip():
            raise CellError(field, f"«{part}»: ожидается код:балл")
        try:
            scores[code.strip()] = float(value.strip().replace(",", "."))
        except ValueError:
            raise CellError(field, f"«{part}»: балл не число") from None
    if not scores:
        raise CellError(field, "нет ни одного балла")
    return scores


def to_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


class RowErrors(ValueError):
    """Every cell of a row that could not be read (a row is reported whole, not at its first error)."""

    def __init__(self, errors: list[CellError]):
        super().__init__("; ".join(e.reason for e in errors))
        self.errors = errors


def read_cells(parsers: Mapping[str, Callable[[], Any]]) -> dict[str, Any]:
    data, errors = {}, []
    for name, parse in parsers.items():
        try:
            data[name] = parse()
        except CellError as exc:
            errors.append(exc)
    if errors:
        raise RowErrors(errors)
    return data


class RowBuilder:
    """Turns one row (field -> cell text) into an event, or raises RowErrors naming each bad cell."""

    def __init__(self, kind: str, region: str, source: str, pseudonym_key: bytes):
        self.kind, self.region, self.source, self.key = kind, region, source, pseudonym_key

    def pseudonym(self, raw: str) -> str:
        if not snils_valid(raw):
            raise CellError("snils", "СНИЛС неверен: нужно 11 цифр с верным контрольным числом")
        return educator_pseudonym(raw, self.key)

    def build(self, row: Mapping[str, str]) -> Event:
        build: Callable[[Mapping[str, str]], Event] = getattr(self, f"_{self.kind}")
        return build(row)

    def _make(self, cls: type[Event], payload_cls: type[BaseModel], data: dict[str, Any], day: date) -> Event:
        try:
            payload = payload_cls(**data)
        except ValidationError as exc:
            raise RowErrors(
                [
                    CellError(
                        str(err["loc"][0]) if err["loc"] else "",
                        RUSSIAN_ERRORS.get(err["type"], "недопустимое значение") + f" ({err['msg']})",
                    )
                    for err in exc.errors()
                ]
            ) from None
        return cls.create(payload, source=self.source, region=self.region, occurred_at=to_midnight(day))  # type: ignore[arg-type]

    def _educators(self, row: Mapping[str, str]) -> Event:
        data = read_cells(
            {
                "educator_id": lambda: self.pseudonym(row["snils"]),
                "role": lambda: choice("role", row["role"], ROLES),
                "organization_id": lambda: row["organization_id"].strip(),
                "municipality_id": lambda: row["municipality_id"].strip(),
                "birth_year": lambda: parse_int("birth_year", row["birth_year"], 1930, 2015),
                "career_start": lambda: parse_day("career_start", row["career_start"]),
                "registered_on": lambda: parse_day("registered_on", row["registered_on"]),
                "qualification_category": lambda: choice(
                    "qualification_category", row.get("qualification_category", ""), CATEGORIES
                ),
                "subject_areas": lambda: split_list(row.get("subject_areas", "")),
            }
        )
        return self._make(EducatorRegistered, EducatorRecorded, data, data["registered_on"])

    def _programs(self, row: Mapping[str, str]) -> Event:
        def optional_day(name: str) -> date | None:
            return parse_day(name, row[name]) if row.get(name, "").strip() else None

        data = read_cells(
            {
                "program_id": lambda: row["program_id"].strip(),
                "provider_id": lambda: row["provider_id"].strip(),
                "title": lambda: row["title"].strip(),
                "hours": lambda: parse_int("hours", row["hours"], 1, 2000),
                "competencies": lambda: split_list(row["competencies"]),
                "topic": lambda: choice("topic", row["topic"], TOPICS),
                "implemented": lambda: choice("implemented", row.get("implemented", ""), YES),
                "register_id": lambda: row.get("register_id", "").strip() or None,
                "register_from": lambda: optional_day("register_from"),
                "register_to": lambda: optional_day("register_to"),
            }
        )
        return self._make(ProgramRegistered, ProgramRecorded, data, data["register_from"] or date.today())

    def _diagnostics(self, row: Mapping[str, str]) -> Event:
        data = read_cells(
            {
                "session_id": lambda: row["session_id"].strip(),
                "educator_id": lambda: self.pseudonym(row["snils"]),
                "role": lambda: choice("role", row["role"], ROLES),
                "kind": lambda: choice("kind", row["kind"], KINDS),
                "taken_on": lambda: parse_day("taken_on", row["taken_on"]),
                "framework_id": lambda: row.get("framework_id", "").strip() or None,
                "scores": lambda: parse_scores("scores", row["scores"]),
                "conducted_by": lambda: choice("conducted_by", row.get("conducted_by", ""), PROVIDERS),
                "centre_id": lambda: row.get("centre_id", "").strip() or None,
            }
        )
        return self._make(DiagnosticResultSubmitted, DiagnosticResult, data, data["taken_on"])


RUSSIAN_ERRORS = {
    "string_pattern_mismatch": "недопустимые символы",
    "string_too_long": "слишком длинное значение",
    "string_too_short": "пустое значение",
    "too_short": "пустой список",
    "greater_than_equal": "значение меньше допустимого",
    "less_than_equal": "значение больше допустимого",
    "value_error": "противоречивые значения",
    "literal_error": "недопустимое значение",
}


def check_rows(
    kind: str,
    rows: Sequence[Mapping[str, str]],
    region: str,
    source: str,
    pseudonym_key: bytes,
) -> Checked:
    """Validate every row; valid rows become events, every refused row is reported with its
    column and reason. Rows are numbered as in the file (the header is row 1)."""
    _, columns = TEMPLATES[kind]
    by_field = {c.field: c for c in columns}
    builder = RowBuilder(kind, region, source, pseudonym_key)
    events: list[Event] = []
    refusals: list[Refusal] = []
    refused_rows: list[dict[str, str]] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):
        cells = {c.field: str(row.get(c.field) or "").strip() for c in columns}
        problems = [
            Refusal(number, c.title, "", "обязательное поле не заполнено")
            for c in columns
            if c.required and not cells[c.field]
        ]
        event = None
        if not problems:
            try:
                event = builder.build(cells)
            except RowErrors as exc:
                for error in exc.errors:
                    field = {"educator_id": "snils"}.get(error.field, error.field)
                    column = by_field.get(field)
                    value = "***" if field == "snils" else cells.get(field, "")  # a SNILS is never echoed
                    problems.append(Refusal(number, column.title if column else field, value, error.reason))
        if event is not None and str(event.event_id) in seen:
            problems.append(
                Refusal(number, "—", "", f"повторяет строку {seen[str(event.event_id)]} (тот же ключ записи)")
            )
            event = None
        if problems:
            refusals.extend(problems)
            refused_rows.append(
                {c.title: cells[c.field] for c in columns}
                | {"Ошибка": "; ".join(f"{p.column}: {p.reason}" for p in problems)}
            )
        elif event is not None:
            seen[str(event.event_id)] = number
            events.append(event)
    return Checked(tuple(events), tuple(refusals), tuple(refused_rows), len(rows))


def header_fields(kind: str, header: Sequence[str]) -> tuple[dict[int, str], list[str]]:
    """Map a file's header cells to fields; returns (column index -> field, missing titles)."""
    _, columns = TEMPLATES[kind]
    by_title = {c.title.lower(): c.field for c in columns} | {c.field: c.field for c in columns}
    mapping = {i: by_title[h.strip().lower()] for i, h in enumerate(header) if h and h.strip().lower() in by_title}
    missing = [c.title for c in columns if c.required and c.field not in mapping.values()]
    return mapping, missing

"""The passport (паспорт ДППО) of a region as of a date: the sections of seed 004 built
from the folded state, with the indicator table and the Kafka positions it includes.
Sections the events do not report (financing, correlation with students' results) are
present with an explicit note, not left out."""

from __future__ import annotations

from collections import Counter
from datetime import date

from contracts import IndicatorValue, KafkaPosition, PassportDocument, PassportSection
from services.indicators.domain.state import RegionState


def build_passport(state: RegionState, as_of: date, indicators: list[IndicatorValue],
                   positions: list[KafkaPosition], information_resources: tuple[str, ...] = ()) -> PassportDocument:
    d = as_of
    active = [f for f in state.educators.values() if f.active_on(d)]
    roles = Counter(f.registration.role for f in active)  # type: ignore[union-attr]
    staff_kinds = Counter(s.kind for s in state.staff.values() if s.active)
    cnppm = [sid for sid, s in state.cnppm_staff.items() if s.active]
    trained = sum(1 for sid in cnppm if any(day <= d for day in state.trainings.get(sid, ())))
    implemented = [p for p in state.programs.values() if p.implemented]
    in_register = [p for p in implemented if p.in_register_on(d)]
    orgs = list(state.organizations.values())
    schools = [o for o in orgs if o.kind == "school"]
    roadmap = [i for i in state.roadmap.values() if i.status != "cancelled"]
    done = [i for i in roadmap if i.status == "done"]
    overdue = [i for i in roadmap if i.status != "done" and i.due_date < d]
    return PassportDocument(
        title="Паспорт системы дополнительного профессионального педагогического образования (ДППО)",
        region=state.region, as_of=d,
        staff=PassportSection(title="Кадровый состав", figures={
            "teachers": roles["teacher"], "managers": roles["manager"],
            "regional_methodists": staff_kinds["methodist"], "tutors": staff_kinds["tutor"],
            "mentors": staff_kinds["mentor"], "cnppm_staff": len(cnppm), "cnppm_staff_trained": trained}),
        programs=PassportSection(title="Программы ДПО, в том числе включённые в ФР ДПП", figures={
            "implemented": len(implemented), "in_federal_register": len(in_register),
            "register_share": len(in_register) / len(implemented) if implemented else None},
            breakdown={"by_topic": dict(Counter(p.topic for p in implemented)),
                       "by_provider": dict(Counter(p.provider_id for p in implemented))}),
        infrastructure=PassportSection(title="Региональная инфраструктура ДПО", figures={
            "organizations": len(orgs), "municipalities": len({o.municipality_id for o in orgs}),
            "schools": len(schools), "schools_low_results": sum(o.low_results for o in schools),
            "schools_unfavourable_conditions": sum(o.unfavourable_conditions for o in schools)},
            breakdown={"organizations_by_kind": dict(Counter(o.kind for o in orgs))}),
        financing=PassportSection(title="Финансирование", note="Сведения о финансировании не поступают в "
                                  "платформу событиями; заполняются региональным органом управления образованием."),
        involvement=PassportSection(title="Вовлечённость педагогов в мероприятия системы", figures={
            "active_educators": len(active),
            "diagnosed": sum(1 for f in active if any(x <= d for x in f.diagnoses.values())),
            "with_routes": sum(1 for f in active if any(a <= d for a, _, _ in f.routes.values())),
            "completed_programs": sum(1 for f in active if any(day <= d for _, day in f.completions)),
            "with_support_form": sum(1 for f in active if any(a <= d for a, _ in f.supports.values()))}),
        information_resources=PassportSection(title="Информационные ресурсы", items=information_resources),
        indicators=tuple(indicators),
        students_results=PassportSection(title="Корреляция с результатами обучающихся",
                                         note="Результаты обучающихся не поступают в платформу; раздел "
                                              "заполняется по данным оценочных процедур."),
        roadmap=PassportSection(title="Дорожная карта", figures={
            "items": len(roadmap), "done": len(done), "overdue": len(overdue),
            "completion": len(done) / len(roadmap) if roadmap else None}),
        kafka_positions=tuple(sorted(positions, key=lambda p: (p.topic, p.partition))),
    )

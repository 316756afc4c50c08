"""Russian labels of the passport's figures and breakdowns (identifiers stay English)."""

from __future__ import annotations

FIGURE_TITLES: dict[str, str] = {
    "educators": "Педагогические работники и управленческие кадры",
    "teachers": "Педагогические работники",
    "managers": "Управленческие кадры",
    "regional_methodists": "Региональные методисты",
    "tutors": "Тьюторы",
    "mentors": "Наставники",
    "cnppm_staff": "Сотрудники ЦНППМ",
    "cnppm_staff_trained": "Сотрудники ЦНППМ, обученные у федерального оператора",
    "cnppm_staff_trained_share": "Доля обученных сотрудников ЦНППМ",
    "implemented": "Реализуемые программы",
    "in_federal_register": "Программы в ФР ДПП",
    "federal_register_share": "Доля программ в ФР ДПП",
    "providers": "Организации — разработчики программ",
    "organizations": "Организации",
    "schools": "Общеобразовательные организации",
    "schools_low_results": "ШНОР (низкие образовательные результаты)",
    "schools_unfavourable_conditions": "ШНСУ (неблагоприятные социальные условия)",
    "municipalities": "Муниципальные образования",
    "management_teams": "Управленческие команды",
    "active_educators": "Работающие педагоги",
    "diagnosed": "Прошли диагностику",
    "diagnosed_share": "Доля прошедших диагностику",
    "with_routes": "С ИОМ",
    "completed_programs": "Освоили программы",
    "program_completions": "Завершений программ",
    "with_support_form": "В формах сопровождения",
    "items": "Мероприятий",
    "done": "Выполнено",
    "overdue": "Просрочено",
    "completion": "Доля выполненных",
    "total_rub": "Объём финансирования, руб.",
    "per_educator_rub": "На одного педагога, руб.",
    "correlation": "Коэффициент корреляции",
}

BREAKDOWN_TITLES: dict[str, str] = {
    "educators_by_qualification_category": "Педагоги по квалификационной категории",
    "implemented_by_topic": "Реализуемые программы по направлениям",
    "in_federal_register_by_topic": "Программы ФР ДПП по направлениям",
    "organizations_by_kind": "Организации по типам",
    "items_by_status": "Мероприятия по статусу",
}

VALUE_TITLES: dict[str, str] = {
    "none": "без категории",
    "first": "первая",
    "highest": "высшая",
    "subject": "предметные",
    "methodical": "методические",
    "psychological_pedagogical": "психолого-педагогические",
    "digital": "цифровые",
    "management": "управленческие",
    "education_quality_management": "управление качеством образования",
    "regional_authority": "орган управления образованием",
    "cnppm": "ЦНППМ",
    "institute": "ИРО / ИПК",
    "assessment_center": "центр оценки",
    "college": "колледж",
    "municipal_service": "муниципальная методическая служба",
    "school": "школа",
    "internship_site": "стажировочная площадка",
    "federal_operator": "федеральный оператор",
    "planned": "запланировано",
    "in_progress": "выполняется",
    "done": "выполнено",
    "cancelled": "отменено",
}

SHARE_FIGURES = {"cnppm_staff_trained_share", "federal_register_share", "diagnosed_share", "completion"}

"""Files for officials: the passport as an XLSX form (openpyxl), the analytical report as DOCX
(python-docx) and PDF (ReportLab with the DejaVu fonts the set-up installs)."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from docx import Document
from docx.shared import Pt
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

from contracts import PassportSnapshot
from services.portal.domain import formats
from services.portal.domain.labels import BREAKDOWN_TITLES, FIGURE_TITLES, SHARE_FIGURES, VALUE_TITLES
from services.portal.domain.report import Report
from services.portal.domain.views import region_values, section_keys, snapshot_table

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
SECTION_FILL = PatternFill("solid", fgColor="DCE6F1")


def passport_xlsx(snapshot: PassportSnapshot, region_name: str, titles: dict[str, str]) -> bytes:
    """The passport as a form: a title block, each section as label/value rows, the indicators table.
    Figures are numbers (shares formatted as percentages), so a spreadsheet can compute with them."""
    doc = snapshot.document
    book = Workbook()
    ws = book.active
    ws.title = "Паспорт"
    ws.column_dimensions["A"].width = 70
    for col in "BCDEF":
        ws.column_dimensions[col].width = 16
    ws.append([doc.title])
    ws.merge_cells("A1:F1")
    ws["A1"].font = Font(bold=True, size=13)
    ws["A1"].alignment = Alignment(wrap_text=True)
    ws.row_dimensions[1].height = 36
    ws.append(["Субъект Российской Федерации", region_name])
    ws.append(["По состоянию на", formats.day(snapshot.as_of)])
    ws.append(["Версия", snapshot.version])
    ws.append(["Идентификатор", snapshot.snapshot_id])
    ws.append([])
    for key in section_keys(doc):
        section = getattr(doc, key)
        ws.append([section.title])
        row = ws.max_row
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=6)
        ws.cell(row, 1).font = Font(bold=True)
        ws.cell(row, 1).fill = SECTION_FILL
        for name, value in section.figures.items():
            ws.append([FIGURE_TITLES.get(name, name), "нет данных" if value is None else value])
            cell = ws.cell(ws.max_row, 2)
            cell.border = BOX
            if name in SHARE_FIGURES and value is not None:
                cell.number_format = "0.0%"
        for name, counts in section.breakdown.items():
            ws.append([BREAKDOWN_TITLES.get(name, name)])
            ws.cell(ws.max_row, 1).font = Font(italic=True)
            for k, n in counts.items():
                ws.append(["    " + VALUE_TITLES.get(k, k), n])
        for item in section.items:
            ws.append(["    " + item])
        if section.note:
            ws.append([section.note])
            ws.cell(ws.max_row, 1).alignment = Alignment(wrap_text=True)
        ws.append([])
    ws.append(["Показатели эффективности"])
    ws.cell(ws.max_row, 1).font = Font(bold=True)
    ws.cell(ws.max_row, 1).fill = SECTION_FILL
    ws.append(["Показатель", "Код", "Числитель", "Знаменатель", "Значение", "Цель"])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for v in region_values(snapshot_table(snapshot)):
        ws.append([titles.get(v.indicator, v.indicator), v.indicator, v.numerator, v.denominator, v.value, v.target])
        if v.indicator != "E1":
            for column in (5, 6):
                ws.cell(ws.max_row, column).number_format = "0.0%"
        ws.cell(ws.max_row, 1).alignment = Alignment(wrap_text=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def report_docx(report: Report) -> bytes:
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(12)
    document.add_heading(report.title, level=0)
    document.add_paragraph(report.subtitle)
    for section in report.sections:
        document.add_heading(section.heading, level=1)
        for text in section.paragraphs:
            document.add_paragraph(text)
        for table in section.tables:
            grid = document.add_table(rows=1, cols=len(table.header))
            grid.style = "Table Grid"
            for cell, text in zip(grid.rows[0].cells, table.header, strict=True):
                cell.text = text
                for run in cell.paragraphs[0].runs:
                    run.bold = True
            for row in table.rows:
                for cell, text in zip(grid.add_row().cells, row, strict=True):
                    cell.text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@cache
def _fonts() -> tuple[str, str]:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
            pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
            return "DejaVuSans", "DejaVuSans-Bold"
    raise RuntimeError("DejaVu fonts not found: install fonts-dejavu-core (.ci/run does)")


def report_pdf(report: Report) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, TableStyle
    from reportlab.platypus import Table as PdfTable

    regular, bold = _fonts()
    body = ParagraphStyle("body", fontName=regular, fontSize=10, leading=13)
    cell = ParagraphStyle("cell", fontName=regular, fontSize=8, leading=10)
    heading = ParagraphStyle("h1", fontName=bold, fontSize=12, leading=16, spaceBefore=8, spaceAfter=4)
    title = ParagraphStyle("title", fontName=bold, fontSize=15, leading=19, spaceAfter=6)
    out = io.BytesIO()
    pdf = SimpleDocTemplate(out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, title=report.title)
    story = [Paragraph(report.title, title), Paragraph(report.subtitle, body), Spacer(1, 6)]
    for section in report.sections:
        story.append(Paragraph(section.heading, heading))
        for text in section.paragraphs:
            story.append(Paragraph(text, body))
        for table in section.tables:
            data = [[Paragraph(f"<b>{h}</b>", cell) for h in table.header]]
            data += [[Paragraph(c, cell) for c in row] for row in table.rows]
            width = pdf.width
            first = width * (0.42 if len(table.header) > 2 else 0.7)
            rest = (width - first) / max(1, len(table.header) - 1)
            grid = PdfTable(data, colWidths=[first] + [rest] * (len(table.header) - 1), repeatRows=1)
            grid.setStyle(
                TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DCE6F1")),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ]
                )
            )
            story.append(grid)
            story.append(Spacer(1, 6))
    pdf.build(story)
    return out.getvalue()

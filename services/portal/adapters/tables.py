"""Reading an uploaded CSV or XLSX list into rows keyed by the template's fields, and writing
any table (a header and rows of text) as CSV or XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from services.portal.domain.uploads import header_fields

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class UnreadableFile(ValueError):
    """The file is not a CSV or XLSX list the portal can read (reason in Russian)."""


def _cell(value: object) -> str:
    if value is None:
        return ""
    if hasattr(value, "strftime"):
        return str(value.strftime("%d.%m.%Y"))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_grid(filename: str, data: bytes) -> list[list[str]]:
    if len(data) > MAX_UPLOAD_BYTES:
        raise UnreadableFile("файл больше 10 МБ")
    if filename.lower().endswith(".xlsx"):
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 - any damage to the zip or the XML
            raise UnreadableFile("файл XLSX повреждён или не является книгой Excel") from None
        sheet = book.worksheets[0]
        return [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1251")
        except UnicodeDecodeError:
            raise UnreadableFile("кодировка файла не UTF-8 и не Windows-1251") from None
    delimiter = ";" if text.split("\n", 1)[0].count(";") >= text.split("\n", 1)[0].count(",") else ","
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def read_rows(kind: str, filename: str, data: bytes) -> list[dict[str, str]]:
    grid = [row for row in read_grid(filename, data) if any(c.strip() for c in row)]
    if not grid:
        raise UnreadableFile("файл пуст")
    mapping, missing = header_fields(kind, grid[0])
    if missing:
        raise UnreadableFile("в первой строке нет столбцов: " + ", ".join(missing) + " (скачайте шаблон)")
    return [{field: (row[i] if i < len(row) else "") for i, field in mapping.items()} for row in grid[1:]]


def csv_bytes(header: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    """CSV as Russian Excel opens it: UTF-8 with a BOM, semicolons."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(header)
    writer.writerows([[_cell(v) for v in row] for row in rows])
    return out.getvalue().encode("utf-8-sig")


def xlsx_bytes(title: str, header: Sequence[str], rows: Sequence[Sequence[object]], hints: Sequence[str] = ()) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
    for i, name in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = max(12, min(60, len(str(name)) + 4))
    if hints:
        notes = book.create_sheet("Пояснения")
        notes.append(["Столбец", "Как заполнять"])
        for name, hint in zip(header, hints, strict=False):
            notes.append([name, hint])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

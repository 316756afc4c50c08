"""Reading an uploaded CSV or XLSX list into rows keyed by the template's fields, and writing
any table (a header and rows of text) as CSV or XLSX.

An upload is hostile input: besides its size, a list may have at most `MAX_ROWS` rows (counted
as the sheet numbers them), only its first `MAX_COLUMNS` columns are read, and a workbook may
unpack to at most `MAX_XLSX_UNPACKED` bytes. A few kilobytes of XLSX that declare the sheet's
last cell (XFD1048576) otherwise make the reader pad every row to 16,384 cells and fill a
million rows: gigabytes of memory (tests/unit/test_portal_upload_limits.py)."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator, Sequence

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from services.portal.domain.formats import number
from services.portal.domain.uploads import header_fields

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
#: rows of a list including its header (a region's teachers in one file with room to spare)
MAX_ROWS = 100_000
#: the templates have a dozen or so columns; cells beyond these are never read
MAX_COLUMNS = 64
#: what the parts of an XLSX may declare unpacked, all together
MAX_XLSX_UNPACKED = 256 * 1024 * 1024
TOO_LARGE = "файл больше 10 МБ: разделите список на несколько файлов"
TOO_MANY_ROWS = f"в списке больше {number(MAX_ROWS)} строк: разделите его на несколько файлов"


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
        raise UnreadableFile(TOO_LARGE)
    if filename.lower().endswith(".xlsx"):
        return _bounded(_xlsx_rows(data))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1251")
        except UnicodeDecodeError:
            raise UnreadableFile("кодировка файла не UTF-8 и не Windows-1251") from None
    delimiter = ";" if text.split("\n", 1)[0].count(";") >= text.split("\n", 1)[0].count(",") else ","
    try:
        return _bounded(row[:MAX_COLUMNS] for row in csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error:
        raise UnreadableFile("файл CSV повреждён (например, кавычка не закрыта)") from None


def _bounded(rows: Iterator[list[str]]) -> list[list[str]]:
    grid = []
    for n, row in enumerate(rows, start=1):
        if n > MAX_ROWS:
            raise UnreadableFile(TOO_MANY_ROWS)
        grid.append(row)
    return grid


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            unpacked = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, ValueError):
        raise UnreadableFile("файл XLSX повреждён или не является книгой Excel") from None
    if unpacked > MAX_XLSX_UNPACKED:
        raise UnreadableFile("книга Excel после распаковки больше 256 МБ: разделите список на несколько файлов")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        # the sheet's declared size is not trusted: rows are read as wide as they are, up to MAX_COLUMNS
        sheet.reset_dimensions()
        for row in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
            width = len(row)
            while width and row[width - 1] is None:
                width -= 1
            yield [_cell(v) for v in row[:width]]
    except UnreadableFile:
        raise
    except Exception:  # noqa: BLE001 - any damage to the zip or the XML
        raise UnreadableFile("файл XLSX повреждён или не является книгой Excel") from None


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

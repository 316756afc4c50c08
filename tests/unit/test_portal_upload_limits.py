"""Hostile uploads to the portal: a few kilobytes of XLSX that declare the sheet's last cell, a
workbook that unpacks to gigabytes, more rows than a list can have, a CSV field over the reader's
limit, a body over 10 MB. Each gets a Russian reason on the upload page and none of them makes
the portal fill its memory; the refused rows it keeps for downloading stay bounded too."""

from __future__ import annotations

import io
import re
import tracemalloc
import zipfile

import pytest
from openpyxl import Workbook
from starlette.testclient import TestClient

from services.portal.adapters import tables
from services.portal.adapters.tables import MAX_ROWS, UnreadableFile, read_grid, read_rows
from services.portal.domain.uploads import Checked
from services.portal.entrypoints.web import RecentUploads
from tests.support import portal as support
from tests.support.portal import PASSWORD

HEADER = (
    "СНИЛС;Роль;Код организации;Код муниципалитета;Год рождения;Начало педагогического стажа;Дата включения в реестр"
)


def workbook(*rows: list[str], extra: str = "", dimension: str | None = None) -> bytes:
    """An XLSX of `rows`; `extra` is raw sheet XML added at the end of its data, `dimension` the
    sheet's declared range."""
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buf = io.BytesIO()
    book.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                xml = data.decode()
                if dimension:
                    xml = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="{dimension}"/>', xml)
                data = xml.replace("</sheetData>", extra + "</sheetData>").encode()
            dst.writestr(item, data)
    return out.getvalue()


def test_an_xlsx_that_declares_the_last_cell_is_refused_without_filling_memory() -> None:
    bomb = workbook(
        ["СНИЛС"],
        dimension="A1:XFD1048576",
        extra='<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>z</t></is></c></row>',
    )
    assert len(bomb) < 10_000
    tracemalloc.start()
    try:
        with pytest.raises(UnreadableFile, match="больше 100\u00a0000 строк"):
            read_grid("spisok.xlsx", bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 100 * 1024 * 1024  # before: past 3 GB, 35 s


def test_cells_beyond_the_columns_read_are_left_out() -> None:
    row = ["112-233-445 95", "педагог", "sch-1", "mun-01", "1990", "01.09.2015", "01.09.2024"]
    data = workbook(
        HEADER.split(";"),
        row,
        dimension="A1:XFD2",
        extra='<row r="3"><c r="XFD3" t="inlineStr"><is><t>z</t></is></c></row>',
    )
    grid = read_grid("spisok.xlsx", data)
    assert [len(r) for r in grid] == [7, 7, 0]  # the cell at XFD3 is beyond what is read
    assert read_rows("educators", "spisok.xlsx", data)[0]["snils"] == row[0]


def test_a_workbook_that_unpacks_too_large_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            block = b" " * (1024 * 1024)
            for _ in range(tables.MAX_XLSX_UNPACKED // len(block) + 1):
                sheet.write(block)
    assert len(out.getvalue()) < tables.MAX_UPLOAD_BYTES
    with pytest.raises(UnreadableFile, match="после распаковки больше 256 МБ"):
        read_grid("spisok.xlsx", out.getvalue())


def test_a_csv_with_more_rows_than_a_list_may_have_is_refused() -> None:
    data = "\n".join([HEADER] + ["112-233-445 95;педагог"] * MAX_ROWS).encode()
    with pytest.raises(UnreadableFile, match="больше 100\u00a0000 строк"):
        read_grid("spisok.csv", data)
    assert len(read_grid("spisok.csv", "\n".join([HEADER] + ["x"] * (MAX_ROWS - 1)).encode())) == MAX_ROWS


def test_a_csv_field_over_the_readers_limit_is_a_reason_not_a_crash() -> None:
    data = (HEADER + '\n"' + "1" * 200_000 + '";педагог\n').encode()
    with pytest.raises(UnreadableFile, match="CSV повреждён"):
        read_grid("spisok.csv", data)


def signed_in() -> tuple[TestClient, str]:
    c = TestClient(support.portal())
    page = c.get("/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    c.post("/login", data={"login": "region", "password": PASSWORD, "csrf": token, "next": "/"})
    upload = c.get("/region/RU-YEV/uploads").text
    return c, re.search(r'name="csrf" value="([^"]+)"', upload).group(1)  # type: ignore[union-attr]


def test_the_upload_page_gives_the_reasons() -> None:
    c, token = signed_in()
    bomb = workbook(["СНИЛС"], extra='<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>z</t></is></c></row>')
    response = c.post(
        "/region/RU-YEV/uploads", data={"kind": "educators", "csrf": token}, files={"file": ("spisok.xlsx", bomb)}
    )
    assert response.status_code == 400 and "больше 100\u00a0000 строк" in response.text

    big = b"x" * (tables.MAX_UPLOAD_BYTES + 1)
    response = c.post(
        "/region/RU-YEV/uploads", data={"kind": "educators", "csrf": token}, files={"file": ("spisok.csv", big)}
    )
    assert response.status_code == 413 and "больше 10 МБ" in response.text


def test_a_long_report_shows_the_first_thousand_reasons_and_the_file_has_all() -> None:
    c, token = signed_in()
    bad = [f"112-233-445 96;педагог;sch-1;mun-01;1990;01.09.2015;01.09.2024 {n}" for n in range(1_500)]
    data = ("\n".join([HEADER, *bad]) + "\n").encode()
    response = c.post(
        "/region/RU-YEV/uploads", data={"kind": "educators", "csrf": token}, files={"file": ("spisok.csv", data)}
    )
    assert response.status_code == 200 and 'id="refused">1\u00a0500<' in response.text
    assert response.text.count('<td class="n">') == 1_000 and 'id="more-refusals"' in response.text
    link = re.search(r'href="(/uploads/[^"]+\.csv)"', response.text).group(1)  # type: ignore[union-attr]
    assert c.get(link).content.decode("utf-8-sig").count("\n") == 1 + 1_500


def checked(refused: int) -> Checked:
    return Checked(events=("event",) * 3, refusals=(), refused_rows=({"СНИЛС": "x"},) * refused, rows=refused + 3)  # type: ignore[arg-type]


def test_the_refused_rows_kept_for_downloading_are_bounded() -> None:
    recent = RecentUploads(keep=10, max_rows=5)
    first = recent.put("a", "educators", checked(2))
    second = recent.put("a", "educators", checked(2))
    third = recent.put("a", "educators", checked(2))
    assert recent.get("a", first) is None  # the oldest went to keep 5 rows at most
    assert recent.get("a", second) is not None and recent.get("a", third) is not None
    assert recent.get("b", third) is None  # only for the person who uploaded
    assert recent.get("a", third)[1].events == ()  # type: ignore[index]
    huge = recent.put("a", "educators", checked(50))
    assert recent.get("a", huge) is not None and recent.get("a", third) is None  # the newest stays

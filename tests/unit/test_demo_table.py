"""The live table of `make run` redraws itself in place and keeps what was printed above it
(the services' addresses, where the passport snapshot is) on the screen."""

from __future__ import annotations

import io

from demo.platform import LiveTable, render


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_table_redraws_below_the_lines_printed_before_it_without_clearing_the_screen():
    out = Terminal()
    out.write("demo: passport snapshot RU-YEV:1 ...\n")
    live = LiveTable(out)
    live.show("table\nrow 1\nrow 2")
    live.show("table\nrow 1\nrow 2 changed")
    written = out.getvalue()
    assert "\033[2J" not in written and "\033[H" not in written  # never clears the whole screen
    assert written.startswith("demo: passport snapshot")
    assert written.count("\033[3F\033[J") == 1  # back up over exactly the 3 lines of the last table


def test_piped_output_gets_no_escape_codes():
    out = io.StringIO()
    live = LiveTable(out)
    live.show("a\nb")
    live.show("a\nc")
    assert "\033" not in out.getvalue() and out.getvalue() == "a\nb\na\nc\n"


def test_the_table_reads_in_russian_number_and_date_formats():
    table = {
        "region": "RU-YEV",
        "as_of": "2026-12-05",
        "values": [
            {
                "scope_kind": "region",
                "indicator": "I1",
                "numerator": 1440,
                "denominator": 12148,
                "value": 0.1186,
                "target": 0.2,
                "target_met": False,
            },
            {
                "scope_kind": "region",
                "indicator": "E1",
                "numerator": 1658,
                "denominator": 5,
                "value": 331.6,
                "target": 250,
                "target_met": False,
                "extra": {"max_load": 1503, "without_methodist": 351},
            },
            {
                "scope_kind": "municipality",
                "scope_id": "m1",
                "indicator": "I1",
                "numerator": 1,
                "denominator": 2,
                "value": 0.5,
            },
        ],
    }
    text = render(table).replace("\u00a0", " ")
    assert "на 05.12.2026" in text
    i1 = next(line for line in text.splitlines() if line.startswith("I1"))
    assert "1 440" in i1 and "12 148" in i1 and "11,9 %" in i1 and "20 %" in i1 and "не выполнено" in i1
    e1 = next(line for line in text.splitlines() if line.startswith("E1"))
    assert "331,6" in e1 and "≤250" in e1 and "макс. нагрузка 1 503" in e1 and "без методиста 351" in e1
    assert "." not in i1.split("  ")[-1] and "%" not in e1

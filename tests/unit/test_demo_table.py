"""The live table of `make run` redraws itself in place and keeps what was printed above it
(the services' addresses, where the passport snapshot is) on the screen."""

from __future__ import annotations

import io

from demo.platform import LiveTable


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

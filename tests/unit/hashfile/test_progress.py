"""Progress: a bar on a terminal, periodic lines elsewhere, silence with --quiet."""

from __future__ import annotations

import io

from leadloop_cli.hashfile.progress import Progress


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _run(progress: Progress, clock: _Clock, rows: int, seconds_per_row: float) -> None:
    done = {"bytes": 0}
    progress.start(2_000_000, lambda: done["bytes"])
    for row in range(1, rows + 1):
        clock.now += seconds_per_row
        done["bytes"] = row * 100
        progress.tick(row)
    progress.finish(rows)


def test_lines_mode_writes_a_plain_line_per_interval():
    stream, clock = io.StringIO(), _Clock()
    _run(Progress(stream, "lines", clock=clock, interval=10.0), clock, 20_000, 0.001)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1  # 20 s of work, one line at ~10 s; the report covers the end
    assert lines[0].startswith("leadloop hash: 10,240 rows, 1.0 MB of 2.0 MB (51%), 1,000 rows/s")


def test_bar_mode_redraws_in_place_and_ends_the_line():
    stream, clock = _Tty(), _Clock()
    progress = Progress.for_stream(stream)
    assert progress.mode == "bar"
    progress._clock = clock
    _run(progress, clock, 20_000, 0.0001)
    text = stream.getvalue()
    assert text.count("\r") >= 2 and text.endswith("\n") and text.count("\n") == 1
    last = text.rstrip("\n").rsplit("\r", 1)[1]
    assert last.startswith("100% [") and "20,000 rows" in last and "2.0 MB of 2.0 MB" in last


def test_unknown_total_shows_rows_only():
    stream, clock = _Tty(), _Clock()
    progress = Progress(stream, "bar", clock=clock)
    progress.start(None, lambda: None)
    clock.now += 1
    progress.finish(5)
    assert stream.getvalue() == "\r5 rows  5 rows/s\n"


def test_quiet_and_non_tty_choices():
    assert Progress.for_stream(io.StringIO()).mode == "lines"
    stream = _Tty()
    progress = Progress.for_stream(stream, quiet=True)
    clock = _Clock()
    progress._clock = clock
    _run(progress, clock, 5000, 1.0)
    assert progress.mode == "off" and stream.getvalue() == ""

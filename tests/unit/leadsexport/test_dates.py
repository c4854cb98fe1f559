"""--since/--until: dates are UTC midnights, times need an offset, since inclusive and until exclusive."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leadloop_cli.leadsexport.dates import Window, parse_instant, parse_window
from leadloop_cli.leadsexport.errors import ExportError

NOV_1 = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp())


def test_a_bare_date_is_midnight_utc():
    assert parse_instant("2026-11-01", option="--since") == NOV_1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-01T00:00:00Z", NOV_1),
        ("2026-11-01T02:00:00+02:00", NOV_1),
        ("2026-10-31T19:00:00-05:00", NOV_1),
        ("2026-11-01T09:30:00+0930", NOV_1),
        ("2026-11-01T00:00:00.000+00:00", NOV_1),
    ],
)
def test_a_time_with_an_offset_is_that_instant(text: str, expected: int):
    assert parse_instant(text, option="--since") == expected


def test_a_fraction_rounds_up_because_created_time_is_whole_seconds():
    # created_time >= 10.5 and created_time < 10.5 are, for whole seconds, >= 11 and < 11
    assert parse_instant("2026-11-01T00:00:00.5Z", option="--until") == NOV_1 + 1


def test_a_time_without_an_offset_is_refused_rather_than_guessed():
    with pytest.raises(ExportError, match=r"--until '2026-11-01T10:00:00' has no UTC offset"):
        parse_instant("2026-11-01T10:00:00", option="--until")


@pytest.mark.parametrize("text", ["yesterday", "2026-13-01", "01/11/2026", "2026-11-31", ""])
def test_what_is_not_a_date_is_refused_with_the_option_named(text: str):
    with pytest.raises(ExportError, match=r"^--since .* is neither a date"):
        parse_instant(text, option="--since")


def test_the_window_must_not_be_empty():
    with pytest.raises(ExportError, match="--since must be before --until"):
        parse_window("2026-11-02", "2026-11-01")
    with pytest.raises(ExportError, match="--since must be before --until"):
        parse_window("2026-11-01", "2026-11-01T00:00:00Z")


def test_one_day_is_a_between_on_whole_seconds():
    window = parse_window("2026-11-01", "2026-11-02")
    assert window == Window(NOV_1, NOV_1 + 86400)
    condition, values = window.key_condition()
    assert condition == "#t BETWEEN :since AND :last"
    assert values == {":since": NOV_1, ":last": NOV_1 + 86399}


def test_open_bounds():
    assert Window(NOV_1, None).key_condition() == ("#t >= :since", {":since": NOV_1})
    assert Window(None, NOV_1).key_condition() == ("#t < :until", {":until": NOV_1})
    assert Window().key_condition() == ("", {})
    assert parse_window(None, None) == Window()

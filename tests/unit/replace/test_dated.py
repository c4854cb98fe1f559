"""Dated CSV keys: the tokens, their values for a day, and the day a run falls on in a timezone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from leadloop.dated import has_tokens, local_date, resolve_key, timezone, unknown_tokens


def test_every_token_becomes_its_part_of_the_day():
    key = "exports/{yyyy}/crm-{yy}{mm}{dd}-{yyyy}-{mm}-{dd}.csv"
    assert resolve_key(key, date(2026, 1, 3)) == "exports/2026/crm-260103-2026-01-03.csv"


def test_a_key_without_tokens_is_left_alone():
    assert not has_tokens("sources/crm.csv")
    assert resolve_key("sources/crm.csv", date(2026, 1, 3)) == "sources/crm.csv"


@pytest.mark.parametrize(
    ("key", "bad"),
    [
        ("crm-{day}.csv", ["{day}"]),
        ("crm-{YYYY}.csv", ["{YYYY}"]),
        ("crm-{dd.csv", ["an unmatched brace"]),
        ("crm-dd}.csv", ["an unmatched brace"]),
        ("crm-{}.csv", ["{}"]),
    ],
)
def test_anything_else_in_braces_is_refused(key: str, bad: list[str]):
    assert unknown_tokens(key) == bad


def test_the_day_is_the_one_in_the_schedules_timezone():
    late_utc = datetime(2026, 11, 3, 23, 30, tzinfo=UTC)
    assert local_date(late_utc, timezone("UTC")) == date(2026, 11, 3)
    assert local_date(late_utc, timezone("Europe/Paris")) == date(2026, 11, 4)
    assert local_date(datetime(2026, 11, 4, 2, 30, tzinfo=UTC), timezone("America/Los_Angeles")) == date(2026, 11, 3)


def test_an_unknown_timezone_is_refused_by_name():
    with pytest.raises(ValueError, match="Mars/Olympus"):
        timezone("Mars/Olympus")
    with pytest.raises(ValueError, match="unknown timezone"):
        timezone("../etc/passwd")

"""split_date: the formats it reads, and what it refuses."""

from datetime import UTC, datetime, timedelta

import pytest

from leadloop.audience import split_date

APRIL_9 = ("1987", "04", "09")


@pytest.mark.parametrize(
    "text",
    ["1987-04-09", "1987/4/9", "1987.04.09", "19870409", "1987-04-09T00:00:00Z", "1987-04-09 00:00", "04/09/1987",
     "4/9/1987", "04-09-1987", "04/09/87", "09.04.1987", "9.4.87", "April 9, 1987", "Apr 9 1987", "9 April 1987",
     "9-Apr-1987", "Thursday, April 9, 1987", "april 9th, 1987", " 1987-04-09 "],
)  # fmt: skip
def test_common_formats(text):
    assert split_date(text) == APRIL_9


@pytest.mark.parametrize(
    ("text", "expected"),
    [("25/12/1987", ("1987", "12", "25")), ("12/25/1987", ("1987", "12", "25")), ("29.02.2000", ("2000", "02", "29"))],
)
def test_day_first_only_when_the_first_number_cannot_be_a_month_or_with_dots(text, expected):
    assert split_date(text) == expected


@pytest.mark.parametrize(
    "text",
    ["02/30/1987", "13/13/1987", "1899-12-31", "1987-13-01", "April 1987", "9 April", "April May 9 1987",
     "1987", "04/09", "31.02.1990", "yesterday", "", "1987-04-09-01", "04/09-1987", "04/09/987"],
)  # fmt: skip
def test_refused(text):
    assert split_date(text) is None


def test_future_dates_are_refused():
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    assert split_date(tomorrow.isoformat()) is None


def test_non_text_is_refused():
    assert split_date(19870409) is None  # type: ignore[arg-type]

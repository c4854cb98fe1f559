"""What reaches a rule: clean text from any input, or a reason."""

from decimal import Decimal

import pytest

from leadloop.audience import normalize_cell
from leadloop.audience.reasons import MAX_INPUT_CHARS
from leadloop.audience.text import prepare


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  Mary\t", "Mary"),
        ("Ma\u200bry\ufeff", "Mary"),  # zero-width space and BOM removed
        ("Mary\u00a0Ann", "Mary Ann"),  # no-break space is a space
        ("Jose\u0301", "José"),  # NFC
        ("a\x00b", "ab"),
        ("\ud800x", "x"),  # a lone surrogate cannot be UTF-8
        (15559876543, "15559876543"),
        (94025.0, "94025"),
        (44.5, "44.5"),
        (Decimal("140.00"), "140"),
        (b"caf\xc3\xa9", "café"),
    ],
)
def test_prepare_cleans(value, expected):
    assert prepare(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "empty"), ("", "empty"), ("  \t ", "empty"), ("\u200b", "empty"), ("NULL", "empty"), ("None", "empty"),
        ("#N/A", "empty"), (True, "invalid_value"), (float("nan"), "invalid_value"), (b"\xff", "invalid_value"),
        (["x"], "invalid_value"), (object(), "invalid_value"), ("x" * (MAX_INPUT_CHARS + 1), "too_long"),
        pytest.param(10**5000, "too_long", id="huge-int"),
    ],
)  # fmt: skip
def test_prepare_refuses_with_a_reason(value, reason):
    assert normalize_cell("FN", value).reason == reason


def test_placeholder_words_that_are_names_are_kept():
    assert normalize_cell("FN", "Nan").value == "nan"
    assert normalize_cell("FN", "Nil").value == "nil"


def test_a_normalized_value_equal_to_a_placeholder_is_empty():
    assert normalize_cell("FN", "N.ull").reason == "empty"

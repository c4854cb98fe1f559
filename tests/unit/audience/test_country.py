"""COUNTRY and the country hint: codes and names are countries, numbers never are."""

import pytest

from leadloop.audience import hash_record, hash_row, normalize, normalize_cell, sha256_hex


@pytest.mark.parametrize("value", ["12", "012", "840", "826", "1", "0", " 276 ", "１２", 12, 840.0])
def test_a_number_is_refused_with_a_reason_even_an_iso_numeric_code(value):
    assert normalize_cell("COUNTRY", value) == (None, "invalid_country")


@pytest.mark.parametrize(
    ("value", "code"),
    [("DZ", "dz"), ("dza", "dz"), ("Algeria", "dz"), ("GBR", "gb"), ("United Kingdom", "gb"), ("U.S.A.", "us")],
)
def test_alpha_2_alpha_3_and_names_are_accepted(value, code):
    assert normalize("COUNTRY", value) == code


def test_a_number_in_the_country_column_is_a_rejected_cell_and_no_hint():
    row = hash_row({"COUNTRY": "44", "PHONE": "020 7946 0958"}, ["PHONE", "COUNTRY"])
    assert row.cells == ["", ""]  # without a country the national number has no calling code
    assert row.rejected == [("PHONE", "invalid_phone"), ("COUNTRY", "invalid_country")]


def test_a_number_as_the_row_country_falls_back_to_the_default_country():
    cells = hash_record({"COUNTRY": "826", "PHONE": "020 7946 0958"}, ["PHONE"], default_country="GB")
    assert cells == [sha256_hex("442079460958")]


def test_a_number_is_no_hint_for_normalize():
    assert normalize("ZIP", "94025-1234", country="840") == "94025"  # read as US-shaped without a hint
    assert normalize("ST", "Ontario", country="840") == "ontario"

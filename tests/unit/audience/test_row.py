"""hash_row / hash_record: cell order, blanks, rejections, the country hint, declared pre-hashed keys."""

import hashlib

import pytest

from leadloop.audience import clear_caches, hash_record, hash_row, payload_cell, sha256_hex

EMPTY = hashlib.sha256(b"").hexdigest()
MARY = "f1904cf1a9d73a55fa5de0ac823c4403ded71afd4c3248d00bdcd0866552bb79"
PHONE_VECTOR = "1ef970831d7963307784fa8688e8fce101a15685d62aa765fed23f3a2c576a4e"


def test_cells_follow_the_schema_and_missing_or_empty_cells_are_blank_not_rejected():
    record = {"EMAIL": "Mary@Example.com", "FN": "", "LN": "   ", "CT": "NULL", "EXTERN_ID": "A-1"}
    row = hash_row(record, ["EXTERN_ID", "FN", "EMAIL", "PHONE", "LN", "CT"])
    assert row.cells == ["A-1", "", MARY, "", "", ""]
    assert row.rejected == []
    assert EMPTY not in row.cells


def test_invalid_cells_are_blank_and_rejected_with_their_reason_never_the_value():
    row = hash_row({"EMAIL": "mary@", "PHONE": "12", "GEN": "other", "FN": "Mary"}, ["EMAIL", "PHONE", "GEN", "FN"])
    assert row.cells[:3] == ["", "", ""]
    assert row.cells[3] == sha256_hex("mary")
    assert row.rejected == [("EMAIL", "invalid_email"), ("PHONE", "invalid_phone"), ("GEN", "invalid_gender")]


def test_hash_record_is_hash_row_cells():
    record = {"EMAIL": "x@example.com", "PHONE": "+1 650 253 0000", "ZIP": "94025-1234", "COUNTRY": "US"}
    schema = ["EMAIL", "PHONE", "ZIP", "COUNTRY", "MADID"]
    assert hash_record(record, schema, default_country="GB") == hash_row(record, schema, default_country="GB").cells


@pytest.mark.parametrize(
    ("record", "default_country", "expected_phone"),
    [
        ({"PHONE": "020 7946 0958", "COUNTRY": "United Kingdom"}, "US", "442079460958"),  # the row's country wins
        ({"PHONE": "020 7946 0958"}, "GB", "442079460958"),  # else the default country
        ({"PHONE": "020 7946 0958", "COUNTRY": "Narnia"}, "gb", "442079460958"),  # an unknown country is no hint
        ({"PHONE": "(555) 987-6543", "COUNTRY": "us"}, None, "15559876543"),
        ({"PHONE": "(555) 987-6543"}, None, ""),  # no country at all: the calling code is unknown
    ],
)
def test_the_row_country_is_the_hint_for_phone(record, default_country, expected_phone):
    cells = hash_record(record, ["PHONE"], default_country=default_country)
    assert cells == [sha256_hex(expected_phone) if expected_phone else ""]


def test_the_hint_also_applies_to_state_and_zip_even_when_country_is_not_in_the_schema():
    us = hash_record({"ST": "California", "ZIP": "94025 1234", "COUNTRY": "USA"}, ["ST", "ZIP"])
    assert us == [sha256_hex("ca"), sha256_hex("94025")]
    mx = hash_record({"ST": "California", "ZIP": "94025 1234", "COUNTRY": "Mexico"}, ["ST", "ZIP"])
    assert mx == [sha256_hex("california"), sha256_hex("940251234")]


def test_schema_keys_are_matched_case_insensitively_and_unknown_keys_give_blank_cells():
    row = hash_row(
        {"email": "mary@example.com", "FAVOURITE_COLOR": "blue", "NOTHING": ""}, ["email", "FAVOURITE_COLOR", "NOTHING"]
    )
    assert row.cells == [MARY, "", ""]
    assert row.rejected == [("FAVOURITE_COLOR", "unknown_key")]


def test_declared_prehashed_keys_pass_lowercased_digests_and_refuse_anything_else():
    digest = sha256_hex("mary@example.com")
    record = {"EMAIL": f" {digest.upper()} ", "PHONE": "+1 650 253 0000", "FN": EMPTY, "LN": ""}
    row = hash_row(record, ["EMAIL", "PHONE", "FN", "LN"], prehashed={"EMAIL", "PHONE", "FN", "LN"})
    assert row.cells == [digest, "", "", ""]
    assert row.rejected == [("PHONE", "not_hashed_input"), ("FN", "hash_of_empty")]


def test_undeclared_digests_are_values_like_any_other_never_passed_through():
    digest = sha256_hex("mary@example.com")
    row = hash_row({"EMAIL": digest, "FN": "Mary"}, ["EMAIL", "FN"])
    assert row.cells[0] == ""
    assert row.rejected == [("EMAIL", "invalid_email")]


def test_prehashed_is_ignored_for_keys_that_are_never_hashed():
    row = hash_row({"EXTERN_ID": "Crm-42"}, ["EXTERN_ID"], prehashed=["EXTERN_ID"])
    assert row.cells == ["Crm-42"]


def test_unhashed_keys_carry_their_values_and_ldu_cells_convert_for_the_payload():
    schema = ["MADID", "PAGEUID", "LOOKALIKE_VALUE", "DATA_PROCESSING_OPTIONS",
              "DATA_PROCESSING_OPTIONS_COUNTRY", "DATA_PROCESSING_OPTIONS_STATE"]  # fmt: skip
    record = {"MADID": "AB12CD34-EF56-AB12-CD34-EF56AB12CD34", "PAGEUID": 1234567890, "LOOKALIKE_VALUE": "44.50",
              "DATA_PROCESSING_OPTIONS": ["LDU"], "DATA_PROCESSING_OPTIONS_COUNTRY": "US",
              "DATA_PROCESSING_OPTIONS_STATE": "California"}  # fmt: skip
    cells = hash_record(record, schema)
    assert cells == ["ab12cd34-ef56-ab12-cd34-ef56ab12cd34", "1234567890", "44.5", '["LDU"]', "1", "1000"]
    payload = [payload_cell(key, cell) for key, cell in zip(schema, cells, strict=True)]
    assert payload == ["ab12cd34-ef56-ab12-cd34-ef56ab12cd34", "1234567890", 44.5, ["LDU"], 1, 1000]


def test_cached_cells_do_not_leak_between_hints_and_survive_clearing():
    first = hash_record({"ST": "CA", "COUNTRY": "US"}, ["ST"])
    other = hash_record({"ST": "CA", "COUNTRY": "Canada"}, ["ST"])
    assert first == [sha256_hex("ca")] == other  # same letters, by two different rules
    assert hash_record({"ST": "Ontario", "COUNTRY": "US"}, ["ST"]) == [""]
    assert hash_record({"ST": "Ontario", "COUNTRY": "CA"}, ["ST"]) == [sha256_hex("ontario")]
    clear_caches()
    assert hash_record({"ST": "CA", "COUNTRY": "US"}, ["ST"]) == first


def test_the_published_vectors_in_one_row():
    cells = hash_record({"EMAIL": "mary@example.com", "PHONE": "15559876543", "COUNTRY": "US"}, ["EMAIL", "PHONE"])
    assert cells == [MARY, PHONE_VECTOR]


def test_a_schema_given_as_one_string_is_one_key():
    assert hash_record({"EMAIL": "mary@example.com"}, "EMAIL") == [MARY]

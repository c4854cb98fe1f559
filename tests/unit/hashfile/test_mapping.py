"""Column → schema key resolution: names, aliases, --map, and errors that never echo values."""

from __future__ import annotations

import pytest

from leadloop_cli.hashfile.errors import HashFileError
from leadloop_cli.hashfile.mapping import (
    canonical_name,
    parse_key_list,
    parse_map_argument,
    parse_schema,
    resolve_columns,
)

from .fakes import KNOWN_KEYS


def test_canonical_name_folds_case_and_punctuation():
    assert canonical_name(" E-Mail Address ") == "e_mail_address"
    assert canonical_name("\ufeffZip/Postal Code") == "zip_postal_code"
    assert canonical_name("Phone #") == "phone"


def test_common_aliases_and_key_names_match():
    header = ["Id", "E-mail", "Phone Number", "First Name", "last_name", "Zip/Postal Code", "ct", "Country"]
    schema = ("EMAIL", "PHONE", "FN", "LN", "ZIP", "CT", "COUNTRY")
    columns = resolve_columns(header, schema)
    assert columns.indexes == (1, 2, 3, 4, 5, 6, 7)
    assert columns.as_dict()["ZIP"] == "Zip/Postal Code"


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("email", "EMAIL"),
        ("mobile", "PHONE"),
        ("phone_number", "PHONE"),
        ("firstname", "FN"),
        ("Surname", "LN"),
        ("province", "ST"),
        ("post_code", "ZIP"),
        ("postal_code", "ZIP"),
        ("gender", "GEN"),
        ("madid", "MADID"),
        ("EXTERN_ID", "EXTERN_ID"),
    ],
)
def test_alias_table(name, key):
    assert resolve_columns(["x", name], (key,)).indexes == (1,)


def test_map_overrides_an_alias_and_extends_unknown_names():
    header = ["email", "work_email", "Handy"]
    columns = resolve_columns(header, ("EMAIL", "PHONE"), [("work_email", "EMAIL"), ("Handy", "PHONE")])
    assert columns.indexes == (1, 2)


def test_map_column_matches_loosely_when_not_exact():
    assert resolve_columns(["Mobile Phone"], ("PHONE",), [("mobile-phone", "PHONE")]).indexes == (0,)


def test_one_column_may_feed_two_keys():
    assert resolve_columns(["first_name"], ("FN", "FI"), [("first_name", "FI")]).indexes == (0, 0)


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ([("nope", "EMAIL")], "'nope' is not in the header"),
        ([("email", "PHONE")], "PHONE is not in --schema"),
        ([("email", "EMAIL"), ("other", "EMAIL")], "more than one column for EMAIL"),
    ],
)
def test_bad_map_is_an_error(overrides, fragment):
    with pytest.raises(HashFileError, match=fragment):
        resolve_columns(["email", "other"], ("EMAIL",), overrides)


def test_duplicate_header_for_a_mapped_column_is_an_error():
    with pytest.raises(HashFileError, match="appears 2 times"):
        resolve_columns(["email", "email"], ("EMAIL",), [("email", "EMAIL")])


def test_ambiguous_automatic_match_asks_for_map():
    with pytest.raises(HashFileError, match=r"PHONE matches several columns.*--map COLUMN=PHONE"):
        resolve_columns(["phone", "mobile"], ("PHONE",))


def test_missing_key_error_names_keys_not_header_values():
    # A file without a header: its first data row becomes the "header". Never echo it.
    header = ["jane.doe@example.com", "+1 555 123 4567", "Jane"]
    with pytest.raises(HashFileError) as info:
        resolve_columns(header, ("EMAIL", "PHONE"))
    message = str(info.value)
    assert "EMAIL, PHONE" in message and "3 column(s)" in message and "--map" in message
    assert not any(value in message for value in header)
    assert "jane" not in message.lower()


def test_missing_key_hints_at_delimiter_and_encoding():
    with pytest.raises(HashFileError, match="--delimiter"):
        resolve_columns(["email;phone"], ("EMAIL",))
    with pytest.raises(HashFileError, match="--encoding"):
        resolve_columns(["Stra\udcdfe"], ("CT",))


def test_parse_schema():
    assert parse_schema(" email, Phone ,fn", KNOWN_KEYS) == ("EMAIL", "PHONE", "FN")
    with pytest.raises(HashFileError, match="unknown key"):
        parse_schema("EMAIL,DOB", KNOWN_KEYS)
    with pytest.raises(HashFileError, match="repeats key"):
        parse_schema("EMAIL,email", KNOWN_KEYS)
    with pytest.raises(HashFileError, match="empty"):
        parse_schema(" , ", KNOWN_KEYS)


def test_parse_key_list_and_map_argument():
    assert parse_key_list("", "--prehashed") == ()
    assert parse_map_argument("a=b = phone") == ("a=b", "PHONE")
    with pytest.raises(HashFileError, match="COLUMN=KEY"):
        parse_map_argument("email")
    with pytest.raises(HashFileError, match="COLUMN=KEY"):
        parse_map_argument("=EMAIL")


def test_country_column_is_a_hint_when_country_is_not_sent():
    columns = resolve_columns(["phone", "Country"], ("PHONE",))
    assert (columns.hint_index, columns.hint_column) == (1, "Country")
    assert resolve_columns(["phone", "Land"], ("PHONE",), [("Land", "COUNTRY")]).hint_index == 1
    assert resolve_columns(["phone", "country"], ("PHONE", "COUNTRY")).hint_index is None
    assert resolve_columns(["phone", "country", "country_code"], ("PHONE",)).hint_index is None

"""Properties that hold for every input: never raises, idempotent, only valid digests in rows."""

import re

import phonenumbers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadloop.audience import (
    HASHED_KEYS,
    REASONS,
    SCHEMA_KEYS,
    UNHASHED_KEYS,
    hash_record,
    hash_row,
    normalize,
    normalize_cell,
    sha256_hex,
)
from leadloop.audience.country import country_hint
from leadloop.audience.dispatch import normalize_cell_unchecked
from leadloop.audience.email import fast_email
from leadloop.audience.phone import fast_phone

EMPTY_SHA256 = sha256_hex("")
HEX64 = re.compile(r"[0-9a-f]{64}")
KEYS = sorted(SCHEMA_KEYS)
COUNTRIES = [None, "us", "US", "gb", "de", "fr", "ca", "au", "in", "br", "jp", "it", "pr", "xx", "United Kingdom", ""]
PROFILE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Everything a caller might pass: any text (control characters, lone surrogates, emoji, mixed
# scripts), text shaped like the values of each key, numbers of every kind, and non-text objects.
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
shaped_text = st.sampled_from(
    [
        " Mary@Example.COM ", "+44 (0)20 7946 0958", "0044 20 7946 0958", "(650) 253-0000", "15559876543",
        "José", "Jose\u0301", "O'Brien", "정", "São Paulo", "New York", "SW1A 1AA", "94025-1234", "K1A 0A6",
        "United States", "USA", "uk", "Male", "female", "April 9, 1987", "04/09/1987", "1987", "87", "9th",
        "AB12CD34-EF56-AB12-CD34-EF56AB12CD34", "123456789012345", "$1,250.50", '["LDU"]', "LDU", "California",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "NULL", "n/a", "\u200b", "\ufeff x",
    ]
)  # fmt: skip
text_values = st.one_of(
    any_text,
    shaped_text,
    st.builds(lambda a, b: a + b, shaped_text, any_text),
    st.builds(lambda n, a: " " * n + a, st.integers(400, 600), shaped_text),  # around the length limit
)
any_value = st.one_of(
    text_values,
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.integers().map(lambda n: n * 10**2000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.binary(max_size=20),
    st.lists(st.sampled_from(["LDU", "ldu", "x", 1]), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.text(min_size=600, max_size=700),
)


@PROFILE
@given(key=st.one_of(st.sampled_from(KEYS), st.text(max_size=12)), value=any_value, country=st.sampled_from(COUNTRIES))
def test_normalize_never_raises_and_reasons_are_tokens(key, value, country):
    result = normalize_cell_unchecked(key, value, country=country)
    if result.value is None:
        assert result.reason in REASONS
    else:
        assert result.reason is None
        assert isinstance(result.value, str) and result.value
    assert normalize(key, value, country=country) == result.value


def _phone_country_matches(number, country):
    hint = country_hint(country)
    code = phonenumbers.country_code_for_region(hint.upper()) if hint else 0
    return not code or number.startswith(str(code))


@PROFILE
@given(key=st.sampled_from(KEYS), value=text_values, country=st.sampled_from(COUNTRIES))
def test_normalizing_a_normalized_value_changes_nothing(key, value, country):
    once = normalize(key, value, country=country)
    if once is None:
        return
    if key == "PHONE":
        # The documented limit: another country's hint may read E.164 digits as a national number.
        assert normalize(key, once) == once
        assert normalize(key, "+" + once, country=country) == once
        if not _phone_country_matches(once, country):
            return
    assert normalize(key, once, country=country) == once


@PROFILE
@given(
    record=st.dictionaries(st.sampled_from(KEYS), any_value, max_size=8),
    default_country=st.sampled_from(COUNTRIES),
)
def test_rows_hold_only_digests_values_or_blanks(record, default_country):
    schema = KEYS
    row = hash_row(record, schema, default_country=default_country)
    assert len(row.cells) == len(schema)
    for key, cell in zip(schema, row.cells, strict=True):
        assert cell != EMPTY_SHA256
        if key in HASHED_KEYS:
            assert cell == "" or HEX64.fullmatch(cell)
        else:
            assert key in UNHASHED_KEYS
    for key, reason in row.rejected:
        assert key in record and reason in REASONS and reason != "empty"
    assert hash_record(record, schema, default_country=default_country) == row.cells


@PROFILE
@given(key=st.sampled_from(sorted(HASHED_KEYS)), value=text_values, country=st.sampled_from(COUNTRIES))
def test_a_hashed_cell_is_the_digest_of_the_normalized_value(key, value, country):
    normalized = normalize_cell(key, value, country=country).value
    cells = hash_record({"COUNTRY": country or "", key: value}, [key])
    assert cells == ["" if normalized is None else sha256_hex(normalized)]


@PROFILE
@given(value=text_values, country=st.sampled_from(["us", "gb", "de", "in", "xx", None]))
def test_the_row_shortcuts_agree_with_the_full_rules(value, country):
    assert fast_email(value) in (None, normalize("EMAIL", value))
    assert fast_phone(value, country) in (None, normalize("PHONE", value, country=country))


@PROFILE
@given(local=st.from_regex(r"[a-z0-9._%+'-]{1,20}", fullmatch=True), domain=st.sampled_from(["example.com", "x.co.uk"]))
def test_ordinary_addresses_are_kept(local, domain):
    assert normalize("EMAIL", f" {local.upper()}@{domain} ") == f"{local}@{domain}"

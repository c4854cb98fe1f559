"""The package's public surface and import cost."""

import subprocess
import sys

from leadloop import audience
from leadloop.audience import HASHED_KEYS, LDU_KEYS, REASONS, SCHEMA_KEYS, UNHASHED_KEYS, Reason, payload_cell


def test_public_api():
    for name in ("normalize", "normalize_cell", "hash_record", "hash_row", "HashedRow", "Normalized", "SCHEMA_KEYS",
                 "UNHASHED_KEYS", "LDU_KEYS", "split_date", "sha256_hex", "payload_cell", "clear_caches"):  # fmt: skip
        assert hasattr(audience, name), name


def test_key_sets():
    assert len(SCHEMA_KEYS) == 21
    assert HASHED_KEYS | UNHASHED_KEYS == SCHEMA_KEYS and not HASHED_KEYS & UNHASHED_KEYS
    assert LDU_KEYS <= UNHASHED_KEYS
    assert {"MADID", "EXTERN_ID", "PAGEUID", "APPUID", "LOOKALIKE_VALUE"} <= UNHASHED_KEYS


def test_reason_tokens_are_stable_strings():
    assert {
        "empty", "too_long", "invalid_value", "invalid_email", "invalid_phone", "invalid_gender", "invalid_date",
        "invalid_name", "invalid_city", "invalid_state", "invalid_zip", "invalid_country", "invalid_madid",
        "invalid_id", "unknown_key", "not_hashed_input", "hash_of_empty",
    } == REASONS  # fmt: skip
    assert audience.normalize_cell("EMAIL", "x").reason == Reason.INVALID_EMAIL.value == "invalid_email"
    assert type(audience.normalize_cell("EMAIL", "x").reason) is str


def test_payload_cell_defaults_for_blank_ldu_cells():
    assert payload_cell("DATA_PROCESSING_OPTIONS", "") == []
    assert payload_cell("DATA_PROCESSING_OPTIONS", "[]") == []
    assert payload_cell("DATA_PROCESSING_OPTIONS_COUNTRY", "") == 0
    assert payload_cell("DATA_PROCESSING_OPTIONS_STATE", "") == 0
    assert payload_cell("LOOKALIKE_VALUE", "") == ""
    assert payload_cell("LOOKALIKE_VALUE", "140") == 140
    assert payload_cell("EMAIL", "ab" * 32) == "ab" * 32


def test_import_loads_no_tables():
    code = (
        "import sys, leadloop.audience as a; "
        "a.normalize('EMAIL', 'x@example.com'); a.hash_record({'FN': 'Mary'}, ['FN']); "
        "print(sorted(m for m in ('phonenumbers', 'pycountry') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

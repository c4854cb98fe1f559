"""The written-out row functions: same cells as the rules, whatever the record and the schema object."""

from collections import Counter, defaultdict
from types import MappingProxyType

from leadloop.audience import hash_record, hash_row, normalize_cell, sha256_hex
from leadloop.audience import keys as k
from leadloop.audience.cells import CELL_CACHE_SIZE, full_cell
from leadloop.audience.plan import _CACHES
from leadloop.audience.rowcode import generate

SCHEMA = ["EMAIL", "PHONE", "FN", "LN", "CT", "ST", "ZIP", "COUNTRY", "EXTERN_ID"]
RECORD = {
    "EMAIL": " Mary@Example.com ",
    "PHONE": "(650) 253-0000",
    "FN": "José",
    "LN": "O'Brien",
    "CT": "Menlo Park",
    "ST": "California",
    "ZIP": "94025-1234",
    "COUNTRY": "USA",
    "EXTERN_ID": "Crm-42",
}


def _expected(record, schema):
    cells = []
    for key in schema:
        value = record.get(key)
        country = record.get("COUNTRY") if key in k.HINTED_KEYS else None
        found = normalize_cell(key, value, country=country).value
        cells.append("" if found is None else sha256_hex(found) if key in k.HASHED_KEYS else found)
    return cells


def test_a_plain_dict_and_other_mappings_give_the_same_cells():
    expected = _expected(RECORD, SCHEMA)
    assert hash_record(RECORD, SCHEMA) == expected
    assert hash_record(MappingProxyType(RECORD), SCHEMA) == expected
    assert hash_row(Counter(RECORD), SCHEMA).cells == expected


def test_a_record_without_some_keys_reads_them_as_missing():
    record = {"EMAIL": "mary@example.com", "COUNTRY": "US"}
    assert hash_record(record, SCHEMA) == _expected(record, SCHEMA)
    assert hash_row(record, SCHEMA).rejected == []


def test_a_defaultdict_is_read_like_get_and_left_unchanged():
    record = defaultdict(lambda: "not an email", {"FN": "Mary"})
    row = hash_row(record, ["EMAIL", "FN"])
    assert row.cells == ["", sha256_hex("mary")]
    assert row.rejected == []
    assert dict(record) == {"FN": "Mary"}


def test_a_schema_list_edited_in_place_is_compiled_again():
    schema = ["EMAIL", "FN"]
    first = hash_record(RECORD, schema)
    schema[1] = "LN"
    assert hash_record(RECORD, schema) == [first[0], sha256_hex("obrien")]
    schema.append("PHONE")
    assert hash_record(RECORD, schema)[2] == sha256_hex("16502530000")


def test_a_failing_shortcut_leaves_the_cell_to_the_full_rules():
    def broken(raw, country):
        raise RuntimeError("a bug in a shortcut")

    record_cells, row_cells = generate([("EMAIL", None, broken, full_cell("EMAIL"))], "COUNTRY", False)
    assert record_cells({"EMAIL": "Mary@Example.com"}, None) == [sha256_hex("mary@example.com")]
    assert row_cells({"EMAIL": "mary@"}, None) == ([""], [("EMAIL", "invalid_email")])


def test_an_empty_schema_gives_an_empty_row():
    assert hash_record(RECORD, []) == []
    assert hash_row(RECORD, ()) == ([], [])


def test_cell_caches_stay_bounded():
    for number in range(CELL_CACHE_SIZE + 50):
        hash_record({"FN": f"Mary{number:x}"}, ["FN"])
    assert 0 < len(_CACHES["FN"]) <= CELL_CACHE_SIZE

import json

import pytest

from leadloop.webhook.payload import MAX_CHANGES_PER_POST, MalformedPayload, parse_leadgen_notifications

BIG_LEAD = 120241202673250160123  # above 2**53: a float parser would corrupt it


def change(leadgen_id, **value):
    return {"field": "leadgen", "value": {"leadgen_id": leadgen_id, "page_id": 111, "form_id": 222, **value}}


def body(*entries, obj="page"):
    return json.dumps({"object": obj, "entry": list(entries)}).encode()


def test_every_entry_and_change_is_read_and_ids_stay_exact():
    raw = body(
        {
            "id": 111,
            "time": 1,
            "changes": [change(BIG_LEAD, ad_id=120241202673250160, created_time=1700000000), change(2)],
        },
        {"id": 111, "time": 1, "changes": [change(3)]},
    )
    parsed = parse_leadgen_notifications(raw)
    assert [n.leadgen_id for n in parsed.leads] == [str(BIG_LEAD), "2", "3"]
    first = parsed.leads[0]
    assert (first.page_id, first.form_id, first.ad_id, first.created_time) == (
        "111",
        "222",
        "120241202673250160",
        1700000000,
    )


def test_organic_leads_have_no_ad_and_adgroup_is_a_fallback():
    parsed = parse_leadgen_notifications(body({"id": 1, "changes": [change(5, ad_id=0), change(6, adgroup_id=77)]}))
    assert parsed.leads[0].ad_id is None
    assert parsed.leads[1].ad_id == "77"


def test_non_leadgen_changes_are_ignored_and_duplicates_folded():
    raw = body({"id": 1, "changes": [{"field": "feed", "value": {}}, change(9), change(9)]})
    parsed = parse_leadgen_notifications(raw)
    assert [n.leadgen_id for n in parsed.leads] == ["9"]
    assert parsed.ignored_changes == 1


def test_page_id_falls_back_to_the_entry_id():
    raw = body({"id": 4242, "changes": [{"field": "leadgen", "value": {"leadgen_id": 1, "form_id": 2}}]})
    assert parse_leadgen_notifications(raw).leads[0].page_id == "4242"


def test_malformed_changes_are_counted_while_valid_ones_are_kept():
    raw = body(
        {"id": 1, "changes": [change(1), {"field": "leadgen", "value": {"leadgen_id": "abc"}}, {"field": "leadgen"}]}
    )
    parsed = parse_leadgen_notifications(raw)
    assert [n.leadgen_id for n in parsed.leads] == ["1"]
    assert parsed.malformed_changes == 2
    assert [str(p) for p in parsed.malformed] == ["entry[0].changes[1]", "entry[0].changes[2]"]


def test_other_objects_yield_no_leads():
    parsed = parse_leadgen_notifications(body({"id": 1, "changes": [change(1)]}, obj="user"))
    assert parsed.leads == []


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"[]",
        b'{"object":"page"}',
        b'{"entry":[]}',
        b"\xff\xfe",
        b"[" * 10_000 + b"]" * 10_000,
        b'{"object":"page","entry":[{"id":1,"changes":[' + b"[" * 10_000,  # deep and unterminated
    ],
)
def test_bodies_that_are_not_notifications_raise(raw):
    with pytest.raises(MalformedPayload):
        parse_leadgen_notifications(raw)


def test_up_to_1000_changes_per_post_and_a_hard_cap_beyond_meta():
    many = body({"id": 1, "changes": [change(i + 1) for i in range(1000)]})
    assert len(parse_leadgen_notifications(many).leads) == 1000
    too_many = body({"id": 1, "changes": [change(i + 1) for i in range(MAX_CHANGES_PER_POST + 1)]})
    with pytest.raises(MalformedPayload):
        parse_leadgen_notifications(too_many)


VALID = change(777, created_time=1_790_000_000)


def leads_and_positions(raw: bytes) -> tuple[list[str], list[str]]:
    parsed = parse_leadgen_notifications(raw)
    return [n.leadgen_id for n in parsed.leads], [str(p) for p in parsed.malformed]


def test_a_body_nested_10000_deep_keeps_its_valid_lead():
    deep = "[" * 10_000 + "]" * 10_000
    raw = (
        '{"object":"page","entry":[{"id":111,"changes":['
        + json.dumps(VALID)
        + ',{"field":"leadgen","value":{"leadgen_id":5,"form_id":222,"extra":'
        + deep
        + "}},"
        + deep
        + "]}]}"
    ).encode()
    assert leads_and_positions(raw) == (["777", "5"], ["entry[0].changes[2]"])


def test_a_deeply_nested_entry_is_a_malformed_entry():
    raw = b'{"object":"page","entry":[' + b"[" * 10_000 + b"]" * 10_000 + b"]" + b"}"
    assert leads_and_positions(raw) == ([], ["entry[0]"])


def test_a_deeply_nested_id_is_a_malformed_change():
    raw = (
        '{"object":"page","entry":[{"id":111,"changes":[' + json.dumps(VALID) + ',{"field":"leadgen","value":'
        '{"leadgen_id":' + "[" * 10_000 + "]" * 10_000 + "}}]}]}"
    ).encode()
    assert leads_and_positions(raw) == (["777"], ["entry[0].changes[1]"])


def test_an_integer_too_long_to_parse_spoils_only_its_change():
    raw = (
        '{"object":"page","entry":[{"id":111,"changes":[' + json.dumps(VALID) + ',{"field":"leadgen","value":'
        '{"leadgen_id":' + "9" * 5000 + "}}]}]}"
    ).encode()
    assert leads_and_positions(raw) == (["777"], ["entry[0].changes[1]"])


@pytest.mark.parametrize("created_time", [10**38, 10**100, -1, 0, 4_102_444_801, True, "soon", 1.5])
def test_created_time_out_of_range_is_a_malformed_change(created_time):
    raw = body({"id": 111, "changes": [VALID, change(5, created_time=created_time)]})
    assert leads_and_positions(raw) == (["777"], ["entry[0].changes[1]"])


@pytest.mark.parametrize("entry_id", ["not-a-page", "1" * 41, 10**40, -5, 1.5, True, [1], {"id": 1}])
def test_the_entry_id_must_be_a_page_id_when_a_change_names_none(entry_id):
    no_page = {"field": "leadgen", "value": {"leadgen_id": 5, "form_id": 222}}
    raw = body({"id": entry_id, "changes": [no_page, change(6)]}, {"id": 111, "changes": [VALID]})
    # The change naming its own page_id does not depend on the entry's id
    assert leads_and_positions(raw) == (["6", "777"], ["entry[0].changes[0]"])
    assert parse_leadgen_notifications(raw).leads[0].page_id == "111"


def test_an_entry_without_an_id_leaves_the_page_unknown():
    raw = body({"changes": [{"field": "leadgen", "value": {"leadgen_id": 5}}]})
    assert parse_leadgen_notifications(raw).leads[0].page_id is None


@pytest.mark.parametrize("leadgen_id", ["1" * 31, "1" * 41, "12a", "", -1, 1.0, None, True, [1]])
def test_leadgen_ids_are_1_to_30_ascii_digits(leadgen_id):
    raw = body({"id": 111, "changes": [VALID, change(leadgen_id)]})
    assert leads_and_positions(raw) == (["777"], ["entry[0].changes[1]"])


def test_unreadable_entries_and_changes_are_positions_and_the_rest_is_kept():
    raw = body(
        1,
        {"id": 111, "changes": {}},
        {"id": 111, "changes": [7, None, "leadgen", {"field": "feed"}, VALID]},
    )
    parsed = parse_leadgen_notifications(raw)
    assert [n.leadgen_id for n in parsed.leads] == ["777"]
    assert [str(p) for p in parsed.malformed] == [
        "entry[0]",
        "entry[1]",
        "entry[2].changes[0]",
        "entry[2].changes[1]",
        "entry[2].changes[2]",
    ]
    assert parsed.ignored_changes == 1


@pytest.mark.parametrize("digits", ["\u0661\u0662\u0663\u0664", "\uff11\uff12\uff13\uff14"])
def test_an_entry_id_in_non_ascii_digits_is_no_page_id(digits):
    raw = body({"id": digits, "changes": [{"field": "leadgen", "value": {"leadgen_id": 1}}]})
    parsed = parse_leadgen_notifications(raw)
    assert parsed.leads == [] and parsed.malformed_changes == 1

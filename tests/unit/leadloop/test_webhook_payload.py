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
        b'{"object":"page","entry":[1]}',
        b'{"object":"page","entry":[{"changes":{}}]}',
        b"\xff\xfe",
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

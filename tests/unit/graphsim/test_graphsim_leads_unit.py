"""Pure lead helpers: field selection, filtering, cursors, limits, time parsing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadloop_cli.graphsim.errors import GraphError
from leadloop_cli.graphsim.leads import (
    decode_cursor,
    encode_cursor,
    graph_time,
    page_leads,
    parse_fields,
    parse_filtering,
    parse_limit,
    render_lead,
    unix_or_iso,
)
from leadloop_cli.graphsim.models import FieldAnswer, Lead


def _lead(seq: int, created: int = 1_800_000_000, ad_id: str | None = None) -> Lead:
    return Lead(
        id=str(10**17 + seq),
        page_id="1",
        form_id="2",
        created_time=created,
        seq=seq,
        field_data=(FieldAnswer("email", ("a@b.c",)),),
        ad_id=ad_id,
    )


def test_graph_time_format():
    assert graph_time(1_795_514_400) == "2026-11-24T10:00:00+0000"


def test_parse_fields_defaults_and_rejects_unknown():
    assert parse_fields(None) == ["created_time", "id", "ad_id", "form_id", "field_data"]
    assert parse_fields("id, field_data,,id") == ["id", "field_data"]
    with pytest.raises(GraphError) as caught:
        parse_fields("id,nope")
    assert caught.value.code == 100


def test_render_lead_leaves_out_absent_values_and_always_has_id():
    organic = render_lead(_lead(1), ["ad_id", "is_organic", "custom_disclaimer_responses"])
    assert organic == {"is_organic": True, "id": str(10**17 + 1)}
    paid = render_lead(_lead(2, ad_id="5"), ["ad_id", "is_organic"])
    assert paid["ad_id"] == "5" and paid["is_organic"] is False


def test_filtering_parses_and_rejects():
    conditions = parse_filtering('[{"field":"time_created","operator":"LESS_THAN","value":"10"}]')
    assert [(c.operator, c.value) for c in conditions] == [("LESS_THAN", 10)]
    assert parse_filtering(None) == []
    for bad in ("[", "{}", '[{"field":"time_created","operator":"LESS_THAN","value":true}]', "[1]"):
        with pytest.raises(GraphError):
            parse_filtering(bad)


def test_paging_is_newest_first_and_stable_on_equal_times():
    leads = sorted([_lead(seq, created=100) for seq in range(1, 6)], key=lambda x: x.sort_key, reverse=True)
    first = page_leads(leads, filters=[], limit=2, after=None)
    second = page_leads(leads, filters=[], limit=2, after=encode_cursor(first.leads[-1]))
    third = page_leads(leads, filters=[], limit=2, after=encode_cursor(second.leads[-1]))
    assert [x.seq for x in first.leads + second.leads + third.leads] == [5, 4, 3, 2, 1]
    assert first.has_after and second.has_after and not third.has_after
    assert not first.has_before and second.has_before and third.has_before


def test_paging_backwards_returns_the_leads_just_before_the_cursor():
    leads = sorted([_lead(seq, created=100 + seq) for seq in range(1, 8)], key=lambda x: x.sort_key, reverse=True)
    # newest first: 7 6 | 5 4 | 3 2 | 1; walk back from the page holding 3 and 2
    third = page_leads(leads, filters=[], limit=2, after=encode_cursor(leads[3]))
    assert [x.seq for x in third.leads] == [3, 2]
    back = page_leads(leads, filters=[], limit=2, before=encode_cursor(third.leads[0]))
    assert [x.seq for x in back.leads] == [5, 4] and back.has_before and back.has_after
    first = page_leads(leads, filters=[], limit=2, before=encode_cursor(back.leads[0]))
    assert [x.seq for x in first.leads] == [7, 6] and not first.has_before and first.has_after
    assert page_leads(leads, filters=[], limit=2, before=encode_cursor(first.leads[0])).leads == []


@given(st.integers(min_value=0, max_value=2**40), st.integers(min_value=1, max_value=2**40))
def test_cursor_roundtrip(created, seq):
    assert decode_cursor(encode_cursor(_lead(seq, created=created))) == (created, seq)


def test_bad_cursor_is_code_100():
    with pytest.raises(GraphError) as caught:
        decode_cursor("!!!")
    assert caught.value.code == 100


def test_limit_clamps_and_validates():
    assert parse_limit(None, 25, 500) == 25
    assert parse_limit("9999", 25, 500) == 500
    for bad in ("0", "-1", "ten", True):
        with pytest.raises(GraphError):
            parse_limit(bad, 25, 500)


def test_unix_or_iso():
    assert unix_or_iso(5) == 5
    assert unix_or_iso("5") == 5
    assert unix_or_iso("2026-11-24T10:00:00+0000") == 1_795_514_400
    assert unix_or_iso("2026-11-24T10:00:00Z") == 1_795_514_400
    with pytest.raises(ValueError):
        unix_or_iso("tomorrow")
    with pytest.raises(ValueError):
        unix_or_iso(True)

"""The one codec of StateTable items: plain values to DynamoDB's JSON and back."""

from __future__ import annotations

from leadloop.state.codec import from_item, to_item, to_value


def test_whole_seconds_are_stored_as_numbers_without_a_fraction():
    assert to_value(1_700_000_000.9) == {"N": "1700000000"}


def test_floats_inside_maps_and_lists_are_kept_whole():
    assert to_value({"a": [1.5]}) == {"M": {"a": {"L": [{"N": "1"}]}}}


def test_a_list_of_strings_is_a_list_of_s():
    assert to_value(["token|page 111|fail"]) == {"L": [{"S": "token|page 111|fail"}]}


def test_fields_set_to_none_are_left_out_of_the_item():
    assert to_item({"pk": "health", "alerted_at": None}) == {"pk": {"S": "health"}}


def test_an_item_reads_back_as_the_values_written():
    # Given an item written from plain values
    fields = {"pk": "replace#run-a", "sk": "run", "sent_upto": 5, "flag": True, "times": {"started": 7}}
    # When it is read back, Then the values are equal (numbers come back as Decimal, equal to the ints)
    assert from_item(to_item(fields)) == fields

"""StateTable's key builders: the ``pk``/``sk`` strings stored items already carry, built in one place."""

from __future__ import annotations

import pytest

from leadloop.state import keys

NOW = 1_700_000_000  # 2023-11-14T22:13:20Z
AUDIENCE = "238000000000001"


@pytest.mark.parametrize(
    ("built", "pk", "sk"),
    [
        (keys.form_watermark("1001"), "form#1001", "watermark"),
        (keys.leadgen_calls("111", NOW), "page#111", "leadgen-calls#2023-11-14"),
        (keys.page_backoff("111"), "page#111", "backoff"),
        (keys.audience_lock(AUDIENCE), f"audience#{AUDIENCE}", "lock"),
        (keys.replace_run("run-a"), "replace#run-a", "run"),
        (keys.replace_outcome(AUDIENCE, NOW, "run-a"), f"audience#{AUDIENCE}", f"replace#{NOW}#run-a"),
        (keys.replace_latest(AUDIENCE), f"audience#{AUDIENCE}", "replace#latest"),
        (keys.replace_scheduled(AUDIENCE), f"audience#{AUDIENCE}", "replace#scheduled"),
        (keys.health_latest(), "health", "latest"),
        (keys.health_report(NOW), "health", f"report#{NOW}"),
        (keys.hasher_failed("99"), "hasher-failed", "99".zfill(40)),
    ],
)
def test_each_key_keeps_the_shape_stored_items_have(built: keys.StateKey, pk: str, sk: str):
    # Given a key builder, When it builds a key, Then pk and sk are the strings already in the table
    assert (built.pk, built.sk) == (pk, sk)


def test_a_key_in_dynamodb_json_names_both_attributes_as_strings():
    # Given a key
    key = keys.audience_lock(AUDIENCE)
    # When it is written as GetItem's Key, Then both parts are typed S
    assert key.item_key() == {"pk": {"S": f"audience#{AUDIENCE}"}, "sk": {"S": "lock"}}


def test_a_key_as_fields_merges_into_an_item():
    # Given a key, When it is read as plain fields, Then it is the pk/sk pair an item starts from
    assert keys.page_backoff("111").fields() == {"pk": "page#111", "sk": "backoff"}


def test_the_lead_read_day_is_the_utc_day():
    # Given one second before and one second after midnight UTC
    before, after = 1_700_006_399, 1_700_006_400
    # When the counter keys are built, Then they fall on two days
    assert keys.leadgen_calls("111", before).sk != keys.leadgen_calls("111", after).sk


def test_the_audience_of_a_lock_partition_is_its_id():
    # Given the lock's partition key, When the audience is read from it, Then it is the id it was built from
    assert keys.audience_of(keys.audience_lock(AUDIENCE).pk) == AUDIENCE


def test_outcome_keys_sort_by_start_time_across_digit_counts():
    # Given two runs, the first started when the epoch had fewer digits
    early, late = keys.replace_outcome(AUDIENCE, 999_999_999, "z"), keys.replace_outcome(AUDIENCE, NOW, "a")
    # When their sort keys are compared, Then the earlier run sorts first
    assert early.sk < late.sk


def test_health_history_keys_sort_by_time_across_digit_counts():
    assert keys.health_report(999_999_999).sk < keys.health_report(NOW).sk


def test_sequence_numbers_of_different_lengths_sort_as_numbers():
    # Given stream sequence numbers that sort the wrong way as plain strings
    sequences = ["1000", "99", "5000", "100"]
    # When they are padded into sort keys, Then string order is numeric order
    assert sorted(sequences, key=keys.sequence_sort_key) == ["99", "100", "1000", "5000"]

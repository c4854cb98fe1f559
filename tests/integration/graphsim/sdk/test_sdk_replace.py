"""Replacing members and opting people out through Meta's SDK: usersreplace and usersofanyaudience."""

from __future__ import annotations

from typing import Any

from facebook_business.adobjects.customaudience import CustomAudience

from tests.integration.graphsim.sdk.sdk_support import Sdk, raised, sha256

SCHEMA = [CustomAudience.Schema.MultiKeySchema.email, CustomAudience.Schema.MultiKeySchema.extern_id]
SESSION_ID = 8_000_000_000_000_000_001


def _params(rows: list[list[str]], batch_seq: int, *, last: bool, session_id: int = SESSION_ID) -> dict[str, Any]:
    """``payload`` from the SDK's own format_params, plus the replace session."""
    params: dict[str, Any] = CustomAudience.format_params(SCHEMA, rows, is_raw=True)
    params["session"] = {"session_id": session_id, "batch_seq": batch_seq, "last_batch_flag": last}
    return params


def test_replace_in_two_batches(sdk: Sdk):
    audience = sdk.new_audience()
    audience.add_users(SCHEMA, [["old@example.com", "crm-0"]], is_raw=True)

    first = audience.create_users_replace(params=_params([["a@example.com", "crm-1"]], 1, last=False))
    assert audience.api_get(fields=[CustomAudience.Field.operation_status])["operation_status"]["code"] == 414
    second = audience.create_users_replace(params=_params([["b@example.com", "crm-2"]], 2, last=True))

    assert first["session_id"] == second["session_id"] == str(SESSION_ID)
    assert second["num_received"] == 2 and second["num_invalid_entries"] == 0
    assert second["audience_id"] == audience["id"] and second["account_id"] == "700000000000009"
    assert sdk.members(audience) == [[sha256("a@example.com"), "crm-1"], [sha256("b@example.com"), "crm-2"]]
    status = audience.api_get(fields=[CustomAudience.Field.operation_status])["operation_status"]
    assert status.export_all_data() == {"code": 200, "description": "Normal"}
    sessions = [s.export_all_data() for s in audience.get_sessions(params={"session_id": SESSION_ID})]
    assert [(s["stage"], s["num_matched"]) for s in sessions] == [("processed", "2")]


def test_replace_session_rules_are_2650_with_metas_subcodes(sdk: Sdk):
    audience = sdk.new_audience()
    rows = [["a@example.com", "crm-1"]]
    no_first = raised(lambda: audience.create_users_replace(params=_params(rows, 2, last=True)))
    assert (no_first.api_error_code(), no_first.api_error_subcode()) == (2650, 1870147)
    assert no_first.api_transient_error() is False

    audience.create_users_replace(params=_params(rows, 1, last=False))
    busy = raised(lambda: audience.create_users_replace(params=_params(rows, 1, last=False, session_id=SESSION_ID + 1)))
    assert (busy.api_error_code(), busy.api_error_subcode(), busy.api_transient_error()) == (2650, 1870145, True)

    audience.create_users_replace(params=_params(rows, 2, last=True))
    finished = raised(lambda: audience.create_users_replace(params=_params(rows, 3, last=False)))
    assert (finished.api_error_code(), finished.api_error_subcode()) == (2650, 1870159)
    assert finished.body()["error"]["error_user_title"] == "Replace session finished"


def test_a_replace_without_a_session_is_2650(sdk: Sdk):
    audience = sdk.new_audience()
    params = CustomAudience.format_params(SCHEMA, [["a@example.com", "crm-1"]], is_raw=True)
    error = raised(lambda: audience.create_users_replace(params=params))
    assert (error.api_error_code(), error.api_error_subcode()) == (2650, None)


def test_users_of_any_audience_opts_a_person_out_everywhere(sdk: Sdk):
    first, second = sdk.new_audience("One"), sdk.new_audience("Two")
    for audience in (first, second):
        audience.add_users(SCHEMA, [["a@example.com", "crm-1"], ["b@example.com", "crm-2"]], is_raw=True)

    params = CustomAudience.format_params(
        [CustomAudience.Schema.MultiKeySchema.email],
        [["A@Example.com"]],
        is_raw=True,
        session={"session_id": SESSION_ID, "batch_seq": 1, "last_batch_flag": True},
    )
    answer = sdk.account().delete_users_of_any_audience(params=params).export_all_data()

    assert answer["account_id"] == "700000000000009" and answer["num_received"] == 1
    assert answer["session_id"] == str(SESSION_ID)
    for audience in (first, second):
        assert sdk.members(audience) == [[sha256("b@example.com"), "crm-2"]]

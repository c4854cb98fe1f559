"""Customer-file audiences through Meta's SDK: create, read, add and remove (single- and multi-key), sessions.

Payloads are built by the SDK's own ``CustomAudience.format_params`` (its normalization and
hashing), so the simulator is checked against Meta's client rather than ours.
"""

from __future__ import annotations

from facebook_business.adobjects.customaudience import CustomAudience
from facebook_business.adobjects.customaudiencesession import CustomAudienceSession

from tests.integration.graphsim.sdk.sdk_support import Sdk, raised, sha256

MULTI = [
    CustomAudience.Schema.MultiKeySchema.email,
    CustomAudience.Schema.MultiKeySchema.phone,
    CustomAudience.Schema.MultiKeySchema.fn,
    CustomAudience.Schema.MultiKeySchema.extern_id,
]
SESSION_ID = 7_000_000_000_000_000_001


def test_create_and_read_an_audience(sdk: Sdk):
    audience = sdk.new_audience("Newsletter")
    fields = [
        CustomAudience.Field.name,
        CustomAudience.Field.subtype,
        CustomAudience.Field.customer_file_source,
        CustomAudience.Field.operation_status,
        CustomAudience.Field.approximate_count_lower_bound,
        CustomAudience.Field.data_source,
    ]
    data = audience.api_get(fields=fields).export_all_data()
    assert data["name"] == "Newsletter" and data["subtype"] == "CUSTOM"
    assert data["customer_file_source"] == "USER_PROVIDED_ONLY"
    assert data["operation_status"] == {"code": 200, "description": "Normal"}
    assert data["approximate_count_lower_bound"] == 0


def test_create_without_customer_file_source_is_refused(sdk: Sdk):
    params = {CustomAudience.Field.name: "No source", CustomAudience.Field.subtype: CustomAudience.Subtype.custom}
    error = raised(lambda: sdk.account().create_custom_audience(params=params))
    assert error.api_error_code() == 100 and "customer_file_source" in error.api_error_message()


def test_single_key_add_and_remove_with_the_sdks_hashing(sdk: Sdk):
    audience = sdk.new_audience()
    emails = ["  Mary@Example.com ", "..test..", "ada@example.com"]

    added = audience.add_users(CustomAudience.Schema.email_hash, emails).json()
    assert (added["num_received"], added["num_invalid_entries"]) == (3, 0)
    # the SDK trims and lower-cases e-mails (dots too) before hashing: Meta's published vector
    expected = [sha256("mary@example.com"), sha256("test"), sha256("ada@example.com")]
    assert expected[0] == "f1904cf1a9d73a55fa5de0ac823c4403ded71afd4c3248d00bdcd0866552bb79"
    assert sdk.members(audience) == [[cell] for cell in expected]

    removed = audience.remove_users(CustomAudience.Schema.email_hash, ["MARY@example.com"]).json()
    assert removed["num_received"] == 1 and removed["audience_id"] == audience["id"]
    assert sdk.members(audience) == [[cell] for cell in expected[1:]]


def test_multi_key_add_and_remove_in_a_session(sdk: Sdk):
    audience = sdk.new_audience()
    rows = [
        ["p1@example.com", "+1 (555) 987-6543", "Mary", "crm-1"],
        ["p2@example.com", "15550000002", "Ada", "crm-2"],
        ["p3@example.com", "15550000003", "Grace", "crm-3"],
    ]
    first = {"session_id": SESSION_ID, "batch_seq": 1, "last_batch_flag": False, "estimated_num_total": 3}
    last = {"session_id": SESSION_ID, "batch_seq": 2, "last_batch_flag": True, "estimated_num_total": 3}

    one = audience.add_users(MULTI, rows[:2], is_raw=True, session=first).json()
    two = audience.add_users(MULTI, rows[2:], is_raw=True, session=last).json()

    assert one["session_id"] == two["session_id"] == str(SESSION_ID)
    assert (two["num_received"], two["num_invalid_entries"]) == (3, 0)  # cumulative for the session
    members = sdk.members(audience)
    assert members[0] == [sha256("p1@example.com"), sha256("15559876543"), sha256("mary"), "crm-1"]
    assert [member[3] for member in members] == ["crm-1", "crm-2", "crm-3"]  # EXTERN_ID is not hashed

    sessions = list(audience.get_sessions(params={"session_id": SESSION_ID}))
    assert len(sessions) == 1
    session = sessions[0].export_all_data()
    assert session[CustomAudienceSession.Field.session_id] == str(SESSION_ID)
    assert session[CustomAudienceSession.Field.num_received] == "3"
    assert session[CustomAudienceSession.Field.stage] == "processed"

    # removal by EXTERN_ID alone, in its own session
    gone = {"session_id": SESSION_ID + 1, "batch_seq": 1, "last_batch_flag": True}
    removed = audience.remove_users(["EXTERN_ID"], [["crm-2"]], is_raw=True, session=gone).json()
    assert removed["session_id"] == str(SESSION_ID + 1)
    assert [member[3] for member in sdk.members(audience)] == ["crm-1", "crm-3"]


def test_the_sdks_hashed_blank_cells_are_invalid_entries(sdk: Sdk):
    """The SDK hashes an empty multi-key cell (sha256 of ""), which Meta counts invalid."""
    audience = sdk.new_audience()
    body = audience.add_users(MULTI, [["p1@example.com", "", "Mary", "crm-1"]], is_raw=True).json()
    assert body["num_invalid_entries"] == 1 and sha256("") in body["invalid_entry_samples"]
    assert sdk.members(audience) == []
    # the same person with every cell filled is accepted
    full = audience.add_users(MULTI, [["p1@example.com", "15550000001", "Mary", "crm-1"]], is_raw=True).json()
    assert full["num_invalid_entries"] == 0 and len(sdk.members(audience)) == 1


def test_mobile_advertiser_ids_must_be_lower_case(sdk: Sdk):
    """The SDK sends MOBILE_ADVERTISER_ID unchanged; Meta documents lower case."""
    audience = sdk.new_audience()
    idfa = "6D92078A-8246-4BA4-AE5B-76104861E7DC"
    body = audience.add_users(CustomAudience.Schema.mobile_advertiser_id, [idfa, idfa.lower()]).json()
    assert (body["num_received"], body["num_invalid_entries"]) == (2, 1)
    assert body["invalid_entry_samples"] == {idfa: "MADID"}
    assert sdk.members(audience) == [[idfa.lower()]]


def test_data_format_lock_answers_2650(sdk: Sdk):
    audience = sdk.new_audience()
    audience.add_users(MULTI, [["p1@example.com", "15550000001", "Mary", "crm-1"]], is_raw=True)
    error = raised(lambda: audience.add_users(CustomAudience.Schema.email_hash, ["x@example.com"]))
    assert error.api_error_code() == 2650 and "FILE_IMPORTED.MULTI_HASHES" in error.api_error_message()

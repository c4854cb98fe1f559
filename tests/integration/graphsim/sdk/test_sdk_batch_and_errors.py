"""Batch requests and Meta's error envelope, read by the SDK's FacebookAdsApiBatch and FacebookRequestError."""

from __future__ import annotations

from typing import Any

import pytest
from facebook_business.adobjects.lead import Lead
from facebook_business.api import FacebookResponse

from tests.integration.graphsim.sdk.sdk_support import Sdk, raised


def test_batch_of_lead_reads_with_a_failing_item(sdk: Sdk, sim, ids):
    leads = [sim.create_lead(ids.page_id, ids.form_id, ids.answers(f"b{i}@example.com")) for i in range(3)]
    missing = "123456789012345678"
    succeeded: list[dict[str, Any]] = []
    failed: list[FacebookResponse] = []
    batch = sdk.api.new_batch()
    for lead_id in [*leads, missing]:
        Lead(lead_id, api=sdk.api).api_get(
            fields=[Lead.Field.id, Lead.Field.field_data],
            batch=batch,
            success=lambda response: succeeded.append(response.json()),
            failure=failed.append,
        )

    assert batch.execute() is None  # nothing left to retry
    assert [body["id"] for body in succeeded] == leads
    assert succeeded[0]["field_data"] == ids.answers("b0@example.com")
    assert len(failed) == 1
    error = failed[0].error()
    assert (error.http_status(), error.api_error_code(), error.api_error_subcode()) == (400, 100, 33)
    assert error.api_error_type() == "GraphMethodException"


def test_unfinished_batch_items_come_back_for_a_retry(sdk: Sdk, sim, ids, graph):
    leads = [sim.create_lead(ids.page_id, ids.form_id, ids.answers(f"n{i}@example.com")) for i in range(3)]
    graph.sim_post("faults", {"path": f"/{leads[1]}$", "batch_null": True, "times": 1})
    seen: list[str] = []
    batch = sdk.api.new_batch()
    for lead_id in leads:
        Lead(lead_id, api=sdk.api).api_get(batch=batch, success=lambda r: seen.append(r.json()["id"]))

    retry = batch.execute()

    assert retry is not None and len(retry) == 1 and seen == [leads[0], leads[2]]
    assert retry.execute() is None and seen == [leads[0], leads[2], leads[1]]


def test_error_envelope_fields(sdk: Sdk, sim, ids, graph):
    lead_id = sim.create_lead(ids.page_id, ids.form_id, ids.answers())

    bad_token = raised(lambda: Lead(lead_id, api=sdk.with_token("not-a-token")).api_get())
    assert (bad_token.http_status(), bad_token.api_error_code(), bad_token.api_error_type()) == (
        400,
        190,
        "OAuthException",
    )
    assert bad_token.api_error_message() and bad_token.api_transient_error() is False
    assert bad_token.body()["error"]["fbtrace_id"]

    with pytest.warns(UserWarning, match="favourite_colour"):  # the SDK warns before sending it
        unknown_field = raised(lambda: Lead(lead_id, api=sdk.api).api_get(fields=["favourite_colour"]))
    assert unknown_field.api_error_code() == 100 and "favourite_colour" in unknown_field.api_error_message()

    throttle = {
        "code": 80005,
        "is_transient": True,
        "error_data": '{"blame_field_specs": [["filtering"]]}',
        "message": "(#80005) There have been too many leadgen api calls to this Page.",
    }
    graph.sim_post("faults", {"path": f"/{lead_id}/?$", "error": throttle, "times": 1})
    throttled = raised(lambda: Lead(lead_id, api=sdk.api).api_get())
    assert (throttled.api_error_code(), throttled.api_transient_error()) == (80005, True)
    assert throttled.api_error_message().startswith("(#80005)")
    assert throttled.api_blame_field_specs() == [["filtering"]]

    graph.sim_post("faults", {"path": f"/{lead_id}/?$", "status": 500, "times": 1})
    server = raised(lambda: Lead(lead_id, api=sdk.api).api_get())
    assert (server.http_status(), server.api_error_code(), server.api_transient_error()) == (500, 1, True)

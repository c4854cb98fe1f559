"""Lead reads through Meta's SDK: a lead with and without fields, form and ad edges, filtering, paging both ways."""

from __future__ import annotations

import json
from typing import Any

from facebook_business.adobjects.ad import Ad
from facebook_business.adobjects.lead import Lead
from facebook_business.adobjects.leadgenform import LeadgenForm
from facebook_business.api import FacebookAdsApi

from tests.integration.graphsim.sdk.sdk_support import Sdk, raised

AD_ID = "120241202673250160"
T0 = 1_790_000_000


def _leads(sim: Any, ids: Any, count: int, ad_id: str | None = AD_ID) -> list[str]:
    """``count`` leads one second apart, oldest first."""
    return [
        sim.create_lead(ids.page_id, ids.form_id, ids.answers(f"u{i}@example.com"), ad_id=ad_id, created_time=T0 + i)
        for i in range(count)
    ]


def test_lead_with_fields(sdk: Sdk, sim, ids):
    lead_id = sim.create_lead(
        ids.page_id,
        ids.form_id,
        ids.answers(),
        ad_id=AD_ID,
        created_time=T0,
        custom_disclaimer_responses=[{"checkbox_key": "terms", "is_checked": True}],
    )
    fields = [
        Lead.Field.id,
        Lead.Field.created_time,
        Lead.Field.field_data,
        Lead.Field.ad_id,
        Lead.Field.is_organic,
        Lead.Field.custom_disclaimer_responses,
        Lead.Field.platform,
    ]

    lead = Lead(lead_id, api=sdk.api).api_get(fields=fields)

    assert lead[Lead.Field.id] == lead_id
    assert lead[Lead.Field.created_time] == "2026-09-21T14:13:20+0000"
    assert lead[Lead.Field.field_data] == ids.answers()
    assert lead[Lead.Field.ad_id] == AD_ID and lead[Lead.Field.is_organic] is False
    assert lead[Lead.Field.custom_disclaimer_responses] == [{"checkbox_key": "terms", "is_checked": "1"}]
    assert Lead.Field.form_id not in lead.export_all_data()  # not asked for


def test_lead_without_fields_has_metas_default_set(sdk: Sdk, sim, ids):
    lead_id = sim.create_lead(ids.page_id, ids.form_id, ids.answers(), ad_id=AD_ID)

    data = Lead(lead_id, api=sdk.api).api_get().export_all_data()

    assert set(data) == {"created_time", "id", "ad_id", "form_id", "field_data"}
    assert data["form_id"] == ids.form_id and data["field_data"] == ids.answers()


def test_form_leads_cursor_reads_every_page_forward(sdk: Sdk, sim, ids):
    created = _leads(sim, ids, 5)
    cursor = LeadgenForm(ids.form_id, api=sdk.api).get_leads(fields=[Lead.Field.id], params={"limit": 2})
    assert [lead["id"] for lead in cursor] == list(reversed(created))
    assert [call["rows"] for call in sim.calls() if call["path"].endswith("/leads")] == [2, 2, 1]
    usage = json.loads(cursor.headers()["X-Business-Use-Case-Usage"])
    assert usage[ids.page_id][0]["type"] == "leadgen"
    assert cursor.headers()["facebook-api-version"] == FacebookAdsApi.API_VERSION  # the SDK's own version


def test_ad_leads_with_filtering_as_in_metas_example(sdk: Sdk, sim, ids):
    mine = _leads(sim, ids, 4)
    other = sim.create_lead(ids.page_id, ids.form_id, ids.answers(), ad_id="120241202673250161", created_time=T0 + 9)
    filtering = [{"field": "time_created", "operator": "GREATER_THAN", "value": T0 + 1}]

    cursor = Ad(AD_ID, api=sdk.api).get_leads(params={"filtering": filtering, "limit": 1})
    leads = [lead.export_all_data() for lead in cursor]

    assert [lead["id"] for lead in leads] == [mine[3], mine[2]]
    assert other not in {lead["id"] for lead in leads}
    assert all(lead["ad_id"] == AD_ID and set(lead) >= {"created_time", "form_id", "field_data"} for lead in leads)


def test_paging_backwards_with_before_and_previous(sdk: Sdk, sim, ids):
    created = list(reversed(_leads(sim, ids, 5)))  # newest first
    api = sdk.api
    path = (ids.form_id, "leads")
    first = api.call("GET", path, params={"limit": 2, "fields": "id"}).json()
    second = api.call("GET", path, params={"limit": 2, "fields": "id", "after": first["paging"]["cursors"]["after"]})
    third = api.call("GET", second.json()["paging"]["next"]).json()
    assert [lead["id"] for lead in third["data"]] == created[4:]
    assert "previous" not in first["paging"] and "next" not in third["paging"]

    # before: the page just before a cursor; previous: the SDK's string path is followed as is
    back = api.call("GET", path, params={"limit": 2, "before": third["paging"]["cursors"]["before"]}).json()
    assert [lead["id"] for lead in back["data"]] == created[2:4]
    start = api.call("GET", back["paging"]["previous"]).json()
    assert [lead["id"] for lead in start["data"]] == created[0:2]
    assert "previous" not in start["paging"] and "next" in start["paging"]


def test_cursor_error_is_the_sdks_request_error(sdk: Sdk, sim, ids):
    _leads(sim, ids, 1)
    other = sdk.with_token(ids.other_page_token)
    error = raised(lambda: list(LeadgenForm(ids.form_id, api=other).get_leads()))
    assert (error.http_status(), error.api_error_code()) == (403, 200)
    error = raised(lambda: list(Ad("120241202673259999", api=sdk.api).get_leads()))
    assert (error.api_error_code(), error.api_error_subcode()) == (100, 33)

"""The other Graph paths through Meta's SDK: form and Page nodes, test leads, deleting a lead,
the app node, debug_token, the app's webhook subscription and the Page's app install."""

from __future__ import annotations

from facebook_business.adobjects.application import Application
from facebook_business.adobjects.lead import Lead
from facebook_business.adobjects.leadgenform import LeadgenForm
from facebook_business.adobjects.page import Page

from tests.integration.graphsim.sdk.sdk_support import Sdk, raised


def test_form_and_page_nodes(sdk: Sdk, sim, ids):
    sim.create_lead(ids.page_id, ids.form_id, ids.answers())
    form = LeadgenForm(ids.form_id, api=sdk.api).api_get(
        fields=[LeadgenForm.Field.name, LeadgenForm.Field.leads_count, LeadgenForm.Field.status, LeadgenForm.Field.page]
    )
    assert form["name"] == "Main form" and form["leads_count"] == 1 and form["status"] == "ACTIVE"
    assert form["page"]["id"] == ids.page_id

    page = Page(ids.page_id, api=sdk.api).api_get(fields=[Page.Field.name, Page.Field.access_token])
    assert page["access_token"] == ids.page_token and page["id"] == ids.page_id


def test_test_lead_create_list_and_delete(sdk: Sdk, ids):
    form = LeadgenForm(ids.form_id, api=sdk.api)
    answers = [{"name": "email", "values": ["test@example.com"]}]

    created = form.create_test_lead(params={"field_data": answers})
    listed = [lead["id"] for lead in form.get_test_leads()]
    assert listed == [created["id"]]
    again = raised(lambda: form.create_test_lead(params={"field_data": answers}))
    assert again.api_error_code() == 100  # one test lead per form

    read = Lead(created["id"], api=sdk.api).api_get(fields=[Lead.Field.field_data, Lead.Field.is_organic])
    assert read["field_data"] == answers and read["is_organic"] is True

    Lead(created["id"], api=sdk.api).api_delete()
    assert list(form.get_test_leads()) == []
    gone = raised(lambda: Lead(created["id"], api=sdk.api).api_get())
    assert (gone.api_error_code(), gone.api_error_subcode()) == (100, 33)


def test_app_node_and_debug_token(sdk: Sdk, ids):
    app = Application(ids.app_id, api=sdk.api).api_get(fields=[Application.Field.name])
    assert app["id"] == ids.app_id and app["name"]

    app_api = sdk.with_token(f"{ids.app_id}|{ids.app_secret}")
    data = app_api.call("GET", ("debug_token",), params={"input_token": ids.page_token}).json()["data"]
    assert data["is_valid"] is True and data["type"] == "PAGE" and data["app_id"] == ids.app_id
    assert "leads_retrieval" in data["scopes"]


def test_app_subscription_and_page_install(sdk: Sdk, ids, receiver):
    application = Application(ids.app_id, api=sdk.with_token(f"{ids.app_id}|{ids.app_secret}"))
    params = {"object": "page", "callback_url": receiver.url, "fields": ["leadgen"], "verify_token": ids.verify_token}
    application.create_subscription(params=params)
    listed = [s.export_all_data() for s in application.get_subscriptions()]
    assert listed[0]["callback_url"] == receiver.url and listed[0]["fields"][0]["name"] == "leadgen"
    assert receiver.requests[0].query["hub.mode"] == ["subscribe"]  # Meta's verification request

    page = Page(ids.page_id, api=sdk.api)
    page.create_subscribed_app(params={"subscribed_fields": ["leadgen"]})
    installed = [app.export_all_data() for app in page.get_subscribed_apps()]
    assert installed[0]["id"] == ids.app_id and installed[0]["subscribed_fields"] == ["leadgen"]
    page.delete_subscribed_apps()
    assert list(page.get_subscribed_apps()) == []

    application.delete_subscriptions(params={"object": "page"})
    assert list(application.get_subscriptions()) == []

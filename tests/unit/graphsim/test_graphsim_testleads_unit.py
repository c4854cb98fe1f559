"""Test leads without HTTP: who may create them, one per form, owner-only delete, listing, webhooks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from leadloop_cli.graphsim.clock import VirtualClock
from leadloop_cli.graphsim.config import SimConfig
from leadloop_cli.graphsim.core import SimCore
from leadloop_cli.graphsim.dispatch import GraphDispatcher
from leadloop_cli.graphsim.models import Lead, Subscription, TokenStatus
from leadloop_cli.graphsim.request import GraphRequest
from leadloop_cli.graphsim.response import GraphResponse
from leadloop_cli.graphsim.testleads import ONE_PER_FORM_MESSAGE, parse_answers, parse_disclaimers

NOW = 1_800_000_000
PAGE, PAGE_TOKEN, FORM = "104", "EAAB-page", "205"
OTHER_PAGE, OTHER_TOKEN, OTHER_FORM = "105", "EAAB-other", "206"
USER_TOKEN = "EAAB-user"


@dataclass
class FakeWebhooks:
    """Stands in for the dispatcher: records what would be sent instead of POSTing it."""

    sent: list[list[str]] = field(default_factory=list)

    def send(self, leads: list[Lead], copies: int = 1) -> list[str]:
        self.sent.append([lead.id for lead in leads])
        return [f"d{len(self.sent)}"]


@dataclass
class Sim:
    core: SimCore
    webhooks: FakeWebhooks
    dispatcher: GraphDispatcher

    def call(self, method: str, path: str, token: str = PAGE_TOKEN, **params: Any) -> GraphResponse:
        segments = tuple(part for part in path.split("/") if part)
        request = GraphRequest(
            method=method,
            path=f"/v25.0/{path}",
            version="v25.0",
            segments=segments,
            params={"access_token": token, **params},
            query={},
            base_url="http://sim",
        )
        return self.dispatcher.serve(request)

    def create(self, token: str = PAGE_TOKEN, form: str = FORM, **params: Any) -> GraphResponse:
        return self.call("POST", f"{form}/test_leads", token, **params)


@pytest.fixture
def sim() -> Sim:
    config = SimConfig(app_id="900", app_secret="s3cret", require_appsecret_proof=False)
    core = SimCore.build(config, VirtualClock(NOW, frozen=True))
    fake = FakeWebhooks()
    core.webhooks = fake  # type: ignore[assignment]
    core.state.add_page(PAGE, PAGE_TOKEN)
    core.state.add_form(FORM, PAGE)
    core.state.add_page(OTHER_PAGE, OTHER_TOKEN)
    core.state.add_form(OTHER_FORM, OTHER_PAGE)
    core.state.add_user_token(USER_TOKEN, page_ids=[PAGE])
    core.state.set_subscription(Subscription(callback_url="http://hook.invalid/webhook", verify_token="v"))
    core.state.set_page_subscribed_fields(PAGE, ["leadgen"])
    return Sim(core, fake, GraphDispatcher(core))


def error_of(response: GraphResponse) -> tuple[int, int, int | None, str]:
    error = response.body["error"]
    return response.status, error["code"], error.get("error_subcode"), error["message"]


def test_a_page_token_creates_an_organic_test_lead_with_dummy_answers(sim: Sim):
    answer = sim.create()
    assert answer.status == 200 and set(answer.body) == {"id"}
    lead = sim.core.state.lead(answer.body["id"])
    assert lead is not None and lead.form_id == FORM and lead.page_id == PAGE
    assert lead.ad_id is None and lead.campaign_id is None and not lead.by_app_role
    assert [a.name for a in lead.field_data] == ["full_name", "email", "phone_number"]
    assert lead.field_data[1].values == ("<test lead: dummy data for email>",)
    read = sim.call("GET", answer.body["id"], fields="is_organic,field_data,ad_id")
    assert read.status == 200 and read.body["is_organic"] is True and "ad_id" not in read.body


@pytest.mark.parametrize(
    "raw",
    [
        '[{"name": "email", "values": ["a@example.com"]}]',
        "[{'name': 'email', 'values': ['a@example.com']}]",  # Meta's own curl example quotes like this
        [{"name": "email", "values": ["a@example.com"]}],
    ],
)
def test_field_data_is_taken_as_given(sim: Sim, raw: object):
    answer = sim.create(field_data=raw)
    lead = sim.core.state.lead(answer.body["id"])
    assert lead is not None and [(a.name, a.values) for a in lead.field_data] == [("email", ("a@example.com",))]


def test_disclaimer_answers_read_back_the_way_graph_shows_them(sim: Sim):
    raw = "[{'checkbox_key': 'terms', 'is_checked': true}, {'checkbox_key': 'news', 'is_checked': false}]"
    answer = sim.create(custom_disclaimer_responses=raw)
    read = sim.call("GET", answer.body["id"], fields="custom_disclaimer_responses")
    assert read.body["custom_disclaimer_responses"] == [
        {"checkbox_key": "terms", "is_checked": "1"},
        {"checkbox_key": "news", "is_checked": ""},
    ]


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("field_data", '{"name": "email"}'),
        ("field_data", '[{"name": "email", "values": "a@example.com"}]'),
        ("field_data", "not json"),
        ("custom_disclaimer_responses", '[{"is_checked": true}]'),
    ],
)
def test_malformed_answers_are_refused_and_no_lead_is_made(sim: Sim, name: str, raw: str):
    status, code, _, message = error_of(sim.create(**{name: raw}))
    assert (status, code) == (400, 100) and name in message
    assert sim.core.state.form_test_leads(FORM) == []


def test_parsers_keep_order_and_fill_dummy_answers_only_when_absent():
    assert [a.name for a in parse_answers(None)] == ["full_name", "email", "phone_number"]
    assert [a.name for a in parse_answers('[{"name": "b", "values": []}, {"name": "a", "values": ["x"]}]')] == [
        "b",
        "a",
    ]
    assert parse_disclaimers(None) == ()


def test_one_test_lead_per_form_until_it_is_deleted(sim: Sim):
    first = sim.create().body["id"]
    status, code, subcode, message = error_of(sim.create())
    assert (status, code, subcode, message) == (400, 100, None, ONE_PER_FORM_MESSAGE)
    assert [lead.id for lead in sim.core.state.form_test_leads(FORM)] == [first]
    assert sim.create(token=OTHER_TOKEN, form=OTHER_FORM).status == 200  # another form is independent
    assert sim.call("DELETE", first).body == {"success": True}
    second = sim.create()
    assert second.status == 200 and second.body["id"] != first


def test_real_leads_do_not_count_against_the_one_test_lead(sim: Sim):
    sim.core.state.create_lead(page_id=PAGE, form_id=FORM, field_data=())
    assert sim.create().status == 200


def test_only_a_page_token_of_the_forms_page_may_create(sim: Sim):
    assert error_of(sim.create(token=USER_TOKEN))[:2] == (403, 210)
    assert error_of(sim.create(token=sim.core.state.app_token()))[:2] == (403, 210)
    assert error_of(sim.create(token=OTHER_TOKEN))[:2] == (403, 200)
    assert error_of(sim.create(token="EAAB-unknown"))[:2] == (400, 190)
    assert sim.core.state.form_test_leads(FORM) == []


def test_without_the_advertiser_stand_in_scope_creation_is_refused(sim: Sim):
    sim.core.state.set_token_status(PAGE_TOKEN, TokenStatus(scopes=("leads_retrieval", "pages_manage_metadata")))
    status, code, _, message = error_of(sim.create())
    assert (status, code) == (403, 200) and "pages_manage_ads" in message and "Advertiser" in message


def test_delete_is_for_the_creator_and_for_test_leads_only(sim: Sim):
    lead_id = sim.create().body["id"]
    assert error_of(sim.call("DELETE", lead_id, token=USER_TOKEN))[:2] == (403, 200)  # sees the Page, not the owner
    assert error_of(sim.call("DELETE", lead_id, token=OTHER_TOKEN))[:3] == (400, 100, 33)
    real = sim.core.state.create_lead(page_id=PAGE, form_id=FORM, field_data=())
    assert error_of(sim.call("DELETE", real.id))[:3] == (400, 100, 33)
    assert error_of(sim.call("DELETE", "999999"))[:3] == (400, 100, 33)
    assert sim.core.state.lead(lead_id) is not None and sim.core.state.lead(real.id) is not None
    assert sim.call("DELETE", lead_id).status == 200
    assert error_of(sim.call("GET", lead_id))[:3] == (400, 100, 33)
    assert error_of(sim.call("DELETE", lead_id))[:3] == (400, 100, 33)  # already gone


def test_the_list_holds_only_test_leads_in_graphs_list_shape(sim: Sim):
    assert sim.call("GET", f"{FORM}/test_leads").body == {"data": []}
    sim.core.state.create_lead(page_id=PAGE, form_id=FORM, field_data=())
    lead_id = sim.create(field_data='[{"name": "email", "values": ["a@example.com"]}]').body["id"]
    listed = sim.call("GET", f"{FORM}/test_leads", fields="id,field_data")
    assert [item["id"] for item in listed.body["data"]] == [lead_id]
    assert listed.body["data"][0]["field_data"] == [{"name": "email", "values": ["a@example.com"]}]
    assert set(listed.body["paging"]["cursors"]) == {"before", "after"} and "next" not in listed.body["paging"]
    assert lead_id in [item["id"] for item in sim.call("GET", f"{FORM}/leads").body["data"]]


def test_the_list_follows_the_lead_read_rules(sim: Sim):
    sim.core.state.set_leads_access(PAGE, False)
    assert error_of(sim.call("GET", f"{FORM}/test_leads"))[:2] == (403, 200)
    assert error_of(sim.call("PUT", f"{FORM}/test_leads"))[:3] == (400, 100, 33)


@pytest.mark.parametrize(
    ("page_fields", "subscription_fields", "delivered"),
    [
        (["leadgen"], ("leadgen",), True),
        ([], ("leadgen",), False),  # the Page uninstalled the app
        (["feed"], ("leadgen",), False),  # installed for other fields only
        (["leadgen"], ("feed",), False),  # the app is not subscribed to leadgen
    ],
)
def test_the_webhook_goes_out_only_when_meta_would_send_it(
    sim: Sim, page_fields: list[str], subscription_fields: tuple[str, ...], delivered: bool
):
    sim.core.state.set_page_subscribed_fields(PAGE, page_fields)
    sim.core.state.set_subscription(
        Subscription(callback_url="http://hook.invalid/webhook", verify_token="v", fields=subscription_fields)
    )
    lead_id = sim.create().body["id"]
    assert sim.webhooks.sent == ([[lead_id]] if delivered else [])
    assert sim.core.state.lead(lead_id) is not None  # the lead exists either way


def test_without_any_subscription_the_lead_is_made_and_nothing_is_sent(sim: Sim):
    sim.core.state.set_subscription(None)
    assert sim.create().status == 200 and sim.webhooks.sent == []


def test_a_token_granted_the_page_can_read_the_page_token(sim: Sim):
    answer = sim.call("GET", PAGE, token=USER_TOKEN, fields="id,access_token")
    assert answer.body == {"id": PAGE, "access_token": PAGE_TOKEN}
    assert error_of(sim.call("GET", PAGE, token=OTHER_TOKEN, fields="access_token"))[:2] == (403, 200)

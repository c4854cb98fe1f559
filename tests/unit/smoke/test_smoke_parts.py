"""The smoke's parts: Meta calls, the page token, the removal payload, the audience probes, diagnosis."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, cast

import pytest

from leadloop.graph import GraphClient
from leadloop.graph.errors import GraphAuthError, GraphPermanentError
from leadloop_cli.smoke.audiences import removal_form
from leadloop_cli.smoke.diagnosis import Clues, explain
from leadloop_cli.smoke.meta import ExistingTestLead, MetaSide, page_token_client
from leadloop_cli.smoke.person import PersonRow
from leadloop_cli.smoke.probes import QueueQuiet, is_member
from tests.support.graph import FakeGraph

from .smoke_fakes import Clock

H1, H2 = "a" * 64, "b" * 64


def meta(graph: FakeGraph, app_id: str | None = "900") -> MetaSide:
    return MetaSide(page=lambda: cast(GraphClient, graph), app_id=app_id)


def test_create_sends_the_answers_as_a_json_array_and_returns_the_id():
    # Given Meta creates the test lead 1001
    graph = FakeGraph(answers={("POST", "205/test_leads"): {"id": "1001"}})
    # When the smoke creates a test lead with one answer
    lead_id = meta(graph).create("205", [{"name": "email", "values": ["x@example.com"]}])
    # Then the id is Meta's and the answers went as a JSON array
    assert lead_id == "1001"
    [call] = graph.calls
    assert json.loads(call.params["field_data"]) == [{"name": "email", "values": ["x@example.com"]}]


def test_a_code_100_refusal_with_a_listed_test_lead_is_an_existing_test_lead():
    # Given the form already has test lead 999, so Meta refuses a new one with code 100
    refused = GraphPermanentError("(#100) This form already has a test lead", code=100)
    graph = FakeGraph(
        answers={("POST", "205/test_leads"): refused, ("GET", "205/test_leads"): {"data": [{"id": "999"}]}}
    )
    # When the smoke creates a test lead
    with pytest.raises(ExistingTestLead) as caught:
        meta(graph).create("205", [])
    # Then the refusal names the existing lead
    assert caught.value.lead_ids == ["999"]


def test_a_code_100_refusal_without_a_test_lead_stays_metas_error():
    # Given Meta refuses with code 100 while the form lists no test lead
    refused = GraphPermanentError("(#100) Invalid parameter", code=100)
    graph = FakeGraph(answers={("POST", "205/test_leads"): refused, ("GET", "205/test_leads"): {"data": []}})
    # When / Then creating a test lead raises Meta's error
    with pytest.raises(GraphPermanentError):
        meta(graph).create("205", [])


def test_an_answer_without_an_id_is_an_error():
    # Given Meta answers the creation without a lead id
    graph = FakeGraph(answers={("POST", "205/test_leads"): {"success": True}})
    # When / Then the smoke says so
    with pytest.raises(GraphPermanentError, match="no lead id"):
        meta(graph).create("205", [])


@pytest.mark.parametrize(
    ("apps", "installed"),
    [
        ([{"id": "900", "subscribed_fields": ["leadgen", "feed"]}], True),
        ([{"id": "900", "subscribed_fields": ["feed"]}], False),
        ([{"id": "777", "subscribed_fields": ["leadgen"]}], False),  # another app's install
        ([], False),
    ],
)
def test_page_installed_reads_our_apps_leadgen_install(apps, installed):
    # Given the Page's installed apps
    graph = FakeGraph(answers={("GET", "104/subscribed_apps"): {"data": apps}})
    # When / Then the Page counts as installed only with our app subscribed to leadgen
    assert meta(graph).page_installed("104") is installed


def test_page_installed_is_unknown_when_meta_refuses():
    # Given Meta refuses to list the Page's apps
    graph = FakeGraph(answers={("GET", "104/subscribed_apps"): GraphAuthError("no", code=200)})
    # When / Then the install is unknown
    assert meta(graph).page_installed("104") is None


def test_the_page_token_comes_from_the_secret_when_it_holds_one():
    # Given a secret holding the Page's own token
    made: list[str] = []
    shared = FakeGraph(answers={("GET", "104"): {"id": "104", "access_token": "EAAB-from-meta"}})

    def make(token: str) -> GraphClient:
        made.append(token)
        return cast(GraphClient, FakeGraph())

    # When the smoke builds the Page's client
    page_token_client(cast(GraphClient, shared), "104", make, "EAAB-own")
    # Then it uses the secret's token without asking Meta
    assert made == ["EAAB-own"]
    assert shared.calls == []


def test_the_page_token_comes_from_meta_when_the_secret_has_none():
    # Given no Page token in the secret, and Meta giving one for the Page
    made: list[str] = []
    shared = FakeGraph(answers={("GET", "104"): {"id": "104", "access_token": "EAAB-from-meta"}})

    def make(token: str) -> GraphClient:
        made.append(token)
        return cast(GraphClient, FakeGraph())

    # When the smoke builds the Page's client
    page_token_client(cast(GraphClient, shared), "104", make, None)
    # Then it asked Meta for the Page's access token and uses it
    assert made == ["EAAB-from-meta"]
    assert shared.calls == [("GET", "104", {"fields": "access_token"})]


def test_the_shared_client_serves_when_meta_refuses_the_page_token():
    # Given Meta refuses the Page's token
    refusing = FakeGraph(answers={("GET", "104"): GraphAuthError("no role", code=200)})
    # When the smoke builds the Page's client
    client = page_token_client(cast(GraphClient, refusing), "104", lambda token: cast(GraphClient, FakeGraph()), None)
    # Then it keeps the shared client
    assert client is cast(GraphClient, refusing)


def test_the_removal_payload_carries_hashes_in_schema_order_and_page_ids_for_pageuid():
    row = PersonRow(("EMAIL", "PHONE", "PAGEUID"), (H1, "", ""), ("104",))
    payload = json.loads(removal_form(row)["payload"])
    assert payload == {
        "schema": ["EMAIL", "PHONE", "PAGEUID"],
        "data": [[H1, "", ""]],
        "is_raw": True,
        "page_ids": ["104"],
    }
    assert "page_ids" not in json.loads(removal_form(PersonRow(("EMAIL",), (H1,)))["payload"])


def test_membership_is_a_shared_identifying_cell():
    row = PersonRow(("EMAIL", "FN"), (H1, H2))
    assert is_member(["FN", "EMAIL"], [["x", H1]], row)
    assert not is_member(["FN", "EMAIL"], [[H2, "c" * 64]], row)  # same first name is not the same person
    assert not is_member(["PHONE"], [[H1]], row)


def test_a_row_of_names_only_is_found_by_all_its_cells():
    names = PersonRow(("EMAIL", "FN", "LN", "DATA_PROCESSING_OPTIONS"), ("", H1, H2, "LDU"))
    assert is_member(["FN", "LN", "EMAIL"], [[H1, H2, "c" * 64]], names)
    assert not is_member(["FN", "LN"], [[H1, "d" * 64]], names)
    assert not is_member(["FN"], [[H1]], names)  # the audience lacks one of the row's keys


@dataclass
class FakeSqs:
    depths: list[int]
    asked: int = 0

    def get_queue_attributes(self, **_: Any) -> dict[str, Any]:
        depth = self.depths[min(self.asked, len(self.depths) - 1)]
        self.asked += 1
        return {"Attributes": {"ApproximateNumberOfMessages": str(depth), "ApproximateNumberOfMessagesDelayed": "0"}}


def test_queue_quiet_needs_an_unbroken_quiet_period():
    clock = Clock(0.0)
    sqs = FakeSqs([0, 0, 3, 0, 0, 0, 0, 0])
    quiet = QueueQuiet(sqs, "url", settle_seconds=3.0, poll_seconds=1.0, clock=clock, sleep=clock.sleep)
    row = PersonRow(("EMAIL",), (H1,))
    assert quiet.wait_added("238", row, deadline=100.0)
    assert clock() == pytest.approx(6.0, abs=0.1)  # quiet from t=3 (after the busy poll) until t=6


def test_queue_quiet_gives_up_at_the_deadline_and_cannot_confirm_members():
    clock = Clock(0.0)
    row = PersonRow(("EMAIL",), (H1,))
    busy = QueueQuiet(FakeSqs([1]), "url", settle_seconds=3.0, clock=clock, sleep=clock.sleep)
    assert not busy.wait_added("238", row, deadline=10.0)
    assert busy.confirm_absent("238", row, deadline=20.0) is False
    calm = QueueQuiet(FakeSqs([0]), "url", settle_seconds=1.0, clock=clock, sleep=clock.sleep)
    assert calm.confirm_absent("238", row, deadline=100.0) is None  # quiet, yet members stay unreadable


def test_diagnosis_quotes_codes_never_metas_message():
    item = {"status": "PENDING", "notifications": 1, "last_error": "graph error code=4 http=400: secret text"}
    line = explain(item, Clues(timeout=30, page_id="104", parked=0))
    assert "(last error code=4)" in line and "secret text" not in line and "\n" not in line
    assert "FetchRetryDLQ holds" not in line


def test_diagnosis_of_a_forgotten_lead():
    assert "tombstone" in explain({"status": "FORGOTTEN"}, Clues(timeout=30, page_id="104"))

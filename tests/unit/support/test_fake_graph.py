"""FakeGraph answers as its docstring says, so the tests built on it test the code and not the fake."""

from __future__ import annotations

import pytest

from leadloop.graph import BatchRequest, GraphPage, GraphPermanentError, GraphRetryableError, GraphTransportError
from tests.support.graph import FakeGraph, page_body


def test_the_script_answers_first_in_call_order_whatever_the_path():
    # Given a script of two answers and an answer for path "a"
    graph = FakeGraph({"first": 1}, {"second": 2}, answers={"a": {"routed": True}})
    # When three calls are made
    answers = [graph.get("a").data, graph.get("b").data, graph.get("a").data]
    # Then the script answered the first two and the path the third
    assert answers == [{"first": 1}, {"second": 2}, {"routed": True}]


def test_none_in_the_script_is_the_usual_answer():
    # Given a script of a failure then None, and the usual answer for every path
    graph = FakeGraph(GraphRetryableError("down", code=2), None, otherwise={"ok": True})
    # When the call fails once and is made again
    with pytest.raises(GraphRetryableError):
        graph.post("1/users", {"payload": "{}"})
    # Then the second call gets the usual answer
    assert graph.post("1/users", {"payload": "{}"}).data == {"ok": True}


def test_a_method_and_path_answer_wins_over_a_path_answer():
    # Given an answer for GET 205/test_leads and one for the path under any method
    graph = FakeGraph(answers={("GET", "205/test_leads"): "get", "205/test_leads": "any"})
    # When / Then GET takes its own answer and POST the path's
    assert graph.get("205/test_leads").data == "get"
    assert graph.post("205/test_leads").data == "any"


def test_an_unknown_path_is_metas_unsupported_request():
    # Given no answer for the path
    graph = FakeGraph()
    # When / Then the call fails as Meta fails it
    with pytest.raises(GraphPermanentError) as caught:
        graph.get("nope")
    assert caught.value.code == 100
    assert caught.value.subcode == 33


def test_an_answer_function_gets_the_call():
    # Given an answer computed from the call
    graph = FakeGraph(otherwise=lambda call: {"echo": call.params["q"], "path": call.path})
    # When / Then the function saw the path and the parameters
    assert graph.get("/x", {"q": "1"}).data == {"echo": "1", "path": "x"}


def test_every_call_is_recorded_with_its_method_path_and_parameters():
    # Given a graph that answers everything
    graph = FakeGraph(otherwise={})
    # When three kinds of calls are made
    graph.get("a", {"fields": "id"})
    graph.post_json("b", {"payload": {"data": []}})
    graph.delete("c")
    # Then each is recorded in order
    assert graph.calls == [
        ("GET", "a", {"fields": "id"}),
        ("POST", "b", {"payload": {"data": []}}),
        ("DELETE", "c", {}),
    ]


def test_a_batch_answers_each_item_on_its_own():
    # Given lead 1 answered and lead 2 failing
    graph = FakeGraph(answers={"1": {"id": "1"}, "2": GraphRetryableError("later", code=2)})
    # When both are read in one batch
    first, second = graph.batch([BatchRequest.get("1", {"fields": "id"}), BatchRequest.get("2")])
    # Then each item carries its own outcome, and each is recorded as its own call
    assert first.data == {"id": "1"}
    assert isinstance(second.error, GraphRetryableError)
    assert graph.calls == [("GET", "1", {"fields": "id"}), ("GET", "2", {})]


def test_next_page_follows_the_link_without_the_version():
    # Given a first page whose paging.next points at the second
    link = "https://graph.facebook.com/v25.0/205/leads?after=C1&limit=2"
    graph = FakeGraph(page_body([{"id": "1"}], next_url=link, after="C1"), page_body([{"id": "2"}]))
    first = graph.get_page("205/leads")
    # When the next page is read
    second = graph.next_page(first)
    # Then it was asked of the same edge with the link's query, and it is the last
    assert graph.calls[1] == ("GET", "205/leads", {"after": "C1", "limit": "2"})
    assert isinstance(second, GraphPage)
    assert second.next_url is None


def test_an_edge_answer_without_a_data_list_is_a_transport_error_as_in_the_client():
    # Given an edge answered with something that is not a page
    graph = FakeGraph({"oops": True})
    # When / Then reading it as a page fails as the real client fails
    with pytest.raises(GraphTransportError):
        graph.get_page("205/leads")


def test_the_clock_reading_of_each_call_is_kept():
    # Given a graph with a clock
    now = [100.0]
    graph = FakeGraph(otherwise={}, clock=lambda: now[0])
    # When calls are made at two times
    graph.get("a")
    now[0] = 160.0
    graph.get("a")
    # Then both times are kept
    assert graph.times == [100.0, 160.0]

"""GraphClient against an in-memory transport (no sockets)."""

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest

from leadloop.graph import BatchRequest, GraphClient, GraphPermanentError, GraphTransportError
from leadloop.graph.errors import GraphAuthError
from leadloop.graph.transport import RawResponse, TransportError

TOKEN = "EAAB-page-token"
SECRET = "s3cret"
PROOF = hmac.new(SECRET.encode(), TOKEN.encode(), hashlib.sha256).hexdigest()


@dataclass
class Sent:
    method: str
    url: str
    query: dict
    form: dict | None
    headers: dict


class FakeTransport:
    def __init__(self, responder: Callable[[Sent], Any]):
        self.responder = responder
        self.sent: list[Sent] = []

    def request(self, method, url, *, query, form, headers, timeout, json_body=None):
        if json_body is not None:
            form = json.loads(json_body)
        sent = Sent(method, url, dict(query), dict(form) if form is not None else None, dict(headers))
        self.sent.append(sent)
        outcome = self.responder(sent)
        if isinstance(outcome, Exception):
            raise outcome
        status, body, extra_headers = outcome
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return RawResponse(status=status, headers=extra_headers, body=raw)


def make_client(responder):
    fake = FakeTransport(responder)
    client = GraphClient(
        base_url="https://graph.test", version="v26.0", access_token=TOKEN, app_secret=SECRET, transport=fake
    )
    return client, fake


def test_token_travels_in_the_header_and_proof_in_the_query():
    client, fake = make_client(lambda s: (200, {"id": "1"}, {}))
    client.get("123", {"fields": "id"})
    [sent] = fake.sent
    assert TOKEN not in sent.url and TOKEN not in json.dumps(sent.query)
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent.query == {"fields": "id", "appsecret_proof": PROOF}
    assert sent.url == "https://graph.test/v26.0/123"


def test_batch_results_stand_alone_including_unfinished_items():
    def responder(sent):
        items = json.loads(sent.form["batch"])
        assert [i["relative_url"] for i in items] == ["1?fields=id", "2?fields=id", "3?fields=id"]
        assert sent.form["appsecret_proof"] == PROOF
        assert "access_token" not in sent.form
        return (
            200,
            [
                {"code": 200, "headers": [], "body": json.dumps({"id": "1"})},
                {
                    "code": 400,
                    "headers": [],
                    "body": json.dumps({"error": {"code": 190, "error_subcode": 463, "message": "expired"}}),
                },
                None,
            ],
            {},
        )

    client, _ = make_client(responder)
    results = client.batch([BatchRequest.get(i, {"fields": "id"}) for i in ("1", "2", "3")])
    assert results[0].data == {"id": "1"}
    assert isinstance(results[1].error, GraphAuthError) and results[1].error.subcode == 463
    assert isinstance(results[2].error, GraphTransportError)


def test_batch_size_is_bounded():
    client, _ = make_client(lambda s: (200, [], {}))
    with pytest.raises(ValueError):
        client.batch([BatchRequest.get(str(i)) for i in range(51)])


def test_a_batch_answer_of_the_wrong_length_is_a_transport_error():
    client, _ = make_client(lambda s: (200, [None], {}))
    with pytest.raises(GraphTransportError):
        client.batch([BatchRequest.get("1"), BatchRequest.get("2")])


def test_paging_follows_next_without_reusing_the_token_meta_put_in_it():
    pages = {
        "first": {
            "data": [{"id": "1"}],
            "paging": {
                "cursors": {"after": "A"},
                "next": f"https://graph.test/v26.0/9/leads?access_token={TOKEN}&after=A&limit=1",
            },
        },
        "second": {"data": [{"id": "2"}], "paging": {"cursors": {"after": "B"}}},
    }

    def responder(sent):
        assert "access_token" not in sent.query and urlsplit(sent.url).query == ""
        return 200, pages["second" if sent.query.get("after") == "A" else "first"], {}

    client, fake = make_client(responder)
    seen = [item["id"] for page in client.iter_pages("9/leads", {"limit": "1"}) for item in page.data]
    assert seen == ["1", "2"]
    assert fake.sent[1].query == {"after": "A", "limit": "1", "appsecret_proof": PROOF}


def test_paging_never_follows_a_link_to_another_host():
    client, _ = make_client(lambda s: (200, {"data": [], "paging": {"next": "https://evil.test/v26.0/x"}}, {}))
    page = client.get_page("9/leads")
    with pytest.raises(GraphPermanentError):
        client.next_page(page)


def test_network_failures_become_transport_errors_without_the_url():
    client, _ = make_client(lambda s: TransportError("timed out (ReadTimeoutError)", timed_out=True))
    with pytest.raises(GraphTransportError) as caught:
        client.get("1")
    assert "graph.test" not in str(caught.value) and "timed out" in str(caught.value)


def test_error_bodies_raise_classified_errors_and_non_json_is_a_transport_error():
    client, _ = make_client(
        lambda s: (400, {"error": {"code": 100, "error_subcode": 33, "message": "no such object"}}, {})
    )
    with pytest.raises(GraphPermanentError) as caught:
        client.get("1")
    assert caught.value.subcode == 33
    client, _ = make_client(lambda s: (200, b"<html>", {}))
    with pytest.raises(GraphTransportError):
        client.get("1")


def test_usage_headers_are_read_on_success():
    headers = {"X-App-Usage": json.dumps({"call_count": 42, "total_cputime": 1, "total_time": 3})}
    client, _ = make_client(lambda s: (200, {"id": "1"}, headers))
    assert client.get("1").usage.app_pct == 42


def test_a_json_body_carries_the_proof_and_never_the_token():
    client, fake = make_client(lambda s: (200, {"num_received": 2}, {}))
    answer = client.post_json("238/usersreplace", {"payload": {"schema": ["EMAIL"], "data": [["a"], ["b"]]}})
    [sent] = fake.sent
    assert answer.data == {"num_received": 2}
    assert sent.form is not None and sent.form["payload"]["data"] == [["a"], ["b"]]
    assert "appsecret_proof" in sent.form and TOKEN not in json.dumps(sent.form) and TOKEN not in sent.url

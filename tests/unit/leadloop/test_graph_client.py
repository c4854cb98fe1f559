"""GraphClient against an in-process requests adapter (no sockets)."""

import hashlib
import hmac
import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from requests.adapters import BaseAdapter

from leadloop.graph import BatchRequest, GraphClient, GraphPermanentError, GraphTransportError
from leadloop.graph.errors import GraphAuthError

TOKEN = "EAAB-page-token"
SECRET = "s3cret"
PROOF = hmac.new(SECRET.encode(), TOKEN.encode(), hashlib.sha256).hexdigest()


class FakeGraph(BaseAdapter):
    def __init__(self, responder):
        super().__init__()
        self.responder = responder
        self.requests: list[requests.PreparedRequest] = []

    def send(self, request, **kwargs):  # type: ignore[override]
        self.requests.append(request)
        outcome = self.responder(request)
        if isinstance(outcome, Exception):
            raise outcome
        status, body, headers = outcome
        response = requests.Response()
        response.status_code = status
        response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
        response.headers.update(headers)
        response.url = request.url
        response.request = request
        return response

    def close(self):
        pass


def make_client(responder):
    adapter = FakeGraph(responder)
    session = requests.Session()
    session.mount("https://graph.test", adapter)
    return GraphClient(
        base_url="https://graph.test", version="v26.0", access_token=TOKEN, app_secret=SECRET, session=session
    ), adapter


def test_token_travels_in_the_header_and_proof_in_the_query():
    client, fake = make_client(lambda r: (200, {"id": "1"}, {}))
    client.get("123", {"fields": "id"})
    sent = fake.requests[0]
    assert TOKEN not in sent.url
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    query = parse_qs(urlsplit(sent.url).query)
    assert query["appsecret_proof"] == [PROOF]
    assert urlsplit(sent.url).path == "/v26.0/123"


def test_batch_results_stand_alone_including_unfinished_items():
    def responder(request):
        form = parse_qs(request.body)
        items = json.loads(form["batch"][0])
        assert [i["relative_url"] for i in items] == ["1?fields=id", "2?fields=id", "3?fields=id"]
        assert form["appsecret_proof"] == [PROOF]
        assert "access_token" not in form
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
    client, _ = make_client(lambda r: (200, [], {}))
    with pytest.raises(ValueError):
        client.batch([BatchRequest.get(str(i)) for i in range(51)])


def test_paging_follows_next_without_reusing_the_token_meta_put_in_it():
    pages = {
        "/v26.0/9/leads": {
            "data": [{"id": "1"}],
            "paging": {
                "cursors": {"after": "A"},
                "next": f"https://graph.test/v26.0/9/leads?access_token={TOKEN}&after=A&limit=1",
            },
        },
        "/v26.0/9/leads?after": {"data": [{"id": "2"}], "paging": {"cursors": {"after": "B"}}},
    }

    def responder(request):
        parts = urlsplit(request.url)
        key = parts.path + ("?after" if "after=A" in parts.query else "")
        assert "access_token" not in parts.query
        return 200, pages[key], {}

    client, fake = make_client(responder)
    seen = [item["id"] for page in client.iter_pages("9/leads", {"limit": "1"}) for item in page.data]
    assert seen == ["1", "2"]
    assert len(fake.requests) == 2


def test_paging_never_follows_a_link_to_another_host():
    client, _ = make_client(lambda r: (200, {"data": [], "paging": {"next": "https://evil.test/v26.0/x"}}, {}))
    page = client.get_page("9/leads")
    with pytest.raises(GraphPermanentError):
        client.next_page(page)


def test_network_failures_become_transport_errors_without_the_url():
    client, _ = make_client(lambda r: requests.ConnectTimeout(f"timeout on {r.url}"))
    with pytest.raises(GraphTransportError) as caught:
        client.get("1")
    assert "graph.test" not in str(caught.value)


def test_error_bodies_raise_classified_errors():
    client, _ = make_client(
        lambda r: (400, {"error": {"code": 100, "error_subcode": 33, "message": "no such object"}}, {})
    )
    with pytest.raises(GraphPermanentError) as caught:
        client.get("1")
    assert caught.value.subcode == 33

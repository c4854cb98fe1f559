"""Wire formats: webhook signing and payloads, error bodies, request parsing, the clock."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest

from leadloop_cli.graphsim.auth import appsecret_proof
from leadloop_cli.graphsim.clock import VirtualClock
from leadloop_cli.graphsim.errors import GraphError, status_for_code
from leadloop_cli.graphsim.models import FieldAnswer, Lead
from leadloop_cli.graphsim.request import GraphRequest, batch_item_request, split_path, token_from_header
from leadloop_cli.graphsim.webhooks import build_payload, sign


def _lead(lead_id: str, page_id: str, ad_id: str | None = None) -> Lead:
    return Lead(
        id=lead_id,
        page_id=page_id,
        form_id="205000000000001",
        created_time=1_800_000_000,
        seq=1,
        field_data=(FieldAnswer("full_name", ("Jöns",)),),
        ad_id=ad_id,
    )


def test_signature_matches_reference_vector():
    # meta-api.md §2.4 self-computed vector
    expected = "sha256=525647799b07d87469d0ffe368a0b5bcdba9bbee0a2d4611e98fcb1ec3db947c"
    assert sign("app_secret_example", b'{"object":"page","entry":[]}') == expected


def test_payload_groups_by_page_with_exact_big_ints():
    leads = [
        _lead("900719925474099300", "1"),
        _lead("900719925474099301", "2", ad_id="120241202673250160"),
        _lead("900719925474099302", "1"),
    ]
    raw = build_payload(leads, sent_at=1_800_000_100)
    document = json.loads(raw)
    assert [entry["id"] for entry in document["entry"]] == [1, 2]
    assert [c["value"]["leadgen_id"] for c in document["entry"][0]["changes"]] == [
        900719925474099300,
        900719925474099302,
    ]
    assert document["entry"][1]["changes"][0]["value"]["adgroup_id"] == 120241202673250160
    assert document["entry"][0]["changes"][0]["value"]["ad_id"] == 0
    assert b"900719925474099301" in raw and raw.isascii()


def test_payload_keeps_non_numeric_ids_as_strings():
    document = json.loads(build_payload([_lead("123", "page-a")], sent_at=1))
    assert document["entry"][0]["id"] == "page-a"


def test_error_body_and_status():
    body = GraphError(190, subcode=463).body()["error"]
    assert body["code"] == 190 and body["error_subcode"] == 463 and body["type"] == "OAuthException"
    assert body["is_transient"] is False and len(body["fbtrace_id"]) == 11
    assert GraphError(2).body()["error"]["is_transient"] is True
    assert [status_for_code(c) for c in (1, 2, 10, 200, 299, 100, 190, 80005)] == [
        500,
        500,
        403,
        403,
        403,
        400,
        400,
        400,
    ]


def test_appsecret_proof_is_hmac_of_token():
    expected = hmac.new(b"secret", b"token", hashlib.sha256).hexdigest()
    assert appsecret_proof("secret", "token") == expected
    assert appsecret_proof("secret", "a") != appsecret_proof("secret", "b")


def test_split_path_and_header_tokens():
    assert split_path("/v25.0/1/leads") == ("v25.0", ("1", "leads"))
    assert split_path("/v25.0/") == ("v25.0", ())
    assert split_path("/1") == (None, ("1",))
    assert token_from_header("Bearer abc") == "abc"
    assert token_from_header("OAuth abc") == "abc"
    assert token_from_header("Basic abc") is None


def _parent(**params: Any) -> GraphRequest:
    return GraphRequest(
        method="POST",
        path="/v24.0/",
        version="v24.0",
        segments=(),
        params={"access_token": "top", "appsecret_proof": "top-proof", **params},
        query={},
        base_url="http://h/",
    )


@pytest.mark.parametrize(
    "relative_url", ["123?fields=id", "/123?fields=id", "v24.0/123?fields=id", "/v24.0/123?fields=id"]
)
def test_batch_item_paths_are_normalized(relative_url):
    item = batch_item_request({"method": "get", "relative_url": relative_url}, _parent())
    assert (item.method, item.path, item.segments) == ("GET", "/v24.0/123", ("123",))
    assert item.params == {"fields": "id"}
    assert (item.token, item.proof) == ("top", "top-proof")


def test_batch_item_with_own_token_needs_own_proof():
    own = batch_item_request({"method": "GET", "relative_url": "1?access_token=mine"}, _parent())
    assert (own.token, own.proof) == ("mine", None)
    body = batch_item_request(
        {"method": "POST", "relative_url": "1/x", "body": "a=1&access_token=b&appsecret_proof=c"}, _parent()
    )
    assert (body.token, body.proof, body.params["a"]) == ("b", "c", "1")


def test_malformed_batch_items():
    for item in ({"method": "GET"}, {"relative_url": 5}, {"relative_url": "1", "body": 5}):
        with pytest.raises(ValueError):
            batch_item_request(item, _parent())


def test_virtual_clock_advance_set_freeze():
    clock = VirtualClock(1000, frozen=True)
    assert clock.now() == 1000
    assert clock.advance(60) == 1060
    assert clock.set(5) == 5
    clock.freeze(False)
    assert not clock.frozen and clock.now() >= 5

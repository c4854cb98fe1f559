"""Webhooks: verification, signed deliveries with big-int ids, grouping, copies, retries."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest

from leadloop_cli.graphsim import SubscriptionError


def _signature_ok(secret: str, received: Any) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), received.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, received.headers["X-Hub-Signature-256"])


def test_subscribe_performs_verification_get(sim, receiver, ids):
    sim.subscribe(receiver.url, ids.verify_token)

    get = receiver.requests[0]
    assert get.method == "GET"
    assert get.query["hub.mode"] == ["subscribe"] and get.query["hub.verify_token"] == [ids.verify_token]
    assert get.query["hub.challenge"][0].isdigit()


@pytest.mark.parametrize("problem", ["wrong_token", "wrong_echo", "unreachable"])
def test_subscribe_fails_without_exact_echo(sim, receiver, ids, problem):
    url, token = receiver.url, ids.verify_token
    if problem == "wrong_token":
        token = "nope"
    elif problem == "wrong_echo":
        receiver.echo_challenge = False
    else:
        url = "http://127.0.0.1:9/webhook"
    with pytest.raises(SubscriptionError):
        sim.subscribe(url, token)


def test_deliver_sends_signed_leadgen_body_with_big_int_ids(sim, graph, receiver, ids):
    # Given a subscription
    sim.subscribe(receiver.url, ids.verify_token)

    # When a lead is created with deliver
    lead_id = graph.sim_post(
        "leads",
        {"page_id": ids.page_id, "form_id": ids.form_id, "field_data": ids.answers(), "deliver": True},
    ).json()["id"]
    (post,) = receiver.wait_posts(1)

    # Then the body is signed with the app secret and carries the ids as exact JSON numbers
    assert _signature_ok(ids.app_secret, post)
    assert post.headers["Content-Type"] == "application/json"
    assert post.headers["User-Agent"] == "facebookexternalua"
    body = json.loads(post.body)
    assert body["object"] == "page"
    (entry,) = body["entry"]
    assert entry["id"] == int(ids.page_id) and isinstance(entry["time"], int)
    (change,) = entry["changes"]
    assert change["field"] == "leadgen"
    value = change["value"]
    assert isinstance(value["leadgen_id"], int) and value["leadgen_id"] > 2**53
    assert str(value["leadgen_id"]) == lead_id
    assert value["form_id"] == int(ids.form_id) and value["page_id"] == int(ids.page_id)
    assert value["ad_id"] == 0 and value["adgroup_id"] == 0
    assert f'"leadgen_id":{lead_id}'.encode() in post.body
    assert sim.wait_for_deliveries(5)
    (delivery,) = graph.sim_get("webhooks").json()
    assert delivery["delivered"] is True and delivery["lead_ids"] == [lead_id]
    assert delivery["attempts"][0]["status"] == 200


def test_sim_webhooks_groups_leads_per_page_and_sends_copies(sim, graph, receiver, ids):
    sim.subscribe(receiver.url, ids.verify_token)
    a = sim.create_lead(ids.page_id, ids.form_id, ids.answers(), ad_id="120241202673250160")
    b = sim.create_lead(ids.other_page_id, ids.other_form_id, ids.answers())
    c = sim.create_lead(ids.page_id, ids.form_id, ids.answers())

    result = graph.sim_post("webhooks", {"lead_ids": [a, b, c], "copies": 3}).json()
    posts = receiver.wait_posts(3)

    assert result["deliveries"] == 3
    assert len({p.body for p in posts}) == 1  # identical duplicates, like Meta's redelivery
    body = json.loads(posts[0].body)
    assert [e["id"] for e in body["entry"]] == [int(ids.page_id), int(ids.other_page_id)]
    first_page = [ch["value"]["leadgen_id"] for ch in body["entry"][0]["changes"]]
    assert first_page == [int(a), int(c)]
    assert body["entry"][0]["changes"][0]["value"]["ad_id"] == 120241202673250160


def test_failed_deliveries_are_retried_until_200(sim, graph, receiver, ids):
    sim.subscribe(receiver.url, ids.verify_token)
    receiver.post_statuses = [500, 503]

    sim.create_lead(ids.page_id, ids.form_id, ids.answers(), deliver=True)
    assert sim.wait_for_deliveries(10)

    posts = receiver.posts()
    assert len(posts) == 3 and len({p.body for p in posts}) == 1
    (delivery,) = sim.deliveries()
    assert [a["status"] for a in delivery["attempts"]] == [500, 503, 200]
    assert delivery["delivered"] is True


def test_delivery_gives_up_after_configured_attempts(sim, graph, receiver, ids):
    sim.subscribe(receiver.url, ids.verify_token)
    receiver.post_statuses = [500] * 10

    sim.create_lead(ids.page_id, ids.form_id, ids.answers(), deliver=True)
    deliveries = graph.sim_get("webhooks", wait=10).json()

    (delivery,) = deliveries
    assert delivery["delivered"] is False and delivery["state"] == "failed"
    assert len(delivery["attempts"]) == 3  # one per webhook_retry_delays entry
    assert len(receiver.posts()) == 3


def test_connection_errors_are_retried_and_logged(sim, graph, receiver, ids):
    sim.subscribe(receiver.url, ids.verify_token)
    receiver.close()

    sim.create_lead(ids.page_id, ids.form_id, ids.answers(), deliver=True)
    assert sim.wait_for_deliveries(10)

    (delivery,) = sim.deliveries()
    assert delivery["delivered"] is False
    assert [set(a) for a in delivery["attempts"]] == [{"error", "at"}] * 3


def test_deliver_without_subscription_is_rejected(sim, graph, ids):
    response = graph.sim_post(
        "leads", {"page_id": ids.page_id, "form_id": ids.form_id, "field_data": [], "deliver": True}
    )
    assert response.status_code == 400
    assert "subscription" in response.json()["error"]
    assert graph.sim_get("leads", form_id=ids.form_id).json()["data"] == []


def test_graph_subscriptions_endpoint_needs_app_token(sim, graph, receiver, ids):
    params = {"object": "page", "callback_url": receiver.url, "fields": "leadgen", "verify_token": ids.verify_token}
    url = f"{graph.base_url}/v25.0/{ids.app_id}/subscriptions"

    with_page_token = graph.session.post(url, data={**params, **graph.auth()}, timeout=10)
    with_app_token = graph.session.post(url, data={**params, **graph.auth(sim.app_token())}, timeout=10)
    bad_verify = graph.session.post(
        url, data={**params, "verify_token": "nope", **graph.auth(sim.app_token())}, timeout=10
    )
    listed = graph.get(f"{ids.app_id}/subscriptions", token=sim.app_token()).json()

    assert with_page_token.status_code == 400 and with_page_token.json()["error"]["code"] == 15
    assert with_app_token.json() == {"success": True}
    assert bad_verify.json()["error"]["code"] == 2200
    (subscription,) = listed["data"]
    assert subscription["callback_url"] == receiver.url and subscription["active"] is True
    assert subscription["fields"][0]["name"] == "leadgen"


def test_page_subscribed_apps(sim, graph, ids):
    assert graph.get(f"{ids.page_id}/subscribed_apps").json() == {"data": []}
    url = f"{graph.base_url}/v25.0/{ids.page_id}/subscribed_apps"
    posted = graph.session.post(url, params={"subscribed_fields": "leadgen", **graph.auth()}, timeout=10)
    assert posted.json() == {"success": True}
    (app,) = graph.get(f"{ids.page_id}/subscribed_apps").json()["data"]
    assert app["id"] == ids.app_id and app["subscribed_fields"] == ["leadgen"]
    assert graph.get(f"{ids.page_id}/subscribed_apps", token=ids.other_page_token).status_code == 403


def test_page_install_required_when_configured(sim, graph, receiver, ids):
    sim.subscribe(receiver.url, ids.verify_token)
    sim.configure(require_page_subscription=True)
    lead_id = sim.create_lead(ids.page_id, ids.form_id, ids.answers())
    assert graph.sim_post("webhooks", {"lead_ids": [lead_id]}).status_code == 400
    graph.session.post(
        f"{graph.base_url}/v25.0/{ids.page_id}/subscribed_apps",
        params={"subscribed_fields": "leadgen", **graph.auth()},
        timeout=10,
    )
    assert graph.sim_post("webhooks", {"lead_ids": [lead_id]}).status_code == 200

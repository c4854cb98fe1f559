"""A smoke run with fakes: pass, each failure named with what to do, and a cleanup that always runs."""

from __future__ import annotations

import json

import pytest

from leadloop.graph.errors import GraphAuthError, GraphPermanentError
from leadloop_cli.smoke.person import row_for
from leadloop_cli.smoke.runner import SmokeSetupError, pick_route, run_smoke

from .smoke_fakes import AUDIENCE, FORM, NEW_LEAD, OLD_LEAD, PAGE, routing, stored_at, world


def test_a_lead_stored_through_its_webhook_passes_and_is_cleaned_up_everywhere():
    w = world(stored_at(101.5), add_lands_at=103.0)

    result = run_smoke(w.deps, timeout=30)

    assert result.ok and result.reason == ""
    assert (result.form_id, result.lead_id, result.origin) == (FORM, NEW_LEAD, "webhook")
    assert result.seconds_to_stored == 1.5
    assert result.cleaned_up
    assert w.store.forgotten == [NEW_LEAD] and w.meta.deleted == [NEW_LEAD]
    assert w.audience.members == set()
    # the removal came only after the add had landed, and the test lead went last
    assert w.events == [
        f"create {FORM}",
        "add landed",
        f"forget {NEW_LEAD}",
        f"remove {AUDIENCE}",
        f"meta delete {NEW_LEAD}",
    ]
    assert set(result.as_json()) == {"ok", "form_id", "lead_id", "seconds_to_stored", "origin", "cleaned_up", "reason"}
    json.dumps(result.as_json())  # serialisable as printed


def test_the_test_person_is_a_fresh_example_com_address_under_the_email_question():
    w = world(stored_at(100.5), add_lands_at=100.5)
    run_smoke(w.deps, timeout=30)
    [answers] = w.meta.created
    [answer] = answers
    assert answer["name"] == "email"
    address = answer["values"][0]
    assert address.startswith("leadloop-smoke-") and address.endswith("@example.com")
    again = world(stored_at(100.5), add_lands_at=100.5)
    run_smoke(again.deps, timeout=30)
    assert again.meta.created[0][0]["values"][0] != address


def test_a_form_mapping_its_own_email_question_gets_the_address_there():
    w = world(stored_at(100.5), add_lands_at=100.5, route=routing(field_map={"work_mail": "EMAIL"}))
    run_smoke(w.deps, timeout=30)
    assert w.meta.created[0][0]["name"] == "work_mail"


def test_no_text_of_the_run_carries_the_address():
    w = world(stored_at(100.5), add_lands_at=100.5)
    result = run_smoke(w.deps, timeout=30)
    address = w.meta.created[0][0]["values"][0]
    assert address not in json.dumps(result.as_json()) + "\n".join(w.said)


def test_the_webhook_never_arriving_names_the_uninstalled_page_and_still_cleans_up():
    w = world(lambda _t: None)
    w.meta.installed = False

    result = run_smoke(w.deps, timeout=20)

    assert not result.ok and result.seconds_to_stored is None and result.origin is None
    assert result.reason.startswith("the webhook never arrived in 20s")
    assert f"Page {PAGE} has not installed the app for leadgen" in result.reason
    assert f"POST /{PAGE}/subscribed_apps?subscribed_fields=leadgen" in result.reason
    assert result.cleaned_up
    assert w.store.forgotten == [NEW_LEAD] and w.meta.deleted == [NEW_LEAD]
    assert "add landed" not in w.events  # never stored: nothing to wait for
    assert w.clock() == pytest.approx(120.0, abs=0.5)  # waited the timeout, not the cleanup budget on top


def test_a_missing_webhook_with_the_page_installed_points_at_the_subscription():
    w = world(lambda _t: None)
    result = run_smoke(w.deps, timeout=20)
    assert "webhook missing" in result.reason and "callback URL" in result.reason
    assert "subscribed_apps" in result.reason and "leadloop doctor" in result.reason


def test_a_lead_only_the_backfill_stored_fails_as_a_missing_webhook():
    w = world(stored_at(101.0, source="backfill", notifications=0), add_lands_at=102.0)

    result = run_smoke(w.deps, timeout=10)

    assert not result.ok and result.origin == "backfill"
    assert result.reason.startswith("the lead was stored only by the backfill in 10s (webhook missing)")
    assert result.cleaned_up and w.audience.members == set()
    assert w.events.index("add landed") < w.events.index(f"remove {AUDIENCE}")


def test_a_webhook_that_arrives_after_the_backfill_stored_the_lead_passes():
    def script(t: float) -> dict[str, object] | None:
        if t < 101:
            return None
        return {"status": "FETCHED", "source": "backfill", "notifications": 1 if t >= 102 else 0}

    result = run_smoke(world(script, add_lands_at=101.0).deps, timeout=10)

    assert result.ok and result.origin == "backfill" and result.seconds_to_stored == 2.0


@pytest.mark.parametrize(
    ("item", "words"),
    [
        (
            {
                "status": "PENDING",
                "notifications": 1,
                "fetch_attempts": 2,
                "last_error": "graph error code=200 http=403 fbtrace_id=Ab: (#200) The app does not have permission",
            },
            ["still PENDING after 10s (last error code=200)", "FetchRetryDLQ holds 3", "Leads Access"],
        ),
        (
            {
                "status": "FAILED",
                "notifications": 1,
                "fetch_attempts": 8,
                "last_error": "graph error code=190 subcode=463 http=400: Error validating access token",
            },
            ["failed 8 time(s) (last error code=190 subcode=463)", "parked in FetchRetryDLQ", "dlq replay"],
        ),
    ],
)
def test_a_lead_that_cannot_be_read_points_at_the_token_and_leads_access(item, words):
    w = world(stored_at(101.0, **item), parked=3)

    result = run_smoke(w.deps, timeout=10)

    assert not result.ok and all(word in result.reason for word in words), result.reason
    assert "permission" not in result.reason.split("(last error")[1][:40]  # Meta's message is left out
    assert result.cleaned_up and w.store.forgotten == [NEW_LEAD]
    assert f"remove {AUDIENCE}" in w.events  # removal sent anyway: harmless when nothing was added


def test_the_removal_waits_for_a_late_add_so_it_cannot_be_overtaken():
    w = world(stored_at(100.5), add_lands_at=140.0)  # the uploader's window holds the add back

    result = run_smoke(w.deps, timeout=30)

    assert result.ok
    assert w.events.index("add landed") < w.events.index(f"remove {AUDIENCE}")
    assert w.audience.members == set()


def test_an_add_that_never_lands_is_reported_as_incomplete_cleanup():
    w = world(stored_at(100.5), add_lands_at=None)

    result = run_smoke(w.deps, timeout=30)

    assert not result.ok and result.seconds_to_stored == 0.5
    assert not result.cleaned_up
    assert result.reason == f"cleanup incomplete: audience {AUDIENCE}: the test person's add was not seen landing"
    assert w.meta.deleted == [NEW_LEAD] and w.store.forgotten == [NEW_LEAD]  # the other steps still ran


def test_where_members_cannot_be_read_the_removal_is_sent_again_once_quiet():
    w = world(stored_at(100.5), add_lands_at=100.5)
    w.audience.readable = False
    result = run_smoke(w.deps, timeout=30)
    assert result.ok and w.audience.removals == 2


def test_a_form_whose_rows_identify_nobody_needs_no_audience_cleanup():
    w = world(stored_at(100.5), add_lands_at=100.5, route=routing(schema=["FN", "LN"]))
    result = run_smoke(w.deps, timeout=30)
    assert result.ok and w.audience.removals == 0 and "add landed" not in w.events


def test_cleanup_runs_even_when_the_wait_breaks():
    w = world(lambda _t: None)
    w.store.fail_reads_after = 101.0
    with pytest.raises(RuntimeError):
        run_smoke(w.deps, timeout=30)
    assert w.store.forgotten == [NEW_LEAD] and w.meta.deleted == [NEW_LEAD]


def test_an_existing_test_lead_is_named_and_left_alone_by_default():
    w = world(stored_at(100.5), add_lands_at=100.5)
    w.meta.existing = [OLD_LEAD]

    result = run_smoke(w.deps, timeout=30)

    assert not result.ok and result.lead_id is None and result.cleaned_up
    assert f"form {FORM} already has a test lead ({OLD_LEAD})" in result.reason
    assert "--replace-existing" in result.reason
    assert w.meta.deleted == [] and w.store.forgotten == []


def test_replace_existing_cleans_the_old_test_lead_up_first():
    w = world(stored_at(100.5), add_lands_at=100.5)
    w.meta.existing = [OLD_LEAD]

    result = run_smoke(w.deps, timeout=30, replace_existing=True)

    assert result.ok and w.meta.deleted == [OLD_LEAD, NEW_LEAD]
    assert w.store.forgotten == [OLD_LEAD, NEW_LEAD]
    assert w.events.index(f"meta delete {OLD_LEAD}") < w.events.index(f"create {FORM}")


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (GraphAuthError("(#210) A page access token is required", code=210), "needs a Page token"),
        (GraphAuthError("(#200) Requires pages_manage_ads", code=200), "Advertiser role"),
        (GraphAuthError("Error validating access token", code=190, subcode=463), "invalid or expired"),
        (GraphPermanentError("Unsupported post request", code=100, subcode=33), "must exist on Page"),
    ],
)
def test_metas_refusal_is_explained_and_nothing_needs_cleaning(error, words):
    w = world()
    w.meta.refusal = error

    result = run_smoke(w.deps, timeout=30)

    assert not result.ok and result.cleaned_up and result.lead_id is None
    assert f"(code={error.code})" in result.reason and words in result.reason
    assert w.events == []


def test_pick_route_prefers_a_form_feeding_audiences_and_refuses_unknown_forms():
    doc = routing()
    two = type(doc).model_validate(
        {"forms": [{"form_id": "1", "page_id": PAGE}, {"form_id": "2", "page_id": PAGE, "audience_ids": ["7"]}]}
    )
    assert pick_route(two, None).form_id == "2"
    assert pick_route(two, "1").form_id == "1"
    with pytest.raises(SmokeSetupError, match="not in the routing document"):
        pick_route(two, "3")
    with pytest.raises(SmokeSetupError, match="lists no form"):
        pick_route(type(doc)(), None)


def test_the_removal_row_is_the_row_the_hasher_sends():
    route = routing().forms[0]
    row = row_for(route, [{"name": "email", "values": ["Someone@Example.com "]}])
    assert row.reaches_audiences and row.schema[0] == "EMAIL"
    assert row.identifiers() == {"EMAIL": row.cells[0]} and len(row.cells[0]) == 64
    assert row.cells[0] == row_for(route, [{"name": "email", "values": ["someone@example.com"]}]).cells[0]

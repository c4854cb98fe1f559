"""Each check, healthy and broken: the status, the subject, and what to do."""

from __future__ import annotations

import pytest

from leadloop.graph import GraphAuthError, GraphPermanentError, GraphThrottledError, GraphTransportError
from leadloop.health import checks
from leadloop.health.checks import CHECKS, LEADS_ACCESS_ACTION
from leadloop.health.findings import Finding, Status

from .fakes import ALL_TOKENS, APP_ID, CAPTURE, DAY, NOW, PAGE_TOKENS, SHARED_TOKEN, Rig, debug, route, subscribed

P111, P222 = PAGE_TOKENS["111"], PAGE_TOKENS["222"]


def by_subject(findings: list[Finding]) -> dict[str, Finding]:
    return {f.subject: f for f in findings}


def assert_no_token(findings: list[Finding]) -> None:
    for f in findings:
        text = f"{f.subject} {f.detail} {f.action}"
        for secret in ALL_TOKENS:
            assert secret not in text, f"{f.check} {f.subject} leaks a token"


def auth_error(code: int = 200, subcode: int | None = None) -> GraphAuthError:
    return GraphAuthError("(#200) Requires permission", code=code, subcode=subcode, http_status=400)


# --------------------------------------------------------------------------- token


def test_token_valid_never_expiring_with_every_scope_is_ok():
    # Given every token is valid, never expires and has every scope
    rig = Rig()
    # When the token check runs
    findings = checks.token(rig.context())
    # Then each token is OK and said to never expire
    assert [(f.subject, f.status) for f in findings] == [
        ("page 111", Status.OK),
        ("page 222", Status.OK),
        ("audience token", Status.OK),
    ]
    assert "never expires" in findings[0].detail
    # And each token was debugged once, through the app token, not the Page's
    assert rig.app.calls == [
        ("GET", "debug_token", {"input_token": P111}),
        ("GET", "debug_token", {"input_token": P222}),
        ("GET", "debug_token", {"input_token": SHARED_TOKEN}),
    ]
    assert rig.asked_for == []


def test_token_with_a_far_expiry_is_ok_and_says_how_long():
    rig = Rig()
    rig.debug_answers[P111] = debug(expires_at=NOW + 60 * DAY)
    found = by_subject(checks.token(rig.context()))
    assert found["page 111"].status is Status.OK and "60 more days" in found["page 111"].detail


def test_an_invalid_token_fails_with_its_code_and_the_renew_action():
    rig = Rig()
    rig.debug_answers[P111] = debug(valid=False, code=190, expires_at=NOW - 10)
    f = by_subject(checks.token(rig.context()))["page 111"]
    assert f.status is Status.FAIL and "not valid" in f.detail and "190" in f.detail
    assert "new long-lived" in f.action
    assert_no_token([f])


def test_an_invalid_token_without_an_error_object_still_fails():
    rig = Rig()
    rig.debug_answers[P222] = {"data": {"is_valid": False}}
    f = by_subject(checks.token(rig.context()))["page 222"]
    assert f.status is Status.FAIL and "code None" in f.detail


def test_a_valid_token_past_its_expiry_fails_as_expired():
    rig = Rig(routes=[route("1002", "111")])
    rig.debug_answers[P111] = debug(expires_at=NOW)
    [f] = checks.token(rig.context())
    assert f.status is Status.FAIL and f.detail == "the token has expired" and "MetaSecret" in f.action


@pytest.mark.parametrize(("left", "days"), [(13 * DAY + 5, 13), (3600, 0), (14 * DAY - 1, 13)])
def test_a_token_expiring_within_14_days_warns(left: int, days: int):
    rig = Rig(routes=[route("1002", "111")])
    rig.debug_answers[P111] = debug(expires_at=NOW + left)
    [f] = checks.token(rig.context())
    assert f.status is Status.WARN and f.detail == f"the token expires in {days} day(s)" and f.action


def test_a_token_expiring_in_exactly_14_days_is_ok():
    rig = Rig(routes=[route("1002", "111")])
    rig.debug_answers[P111] = debug(expires_at=NOW + 14 * DAY)
    [f] = checks.token(rig.context())
    assert f.status is Status.OK


def test_a_token_missing_a_capture_scope_fails_naming_it():
    rig = Rig(routes=[route("1002", "111")])
    rig.debug_answers[P111] = debug(scopes=["pages_show_list", "pages_read_engagement"])
    [f] = checks.token(rig.context())
    assert f.status is Status.FAIL
    assert f.detail == "the token lacks leads_retrieval, pages_manage_metadata"
    assert "re-authorize" in f.action


def test_ads_management_is_required_only_when_a_route_has_audiences():
    without_audiences = Rig(routes=[route("1002", "111")])
    without_audiences.debug_answers[P111] = debug(scopes=CAPTURE)
    [f] = checks.token(without_audiences.context())
    assert f.status is Status.OK

    with_audiences = Rig()  # routes 1001 and 2001 name audiences
    with_audiences.debug_answers = {token: debug(scopes=CAPTURE) for token in [*PAGE_TOKENS.values(), SHARED_TOKEN]}
    found = by_subject(checks.token(with_audiences.context()))
    # Uploads use the shared token: it needs ads_management, the Pages' own tokens do not.
    assert {s: f.status for s, f in found.items()} == {
        "page 111": Status.OK,
        "page 222": Status.OK,
        "audience token": Status.FAIL,
    }
    assert found["audience token"].detail == "the token lacks ads_management"


def test_data_access_expiry_is_checked_too():
    rig = Rig(routes=[route("1002", "111")])
    rig.debug_answers[P111] = {"data": debug()["data"] | {"data_access_expires_at": NOW + 3 * 86400}}
    [f] = checks.token(rig.context())
    assert (f.status, f.detail) == (Status.WARN, "the token's data access expires in 3 day(s)")
    rig.debug_answers[P111] = {"data": debug()["data"] | {"data_access_expires_at": NOW - 1}}
    [f] = checks.token(rig.context())
    assert (f.status, f.detail) == (Status.FAIL, "the token's data access has expired")


def test_no_app_id_in_the_secret_warns_once_without_calling_meta():
    rig = Rig(with_app_graph=False, app_id=None)
    [f] = checks.token(rig.context())
    assert (f.status, f.subject) == (Status.WARN, "secret")
    assert "app_id" in f.detail and "app_id" in f.action
    assert rig.app.calls == []


@pytest.mark.parametrize(
    ("error", "action"),
    [
        (GraphAuthError("Invalid OAuth access token", code=190, http_status=400), "token is invalid or expired"),
        (GraphAuthError("(#10) Permission denied", code=10, http_status=403), "Leads Access"),
        (GraphTransportError("read timed out"), "run the check again later"),
    ],
)
def test_a_debug_token_error_fails_that_page_only(error, action):
    rig = Rig(routes=[route("1002", "111"), route("2002", "222")])
    rig.debug_answers[P111] = error
    found = by_subject(checks.token(rig.context()))
    assert found["page 111"].status is Status.FAIL
    assert found["page 111"].detail.startswith("debug_token failed: graph error code=")
    assert action in found["page 111"].action
    assert found["page 222"].status is Status.OK


# --------------------------------------------------------------------------- subscription


def test_subscription_ok_when_our_app_has_leadgen():
    # Given our app is installed with leadgen on both Pages
    rig = Rig()
    # When the subscription check runs
    findings = checks.subscription(rig.context())
    # Then both Pages are OK, each read once with its own token
    assert [(f.subject, f.status) for f in findings] == [("page 111", Status.OK), ("page 222", Status.OK)]
    assert rig.asked_for == ["111", "222"]
    assert rig.pages["111"].calls == [("GET", "111/subscribed_apps", {})]


def test_subscription_fails_when_no_app_is_installed():
    rig = Rig()
    rig.pages["111"].answers["111/subscribed_apps"] = {"data": []}
    f = by_subject(checks.subscription(rig.context()))["page 111"]
    assert f.status is Status.FAIL and "not installed" in f.detail and "subscribed_fields=leadgen" in f.action


def test_subscription_fails_when_only_another_app_is_installed():
    rig = Rig()
    rig.pages["222"].answers["222/subscribed_apps"] = subscribed(("9999", ["leadgen"]))
    f = by_subject(checks.subscription(rig.context()))["page 222"]
    assert f.status is Status.FAIL and "not installed" in f.detail


def test_subscription_fails_when_the_app_is_installed_without_leadgen():
    rig = Rig()
    rig.pages["111"].answers["111/subscribed_apps"] = subscribed((APP_ID, ["feed"]), ("9999", ["leadgen"]))
    f = by_subject(checks.subscription(rig.context()))["page 111"]
    assert f.status is Status.FAIL and "without the leadgen field" in f.detail


def test_subscription_matches_a_numeric_app_id():
    rig = Rig()
    rig.pages["111"].answers["111/subscribed_apps"] = {"data": [{"id": int(APP_ID), "subscribed_fields": ["leadgen"]}]}
    assert by_subject(checks.subscription(rig.context()))["page 111"].status is Status.OK


def test_subscription_without_app_id_accepts_any_app_with_leadgen():
    rig = Rig(app_id=None)
    rig.pages["111"].answers["111/subscribed_apps"] = subscribed(("9999", ["leadgen"]))
    assert by_subject(checks.subscription(rig.context()))["page 111"].status is Status.OK


def test_subscription_graph_error_fails_with_the_code():
    rig = Rig()
    rig.pages["222"].answers["222/subscribed_apps"] = auth_error(190)
    found = by_subject(checks.subscription(rig.context()))
    assert found["page 222"].status is Status.FAIL and "code=190" in found["page 222"].detail
    assert "issue a new one" in found["page 222"].action
    assert found["page 111"].status is Status.OK


# --------------------------------------------------------------------------- lead_read


def test_lead_read_ok_for_every_routed_form_with_a_one_lead_read():
    # Given three routed forms Meta lets us read
    rig = Rig()
    # When the lead read check runs
    findings = checks.lead_read(rig.context())
    # Then each form is OK, read with its Page's token
    assert [(f.subject, f.status) for f in findings] == [
        ("form 1001", Status.OK),
        ("form 1002", Status.OK),
        ("form 2001", Status.OK),
    ]
    assert rig.asked_for == ["111", "111", "222"]
    # And a form's read asks for one lead
    first = rig.pages["111"].calls[0]
    assert first.path == "1001/leads"
    assert first.params["limit"] == "1"


def test_lead_read_auth_error_points_at_leads_access_and_development_mode():
    rig = Rig()
    rig.pages["111"].answers["1001/leads"] = auth_error(200, subcode=None)
    found = by_subject(checks.lead_read(rig.context()))
    f = found["form 1001"]
    assert f.status is Status.FAIL and "reading leads failed" in f.detail and "code=200" in f.detail
    assert f.action == LEADS_ACCESS_ACTION
    assert "Leads Access" in f.action and "Development mode" in f.action
    assert found["form 1002"].status is Status.OK and found["form 2001"].status is Status.OK


def test_lead_read_190_points_at_the_token():
    rig = Rig()
    rig.pages["222"].answers["2001/leads"] = auth_error(190, subcode=460)
    f = by_subject(checks.lead_read(rig.context()))["form 2001"]
    assert f.status is Status.FAIL and "token is invalid or expired" in f.action


@pytest.mark.parametrize(
    "error",
    [
        GraphPermanentError("Unsupported get request", code=100, subcode=33, http_status=400),
        GraphThrottledError("limit reached", retry_after=60.0, code=80004, http_status=400),
    ],
)
def test_lead_read_other_errors_fail_with_the_generic_action(error):
    rig = Rig()
    rig.pages["111"].answers["1002/leads"] = error
    f = by_subject(checks.lead_read(rig.context()))["form 1002"]
    assert f.status is Status.FAIL and f"code={error.code}" in f.detail
    assert f.action == "see Meta's error code; run the check again later if it is temporary"


# --------------------------------------------------------------------------- audience


def audience_body(code: int, subtype: str | None = "CUSTOM", **extra):
    return {"subtype": subtype, "operation_status": {"code": code, "description": "x"}, **extra}


def test_audiences_ok_read_once_each_with_the_shared_token():
    # Given two healthy audiences, one of them routed from two forms
    rig = Rig(routes=[route("1001", "111", "238001", "238002"), route("2001", "222", "238001")])
    # When the audience check runs
    findings = checks.audience(rig.context())
    # Then both are OK with their subtype and status
    assert [(f.subject, f.status) for f in findings] == [("audience 238001", Status.OK), ("audience 238002", Status.OK)]
    assert findings[0].detail == "CUSTOM, operation_status 200"
    # And each was read once, with the shared token
    assert rig.asked_for == [None]
    assert rig.pages[None].paths() == ["238001", "238002"]


def test_no_routed_audience_means_no_audience_finding():
    rig = Rig(routes=[route("1002", "111")])
    assert checks.audience(rig.context()) == []
    assert rig.pages[None].calls == []


def test_a_flagged_audience_fails():
    rig = Rig()
    rig.pages[None].answers["238001"] = audience_body(471)
    f = by_subject(checks.audience(rig.context()))["audience 238001"]
    assert f.status is Status.FAIL and "471" in f.detail and "Audience Manager" in f.action


def test_a_flagged_audience_reported_under_status_not_code_fails():
    rig = Rig()
    rig.pages[None].answers["238001"] = {"subtype": "CUSTOM", "operation_status": {"status": "471"}}
    assert by_subject(checks.audience(rig.context()))["audience 238001"].status is Status.FAIL


def test_an_expiring_audience_warns_with_its_delete_time():
    rig = Rig()
    rig.pages[None].answers["238002"] = audience_body(100, delete_time=NOW + 5 * DAY)
    f = by_subject(checks.audience(rig.context()))["audience 238002"]
    assert f.status is Status.WARN and "operation_status 100" in f.detail and str(NOW + 5 * DAY) in f.detail
    assert "active ad set" in f.action


def test_an_audience_that_is_not_custom_fails():
    rig = Rig()
    rig.pages[None].answers["238001"] = audience_body(200, subtype="LOOKALIKE")
    f = by_subject(checks.audience(rig.context()))["audience 238001"]
    assert f.status is Status.FAIL and "LOOKALIKE" in f.detail and "CUSTOM" in f.action


def test_an_unreadable_audience_fails_and_the_others_are_still_read():
    rig = Rig()
    rig.pages[None].answers["238001"] = GraphPermanentError("does not exist", code=100, subcode=33, http_status=400)
    found = by_subject(checks.audience(rig.context()))
    assert found["audience 238001"].status is Status.FAIL and "reading it failed" in found["audience 238001"].detail
    assert found["audience 238002"].status is Status.OK


def test_an_audience_auth_error_names_the_permission_action():
    rig = Rig()
    rig.pages[None].answers["238002"] = auth_error(294)
    f = by_subject(checks.audience(rig.context()))["audience 238002"]
    assert f.status is Status.FAIL and f.action == LEADS_ACCESS_ACTION


# --------------------------------------------------------------------------- webhook_drift


def test_drift_none_is_ok_and_looks_back_drift_days():
    rig = Rig()
    findings = checks.webhook_drift(rig.context())
    found = by_subject(findings)
    assert found["form 1001"].status is Status.OK and found["form 1001"].detail.startswith("5 lead(s)")
    assert rig.leads.calls == [("1001", NOW - 7 * DAY), ("1002", NOW - 7 * DAY), ("2001", NOW - 7 * DAY)]


def test_drift_some_backfilled_leads_warn_with_the_counts():
    rig = Rig()
    rig.leads.counts["1001"] = {"webhook": 7, "backfill": 3}
    f = by_subject(checks.webhook_drift(rig.context()))["form 1001"]
    assert f.status is Status.WARN and f.detail.startswith("3 of 10 lead(s) of the last 7 days")
    assert "subscription" in f.action


def test_drift_with_zero_leads_is_ok():
    rig = Rig()
    f = by_subject(checks.webhook_drift(rig.context()))["form 2001"]
    assert f.status is Status.OK and f.detail == "no lead in the last 7 days"


def test_drift_only_backfilled_leads_warn():
    rig = Rig(routes=[route("1002", "111")])
    rig.leads.counts["1002"] = {"backfill": 2}
    [f] = checks.webhook_drift(rig.context())
    assert f.status is Status.WARN and f.detail.startswith("2 of 2")


# --------------------------------------------------------------------------- no token ever shows


def broken_rig() -> Rig:
    rig = Rig()
    rig.debug_answers[P111] = debug(valid=False, code=190)
    rig.debug_answers[P222] = GraphAuthError("Invalid OAuth access token", code=190, http_status=400)
    rig.pages["111"].answers["111/subscribed_apps"] = auth_error(10)
    rig.pages["222"].answers["222/subscribed_apps"] = {"data": []}
    rig.pages["111"].answers["1001/leads"] = auth_error(200)
    rig.pages["111"].answers["1002/leads"] = auth_error(190)
    rig.pages["222"].answers["2001/leads"] = GraphTransportError("connection reset")
    rig.pages[None].answers["238001"] = audience_body(471)
    rig.pages[None].answers["238002"] = auth_error(190)
    rig.leads.counts["1001"] = {"backfill": 4}
    return rig


@pytest.mark.parametrize("rig_factory", [Rig, broken_rig, lambda: Rig(with_app_graph=False, app_id=None)])
def test_no_finding_ever_contains_a_token(rig_factory):
    rig = rig_factory()
    findings = [f for check in CHECKS.values() for f in check(rig.context())]
    assert findings
    assert_no_token(findings)
    for f in findings:
        for secret in ALL_TOKENS:
            assert secret not in repr(f.as_dict())


def test_the_broken_rig_finds_a_problem_in_every_check():
    rig = broken_rig()
    failing = {name for name, check in CHECKS.items() if any(f.status is not Status.OK for f in check(rig.context()))}
    assert failing == set(CHECKS)


def test_a_lead_we_hold_is_read_by_id():
    # Given we hold lead 777000 of form 1002, and Meta returns it
    rig = Rig(routes=[route("1002", "111")])
    rig.leads.latest["1002"] = "777000"
    rig.pages["111"].answers["777000"] = {"id": "777000"}
    # When the lead read check runs
    [ok] = checks.lead_read(rig.context())
    # Then the form is OK and the lead was read by its id
    assert ok.status is Status.OK
    assert ("GET", "777000", {"fields": "id"}) in rig.pages["111"].calls


def test_a_lead_we_hold_that_meta_refuses_points_at_development_mode():
    # Given we hold lead 777000 of form 1002, and Meta refuses it (an app in Development mode)
    rig = Rig(routes=[route("1002", "111")])
    rig.leads.latest["1002"] = "777000"
    rig.pages["111"].answers["777000"] = GraphAuthError(
        "(#10) Application does not have permission for this action", code=10, http_status=403
    )
    # When the lead read check runs
    [f] = checks.lead_read(rig.context())
    # Then the form fails, and the action names Development mode and Leads Access
    assert f.status is Status.FAIL
    assert "Development mode" in f.action
    assert "Leads Access" in f.action

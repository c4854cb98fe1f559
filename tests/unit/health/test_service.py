"""run_checks (filters, a broken check, empty routing) and record (metrics, the record, the alert rules)."""

from __future__ import annotations

import json

import pytest

from leadloop.graph import GraphAuthError
from leadloop.health import service
from leadloop.health.checks import CHECKS
from leadloop.health.findings import Finding, Report, Status
from leadloop.health.service import REALERT_SECONDS, describe, problem_keys, record, run_checks
from leadloop.observability import metrics

from .fakes import ALL_TOKENS, NOW, PAGE_TOKENS, SHARED_TOKEN, Rig, debug


@pytest.fixture(autouse=True)
def _clear_metrics():
    metrics.clear_metrics()
    yield
    metrics.clear_metrics()


def report(at: int, *findings: Finding) -> Report:
    return Report(checked_at=at, findings=list(findings))


OK = Finding("token", Status.OK, "page 111", "healthy-detail")
TOKEN_FAIL = Finding("token", Status.FAIL, "page 111", "the token is not valid (code 190)", "issue a new token")
SUB_FAIL = Finding("subscription", Status.FAIL, "page 222", "our app is not installed on the Page", "install it")
DRIFT_WARN = Finding("webhook_drift", Status.WARN, "form 1001", "3 of 10 lead(s)", "check the subscription")


def emf_lines(capsys: pytest.CaptureFixture[str]) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]


# --------------------------------------------------------------------------- run_checks


def test_a_healthy_setup_runs_every_check_and_is_ok():
    rig = Rig()
    result = run_checks(rig.deps())
    assert result.status is Status.OK and result.problems() == [] and result.checked_at == NOW
    assert {f.check for f in result.findings} == set(CHECKS)
    assert result.partial is False
    assert rig.contexts == 1


def test_page_id_limits_every_check_to_that_pages_routes():
    # Given two Pages with routed forms
    rig = Rig()
    # When the checks run for Page 222 only
    result = run_checks(rig.deps(), page_id="222")
    # Then only Page 222's subjects are checked, and the run is partial
    subjects = {f.subject for f in result.findings}
    assert subjects == {"page 222", "form 2001", "audience 238002", "audience token"}
    assert result.partial is True
    # And only its token and the shared one (its audiences are uploaded with it) were debugged
    assert rig.app.calls == [
        ("GET", "debug_token", {"input_token": PAGE_TOKENS["222"]}),
        ("GET", "debug_token", {"input_token": SHARED_TOKEN}),
    ]
    # And nothing was read for Page 111
    assert rig.pages["111"].calls == []
    assert rig.leads.calls == [("2001", NOW - 7 * 86400)]


def test_only_runs_the_named_checks():
    rig = Rig()
    result = run_checks(rig.deps(), only=["subscription", "audience"])
    assert {f.check for f in result.findings} == {"subscription", "audience"}
    assert rig.app.calls == [] and rig.leads.calls == []
    assert result.partial is True


def test_only_naming_every_check_is_a_full_run():
    assert run_checks(Rig().deps(), only=list(CHECKS)).partial is False


def test_an_unknown_page_id_warns_that_nothing_is_routed():
    rig = Rig()
    result = run_checks(rig.deps(), page_id="999")
    assert [(f.check, f.status, f.subject) for f in result.findings] == [("routing", Status.WARN, "page 999")]
    assert rig.app.calls == [] and all(g.calls == [] for g in rig.pages.values()) and rig.leads.calls == []


def test_an_empty_routing_warns():
    rig = Rig(routes=[])
    result = run_checks(rig.deps())
    [f] = result.findings
    assert (f.check, f.status, f.subject) == ("routing", Status.WARN, "routing") and "RoutingParameter" in f.action
    assert result.status is Status.WARN


def test_a_raising_check_becomes_a_fail_finding_and_the_others_still_run(monkeypatch: pytest.MonkeyPatch):
    def boom(ctx):
        raise RuntimeError(f"store down {PAGE_TOKENS['111']}")

    monkeypatch.setitem(CHECKS, "subscription", boom)
    rig = Rig()
    result = run_checks(rig.deps())
    [broken] = [f for f in result.findings if f.check == "subscription"]
    assert (broken.status, broken.subject, broken.detail) == (Status.FAIL, "check", "could not run: RuntimeError")
    assert {f.check for f in result.findings} == set(CHECKS)
    assert PAGE_TOKENS["111"] not in json.dumps(result.as_dict())
    assert result.status is Status.FAIL


def test_a_store_error_in_the_drift_check_is_a_fail_finding():
    rig = Rig()

    def failing(form_id: str, since: int) -> dict[str, int]:
        raise OSError("throttled")

    rig.leads.sources_since = failing  # type: ignore[method-assign]
    result = run_checks(rig.deps())
    [f] = [f for f in result.findings if f.check == "webhook_drift"]
    assert f.status is Status.FAIL and f.detail == "could not run: OSError"


def test_a_broken_setup_report_describes_problems_without_tokens():
    rig = Rig()
    rig.debug_answers[PAGE_TOKENS["111"]] = debug(valid=False, code=190)
    rig.pages["222"].answers["2001/leads"] = GraphAuthError("(#200) no Leads Access", code=200, http_status=403)
    result = run_checks(rig.deps())
    text = describe(result) + service.report_json(result)
    assert "[fail] token page 111" in text and "what to do:" in text and "form 2001" in text
    for secret in ALL_TOKENS:
        assert secret not in text


# --------------------------------------------------------------------------- record


def test_first_problems_publish_and_are_saved_with_the_alert_time():
    rig = Rig()
    assert record(report(NOW, OK, TOKEN_FAIL, DRIFT_WARN), rig.deps()) is True
    [(subject, message)] = rig.alerts.sent
    assert subject == "leadloop health: 1 failing, 1 warning"
    assert "token page 111" in message and "what to do: issue a new token" in message
    assert "webhook_drift form 1001" in message and "healthy-detail" not in message.split("\n", 1)[1]
    [(saved, alerted_at)] = rig.store.saved
    assert alerted_at == NOW and saved.checked_at == NOW


def test_the_same_problems_within_a_day_are_not_published_again():
    rig = Rig()
    deps = rig.deps()
    record(report(NOW, TOKEN_FAIL), deps)
    later = Finding("token", Status.FAIL, "page 111", "a different detail", "issue a new token")
    assert record(report(NOW + 3600, later), deps) is False
    assert record(report(NOW + 12 * 3600, TOKEN_FAIL), deps) is False
    assert len(rig.alerts.sent) == 1
    assert rig.store.saved[-1][1] == NOW  # the last alert time is carried forward


def test_changed_problems_are_published():
    rig = Rig()
    deps = rig.deps()
    record(report(NOW, TOKEN_FAIL), deps)
    assert record(report(NOW + 60, TOKEN_FAIL, SUB_FAIL), deps) is True
    assert record(report(NOW + 120, SUB_FAIL), deps) is True  # one fixed, one left: still a change
    warn_now = Finding("subscription", Status.WARN, "page 222", "x")
    assert record(report(NOW + 180, warn_now), deps) is True  # FAIL → WARN is a change too
    assert len(rig.alerts.sent) == 4


def test_the_same_problems_are_published_again_after_a_day():
    rig = Rig()
    deps = rig.deps()
    record(report(NOW, TOKEN_FAIL), deps)
    assert record(report(NOW + REALERT_SECONDS, TOKEN_FAIL), deps) is True
    assert record(report(NOW + REALERT_SECONDS + 60, TOKEN_FAIL), deps) is False
    assert record(report(NOW + 2 * REALERT_SECONDS + 1, TOKEN_FAIL), deps) is True
    assert len(rig.alerts.sent) == 3


def test_a_daily_run_a_few_seconds_early_still_publishes_again():
    """A rate(1 day) schedule lands ~86400 s apart, a little less some days: that must not skip a day."""
    rig = Rig()
    deps = rig.deps()
    record(report(NOW, TOKEN_FAIL), deps)
    assert record(report(NOW + REALERT_SECONDS - 3, TOKEN_FAIL), deps) is True
    assert len(rig.alerts.sent) == 2


def test_recovery_publishes_once_then_nothing():
    rig = Rig()
    deps = rig.deps()
    record(report(NOW, TOKEN_FAIL), deps)
    assert record(report(NOW + 60, OK), deps) is True  # the recovery message
    assert record(report(NOW + 120, OK), deps) is False
    assert record(report(NOW + 2 * REALERT_SECONDS, OK), deps) is False
    assert [s for s, _ in rig.alerts.sent] == [
        "leadloop health: 1 failing, 0 warning",
        "leadloop health: all checks pass again",
    ]
    assert rig.store.saved[-1][1] is None


def test_a_healthy_first_run_publishes_nothing():
    rig = Rig()
    assert record(report(NOW, OK), rig.deps()) is False
    assert rig.alerts.sent == [] and rig.store.saved[0][1] is None


def test_problems_after_a_recovery_are_published_at_once():
    rig = Rig()
    deps = rig.deps()
    record(report(NOW, TOKEN_FAIL), deps)
    record(report(NOW + 60, OK), deps)
    assert record(report(NOW + 120, TOKEN_FAIL), deps) is True
    assert len(rig.alerts.sent) == 3


def test_no_alerts_object_does_not_crash_and_still_saves():
    rig = Rig()
    deps = rig.deps(alerts=False)
    assert record(report(NOW, TOKEN_FAIL), deps) is False
    assert record(report(NOW + 60, OK), deps) is False
    assert [a for _, a in rig.store.saved] == [None, None]


def test_no_store_and_no_alerts_does_not_crash():
    rig = Rig()
    assert record(report(NOW, TOKEN_FAIL), rig.deps(store=False, alerts=False)) is False


def test_without_a_store_every_problem_run_publishes():
    rig = Rig()
    deps = rig.deps(store=False)
    record(report(NOW, TOKEN_FAIL), deps)
    record(report(NOW + 60, TOKEN_FAIL), deps)
    assert len(rig.alerts.sent) == 2


def test_a_partial_run_neither_publishes_nor_becomes_the_latest_record():
    """An on-demand run for a healthy Page must not announce that every check passes again."""
    rig = Rig()
    deps = rig.deps()
    rig.debug_answers[PAGE_TOKENS["111"]] = debug(valid=False, code=190)
    full = run_checks(deps)
    assert record(full, deps) is True
    partial = run_checks(deps, page_id="222")
    assert partial.status is Status.OK
    assert record(partial, deps) is False
    assert len(rig.alerts.sent) == 1 and len(rig.store.saved) == 1
    assert rig.store.item is not None and rig.store.item["problem_keys"] == problem_keys(full)
    rig.clock = NOW + 60
    assert record(run_checks(deps), deps) is False  # the same problems: no second alert
    assert len(rig.alerts.sent) == 1


def test_metrics_per_check_and_the_alarm_metric(capsys: pytest.CaptureFixture[str]):
    rig = Rig()
    record(report(NOW, OK, TOKEN_FAIL, Finding("token", Status.FAIL, "page 222", "x"), DRIFT_WARN), rig.deps())
    emitted = {
        (m["Name"], line["check"]): line[m["Name"]]
        for line in emf_lines(capsys)
        if "_aws" in line
        for d in line["_aws"]["CloudWatchMetrics"]
        for m in d["Metrics"]
    }
    assert emitted[("HealthCheckFailures", "token")] == [2.0]
    assert emitted[("HealthCheckWarnings", "token")] == [0.0]
    assert emitted[("HealthCheckWarnings", "webhook_drift")] == [1.0]
    assert emitted[("HealthCheckFailures", "webhook_drift")] == [0.0]
    metric_set: dict = dict(metrics.serialize_metric_set())
    assert metric_set["HealthChecksFailing"] == [2.0]


def test_a_healthy_run_reports_zero_failing(capsys: pytest.CaptureFixture[str]):
    record(report(NOW, OK), Rig().deps())
    assert dict(metrics.serialize_metric_set())["HealthChecksFailing"] == [0.0]


def test_problem_keys_name_check_subject_and_status_only():
    assert problem_keys(report(NOW, SUB_FAIL, OK, DRIFT_WARN)) == [
        "subscription|page 222|fail",
        "webhook_drift|form 1001|warn",
    ]


def test_the_alert_subject_fits_sns():
    many = [Finding("lead_read", Status.FAIL, f"form {i}", "x") for i in range(10**3)]
    rig = Rig()
    record(report(NOW, *many), rig.deps())
    [(subject, _)] = rig.alerts.sent
    assert len(subject) <= 100


def test_report_as_dict_labels_statuses():
    data = report(NOW, TOKEN_FAIL, OK).as_dict()
    assert data["status"] == "fail" and [f["status"] for f in data["findings"]] == ["fail", "ok"]
    assert json.loads(service.report_json(report(NOW, OK)))["status"] == "ok"

"""Every way leadloop can quietly stop has an alarm, wired to the alerts topic; the dashboard is valid JSON."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.support.template import CfnTemplate


def _alarms(template: CfnTemplate) -> list[dict[str, Any]]:
    return [template.props(lid) for lid in template.of_type("AWS::CloudWatch::Alarm")]


def _watches(alarm: dict[str, Any], namespace: str, metric: str) -> list[str]:
    """The logical ids an alarm's dimensions point at, when it watches ``namespace``/``metric``."""
    if alarm.get("Namespace") != namespace or alarm.get("MetricName") != metric:
        return []
    return [t for d in alarm.get("Dimensions", []) if (t := CfnTemplate.target(d["Value"]))]


def test_every_dead_letter_queue_has_a_depth_alarm(template: CfnTemplate):
    dlqs = {
        CfnTemplate.target(q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"])
        for q in template.of_type("AWS::SQS::Queue").values()
        if "RedrivePolicy" in q.get("Properties", {})
    } | {lid for lid in template.of_type("AWS::SQS::Queue") if lid.endswith("DLQ")}
    watched = {t for a in _alarms(template) for t in _watches(a, "AWS/SQS", "ApproximateNumberOfMessagesVisible")}
    assert dlqs and dlqs <= watched, dlqs - watched


def test_every_function_has_error_and_throttle_alarms(template: CfnTemplate):
    for metric in ("Errors", "Throttles"):
        watched = {t for a in _alarms(template) for t in _watches(a, "AWS/Lambda", metric)}
        assert set(template.functions) <= watched, (metric, set(template.functions) - watched)


def test_stream_replace_health_and_webhook_alarms_exist(template: CfnTemplate):
    alarms = _alarms(template)
    assert any(_watches(a, "AWS/Lambda", "IteratorAge") == ["LeadHasherFunction"] for a in alarms)
    assert any(_watches(a, "AWS/States", "ExecutionsFailed") == ["AudienceReplaceStateMachine"] for a in alarms)
    assert any(a.get("Namespace") == "leadloop" and a.get("MetricName") == "HealthChecksFailing" for a in alarms)
    api_metrics = {a["MetricName"] for a in alarms if a.get("Namespace") == "AWS/ApiGateway"}
    assert api_metrics == {"4XXError", "5XXError"}


def test_alarms_notify_the_alerts_topic_and_thresholds_are_parameters(template: CfnTemplate):
    parameters = set(template.document["Parameters"])
    for alarm in _alarms(template):
        for key in ("AlarmActions", "OKActions"):
            [action] = alarm[key]
            assert "Fn::If" in action and action["Fn::If"][0] == "UsesOwnAlertsTopic", alarm["AlarmName"]
        assert "AlarmNamePrefix" in json.dumps(alarm["AlarmName"])
    assert {"DlqDepthAlarmThreshold", "IteratorAgeAlarmSeconds", "Webhook4xxAlarmThreshold"} <= parameters
    assert {"Webhook5xxAlarmThreshold", "AlertEmail", "AlarmTopicArn", "HealthCheckSchedule"} <= parameters


def test_the_dashboard_body_is_json_once_substituted(template: CfnTemplate):
    [dashboard] = template.of_type("AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    names = set(re.findall(r"\$\{([^}]+)\}", body))
    known = set(template.resources) | set(template.document["Parameters"]) | {"AWS::Region", "AWS::StackName"}
    assert {n.split(".")[0] for n in names} <= known
    widgets = json.loads(re.sub(r"\$\{[^}]+\}", "x", body))["widgets"]
    titles = " ".join(w["properties"]["title"] for w in widgets).lower()
    for topic in ("webhook vs backfill", "fetch latency", "rows uploaded", "by schema key", "replace outcomes"):
        assert topic in titles

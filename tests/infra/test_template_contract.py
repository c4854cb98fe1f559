"""The contract ``infra/template.yaml`` keeps (DESIGN §2 rules 4, 6 and 8; §3 logical ids; §5).

Only the file is read: no AWS, no SAM CLI (``make lint`` runs sam validate, cfn-lint and checkov).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.template import REPO_ROOT

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.support.template import CfnTemplate

# Tests, the local stack and operators find resources by these ids (DESIGN §3).
REQUIRED_IDS = {
    "WebhookApi": "AWS::Serverless::Api",
    "LeadFetchFunction": "AWS::Serverless::Function",
    "LeadsTable": "AWS::DynamoDB::Table",
    "FetchRetryQueue": "AWS::SQS::Queue",
    "FetchRetryDLQ": "AWS::SQS::Queue",
    "BackfillFunction": "AWS::Serverless::Function",
    "StateTable": "AWS::DynamoDB::Table",
    "MetaSecret": "AWS::SecretsManager::Secret",
    "RoutingParameter": "AWS::SSM::Parameter",
    "LeadHasherFunction": "AWS::Serverless::Function",
    "AudienceQueue": "AWS::SQS::Queue",
    "AudienceDLQ": "AWS::SQS::Queue",
    "AudienceUploaderFunction": "AWS::Serverless::Function",
    "StagingBucket": "AWS::S3::Bucket",
    "AudienceReplaceStateMachine": "AWS::Serverless::StateMachine",
}

BATCH_EVENT_TYPES = {"SQS", "DynamoDB", "Kinesis"}
LAMBDA_DEFAULT_TIMEOUT = 3
SQS_DEFAULT_VISIBILITY_TIMEOUT = 30
SQS_DEFAULT_RETENTION = 345_600
PLACEHOLDER = "REPLACE_ME"


def _queue_of(template: CfnTemplate, event: dict[str, Any]) -> str:
    queue_id = template.target(event["Properties"]["Queue"])
    assert queue_id in template.of_type("AWS::SQS::Queue"), f"SQS event source {event} is not a queue here"
    return queue_id


def _sqs_consumers(template: CfnTemplate) -> list[tuple[str, str, str]]:
    """(function id, event name, queue id) for every SQS event source."""
    return [
        (function_id, name, _queue_of(template, event))
        for function_id in template.functions
        for name, event in template.events(function_id).items()
        if event.get("Type") == "SQS"
    ]


# ---------------------------------------------------------------- logical ids


@pytest.mark.parametrize(("logical_id", "resource_type"), sorted(REQUIRED_IDS.items()))
def test_required_logical_id_exists_with_its_type(template: CfnTemplate, logical_id: str, resource_type: str):
    assert logical_id in template.resources, f"{logical_id} is missing from infra/template.yaml"
    assert template.resources[logical_id]["Type"] == resource_type


def test_webhook_api_serves_get_and_post_webhook(template: CfnTemplate):
    routes = {
        (event["Properties"]["Method"].upper(), event["Properties"]["Path"])
        for event in template.events("LeadFetchFunction").values()
        if event.get("Type") == "Api" and template.target(event["Properties"].get("RestApiId")) == "WebhookApi"
    }
    assert routes == {("GET", "/webhook"), ("POST", "/webhook")}


# ---------------------------------------------------------------- queues


def test_every_queue_has_a_dlq_or_is_one(template: CfnTemplate):
    queues = template.of_type("AWS::SQS::Queue")
    assert queues, "the template has no queues"
    dlqs: set[str] = set()
    for queue_id in queues:
        redrive = template.props(queue_id).get("RedrivePolicy")
        if redrive:
            target = template.target(redrive.get("deadLetterTargetArn"))
            assert target in queues and target != queue_id, f"{queue_id}: redrive target {target} is no queue"
            assert int(redrive.get("maxReceiveCount", 0)) >= 1, f"{queue_id}: maxReceiveCount missing"
            dlqs.add(target)
    # A stream mapping's on-failure destination is a dead-letter queue too.
    for function_id in template.functions:
        for event in template.events(function_id).values():
            on_failure = (event.get("Properties", {}).get("DestinationConfig") or {}).get("OnFailure") or {}
            if on_failure.get("Type") == "SQS":
                dlqs.add(template.target(on_failure.get("Destination")))
    # An EventBridge rule target's dead-letter queue too.
    for rule_id in template.of_type("AWS::Events::Rule"):
        for target in template.props(rule_id).get("Targets") or []:
            if (target.get("DeadLetterConfig") or {}).get("Arn"):
                dlqs.add(template.target(target["DeadLetterConfig"]["Arn"]))
    orphans = [q for q in queues if q not in dlqs and not template.props(q).get("RedrivePolicy")]
    assert not orphans, f"queues with neither a DLQ nor a source queue: {orphans}"


def test_dlq_keeps_messages_at_least_as_long_as_its_source(template: CfnTemplate):
    queues = template.of_type("AWS::SQS::Queue")
    for queue_id in queues:
        props = template.props(queue_id)
        if "RedrivePolicy" not in props:
            continue
        dlq_props = template.props(template.target(props["RedrivePolicy"]["deadLetterTargetArn"]) or "")
        source = int(props.get("MessageRetentionPeriod", SQS_DEFAULT_RETENTION))
        kept = int(dlq_props.get("MessageRetentionPeriod", SQS_DEFAULT_RETENTION))
        assert kept >= source, f"{queue_id}'s DLQ keeps messages {kept}s < the queue's {source}s"


def test_every_queue_is_encrypted(template: CfnTemplate):
    for queue_id in template.of_type("AWS::SQS::Queue"):
        props = template.props(queue_id)
        assert props.get("SqsManagedSseEnabled") is True or props.get("KmsMasterKeyId"), queue_id


def test_sqs_visibility_timeout_is_at_least_six_function_timeouts(template: CfnTemplate):
    consumers = _sqs_consumers(template)
    assert consumers, "no SQS event sources found (FetchRetryQueue -> LeadFetchFunction at least)"
    for function_id, event_name, queue_id in consumers:
        timeout = int(template.function_props(function_id).get("Timeout", LAMBDA_DEFAULT_TIMEOUT))
        visibility = int(template.props(queue_id).get("VisibilityTimeout", SQS_DEFAULT_VISIBILITY_TIMEOUT))
        assert visibility >= 6 * timeout, (
            f"{queue_id} VisibilityTimeout {visibility}s < 6 x {function_id} Timeout {timeout}s ({event_name})"
        )


def test_fetch_retry_queue_feeds_lead_fetch(template: CfnTemplate):
    assert ("LeadFetchFunction", "FetchRetryQueue") in {(f, q) for f, _, q in _sqs_consumers(template)}
    redrive = template.props("FetchRetryQueue")["RedrivePolicy"]
    assert template.target(redrive["deadLetterTargetArn"]) == "FetchRetryDLQ"


def test_batch_event_sources_report_item_failures(template: CfnTemplate):
    batch_events = [
        (function_id, name, event)
        for function_id in template.functions
        for name, event in template.events(function_id).items()
        if event.get("Type") in BATCH_EVENT_TYPES
    ]
    assert batch_events, "no SQS/DynamoDB event sources found"
    for function_id, name, event in batch_events:
        assert event["Properties"].get("FunctionResponseTypes") == ["ReportBatchItemFailures"], (
            f"{function_id}.{name} must set FunctionResponseTypes: [ReportBatchItemFailures]"
        )


# ---------------------------------------------------------------- tables


def test_leads_table_streams_new_and_old_images(template: CfnTemplate):
    assert template.props("LeadsTable")["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"


@pytest.mark.parametrize("table_id", ["LeadsTable", "StateTable"])
def test_table_has_pitr_and_sse(template: CfnTemplate, table_id: str):
    props = template.props(table_id)
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["SSESpecification"]["SSEEnabled"] is True


def test_leads_table_expires_raw_answers_with_ttl(template: CfnTemplate):
    ttl = template.props("LeadsTable")["TimeToLiveSpecification"]
    assert ttl["Enabled"] is True
    assert ttl["AttributeName"]


def test_leads_table_has_gsi_on_form_id_and_created_time(template: CfnTemplate):
    props = template.props("LeadsTable")
    keys = {
        tuple((k["AttributeName"], k["KeyType"]) for k in index["KeySchema"])
        for index in props.get("GlobalSecondaryIndexes", [])
    }
    assert (("form_id", "HASH"), ("created_time", "RANGE")) in keys
    declared = {a["AttributeName"] for a in props["AttributeDefinitions"]}
    assert {"form_id", "created_time"} <= declared


def test_leads_table_is_retained(template: CfnTemplate):
    resource = template.resources["LeadsTable"]
    assert resource.get("DeletionPolicy") == "Retain"
    assert resource.get("UpdateReplacePolicy") == "Retain"


# ---------------------------------------------------------------- functions and IAM


def test_functions_run_python313_on_arm64(template: CfnTemplate):
    assert template.functions
    for function_id in template.functions:
        props = template.function_props(function_id)
        assert props.get("Runtime") == "python3.13", function_id
        assert props.get("Architectures") == ["arm64"], function_id


def test_layer_is_built_for_python313_arm64(template: CfnTemplate):
    layers = template.of_type("AWS::Serverless::LayerVersion")
    assert layers
    for layer_id, layer in layers.items():
        assert layer.get("Metadata", {}).get("BuildMethod") == "python3.13", layer_id
        assert layer.get("Metadata", {}).get("BuildArchitecture") == "arm64", layer_id
        assert template.props(layer_id).get("CompatibleArchitectures") == ["arm64"], layer_id


def test_function_code_has_its_handler(template: CfnTemplate):
    template_dir = template.path.parent
    for function_id in template.functions:
        props = template.function_props(function_id)
        code_dir = (template_dir / props["CodeUri"]).resolve()
        module, _, func = props["Handler"].rpartition(".")
        source = code_dir / (module.replace(".", "/") + ".py")
        assert source.is_file(), f"{function_id}: {source.relative_to(REPO_ROOT)} is missing"
        assert re.search(rf"^(async\s+)?def {re.escape(func)}\(|^{re.escape(func)}\s*=", source.read_text(), re.M), (
            f"{function_id}: {source.relative_to(REPO_ROOT)} defines no `{func}`"
        )


def _policy_holders(template: CfnTemplate) -> dict[str, list[Any]]:
    types = ("AWS::Serverless::Function", "AWS::Serverless::StateMachine")
    return {lid: list(template.props(lid).get("Policies", [])) for lid in template.of_type(*types)}


def _statements(policy_document: dict[str, Any]) -> list[dict[str, Any]]:
    statements = policy_document.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def test_functions_use_sam_policy_templates_only(template: CfnTemplate):
    for holder_id, policies in _policy_holders(template).items():
        assert "Role" not in template.props(holder_id), f"{holder_id}: use Policies, not a custom Role"
        assert policies, f"{holder_id} has no Policies"
        for policy in policies:
            assert isinstance(policy, dict), f"{holder_id}: managed policy {policy!r}; use a SAM policy template"
            if "Statement" in policy:
                continue  # an inline statement: checked for wildcards below
            assert len(policy) == 1, f"{holder_id}: {policy!r} is not one policy template"
            name, params = next(iter(policy.items()))
            assert re.fullmatch(r"[A-Za-z0-9]+Policy", name), f"{holder_id}: {name} is not a SAM policy template"
            assert "FullAccess" not in name, f"{holder_id}: {name}"
            assert isinstance(params, dict), f"{holder_id}: {name} parameters must be a mapping"
            for value in params.values():
                assert value != "*", f"{holder_id}: {name} with a '*' parameter grants everything"


def test_no_wildcard_resources_or_actions_in_inline_statements(template: CfnTemplate):
    documents: list[tuple[str, dict[str, Any]]] = []
    for holder_id, policies in _policy_holders(template).items():
        documents += [(holder_id, p) for p in policies if isinstance(p, dict) and "Statement" in p]
    for iam_id in template.of_type("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::Role"):
        props = template.props(iam_id)
        if "PolicyDocument" in props:
            documents.append((iam_id, props["PolicyDocument"]))
        documents += [(iam_id, p["PolicyDocument"]) for p in props.get("Policies", [])]
        for arn in props.get("ManagedPolicyArns", []):
            assert "FullAccess" not in json.dumps(arn), f"{iam_id}: {arn}"
    for owner, document in documents:
        for statement in _statements(document):
            if statement.get("Effect") != "Allow":
                continue
            resources = statement.get("Resource", [])
            actions = statement.get("Action", [])
            resources = resources if isinstance(resources, list) else [resources]
            actions = actions if isinstance(actions, list) else [actions]
            assert "*" not in resources, f"{owner}: an Allow statement on Resource '*': {statement}"
            assert not any(a == "*" or (isinstance(a, str) and a.endswith(":*")) for a in actions), (
                f"{owner}: a wildcard Action: {statement}"
            )


# ---------------------------------------------------------------- logs


def test_every_function_logs_to_its_own_group_with_retention(template: CfnTemplate):
    log_groups = template.of_type("AWS::Logs::LogGroup")
    used: dict[str, str] = {}
    for function_id in template.functions:
        logging_config = template.function_props(function_id).get("LoggingConfig", {})
        group_id = template.target(logging_config.get("LogGroup"))
        assert group_id in log_groups, f"{function_id}: LoggingConfig.LogGroup must !Ref a log group here"
        assert template.props(group_id).get("RetentionInDays"), f"{group_id} has no RetentionInDays"
        assert group_id not in used, f"{function_id} and {used.get(group_id)} share {group_id}"
        used[group_id] = function_id


def test_every_log_group_has_retention(template: CfnTemplate):
    for group_id in template.of_type("AWS::Logs::LogGroup"):
        assert template.props(group_id).get("RetentionInDays"), f"{group_id} has no RetentionInDays"


# ---------------------------------------------------------------- secrets

SECRET_VALUE_PATTERNS = {
    "AWS access key id": re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "Meta access token": re.compile(r"\bEAA[A-Za-z0-9]{20,}"),
    "hex secret": re.compile(r"\b[0-9a-fA-F]{32,}\b"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "long opaque token": re.compile(r"\b(?=[A-Za-z0-9+/_-]*\d)(?=[A-Za-z0-9+/_-]*[A-Za-z])[A-Za-z0-9+/_-]{40,}={0,2}"),
}
SECRET_KEY_NAME = re.compile(r"secret|token|passw(or)?d|api_?key|private_?key|credential", re.I)
# Keys that name a secret rather than hold one.
NAMING_KEY = re.compile(r"(_?(arn|name|url|id|path|key|length|template)|description)$", re.I)


def walk(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every (path, value) in a loaded document, depth first, containers included."""
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, (*path, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, (*path, str(index)))


def test_no_secret_looking_literals(template: CfnTemplate):
    problems = []
    for path, value in walk(template.document):
        if not isinstance(value, str) or value in ("", PLACEHOLDER):
            continue
        where = "/".join(path)
        for label, pattern in SECRET_VALUE_PATTERNS.items():
            if pattern.search(value):
                problems.append(f"{where}: looks like a {label}")
        key = path[-1] if path else ""
        if key == "Default" and len(path) >= 2 and path[0] == "Parameters":
            key = path[1]
        secret_name = SECRET_KEY_NAME.search(key) and not NAMING_KEY.search(key)
        if secret_name and "SecretStringTemplate" not in path and not value.startswith(("arn:", "/", "{{resolve:")):
            problems.append(f"{where}: a literal value under a secret-sounding name")
    assert not problems, "\n".join(problems)


def test_secrets_hold_only_placeholders(template: CfnTemplate):
    for secret_id in template.of_type("AWS::SecretsManager::Secret"):
        props = template.props(secret_id)
        assert "SecretString" not in props, f"{secret_id}: never put a SecretString in the template"
        generate = props.get("GenerateSecretString", {})
        if "SecretStringTemplate" in generate:
            document = json.loads(generate["SecretStringTemplate"])
            assert all(value == PLACEHOLDER for value in document.values()), (
                f"{secret_id}: SecretStringTemplate values must all be {PLACEHOLDER}"
            )


def test_meta_secret_generates_the_verify_token(template: CfnTemplate):
    generate = template.props("MetaSecret")["GenerateSecretString"]
    assert generate["GenerateStringKey"] == "verify_token"
    assert json.loads(generate["SecretStringTemplate"]).keys() >= {"app_secret", "access_token"}


def test_lead_hasher_reads_the_leads_stream_with_bisection_and_a_failure_queue(template: CfnTemplate):
    stream = template.events("LeadHasherFunction")["LeadsStream"]
    props = stream["Properties"]
    assert stream["Type"] == "DynamoDB" and template.target(props["Stream"]) == "LeadsTable"
    assert props["BisectBatchOnFunctionError"] is True
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert template.target(props["DestinationConfig"]["OnFailure"]["Destination"]) == "LeadHasherFailureDLQ"
    patterns = [json.loads(f["Pattern"]) for f in props["FilterCriteria"]["Filters"]]
    # Lambda documents filtering on the `dynamodb` key only for DynamoDB event sources.
    assert all(set(p) == {"dynamodb"} for p in patterns), patterns


def _stream_record(event: str, old: str | None, new: str | None) -> dict[str, Any]:
    images = {"OldImage": old, "NewImage": new}
    return {"eventName": event, "dynamodb": {k: {"status": {"S": v}} for k, v in images.items() if v}}


@pytest.mark.parametrize(
    ("record", "delivered"),
    [
        (_stream_record("INSERT", None, "FETCHED"), True),  # a lead fetched by the webhook or backfill
        (_stream_record("MODIFY", "PENDING", "FETCHED"), True),  # a stub filled in
        (_stream_record("REMOVE", "FETCHED", None), True),  # deleted (the function tells TTL apart)
        (_stream_record("MODIFY", "FETCHED", "FORGOTTEN"), True),  # leadloop forget
        (_stream_record("INSERT", None, "PENDING"), False),  # a stub
        (_stream_record("MODIFY", "PENDING", "PENDING"), False),  # a retry counter
        (_stream_record("MODIFY", "PENDING", "FAILED"), False),
        (_stream_record("REMOVE", "PENDING", None), False),
        (_stream_record("INSERT", None, "FORGOTTEN"), False),  # a tombstone for a lead never stored
    ],
)
def test_the_lead_hasher_filters_deliver_exactly_the_changes_it_acts_on(
    template: CfnTemplate, record: dict[str, Any], delivered: bool
):
    from leadloop_cli.devstack.events.filters import compile_filter_criteria

    criteria = template.events("LeadHasherFunction")["LeadsStream"]["Properties"]["FilterCriteria"]
    predicate = compile_filter_criteria(criteria)
    assert predicate is not None and predicate(record) is delivered


# ---------------------------------------------------------------- replace state machine


def _asl() -> dict[str, Any]:
    return dict(json.loads((REPO_ROOT / "infra" / "statemachines" / "audience_replace.asl.json").read_text()))


def test_the_state_machine_definition_is_the_asl_file_with_its_function_substituted(template: CfnTemplate):
    props = template.props("AudienceReplaceStateMachine")
    assert props["DefinitionUri"] == "statemachines/audience_replace.asl.json"
    assert set(props["DefinitionSubstitutions"]) == {"AudienceReplaceFunctionArn"}
    resources = {s.get("Resource") for s in _asl()["States"].values() if s["Type"] == "Task"}
    assert resources == {"${AudienceReplaceFunctionArn}"}


def test_every_task_after_begin_retries_transients_and_catches_into_cleanup():
    from leadloop.replace.tasks import TASKS

    states = _asl()["States"]
    tasks = {name: s for name, s in states.items() if s["Type"] == "Task"}
    assert {s["Parameters"]["task"] for s in tasks.values()} == set(TASKS)
    for name, state in tasks.items():
        assert state.get("Retry"), f"{name} has no Retry"
        never, always = state["Retry"][0], state["Retry"][-1]
        if name not in {"Cleanup", "Reject"}:
            assert never["MaxAttempts"] == 0 and "ReplaceFailed" in never["ErrorEquals"], name
            assert always["ErrorEquals"] == ["States.ALL"] and always["MaxAttempts"] >= 3, name
            [catch] = state["Catch"]
            assert catch["ErrorEquals"] == ["States.ALL"] and catch["ResultPath"] == "$.error"
            # Before the lock is ours nothing must be released; after it, Cleanup releases it.
            expected = "Reject" if name in {"Begin", "Check", "Lock"} else "Cleanup"
            assert catch["Next"] == expected, name
    assert states["Failed"]["Type"] == "Fail"


def test_no_wait_state_has_a_fixed_long_sleep():
    """Waits come from the tasks (poll interval), so tests and operators can shorten them."""
    waits = [s for s in _asl()["States"].values() if s["Type"] == "Wait"]
    assert waits and all("SecondsPath" in w and "Seconds" not in w for w in waits)

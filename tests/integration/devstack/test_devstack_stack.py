"""The local stack built from the fixture template: resources, Lambda hook, Step Functions, API, schedules."""

from __future__ import annotations

import base64
import http.client
import json
import re
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from leadloop_cli.devstack import LocalStack, lambda_hook
from leadloop_cli.devstack.events.api import MAX_PAYLOAD_BYTES
from tests.integration.devstack.devstack_support import StubGraphSimulator, calls, wait_for

# ---------------------------------------------------------------------------- provisioning


def test_resources_map_every_created_resource(stack: LocalStack) -> None:
    resources = stack.resources
    for logical_id in (
        "CallsTable",
        "ItemsTable",
        "WorkQueue",
        "WorkDLQ",
        "StagingBucket",
        "MetaSecret",
        "RoutingParameter",
        "WebhookFunction",
        "EchoFunction",
        "Workflow",
        "FixtureLayer",
    ):
        assert logical_id in resources, logical_id
    assert "ProdOnlyQueue" not in resources  # Condition IsProd is false
    assert "SomeWebAcl" not in resources  # unknown type: skipped with a note
    assert any("SomeWebAcl" in note for note in stack.notes)
    # CloudFormation-style names, explicit names kept, Ref semantics by type
    assert resources["CallsTable"].startswith("leadloop-local-CallsTable-")
    assert resources["WorkQueue"].startswith(stack.aws_endpoint_url + "/123456789012/leadloop-local-WorkQueue-")
    assert resources["StagingBucket"] == resources["StagingBucket"].lower()
    assert resources["RoutingParameter"] == "/leadloop-local/routing"
    assert resources["MetaSecret"].startswith(
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:leadloop-local/meta-"
    )
    assert resources["Workflow"].startswith("arn:aws:states:us-east-1:123456789012:stateMachine:")
    assert resources["FixtureLayer"].endswith(":layer:leadloop-local-fixture:1")


def test_table_has_stream_gsi_and_ttl(stack: LocalStack) -> None:
    ddb = stack.client("dynamodb")
    table = ddb.describe_table(TableName=stack.resources["ItemsTable"])["Table"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert table["LatestStreamArn"] == stack.attribute("ItemsTable", "StreamArn")
    (index,) = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "ByGroup"
    assert index["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["status"]}
    assert [k["AttributeName"] for k in index["KeySchema"]] == ["group", "created"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ttl = ddb.describe_time_to_live(TableName=stack.resources["ItemsTable"])["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


def test_queue_redrive_points_at_the_dlq(stack: LocalStack) -> None:
    sqs = stack.client("sqs")
    attributes = sqs.get_queue_attributes(QueueUrl=stack.resources["WorkQueue"], AttributeNames=["All"])["Attributes"]
    assert json.loads(attributes["RedrivePolicy"]) == {
        "deadLetterTargetArn": stack.attribute("WorkDLQ", "Arn"),
        "maxReceiveCount": 2,
    }
    assert attributes["VisibilityTimeout"] == "1"


def test_secret_generated_then_seeded(stack: LocalStack) -> None:
    sm = stack.client("secretsmanager")
    arn = stack.resources["MetaSecret"]
    versions = sm.list_secret_version_ids(SecretId=arn)["Versions"]
    previous = next(v for v in versions if "AWSPREVIOUS" in v.get("VersionStages", []))
    generated = json.loads(sm.get_secret_value(SecretId=arn, VersionId=previous["VersionId"])["SecretString"])
    assert generated["app_secret"] == "REPLACE_ME"
    assert len(generated["verify_token"]) == 40 and generated["verify_token"].isalnum()
    seeded = json.loads(sm.get_secret_value(SecretId=arn)["SecretString"])
    assert stack.seed is not None
    assert seeded == {
        "app_id": stack.seed.app_id,
        "app_secret": stack.seed.app_secret,
        "verify_token": stack.seed.verify_token,
        "access_token": stack.seed.page_access_token,
        "page_access_tokens": {stack.seed.page_id: stack.seed.page_access_token},
    }


def test_routing_parameter_and_simulator_seeded(stack: LocalStack) -> None:
    assert stack.seed is not None
    value = stack.client("ssm").get_parameter(Name=stack.resources["RoutingParameter"])["Parameter"]["Value"]
    assert json.loads(value) == {
        "version": 1,
        "forms": [
            {"form_id": stack.seed.form_id, "page_id": stack.seed.page_id, "audience_ids": [stack.seed.audience_id]}
        ],
    }
    sim = stack.sim
    assert isinstance(sim, StubGraphSimulator)
    assert sim.pages == {stack.seed.page_id: stack.seed.page_access_token}
    assert sim.forms == {stack.seed.form_id: stack.seed.page_id}
    assert sim.audiences == {stack.seed.audience_id: stack.seed.account_id}
    assert stack.seed.account_id.startswith("act_") and stack.seed.account_id[4:].isdigit()
    assert stack.seed.page_id.isdigit() and stack.seed.form_id.isdigit() and stack.seed.audience_id.isdigit()
    # Meta's verification GET went through the API shim to the real handler
    assert sim.subscriptions == [(stack.webhook_url, stack.seed.verify_token)]
    assert stack.webhook_url == stack.api_url("WebhookApi") + "/webhook"
    assert stack.webhook_url.endswith("/dev/webhook")


def test_function_configuration(stack: LocalStack) -> None:
    config = stack.client("lambda").get_function_configuration(FunctionName=stack.resources["EchoFunction"])
    assert config["Timeout"] == 2 and config["MemorySize"] == 1024
    assert config["Runtime"] == "python3.13" and config["Handler"] == "app.handler"
    assert [layer["Arn"] for layer in config["Layers"]] == [stack.resources["FixtureLayer"]]
    env = config["Environment"]["Variables"]
    assert env["GRAPH_BASE_URL"] == "http://127.0.0.1:9"  # parameter override from the simulator
    assert env["OVERRIDDEN"] == "from-function" and env["SHARED"] == "from-globals"


def test_state_machine_definition_substituted(stack: LocalStack) -> None:
    machine = stack.client("stepfunctions").describe_state_machine(stateMachineArn=stack.resources["Workflow"])
    definition = json.loads(machine["definition"])
    work = definition["States"]["Work"]
    assert work["Parameters"]["FunctionName"] == stack.attribute("TaskFunction", "Arn")
    assert definition["States"]["Recovered"]["Result"] == "recovered-dev"
    assert "${" not in machine["definition"]


# ---------------------------------------------------------------------------- Lambda hook, runtime env


def test_env_is_exactly_template_plus_lambda(stack: LocalStack) -> None:
    echo = stack.invoke("EchoFunction", {"hello": "world"}).json()
    env = echo["env"]
    assert env["ONLY_ECHO"] == "yes" and env["RETENTION"] == "7"
    assert env["QUEUE_URL"] == stack.resources["WorkQueue"]
    assert env["QUEUE_NAME"] == stack.attribute("WorkQueue", "QueueName")
    assert env["STAGE_FLAG"] == "not-prod"
    assert env["JOINED"] == "us-east-1|123456789012|b"
    table = stack.resources["ItemsTable"]
    assert env["SUBBED"] == f"leadloop-local:{table}:{stack.attribute('ItemsTable', 'Arn')}:${{Literal}}"
    assert env["AWS_ENDPOINT_URL"] == stack.aws_endpoint_url
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == stack.resources["EchoFunction"]
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "1024" and env["AWS_LAMBDA_FUNCTION_TIMEOUT"] == "2"
    assert env["AWS_LAMBDA_LOG_FORMAT"] == "JSON"
    code_dir = stack.functions["EchoFunction"].code_dir
    assert code_dir is not None
    assert env["PYTHONPATH"].split(":") == [str(code_dir), str(code_dir.parent / "layer")]
    # nothing from the parent process leaks in
    for leaked in ("HOME", "VIRTUAL_ENV", "MOTO_PORT", "PYTEST_CURRENT_TEST", "LEADLOOP_STATE_DIR"):
        assert leaked not in env
    other = stack.invoke("ScheduledFunction", {}).json()  # another function, another env
    assert other == {"got": {}}
    task_env = stack.client("lambda").get_function_configuration(FunctionName=stack.resources["TaskFunction"])
    assert "ONLY_ECHO" not in task_env["Environment"]["Variables"]
    # context
    assert echo["function_name"] == stack.resources["EchoFunction"]
    assert echo["memory"] == "1024" and echo["arn"] == stack.attribute("EchoFunction", "Arn")
    assert 0 < echo["remaining_ms"] <= 2000
    assert echo["module"] == "leadloop_fn_EchoFunction"
    assert echo["layer_file"].endswith("handlers/layer/fixture_common/__init__.py")


def test_moto_invoke_reaches_handler_and_errors_are_function_errors(stack: LocalStack) -> None:
    lam = stack.client("lambda")
    ok = lam.invoke(FunctionName=stack.resources["EchoFunction"], Payload=b'{"via": "moto"}')
    assert "FunctionError" not in ok
    assert json.loads(ok["Payload"].read())["event"] == {"via": "moto"}
    failed = lam.invoke(FunctionName=stack.resources["EchoFunction"], Payload=b'{"action": "raise"}')
    assert failed["FunctionError"] == "Handled"
    body = json.loads(failed["Payload"].read())
    assert body["errorType"] == "KeyError" and body["errorMessage"] == "'missing thing'"
    assert any("handlers/echo/app.py" in line for line in body["stackTrace"])
    assert lambda_hook.installed()


def test_step_functions_retry_and_catch_through_real_handlers(stack: LocalStack) -> None:
    sfn = stack.client("stepfunctions")

    def run(name: str, payload: dict[str, Any]) -> Any:
        arn = sfn.start_execution(stateMachineArn=stack.resources["Workflow"], name=name, input=json.dumps(payload))[
            "executionArn"
        ]
        return wait_for(
            lambda: (d := sfn.describe_execution(executionArn=arn))["status"] != "RUNNING" and d, timeout=20
        )

    retried = run("retry", {"run": "retry", "succeed_on": 2})
    assert retried["status"] == "SUCCEEDED"
    assert json.loads(retried["output"]) == {"run": "retry", "attempts": 2}
    caught = run("catch", {"run": "catch", "fatal": True})
    assert caught["status"] == "SUCCEEDED"
    output = json.loads(caught["output"])
    assert output["marker"] == "recovered-dev"
    assert output["error"]["Error"] == "FatalError"
    assert json.loads(output["error"]["Cause"])["errorMessage"] == "cannot continue"


def test_hook_refuses_an_unknown_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    import moto

    monkeypatch.setattr(moto, "__version__", "9.9.9")
    with pytest.raises(lambda_hook.HookError, match=r"supports moto 5\.2\.5, found 9\.9\.9"):
        lambda_hook.install(lambda name, event: ("{}", False, ""))


# ---------------------------------------------------------------------------- API shim


def _webhook(stack: LocalStack) -> str:
    assert stack.webhook_url is not None
    return stack.webhook_url


def _request(
    url: str, *, method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read()


def test_api_event_shape_and_exact_utf8_body(stack: LocalStack) -> None:
    raw = '{"entry": [{"changes": [{"field": "leadgen"}]}], "name": "Zoë ✓"}'.encode()
    status, headers, body = _request(
        _webhook(stack) + "?a=1&a=2&b=x%20y",
        method="POST",
        body=raw,
        headers={"X-Hub-Signature-256": "sha256=abc", "Content-Type": "application/json"},
    )
    assert status == 200
    assert headers["X-Handler"] == stack.resources["WebhookFunction"]
    event = json.loads(body)["event"]
    assert base64.b64decode(json.loads(body)["raw_b64"]) == raw
    assert event["body"] == raw.decode("utf-8") and event["isBase64Encoded"] is False
    assert event["resource"] == "/webhook" and event["path"] == "/webhook" and event["httpMethod"] == "POST"
    assert event["headers"]["X-Hub-Signature-256"] == "sha256=abc"
    assert event["multiValueHeaders"]["X-Hub-Signature-256"] == ["sha256=abc"]
    assert event["queryStringParameters"] == {"a": "2", "b": "x y"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": ["x y"]}
    assert event["pathParameters"] is None and event["stageVariables"] is None
    context = event["requestContext"]
    assert context["stage"] == "dev" and context["resourcePath"] == "/webhook"
    assert context["httpMethod"] == "POST" and context["path"] == "/dev/webhook"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["apiId"] == stack.resources["WebhookApi"]
    assert abs(context["requestTimeEpoch"] / 1000 - time.time()) < 30
    assert headers["x-amzn-RequestId"] == context["requestId"]


def test_api_non_utf8_body_is_base64_and_exact(stack: LocalStack) -> None:
    raw = bytes(range(256)) * 3
    status, _, body = _request(
        _webhook(stack), method="POST", body=raw, headers={"Content-Type": "application/octet-stream"}
    )
    assert status == 200
    reply = json.loads(body)
    assert reply["event"]["isBase64Encoded"] is True
    assert base64.b64decode(reply["event"]["body"]) == raw
    assert base64.b64decode(reply["raw_b64"]) == raw


def test_api_body_of_a_non_binary_type_is_text_even_when_not_utf8(stack: LocalStack) -> None:
    # API Gateway base64-encodes only BinaryMediaTypes (here application/octet-stream)
    raw = b'{"name": "Zo\xeb"}'  # Latin-1, not UTF-8
    status, _, body = _request(_webhook(stack), method="POST", body=raw, headers={"Content-Type": "application/json"})
    assert status == 200
    event = json.loads(body)["event"]
    assert event["isBase64Encoded"] is False and event["body"] == raw.decode("utf-8", errors="replace")


def test_api_path_parameters_any_method_and_binary_reply(stack: LocalStack) -> None:
    status, _, body = _request(stack.api_url("WebhookApi") + "/items/abc%20d?x=1", method="DELETE")
    assert status == 200
    event = json.loads(body)["event"]
    assert event["resource"] == "/items/{item_id}" and event["pathParameters"] == {"item_id": "abc d"}
    status, headers, body = _request(stack.api_url("WebhookApi") + "/items/1", method="PUT", body=b"binary-reply")
    assert status == 201 and body == b"\x00\xff\xfe"
    assert headers["Content-Type"] == "application/octet-stream"


def test_api_gateway_errors(stack: LocalStack) -> None:
    base = stack.api_url("WebhookApi")
    status, _, body = _request(base + "/nowhere")
    assert (status, json.loads(body)) == (403, {"message": "Missing Authentication Token"})
    status, _, body = _request(base.rsplit("/", 1)[0] + "/otherstage/webhook")
    assert status == 403
    status, _, body = _request(_webhook(stack), method="PATCH")
    assert status == 403  # no PATCH route on /webhook
    status, _, body = _request(_webhook(stack), method="POST", body=b"explode")
    assert (status, json.loads(body)) == (502, {"message": "Internal server error"})
    status, _, body = _request(_webhook(stack), method="POST", body=b"malformed")
    assert (status, json.loads(body)) == (502, {"message": "Internal server error"})
    # verification with a wrong token is the handler's 403
    status, _, _ = _request(_webhook(stack) + "?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1")
    assert status == 403


def test_api_payload_limit(stack: LocalStack) -> None:
    host, port = stack.api_url("WebhookApi").split("//")[1].split("/")[0].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.putrequest("POST", "/dev/webhook")
    connection.putheader("Content-Length", str(MAX_PAYLOAD_BYTES + 1))
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 413
    assert json.loads(response.read()) == {"message": "Request Too Long"}
    connection.close()


# ---------------------------------------------------------------------------- schedules


def test_fire_schedule_delivers_input(stack: LocalStack) -> None:
    result = stack.fire_schedule("ScheduledFunction", "Hourly")
    assert not result.errored and result.json() == {"got": {"trigger": "schedule"}}
    rule = stack.fire_schedule("ScheduledFunction", "Nightly").json()["got"]
    assert rule["detail-type"] == "Scheduled Event" and rule["source"] == "aws.events"
    with pytest.raises(Exception, match="several schedules"):
        stack.fire_schedule("ScheduledFunction")
    assert {"trigger": "schedule"} in calls(stack, "scheduled")


def test_fire_state_machine_schedule(stack: LocalStack) -> None:
    arn = stack.fire_schedule("Workflow").json()["executionArn"]
    # Started as the Scheduler starts it: unnamed, so the name is the one Step Functions generates.
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", arn.rsplit(":", 1)[1])
    sfn = stack.client("stepfunctions")
    done = wait_for(lambda: (d := sfn.describe_execution(executionArn=arn))["status"] != "RUNNING" and d, timeout=20)
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["input"]) == {"run": "scheduled", "succeed_on": 1}


def test_describe_is_the_dev_up_document(stack: LocalStack) -> None:
    document = stack.describe()
    assert document["webhook_url"] == stack.webhook_url
    assert document["aws_endpoint_url"] == stack.aws_endpoint_url
    assert document["graph_url"] == "http://127.0.0.1:9"
    assert document["resources"] == stack.resources
    assert document["schedules"]["ScheduledFunction"]["Hourly"]["input"] == '{"trigger": "schedule"}'
    assert document["schedules"]["Workflow"]["Nightly"]["target_kind"] == "statemachine"
    json.dumps(document)  # serializable


def test_log_file_tags_every_line(stack: LocalStack) -> None:
    stack.invoke("EchoFunction", {"action": "raise"})
    lines = stack.log_file.read_text().splitlines()
    assert all(line.startswith("[") and "] " in line for line in lines)
    errors = [line for line in lines if line.startswith("[EchoFunction] {") and '"errorType": "KeyError"' in line]
    assert errors
    assert any(line.startswith('[WebhookApi] 127.0.0.1 "GET /dev/webhook" 200') for line in lines)

"""The real AudienceReplace ASL on moto's interpreter, its tasks in AudienceReplaceFunction, Meta simulated.

Every scenario ends by comparing the simulator's membership with the intended set computed here
independently, or by checking that the outcome says exactly why not.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from leadloop.audience import hash_record
from leadloop.rows.policy import LEAD_SCHEMA
from leadloop_cli.devstack import lambda_hook
from leadloop_cli.graphsim import GraphSimulator
from tests.support.context import FakeContext
from tests.support.moto_stack import AUDIENCE_ID, FORM_ID, PAGE_ID, REGION, Env, provisioned, sim_json

ACCOUNT_ID = "act_300000000000001"
SFN_CONFIG = {"stepfunctions": {"execute_state_machine": True}}
CHUNK_ROWS = 3


@dataclass
class Replace:
    env: Env
    calls: list[str]

    @property
    def sfn(self) -> Any:
        return boto3.client("stepfunctions", region_name=REGION)

    def start(self, document: dict[str, Any], **function_env: str) -> str:
        if function_env:
            self.use(**function_env)
        arn = self.env.resource("AudienceReplaceStateMachine")
        name = f"run-{uuid.uuid4().hex[:12]}"
        return str(self.sfn.start_execution(stateMachineArn=arn, name=name, input=json.dumps(document))["executionArn"])

    def use(self, **function_env: str) -> None:
        module = self.env.use_function("AudienceReplaceFunction", **function_env)
        install_router(module.handler, self.calls)

    def wait(
        self, execution: str, *, timeout: float = 90.0, on_state: dict[str, Callable[[], object]] | None = None
    ) -> dict[str, Any]:
        """Until the execution ends; ``on_state`` runs once when a named state is first entered."""
        pending = dict(on_state or {})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pending:
                entered = set(self.states_entered(execution))
                for state in [s for s in pending if s in entered]:
                    pending.pop(state)()
            answer = self.sfn.describe_execution(executionArn=execution)
            if answer["status"] != "RUNNING":
                return dict(answer)
            time.sleep(0.2)
        raise AssertionError(f"execution still running after {timeout} s: {self.states_entered(execution)[-5:]}")

    def history(self, execution: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"executionArn": execution, "maxResults": 1000}
        while True:
            answer = self.sfn.get_execution_history(**kwargs)
            events += answer["events"]
            if not answer.get("nextToken"):
                return events
            kwargs["nextToken"] = answer["nextToken"]

    def states_entered(self, execution: str) -> list[str]:
        return [
            e["stateEnteredEventDetails"]["name"] for e in self.history(execution) if "stateEnteredEventDetails" in e
        ]

    def state_item(self, pk: str, sk: str) -> dict[str, Any] | None:
        ddb = self.env.client("dynamodb")
        item = ddb.get_item(TableName=self.env.resource("StateTable"), Key={"pk": {"S": pk}, "sk": {"S": sk}})
        return item.get("Item")


def install_router(handler: Callable[[Any, Any], Any], calls: list[str]) -> None:
    def route(name: str, event: Any) -> tuple[str, bool, str]:
        calls.append(str(event.get("task")) if isinstance(event, dict) else "?")
        try:
            return json.dumps(handler(event, FakeContext(900))), False, ""
        except Exception as exc:  # what the Lambda runtime reports for an unhandled error
            return json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)}), True, ""

    lambda_hook.install(route)


@pytest.fixture
def rp(sim: GraphSimulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Replace]:
    sim.add_ad_account(ACCOUNT_ID)
    sim.add_audience(AUDIENCE_ID, ACCOUNT_ID)
    params = {"ReplaceChunkRows": str(CHUNK_ROWS), "ReplacePollSeconds": "5", "ReplaceConcurrency": "2"}
    with provisioned(sim, monkeypatch, parameters=params, moto_config=SFN_CONFIG) as env:
        replace = Replace(env, [])
        replace.use()
        try:
            yield replace
        finally:
            lambda_hook.uninstall()


# ---------------------------------------------------------------------- data
def person(n: int) -> dict[str, str]:
    return {
        "email": f"Person.{n}@Example.com ",
        "phone_number": f"+1 (415) 555-{n:04d}",
        "first_name": f"Ann{chr(97 + n % 26)}",
        "last_name": "Lee",
        "city": "San Francisco",
        "state": "CA",
        "zip_code": "94107",
        "country": "US",
    }


def put_leads(
    env: Env, people: list[dict[str, str]], *, form_id: str = FORM_ID, status: str = "FETCHED", first_id: int = 0
) -> None:
    ddb = env.client("dynamodb")
    for n, answers in enumerate(people, start=first_id):
        ddb.put_item(
            TableName=env.resource("LeadsTable"),
            Item={
                "leadgen_id": {"S": str(10**17 + n)},
                "status": {"S": status},
                "form_id": {"S": form_id},
                "page_id": {"S": PAGE_ID},
                "created_time": {"N": str(int(time.time()))},
                "field_data": {
                    "L": [{"M": {"name": {"S": k}, "values": {"L": [{"S": v}]}}} for k, v in answers.items()]
                },
            },
        )


def expected_rows(people: list[dict[str, str]]) -> list[list[str]]:
    """The lead rows computed independently of the replace code (Meta's normalization via the API)."""
    keys = {"email": "EMAIL", "phone_number": "PHONE", "first_name": "FN", "last_name": "LN", "city": "CT"}
    keys |= {"state": "ST", "zip_code": "ZIP", "country": "COUNTRY"}
    out = {tuple(hash_record({keys[k]: v for k, v in p.items()}, LEAD_SCHEMA, default_country="US")) for p in people}
    return sorted(list(r) for r in out)


def members(env: Env) -> list[list[str]]:
    view = sim_json(env, "GET", f"/_sim/audiences/{AUDIENCE_ID}")
    return sorted([str(c) for c in m] for m in view["members"])


def seed_old_members(env: Env) -> None:
    """An earlier member (added with /users) that the replace must drop."""
    from leadloop.replace.meta import payload

    old = hash_record({"EMAIL": "old.member@example.com"}, LEAD_SCHEMA)
    token = "EAAB-itest-page-token"
    sim = env.sim
    body = {"payload": payload(list(LEAD_SCHEMA), [old]), "access_token": token}
    body["appsecret_proof"] = sim.appsecret_proof(token)
    request = __import__("urllib.request").request.Request(
        f"{sim.base_url}/v26.0/{AUDIENCE_ID}/users",
        data=__import__("urllib.parse").parse.urlencode(body).encode(),
        method="POST",
    )
    with __import__("urllib.request").request.urlopen(request, timeout=10) as answer:
        assert json.loads(answer.read())["num_received"] == 1


def replace_calls(env: Env) -> list[dict[str, Any]]:
    return [c for c in env.sim.calls() if str(c.get("path", "")).endswith("/usersreplace")]


def first_batches(env: Env) -> list[dict[str, Any]]:
    return [c for c in replace_calls(env) if c.get("batch_seq") == 1]


def fault(env: Env, **spec: Any) -> None:
    sim_json(env, "POST", "/_sim/faults", {"path": r"/usersreplace$"} | spec)


def outcome(execution: dict[str, Any]) -> dict[str, Any]:
    return dict(json.loads(execution["output"]))


def lock_item(rp: Replace) -> dict[str, Any] | None:
    return rp.state_item(f"audience#{AUDIENCE_ID}", "lock")


PEOPLE = [person(n) for n in range(10)] + [person(3), person(7)]  # two duplicates


# ---------------------------------------------------------------------- scenarios
def test_a_replace_from_leads_makes_the_audience_exactly_the_leads(rp: Replace):
    put_leads(rp.env, PEOPLE)
    put_leads(rp.env, [person(99)], status="FORGOTTEN", first_id=500)  # not a member any more
    seed_old_members(rp.env)
    execution = rp.wait(rp.start({"audience_id": AUDIENCE_ID, "source": {"type": "leads"}}))

    assert execution["status"] == "SUCCEEDED", execution
    assert members(rp.env) == expected_rows(PEOPLE[:10])
    result = outcome(execution)
    assert result["status"] == "succeeded"
    assert (result["rows_read"], result["rows_unique"], result["duplicates"]) == (12, 10, 2)
    assert result["chunks"] == 4 and result["replace_calls"] == 4 and result["overflow_chunks"] == 0
    assert result["lock_released"] is True and lock_item(rp) is None
    assert len(first_batches(rp.env)) == 1
    assert [c.get("last_batch_flag") for c in replace_calls(rp.env)].count(True) == 1
    latest = rp.state_item(f"audience#{AUDIENCE_ID}", "replace#latest")
    assert latest is not None and latest["status"]["S"] == "succeeded"
    # No raw answer anywhere in the execution's history (inputs, outputs, errors).
    history = json.dumps(rp.history(execution["executionArn"]), default=str).lower()
    assert "example.com" not in history and "555-" not in history and "anna" not in history


def test_a_replace_from_a_csv_in_the_staging_bucket(rp: Replace):
    s3 = rp.env.client("s3")
    bucket = rp.env.resource("StagingBucket")
    lines = ["Email,Phone Number,Notes"] + [f"crm{n}@example.com,+44 20 7946 {n:04d},x" for n in range(7)]
    lines += ["crm1@example.com,+44 20 7946 0001,dup", ",,no identifiers"]
    s3.put_object(Bucket=bucket, Key="sources/crm.csv", Body=("\n".join(lines) + "\n").encode())
    source = {
        "type": "s3_csv",
        "bucket": bucket,
        "key": "sources/crm.csv",
        "mapping": {"Email": "EMAIL", "Phone Number": "PHONE"},
        "default_country": "GB",
    }
    execution = rp.wait(rp.start({"audience_id": AUDIENCE_ID, "source": source, "max_concurrency": 3}))

    assert execution["status"] == "SUCCEEDED", execution
    intended = sorted(
        hash_record({"EMAIL": f"crm{n}@example.com", "PHONE": f"+44 20 7946 {n:04d}"}, ["EMAIL", "PHONE"])
        for n in range(7)
    )
    assert members(rp.env) == intended
    result = outcome(execution)
    assert (result["rows_read"], result["rows_without_identifiers"], result["duplicates"]) == (9, 1, 1)


def test_bad_input_fails_before_any_lock_or_graph_call(rp: Replace):
    cases: list[tuple[dict[str, Any], str]] = [
        ({"audience_id": "x1", "source": {"type": "leads"}}, "audience_id"),
        ({"audience_id": AUDIENCE_ID, "source": {"type": "ftp"}}, "source"),
        ({"audience_id": AUDIENCE_ID, "source": {"type": "leads"}, "max_concurrency": 99}, "max_concurrency"),
        (
            {
                "audience_id": AUDIENCE_ID,
                "source": {"type": "s3_csv", "bucket": "b-1", "key": "k", "mapping": {"E": "SSN"}},
            },
            "SSN",
        ),
    ]
    for document, needle in cases:
        execution = rp.wait(rp.start(document))
        assert execution["status"] == "FAILED"
        assert execution["error"] == "InvalidReplaceInput" and needle in execution["cause"]
    assert lock_item(rp) is None and replace_calls(rp.env) == []


def test_a_json_array_or_null_input_fails_at_once_as_invalid_input(rp: Replace):
    for document in ([AUDIENCE_ID], [], None, "leads", 7, {"source": {"type": "leads"}}):
        rp.calls.clear()
        arn = rp.env.resource("AudienceReplaceStateMachine")
        name = f"run-{uuid.uuid4().hex[:12]}"
        started = rp.sfn.start_execution(stateMachineArn=arn, name=name, input=json.dumps(document))
        execution = rp.wait(started["executionArn"], timeout=60)
        assert execution["status"] == "FAILED", (document, execution)
        assert execution["error"] == "InvalidReplaceInput", (document, execution)
        assert "audience_id" in execution["cause"], (document, execution)
        assert len(rp.calls) == len(set(rp.calls)), (document, rp.calls)  # no task was retried
    assert lock_item(rp) is None and replace_calls(rp.env) == []


def test_a_missing_csv_fails_as_invalid_input_before_the_lock(rp: Replace):
    bucket = rp.env.resource("StagingBucket")
    source = {"type": "s3_csv", "bucket": bucket, "key": "sources/nowhere.csv", "mapping": {"Email": "EMAIL"}}
    execution = rp.wait(rp.start({"audience_id": AUDIENCE_ID, "source": source}))
    assert execution["status"] == "FAILED" and execution["error"] == "InvalidReplaceInput"
    assert "NoSuchKey" in execution["cause"] or "404" in execution["cause"]
    assert "Lock" not in rp.states_entered(execution["executionArn"])
    assert rp.calls[:1] == ["begin"] and "lock" not in rp.calls
    assert lock_item(rp) is None and replace_calls(rp.env) == []


def test_a_dry_run_stages_and_reports_without_touching_meta(rp: Replace):
    put_leads(rp.env, PEOPLE)
    held: list[dict[str, Any] | None] = []
    execution = rp.wait(
        rp.start({"audience_id": AUDIENCE_ID, "source": {"type": "leads"}, "dry_run": True}),
        on_state={"Stage": lambda: held.append(lock_item(rp))},
    )
    assert held == [None]  # uploads are never held up by a dry run
    assert outcome(execution)["lock_released"] is False  # there was no lock to release
    assert execution["status"] == "SUCCEEDED"
    result = outcome(execution)
    assert (result["status"], result["rows_unique"], result["chunks"]) == ("dry_run", 10, 4)
    assert replace_calls(rp.env) == [] and lock_item(rp) is None


def test_an_empty_source_is_refused_and_the_lock_released(rp: Replace):
    bucket = rp.env.resource("StagingBucket")
    rp.env.client("s3").put_object(Bucket=bucket, Key="sources/empty.csv", Body=b"Email\n\n")
    source = {"type": "s3_csv", "bucket": bucket, "key": "sources/empty.csv", "mapping": {"Email": "EMAIL"}}
    execution = rp.wait(rp.start({"audience_id": AUDIENCE_ID, "source": source}))
    assert execution["status"] == "FAILED" and execution["error"] == "EmptySource"
    assert lock_item(rp) is None and replace_calls(rp.env) == []


def test_an_audience_of_100m_is_not_replaced(rp: Replace):
    rp.env.sim.set_audience_size(AUDIENCE_ID, 100_000_000)
    put_leads(rp.env, PEOPLE[:2])
    execution = rp.wait(rp.start({"audience_id": AUDIENCE_ID, "source": {"type": "leads"}}))
    assert execution["status"] == "FAILED" and execution["error"] == "AudienceNotReplaceable"
    assert "100M" in execution["cause"] and lock_item(rp) is None


def test_another_runs_lock_is_respected(rp: Replace):
    put_leads(rp.env, PEOPLE[:2])
    held = {"pk": {"S": f"audience#{AUDIENCE_ID}"}, "sk": {"S": "lock"}, "run_id": {"S": "other-run"}}
    held["expires_at"] = {"N": str(int(time.time()) + 3600)}
    rp.env.client("dynamodb").put_item(TableName=rp.env.resource("StateTable"), Item=held)
    execution = rp.wait(rp.start({"audience_id": AUDIENCE_ID, "source": {"type": "leads"}}))
    assert execution["status"] == "FAILED" and execution["error"] == "AudienceLocked"
    assert "other-run" in execution["cause"]
    assert lock_item(rp) == held  # untouched
    assert replace_calls(rp.env) == []


def test_a_busy_audience_is_waited_for(rp: Replace):
    put_leads(rp.env, PEOPLE[:4])
    rp.env.sim.set_audience_status(AUDIENCE_ID, 414, "replace in progress")
    execution = rp.wait(
        rp.start({"audience_id": AUDIENCE_ID, "source": {"type": "leads"}}),
        on_state={"WaitWhileBusy": lambda: rp.env.sim.set_audience_status(AUDIENCE_ID, 200, "Normal")},
    )
    assert execution["status"] == "SUCCEEDED"
    assert members(rp.env) == expected_rows(PEOPLE[:4])


def test_1870145_on_batch_1_waits_then_succeeds_and_batch_1_is_accepted_once(rp: Replace):
    put_leads(rp.env, PEOPLE)
    fault(rp.env, error={"code": 2650, "error_subcode": 1870145, "message": "Audience update in progress"}, times=1)
    execution = rp.wait(rp.start({"audience_id": AUDIENCE_ID, "source": {"type": "leads"}}))
    assert execution["status"] == "SUCCEEDED"
    assert "WaitBeforeFirst" in rp.states_entered(execution["executionArn"])
    accepted = [c for c in first_batches(rp.env) if c.get("status") == 200]
    assert len(accepted) == 1
    assert members(rp.env) == expected_rows(PEOPLE[:10])


def test_a_5xx_on_a_middle_batch_is_retried_and_batch_1_is_never_repeated(rp: Replace):
    put_leads(rp.env, PEOPLE)
    fault(rp.env, status=500, error={"code": 2, "message": "Service temporarily unavailable"}, after=2, times=1)
    execution = rp.wait(rp.start({"audience_id": AUDIENCE_ID, "source": {"type": "leads"}}))
    assert execution["status"] == "SUCCEEDED"
    assert len(first_batches(rp.env)) == 1
    assert [c.get("status") for c in replace_calls(rp.env)].count(500) == 1
    assert members(rp.env) == expected_rows(PEOPLE[:10])


def test_a_task_crash_mid_send_resumes_the_same_session(rp: Replace, monkeypatch: pytest.MonkeyPatch):
    from leadloop.replace import session

    put_leads(rp.env, [person(n) for n in range(20)])
    original = getattr(session, "send_replace_batch")  # noqa: B009
    crashed: list[int] = []

    def crash_once(*args: Any, **kwargs: Any) -> Any:
        if kwargs["batch_seq"] == 4 and not crashed:
            crashed.append(4)
            raise RuntimeError("worker lost")
        return original(*args, **kwargs)

    monkeypatch.setattr(session, "send_replace_batch", crash_once)
    execution = rp.wait(rp.start({"audience_id": AUDIENCE_ID, "source": {"type": "leads"}, "max_concurrency": 1}))
    assert execution["status"] == "SUCCEEDED" and crashed == [4]
    calls = replace_calls(rp.env)
    assert len({c.get("session_id") for c in calls}) == 1
    assert len(first_batches(rp.env)) == 1
    assert rp.calls.count("send") >= 2  # the retried invocation
    assert members(rp.env) == expected_rows([person(n) for n in range(20)])


def test_the_window_running_out_sends_the_rest_as_overflow_and_membership_is_exact(rp: Replace):
    people = [person(n) for n in range(24)]
    put_leads(rp.env, people)
    fault(rp.env, latency_ms=600)
    rp.use(REPLACE_WINDOW_SECONDS="60", REPLACE_SAFETY_MARGIN_SECONDS="58")
    execution = rp.wait(
        rp.start({"audience_id": AUDIENCE_ID, "source": {"type": "leads"}, "max_concurrency": 1}),
        # Meta closes an unfinished session 90 minutes after batch 1 (virtual time here).
        on_state={"WaitWhileProcessing": lambda: rp.env.sim.advance_clock(5400)},
    )
    assert execution["status"] == "SUCCEEDED", execution
    result = outcome(execution)
    assert result["overflow_chunks"] > 0 and result["overflow_calls"] == result["overflow_chunks"]
    assert result["replace_calls"] + result["overflow_chunks"] == result["chunks"] == 8
    users = [c for c in rp.env.sim.calls() if str(c.get("path", "")).endswith("/users")]
    assert len(users) == result["overflow_chunks"]
    assert members(rp.env) == expected_rows(people)


def test_1870159_ends_replace_batches_and_the_rest_is_added_afterwards(rp: Replace):
    put_leads(rp.env, PEOPLE)
    fault(
        rp.env, error={"code": 2650, "error_subcode": 1870159, "message": "Replace session finished"}, after=2, times=1
    )
    execution = rp.wait(rp.start({"audience_id": AUDIENCE_ID, "source": {"type": "leads"}, "max_concurrency": 1}))
    assert execution["status"] == "SUCCEEDED"
    assert outcome(execution)["overflow_chunks"] >= 1
    assert members(rp.env) == expected_rows(PEOPLE[:10])


def test_1870147_starts_a_new_session(rp: Replace):
    put_leads(rp.env, PEOPLE)
    message = "Invalid upload batch for replace"
    fault(rp.env, error={"code": 2650, "error_subcode": 1870147, "message": message}, after=1, times=1)
    execution = rp.wait(
        rp.start({"audience_id": AUDIENCE_ID, "source": {"type": "leads"}, "max_concurrency": 1}),
        # The simulator did see the first session's batch 1; Meta closes it at 90 minutes.
        on_state={"WaitBeforeFirst": lambda: rp.env.sim.advance_clock(5400)},
    )
    assert execution["status"] == "SUCCEEDED", execution
    assert outcome(execution)["session_restarts"] == 1
    sessions = [(c.get("session_id"), c.get("batch_seq"), c.get("status")) for c in replace_calls(rp.env)]
    assert len({s for s, _, _ in sessions if s is not None}) == 2, sessions  # fault answers carry none
    assert members(rp.env) == expected_rows(PEOPLE[:10])


def test_a_failed_replace_415_is_reported_and_the_lock_released(rp: Replace):
    put_leads(rp.env, PEOPLE)
    seed_old_members(rp.env)
    before = members(rp.env)
    rp.env.sim.configure(replace_processing_seconds=30)
    rp.env.sim.set_replace_outcome(AUDIENCE_ID, "fail")
    execution = rp.wait(
        rp.start({"audience_id": AUDIENCE_ID, "source": {"type": "leads"}}),
        on_state={"WaitWhileProcessing": lambda: rp.env.sim.advance_clock(60)},
    )
    assert execution["status"] == "FAILED" and execution["error"] == "ReplaceFailed"
    assert "415" in execution["cause"]
    assert lock_item(rp) is None and members(rp.env) == before
    latest = rp.state_item(f"audience#{AUDIENCE_ID}", "replace#latest")
    assert latest is not None and latest["status"]["S"] == "failed" and latest["error"]["S"] == "ReplaceFailed"


def test_1870148_from_the_closing_batch_fails_the_run(rp: Replace):
    put_leads(rp.env, PEOPLE[:4])
    rp.env.sim.set_replace_outcome(AUDIENCE_ID, "fail")
    execution = rp.wait(rp.start({"audience_id": AUDIENCE_ID, "source": {"type": "leads"}}))
    assert execution["status"] == "FAILED" and execution["error"] == "ReplaceFailed"
    assert "1870148" in execution["cause"] and lock_item(rp) is None


def test_uploads_wait_while_the_replace_holds_the_audience(rp: Replace):
    """While the run holds the lock, the AudienceUploader defers this audience (it reads the same item)."""
    from leadloop.state.locks import AudienceLocks

    put_leads(rp.env, PEOPLE[:4])
    locks = AudienceLocks(rp.env.client("dynamodb"), rp.env.resource("StateTable"))
    seen: list[dict[str, int]] = []
    execution = rp.wait(
        rp.start({"audience_id": AUDIENCE_ID, "source": {"type": "leads"}}),
        on_state={"Stage": lambda: seen.append(locks.held_until([AUDIENCE_ID], int(time.time())))},
    )
    assert execution["status"] == "SUCCEEDED"
    assert seen and AUDIENCE_ID in seen[0]
    assert locks.held_until([AUDIENCE_ID], int(time.time())) == {}

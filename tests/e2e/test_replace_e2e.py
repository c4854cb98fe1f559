"""``leadloop replace`` against the running local stack, as an operator runs it."""

from __future__ import annotations

import hashlib
import json
import re

from leadloop_cli.demo.capture import person
from leadloop_cli.stackclient import StackClient, wait_until
from tests.support.cli import leadloop_cli


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def member_emails(stack: StackClient) -> set[str]:
    view = stack.sim("GET", f"/_sim/audiences/{stack.seed['audience_id']}")
    schema = view.get("schema") or []
    if "EMAIL" not in schema:
        return set()
    column = schema.index("EMAIL")
    return {row[column] for row in view["members"]}


def test_a_csv_replace_with_columns_found_from_the_header(stack: StackClient):
    bucket = stack.resources["StagingBucket"]
    lines = ["E-mail Address,Mobile Phone,Zip/Postal Code"]
    lines += [f"E2E.Person{n}@Example.com,(415) 555-{n:04d},{94100 + n}" for n in range(120)]
    lines += ["e2e.person7@example.com,(415) 555-0007,94107", "not an email,,"]
    stack.aws("s3").put_object(Bucket=bucket, Key="sources/e2e.csv", Body="\r\n".join(lines).encode())

    result = leadloop_cli(
        stack,
        "replace",
        "--audience-id",
        stack.seed["audience_id"],
        "--source",
        f"s3://{bucket}/sources/e2e.csv",
        "--default-country",
        "US",
        "--follow",
        timeout=300,
    )

    assert result.returncode == 0, result.stderr
    assert "replace succeeded" in result.stdout and "120 unique" in result.stdout
    assert "1 duplicates" in result.stdout and "1 without an identifier" in result.stdout
    assert "sending batches" in result.stdout or "closing the session" in result.stdout
    assert member_emails(stack) == {sha(f"e2e.person{n}@example.com") for n in range(120)}
    assert "example.com" not in (result.stdout + result.stderr).lower()
    batch_ones = [c for c in stack.calls() if c.get("batch_seq") == 1 and c.get("status") == 200]
    assert len(batch_ones) == 1


def test_a_replace_from_the_leads_keeps_exactly_the_stored_leads(stack: StackClient):
    ids = [stack.create_lead(person(7000 + n), deliver=True) for n in range(4)]
    stack.wait_for_fetched(ids, timeout=60)
    stored = {
        sha(next(a["values"][0] for a in lead["field_data"] if a["name"] == "email").strip().lower())
        for lead in stack.all_leads()
        if lead.get("status") == "FETCHED"
    }
    wait_until(lambda: stored <= member_emails(stack), timeout=90, what="the new leads to become members")

    result = leadloop_cli(
        stack, "replace", "--audience-id", stack.seed["audience_id"], "--source", "leads", "--follow", timeout=300
    )

    assert result.returncode == 0, result.stderr
    assert member_emails(stack) == stored  # the CSV's people are gone
    status = leadloop_cli(stack, "audience", "status", stack.seed["audience_id"])
    assert status.returncode == 0, status.stderr
    assert "last replace   succeeded" in status.stdout and f"{len(stored)} rows" in status.stdout
    assert "replace lock" not in status.stdout


def test_a_replace_started_without_a_name_runs_under_the_name_aws_gives_it(stack: StackClient):
    """A plain StartExecution, as the nightly Scheduler target starts it: the run's id is the generated name."""
    stack.wait_for_fetched([stack.create_lead(person(7100 + n), deliver=True) for n in range(2)], timeout=60)
    sfn = stack.aws("stepfunctions")
    document = {"audience_id": stack.seed["audience_id"], "source": {"type": "leads"}}
    arn = sfn.start_execution(
        stateMachineArn=stack.resources["AudienceReplaceStateMachine"], input=json.dumps(document)
    )["executionArn"]
    name = arn.rsplit(":", 1)[1]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", name), arn
    wait_until(lambda: sfn.describe_execution(executionArn=arn)["status"] != "RUNNING", timeout=300, what="the replace")
    done = sfn.describe_execution(executionArn=arn)
    assert done["status"] == "SUCCEEDED", (done.get("error"), done.get("cause"))


def test_a_failed_replace_exits_non_zero_with_the_reason_and_releases_the_lock(stack: StackClient):
    audience = stack.seed["audience_id"]
    # Leads of its own: a source with no usable row fails as EmptySource before Meta is asked.
    stack.wait_for_fetched([stack.create_lead(person(7200 + n), deliver=True) for n in range(2)], timeout=60)
    stack.sim("POST", f"/_sim/audiences/{audience}/replace_outcome", {"outcome": "fail"})
    before = member_emails(stack)

    result = leadloop_cli(stack, "replace", "--audience-id", audience, "--source", "leads", "--follow", timeout=300)

    assert result.returncode == 1
    assert "ReplaceFailed" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert member_emails(stack) == before
    lock = stack.aws("dynamodb").get_item(
        TableName=stack.resources["StateTable"], Key={"pk": {"S": f"audience#{audience}"}, "sk": {"S": "lock"}}
    )
    assert "Item" not in lock
    status = leadloop_cli(stack, "audience", "status", audience)
    assert "last replace   failed" in status.stdout and "ReplaceFailed" in status.stdout


def test_bad_sources_are_refused_before_anything_starts(stack: StackClient):
    bucket = stack.resources["StagingBucket"]
    missing = leadloop_cli(
        stack, "replace", "--audience-id", stack.seed["audience_id"], "--source", f"s3://{bucket}/nope.csv"
    )
    assert missing.returncode == 1 and "cannot read the header" in missing.stderr
    wrong = leadloop_cli(stack, "replace", "--audience-id", stack.seed["audience_id"], "--source", "ftp://x")
    assert wrong.returncode == 1 and "--source must be" in wrong.stderr

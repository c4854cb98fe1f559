"""``leadloop replace --all --local``: the routing's audiences replaced by one fan-out, as an operator runs it.

The local stack runs AllReplacesStateMachine with IAM enforced (its role must start, describe and
stop the children), each audience as a child execution of AudienceReplaceStateMachine.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from leadloop_cli.demo.capture import person
from leadloop_cli.stackclient import StackClient, wait_until
from tests.support.cli import leadloop_cli

pytestmark = pytest.mark.e2e

OTHER_ACCOUNT = "act_777000000000001"
CSV_AUDIENCE = "238777000000002"
FAILING_AUDIENCE = "238777000000001"
CRM = {f"crm{n}@example.com" for n in range(4)}


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def member_emails(stack: StackClient, audience_id: str) -> set[str]:
    view = stack.sim("GET", f"/_sim/audiences/{audience_id}")
    schema = view.get("schema") or []
    if "EMAIL" not in schema:
        return set()
    column = schema.index("EMAIL")
    return {row[column] for row in view["members"]}


def stored_emails(stack: StackClient) -> set[str]:
    return {
        sha(next(a["values"][0] for a in lead["field_data"] if a["name"] == "email").strip().lower())
        for lead in stack.all_leads()
        if lead.get("status") == "FETCHED"
    }


def set_routing(stack: StackClient, tmp_path: Path, audiences: dict[str, object]) -> None:
    """Add an ``audiences`` section to the live routing with ``leadloop routing set``, as an operator would."""
    live = leadloop_cli(stack, "routing", "show", "--raw")
    assert live.returncode == 0, live.stderr
    document = json.loads(live.stdout) | {"audiences": audiences}
    path = tmp_path / "routing.json"
    path.write_text(json.dumps(document, indent=2))
    written = leadloop_cli(stack, "routing", "set", str(path))
    assert written.returncode == 0, written.stdout + written.stderr
    assert f"{len(audiences)} audience(s) replaced nightly" in written.stdout


@pytest.fixture(scope="module")
def audiences(stack: StackClient) -> dict[str, object]:
    stack.sim("POST", "/_sim/ad_accounts", {"account_id": OTHER_ACCOUNT})
    stack.sim("POST", "/_sim/audiences", {"account_id": stack.seed["account_id"], "audience_id": CSV_AUDIENCE})
    stack.sim("POST", "/_sim/audiences", {"account_id": OTHER_ACCOUNT, "audience_id": FAILING_AUDIENCE})
    bucket = stack.resources["StagingBucket"]
    csv = {"type": "s3_csv", "bucket": bucket, "key": "sources/crm-{yyyy}{mm}{dd}.csv", "mapping": {"Email": "EMAIL"}}
    # The stack runs in UTC (NightlyReplaceTimezone's default): today's file and, near midnight, tomorrow's.
    now = datetime.now(UTC)
    for day in {now.date(), datetime.fromtimestamp(now.timestamp() + 600, UTC).date()}:
        body = "Email\n" + "\n".join(sorted(CRM)) + "\n"
        stack.aws("s3").put_object(Bucket=bucket, Key=f"sources/crm-{day:%Y%m%d}.csv", Body=body.encode())
    return {
        stack.seed["audience_id"]: {"account_id": stack.seed["account_id"], "replace": {"source": {"type": "leads"}}},
        CSV_AUDIENCE: {"account_id": stack.seed["account_id"], "replace": {"source": csv}},
        FAILING_AUDIENCE: {
            "account_id": OTHER_ACCOUNT,
            "replace": {"source": {"type": "leads", "form_ids": [stack.seed["form_id"]]}},
        },
    }


def test_replace_all_replaces_every_routed_audience_and_names_the_one_that_failed(
    stack: StackClient, audiences: dict[str, object], tmp_path: Path
):
    ids = [stack.create_lead(person(9100 + n), deliver=True) for n in range(3)]
    stack.wait_for_fetched(ids, timeout=60)
    stored = stored_emails(stack)
    seed_audience = stack.seed["audience_id"]
    wait_until(lambda: stored <= member_emails(stack, seed_audience), timeout=90, what="the leads to become members")
    set_routing(stack, tmp_path, audiences)
    stack.sim("POST", f"/_sim/audiences/{FAILING_AUDIENCE}/replace_outcome", {"outcome": "fail"})

    result = leadloop_cli(stack, "replace", "--all", "--follow", timeout=420)

    assert result.returncode == 1, result.stdout + result.stderr
    [reason] = result.stderr.strip().splitlines()
    assert "AudienceReplacesFailed" in reason and "1 of 3 audience(s) failed" in reason
    assert f"{FAILING_AUDIENCE} ({FAILING_AUDIENCE}-" in reason and "ReplaceFailed" in reason
    assert "2 of 3 audience(s) replaced, 1 failed" in result.stdout
    assert f"started {seed_audience}-" in result.stdout and f"started {CSV_AUDIENCE}-" in result.stdout
    assert member_emails(stack, seed_audience) == stored
    assert member_emails(stack, CSV_AUDIENCE) == {sha(e) for e in CRM}
    assert member_emails(stack, FAILING_AUDIENCE) == set()
    assert "example.com" not in (result.stdout + result.stderr).lower()

    status = leadloop_cli(stack, "audience", "status")
    assert status.returncode == 0, status.stderr
    lines = status.stdout.splitlines()
    assert any(line.startswith(f"audience {CSV_AUDIENCE} ") for line in lines)
    assert "last scheduled succeeded" in status.stdout and "last scheduled failed" in status.stdout
    one = leadloop_cli(stack, "audience", "status", FAILING_AUDIENCE)
    assert one.returncode == 0, one.stderr
    assert "last scheduled failed" in one.stdout and "ReplaceFailed" in one.stdout


def test_a_dry_run_of_every_routed_audience_sends_nothing(
    stack: StackClient, audiences: dict[str, object], tmp_path: Path
):
    # Leads of its own: run alone, a leads source without any would be refused as EmptySource.
    stack.wait_for_fetched([stack.create_lead(person(9200 + n), deliver=True) for n in range(2)], timeout=60)
    stored, seed_audience = stored_emails(stack), stack.seed["audience_id"]
    wait_until(lambda: stored <= member_emails(stack, seed_audience), timeout=90, what="the leads to become members")
    set_routing(stack, tmp_path, audiences)  # the functions read a changed routing within a minute: keep it
    before = {a: member_emails(stack, a) for a in audiences}
    replaces = len([c for c in stack.calls() if str(c.get("path", "")).endswith("/usersreplace")])

    result = leadloop_cli(stack, "replace", "--all", "--dry-run", "--follow", "--json", timeout=420)

    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout)
    assert summary["dry_run"] is True and (summary["audiences"], summary["failed"]) == (3, 0)
    assert {r["status"] for r in summary["results"]} == {"dry_run"}
    assert {a: member_emails(stack, a) for a in before} == before
    assert len([c for c in stack.calls() if str(c.get("path", "")).endswith("/usersreplace")]) == replaces


def test_replace_all_refuses_one_audiences_options(stack: StackClient):
    result = leadloop_cli(stack, "replace", "--all", "--source", "leads")
    assert result.returncode == 1 and "drop --source" in result.stderr
    result = leadloop_cli(stack, "replace", "--all", "--date", "03/11/2026")
    assert result.returncode == 1 and "--date must be YYYY-MM-DD" in result.stderr

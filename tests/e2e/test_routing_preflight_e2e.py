"""``leadloop routing`` and ``leadloop preflight`` on a fresh local stack, run as an operator runs them."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from leadloop_cli.demo.capture import person
from leadloop_cli.stackclient import StackClient, wait_until
from tests.support.cli import leadloop_cli


def live(stack: StackClient) -> dict[str, Any]:
    return dict(stack.aws("ssm").get_parameter(Name=stack.resources["RoutingParameter"])["Parameter"])


def write(path: Path, document: Any) -> str:
    path.write_text(json.dumps(document, indent=2))
    return str(path)


def digits(n: int) -> str:
    return str(random.randrange(10 ** (n - 1), 10**n))


def test_preflight_passes_on_a_fresh_stack(stack: StackClient):
    result = leadloop_cli(stack, "preflight")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all checks pass" in result.stdout
    for secret in (stack.info["app_secret"], stack.info["verify_token"], stack.info["page_access_token"]):
        assert str(secret) not in result.stdout + result.stderr

    report = json.loads(leadloop_cli(stack, "preflight", "--json").stdout)
    rows = {(f["check"], f["subject"]): f for f in report["findings"]}
    assert {f["status"] for f in report["findings"]} == {"ok"}
    assert set(rows) >= {("service", "stepfunctions"), ("service", "scheduler"), ("secret", "MetaSecret")}
    # moto has no Lambda GetAccountSettings: the answer says so instead of pretending it checked.
    assert rows[("concurrency", "unreserved")]["detail"].startswith("not checked on the local stack")
    assert rows[("routing", "RoutingParameter")]["detail"].startswith("1 form(s) on 1 Page(s)")


def test_set_then_show_round_trips_and_a_bad_file_changes_nothing(stack: StackClient, tmp_path: Path):
    document = json.loads(live(stack)["Value"])
    document["forms"].append({"form_id": digits(15), "page_id": stack.seed["page_id"], "audience_ids": [digits(17)]})
    good = write(tmp_path / "routing.json", document)

    result = leadloop_cli(stack, "routing", "set", good)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("routing set: 2 form(s) on 1 Page(s), 2 audience(s)")
    stored = live(stack)
    assert stored["Value"] == json.dumps(document, separators=(",", ":"))  # compact
    shown = leadloop_cli(stack, "routing", "show")
    assert shown.returncode == 0 and json.loads(shown.stdout) == document

    bad = json.loads(json.dumps(document))
    bad["forms"][1]["audience_ids"] = ["newsletter"]
    refused = leadloop_cli(stack, "routing", "set", write(tmp_path / "bad.json", bad))
    assert refused.returncode == 1
    assert "forms[1] (form_id " in refused.stdout and "audience_ids[0]: String should match" in refused.stdout
    assert "is not valid routing (1 problem(s)" in refused.stderr
    after = live(stack)
    assert (after["Value"], after["Version"]) == (stored["Value"], stored["Version"])


def test_restore_puts_back_a_routing_the_deploy_rewrote(stack: StackClient, tmp_path: Path):
    backup = tmp_path / "routing-backup.json"
    assert leadloop_cli(stack, "routing", "backup", str(backup)).returncode == 0
    saved = live(stack)["Value"]
    # What a CloudFormation update of the parameter does: the template's bootstrap value replaces it.
    stack.aws("ssm").put_parameter(
        Name=stack.resources["RoutingParameter"], Value='{"version": 1, "forms": []}', Overwrite=True
    )
    restored = leadloop_cli(stack, "routing", "restore", str(backup))
    assert restored.returncode == 0 and "had been rewritten" in restored.stdout, restored.stderr
    # Leads stored meanwhile were hashed without routing: the way to resend each audience is given.
    assert f"leadloop replace --audience-id {stack.seed['audience_id']} --source leads" in restored.stdout
    assert live(stack)["Value"] == saved
    again = leadloop_cli(stack, "routing", "restore", str(backup))
    assert "unchanged" in again.stdout


def test_the_functions_pick_up_a_newly_routed_form(stack: StackClient, tmp_path: Path):
    form_id = digits(15)
    stack.sim("POST", "/_sim/forms", {"form_id": form_id, "page_id": stack.seed["page_id"], "name": "Autumn promo"})
    audience_id = str(stack.sim("POST", "/_sim/audiences", {"account_id": stack.seed["account_id"]})["id"])
    lead_id = stack.create_lead(person(9101), deliver=False, form_id=form_id)

    document = json.loads(live(stack)["Value"])
    document["forms"] = [f for f in document["forms"] if f["form_id"] == stack.seed["form_id"]]
    document["forms"].append({"form_id": form_id, "page_id": stack.seed["page_id"], "audience_ids": [audience_id]})
    result = leadloop_cli(stack, "routing", "set", write(tmp_path / "routing.json", document))
    assert result.returncode == 0, result.stderr

    # The backfill reads only routed forms; a warm function re-reads the routing within its 60 s cache.
    def backfilled() -> bool:
        return leadloop_cli(stack, "backfill", "--form-id", form_id).returncode == 0

    wait_until(backfilled, timeout=120, what="the backfill to read the newly routed form", interval=5)
    assert stack.wait_for_fetched([lead_id], timeout=30)[lead_id]["form_id"] == form_id
    # The hasher routes the new form's lead to its audience, and the uploader adds it.
    wait_until(
        lambda: len(stack.sim("GET", f"/_sim/audiences/{audience_id}")["members"]) == 1,
        timeout=120,
        what="the lead to reach the newly routed audience",
    )
    assert leadloop_cli(stack, "preflight").returncode == 0

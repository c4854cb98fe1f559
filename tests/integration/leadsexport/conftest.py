"""LeadsTable and RoutingParameter from infra/template.yaml on moto, leads written by the real LeadStore.

The command runs through ``leadloop_cli.main.main`` as an operator runs it; only the target
lookup is pointed at the in-process moto (``--local`` would need the ``dev up`` server).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from leadloop.leads.models import GraphLead, LeadNotification
from leadloop.leads.store import LeadSource, LeadStore
from leadloop_cli.devstack.provision import Provisioner
from leadloop_cli.devstack.template import load_template
from leadloop_cli.main import main
from leadloop_cli.target import Target

ROOT = Path(__file__).resolve().parents[3]
REGION = "us-east-1"


@dataclass
class Stack:
    target: Target
    store: LeadStore

    def resource(self, logical_id: str) -> str:
        return self.target.resources[logical_id]

    def save(
        self, lead_id: str, form_id: str, created: int, answers: list[tuple[str, list[str]]], **extra: Any
    ) -> None:
        lead = GraphLead.model_validate(
            {
                "id": lead_id,
                "created_time": created,
                "form_id": form_id,
                "field_data": [{"name": n, "values": v} for n, v in answers],
                **extra,
            }
        )
        assert self.store.save_fetched(lead, source=LeadSource.WEBHOOK, now=created + 5, page_id="104")

    def stub(self, lead_id: str, form_id: str, created: int) -> None:
        note = LeadNotification(lead_id, page_id="104", form_id=form_id, ad_id=None, created_time=created)
        self.store.record_notifications([note], now=created + 1)

    def set_routing(self, forms: list[dict[str, Any]]) -> None:
        self.target.client("ssm").put_parameter(
            Name=self.resource("RoutingParameter"),
            Value=json.dumps({"version": 1, "forms": forms}),
            Overwrite=True,
        )


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        patch.delenv("AWS_PROFILE", raising=False)
        for key, value in {
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }.items():
            patch.setenv(key, value)
        with mock_aws():
            template = load_template(ROOT / "infra" / "template.yaml", stack_name="itest", region=REGION)
            result = Provisioner(template, lambda service: boto3.client(service, region_name=REGION)).provision_all()  # type: ignore[call-overload]
            resources = {k: str(v) for k, v in result.physical_ids().items()}
            target = Target(boto3.session.Session(region_name=REGION), resources=resources)
            store = LeadStore(target.client("dynamodb"), resources["LeadsTable"], retention_days=365)
            yield Stack(target, store)


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def leadloop(stack: Stack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    """``leadloop ARGS --local``, the target being the moto stack; returns exit code, stdout, stderr."""
    monkeypatch.setattr("leadloop_cli.commands.leads.resolve_target", lambda args: stack.target)

    def run(*args: str) -> Run:
        capsys.readouterr()
        code = main([*args, "--local"])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run

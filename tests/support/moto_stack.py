"""The template's resources on moto, and the functions run on them with the template's environment.

Resources are created from ``infra/template.yaml`` by the local stack's own provisioner (DESIGN
rule 8), so a test fails when the template and the code disagree about a table, a queue or a
variable. :func:`provisioned` adds the secret and the routing for one Graph simulator, seeded with
the ids below (one Page, one form routed to one audience).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import time
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any, cast

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters as powertools_parameters
from moto import mock_aws

from leadloop import aws as leadloop_aws
from leadloop.leads.models import GraphLead, LeadNotification
from leadloop.leads.store import LeadOrigin, LeadStore
from leadloop.settings import clear_settings_cache
from leadloop_cli.devstack.provision import Provisioner
from leadloop_cli.devstack.resources import ProvisionResult
from leadloop_cli.devstack.template import load_template
from leadloop_cli.graphsim import GraphSimulator
from leadloop_cli.target import Target
from tests.support.template import TEMPLATE_PATH

REGION = "us-east-1"
APP_ID = "900100200300"
APP_SECRET = "itest-app-secret"
VERIFY_TOKEN = "itest-verify-token"
PAGE_ID = "104000000000001"
PAGE_TOKEN = "EAAB-itest-page-token"
FORM_ID = "205000000000001"
AUDIENCE_ID = "238000000000001"

#: The bucket the replace unit tests' ``s3`` fixture creates, empty, for each test.
UNIT_BUCKET = "replace-unit-bucket"

#: Credentials and region that keep boto3 on moto (and off any real account).
FAKE_AWS_ENV = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}


def use_fake_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Point boto3 at moto's fake account: no endpoint, no profile, fake credentials."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for key, value in FAKE_AWS_ENV.items():
        monkeypatch.setenv(key, value)


def provision_template(parameters: Mapping[str, str] | None = None, *, stack_name: str = "itest") -> ProvisionResult:
    """Create every resource of ``infra/template.yaml`` on the active moto mock."""
    template = load_template(
        TEMPLATE_PATH, stack_name=stack_name, region=REGION, parameter_overrides=dict(parameters or {})
    )
    return Provisioner(template, lambda service: boto3.client(service, region_name=REGION)).provision_all()  # type: ignore[call-overload]


def reset_caches() -> None:
    """Forget every cached client, setting and dependency set, so the next call builds them anew."""
    from leadloop.backfill import wiring as backfill_wiring
    from leadloop.capture import wiring as capture_wiring
    from leadloop.events import wiring as events_wiring
    from leadloop.hasher import wiring as hasher_wiring
    from leadloop.health import wiring as health_wiring
    from leadloop.replace import wiring as replace_wiring
    from leadloop.uploader import wiring as uploader_wiring

    capture_wiring.capture_deps.cache_clear()
    hasher_wiring.hasher_deps.cache_clear()
    events_wiring.events_deps.cache_clear()
    uploader_wiring.uploader_deps.cache_clear()
    backfill_wiring.backfill_deps.cache_clear()
    replace_wiring.replace_deps.cache_clear()
    health_wiring.health_deps.cache_clear()
    clear_settings_cache()
    leadloop_aws.reset_clients()
    powertools_parameters.clear_caches()


@dataclass
class Env:
    """The provisioned template, the simulator it talks to, and the test's monkeypatch."""

    sim: GraphSimulator
    result: ProvisionResult
    monkeypatch: pytest.MonkeyPatch

    def resource(self, logical_id: str) -> str:
        return str(self.result.physical_ids()[logical_id])

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=REGION)  # type: ignore[call-overload]

    def use_function(self, logical_id: str, **overrides: str) -> ModuleType:
        """Set the function's template environment (plus overrides) and load its handler module."""
        spec = self.result.functions[logical_id]
        for key, value in {**spec.environment, **overrides}.items():
            self.monkeypatch.setenv(key, str(value))
        reset_caches()
        assert spec.code_dir is not None
        module_name = f"itest_{logical_id}_{uuid.uuid4().hex[:8]}"
        loader = importlib.util.spec_from_file_location(module_name, spec.code_dir / "app.py")
        assert loader is not None
        assert loader.loader is not None
        module = importlib.util.module_from_spec(loader)
        loader.loader.exec_module(module)
        return module

    def lead(self, leadgen_id: str) -> dict[str, Any] | None:
        from leadloop.leads.store import LeadStore

        return LeadStore(self.client("dynamodb"), self.resource("LeadsTable"), retention_days=1).get(leadgen_id)

    def messages(self, logical_id: str, *, wait_delayed: float = 3.0) -> list[dict[str, Any]]:
        """Every message on the queue (waiting up to ``wait_delayed`` for short delays to end)."""
        sqs = self.client("sqs")
        deadline = time.monotonic() + wait_delayed
        while time.monotonic() < deadline:
            attrs = sqs.get_queue_attributes(
                QueueUrl=self.resource(logical_id), AttributeNames=["ApproximateNumberOfMessagesDelayed"]
            )["Attributes"]
            if attrs["ApproximateNumberOfMessagesDelayed"] == "0":
                break
            time.sleep(0.1)
        found: list[dict[str, Any]] = []
        while True:
            answer = sqs.receive_message(
                QueueUrl=self.resource(logical_id),
                MaxNumberOfMessages=10,
                MessageAttributeNames=["All"],
                AttributeNames=["All"],
                VisibilityTimeout=0,
            )
            batch = answer.get("Messages", [])
            new = [m for m in batch if m["MessageId"] not in {f["MessageId"] for f in found}]
            if not new:
                return found
            found += new


def seeded_simulator() -> GraphSimulator:
    """A Graph simulator (not started) that knows the seed Page and form."""
    simulator = GraphSimulator(APP_ID, APP_SECRET, webhook_retry_delays=(0.0,))
    simulator.add_page(PAGE_ID, PAGE_TOKEN)
    simulator.add_form(FORM_ID, PAGE_ID)
    return simulator


@contextlib.contextmanager
def provisioned(
    sim: GraphSimulator,
    monkeypatch: pytest.MonkeyPatch,
    *,
    parameters: dict[str, str] | None = None,
    moto_config: dict[str, Any] | None = None,
) -> Iterator[Env]:
    """The template on moto (with ``parameters``), the secret and routing filled in for ``sim``."""
    use_fake_aws(monkeypatch)
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "leadloop")
    reset_caches()
    with mock_aws(config=cast(Any, moto_config)) if moto_config else mock_aws():
        result = provision_template(
            {"GraphBaseUrl": sim.base_url, "FetchRetryBaseDelaySeconds": "1"} | (parameters or {})
        )
        secrets = boto3.client("secretsmanager", region_name=REGION)
        secrets.put_secret_value(
            SecretId=str(result.physical_ids()["MetaSecret"]),
            SecretString=json.dumps(
                {"app_id": APP_ID, "app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN, "access_token": PAGE_TOKEN}
            ),
        )
        boto3.client("ssm", region_name=REGION).put_parameter(
            Name=str(result.physical_ids()["RoutingParameter"]),
            Value=json.dumps(
                {
                    "version": 1,
                    "forms": [
                        {"form_id": FORM_ID, "page_id": PAGE_ID, "audience_ids": [AUDIENCE_ID], "default_country": "US"}
                    ],
                }
            ),
            Overwrite=True,
        )
        yield Env(sim, result, monkeypatch)
    reset_caches()


@dataclass
class LeadsStack:
    """The provisioned template seen as an operator command sees it (a ``Target``), and leads to store in it."""

    target: Target
    store: LeadStore

    def resource(self, logical_id: str) -> str:
        return self.target.resources[logical_id]

    def save(
        self, lead_id: str, form_id: str, created: int, answers: list[tuple[str, list[str]]], **extra: Any
    ) -> None:
        """Store a fetched lead (webhook source, Page 104) with these answers and Graph fields."""
        lead = GraphLead.model_validate(
            {
                "id": lead_id,
                "created_time": created,
                "form_id": form_id,
                "field_data": [{"name": n, "values": v} for n, v in answers],
                **extra,
            }
        )
        assert self.store.save_fetched(lead, source=LeadOrigin.WEBHOOK, now=created + 5, page_id="104")

    def stub(self, lead_id: str, form_id: str, created: int) -> None:
        """Record a notified lead that was never fetched."""
        note = LeadNotification(lead_id, page_id="104", form_id=form_id, ad_id=None, created_time=created)
        self.store.record_notifications([note], now=created + 1)

    def set_routing(self, forms: list[dict[str, Any]]) -> None:
        self.target.client("ssm").put_parameter(
            Name=self.resource("RoutingParameter"),
            Value=json.dumps({"version": 1, "forms": forms}),
            Overwrite=True,
        )


def leads_stack(result: ProvisionResult) -> LeadsStack:
    """The operator's view of a provisioned template, with a LeadStore on its LeadsTable."""
    resources = {k: str(v) for k, v in result.physical_ids().items()}
    target = Target(boto3.session.Session(region_name=REGION), resources=resources)
    return LeadsStack(target, LeadStore(target.client("dynamodb"), resources["LeadsTable"], retention_days=365))


def sim_json(env: Env, method: str, path: str, document: Any = None) -> Any:
    """A simulator control call (``/_sim/...``) over HTTP, as tests outside the process would make it."""
    data = json.dumps(document).encode() if document is not None else None
    request = urllib.request.Request(
        f"{env.sim.base_url}{path}", data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read() or b"null")


def answers(n: int) -> list[dict[str, Any]]:
    """The form answers of person ``n`` (email, full name, phone), as Meta's ``field_data``."""
    return [
        {"name": "email", "values": [f"person{n}@example.com"]},
        {"name": "full_name", "values": [f"Person Number{n}"]},
        {"name": "phone_number", "values": [f"+1555000{n:04d}"]},
    ]

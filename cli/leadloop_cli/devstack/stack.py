"""``LocalStack``: the whole system on one machine, built from ``infra/template.yaml``.

Start order: log file, moto (Step Functions executing, Lambda hook installed), the admin user, Graph
simulator, resources from the template (``GraphBaseUrl`` pointed at the simulator; roles with their
policies), the roles' sessions, IAM enforced, EventBridge's API-destination delivery (its moto hook
installed), a runtime per function (with its role's session), the API shim and pollers from
``Events``, the seed (Meta secret, routing, simulator objects, webhook
subscription), schedules (only when asked), then the state file. ``close()`` undoes all of it.
Only one stack per process: moto's backends, its IAM switch and ``MOTO_PORT`` are process-wide.

Everything the stack itself does (provisioning, seed, ``client()``) and everything an operator or
test does (``describe()``'s ``aws_access_key_id``) runs as the admin user; a function's code and its
event source pollers (reading, deleting, on-failure destinations) run with its role, and Step
Functions tasks with the state machine's role (:mod:`.iam`).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from .. import statefile
from ..workerpool import DEFAULT_WORKERS
from . import eventbridge_hook, lambda_hook
from .events.api import ApiGatewayShim
from .events.dynamodb import StreamPoller
from .events.eventbridge import DEFAULT_TIME_SCALE, ApiDestinationDelivery, RoleDocuments
from .events.schedule import ScheduleTimer, schedule_event
from .events.sqs import SqsPoller
from .iam import moto_checks, sfn_identity
from .iam.identities import Credentials, create_admin
from .iam.managed import managed_policy_document
from .iam.sessions import RoleSessions, open_sessions
from .logsink import LogSink
from .motoserver import MotoEndpoint
from .provision import Provisioner
from .resources import FunctionSpec, ProvisionResult, ScheduleSpec
from .runtime import FAKE_CREDENTIALS, FunctionRuntime, InvokeResult
from .seed import (
    GraphSimulatorLike,
    SeedData,
    default_graph_factory,
    generate_seed,
    register_in_simulator,
    subscribe_webhook,
    write_aws_seed,
)
from .template import Template, load_template
from .wiring import Wiring, wire_events

__all__ = ["GraphFactory", "LocalStack", "StackError", "find_template"]

log = logging.getLogger("leadloop_cli.devstack")

GraphFactory = Callable[[str, str], GraphSimulatorLike]
"""(app_id, app_secret) -> a Graph simulator, not started."""

SECRET_ID = "MetaSecret"
ROUTING_ID = "RoutingParameter"
GRAPH_URL_PARAMETER = "GraphBaseUrl"
#: Local seconds per AWS second of EventBridge's retry clock (backoff, Retry-After, event age).
EVENTBRIDGE_TIME_SCALE_ENV = "LEADLOOP_EVENTBRIDGE_TIME_SCALE"
WEBHOOK_PATH = "/webhook"


class _EventSource(Protocol):
    def stop(self) -> None: ...

    def join(self, timeout: float = ...) -> None: ...


class StackError(RuntimeError):
    """The local stack cannot start or cannot do what was asked."""


def find_template() -> Path:
    """``$LEADLOOP_TEMPLATE``, else ``infra/template.yaml`` above the working directory or this package."""
    configured = os.environ.get("LEADLOOP_TEMPLATE")
    if configured:
        return Path(configured)
    for base in [Path.cwd(), *Path.cwd().parents, *Path(__file__).resolve().parents]:
        candidate = base / "infra" / "template.yaml"
        if candidate.is_file():
            return candidate
    raise StackError("cannot find infra/template.yaml; run from the repository or pass --template")


class LocalStack:
    """The local stack as a context manager (``with LocalStack(...) as stack:``).

    ``template_path`` defaults to :func:`find_template`. ``parameter_overrides`` win over the
    simulator's ``GraphBaseUrl``. ``log_file``/``state_file`` default to ``$LEADLOOP_STATE_DIR``
    (``~/.leadloop``); tests pass ``write_state_file=False``. ``schedules`` runs Schedule/ScheduleV2
    timers (off: fire them with :meth:`fire_schedule`). ``seed=False`` skips the Meta secret, routing
    and simulator objects; ``graph_factory=None`` runs without a Graph simulator (tests pass a stub
    with the same interface). ``pool_size`` is the warm workers of each function without reserved
    concurrency; a function that reserves some gets that many (:mod:`leadloop_cli.workerpool`).
    ``enforce_iam=False`` leaves moto accepting any request (functions still get their roles' sessions).
    ``secrets`` (name -> value) exist before the template is provisioned, as the secrets an operator
    creates before deploying (a ``{{resolve:secretsmanager:NAME...}}`` reference needs them).
    ``eventbridge_time_scale`` (default ``$LEADLOOP_EVENTBRIDGE_TIME_SCALE``, else 0.01) shrinks
    EventBridge's retry clock for API destinations: backoff, ``Retry-After`` and
    ``MaximumEventAgeInSeconds`` take that many local seconds per AWS second; retry counts are AWS's.
    """

    def __init__(
        self,
        template_path: Path | str | None = None,
        *,
        parameter_overrides: Mapping[str, str] | None = None,
        stack_name: str = "leadloop-local",
        region: str = "us-east-1",
        log_file: Path | None = None,
        state_file: Path | None = None,
        write_state_file: bool = True,
        schedules: bool = False,
        seed: bool = True,
        graph_factory: GraphFactory | None = default_graph_factory,
        pool_size: int = DEFAULT_WORKERS,
        host: str = "127.0.0.1",
        enforce_iam: bool = True,
        eventbridge_time_scale: float | None = None,
        secrets: Mapping[str, str] | None = None,
    ) -> None:
        self.template_path = Path(template_path) if template_path else find_template()
        self.parameter_overrides = dict(parameter_overrides or {})
        self.stack_name = stack_name
        self.region = region
        self.log_file = (log_file or statefile.default_log_file()).resolve()
        self.state_file = (state_file or statefile.default_state_file()).resolve()
        self.write_state_file = write_state_file
        self.schedules_enabled = schedules
        self.seed_enabled = seed
        self.graph_factory = graph_factory
        self.pool_size = pool_size
        self.host = host
        self.enforce_iam = enforce_iam
        self.eventbridge_time_scale = _time_scale(eventbridge_time_scale)
        self.secrets = dict(secrets or {})
        self.eventbridge: ApiDestinationDelivery | None = None
        self._role_cache: dict[str, RoleDocuments | None] = {}
        self.admin: Credentials | None = None
        self.sessions = RoleSessions()

        self.sink: LogSink | None = None
        self.moto = MotoEndpoint(host=host)
        self.sim: GraphSimulatorLike | None = None
        self.graph_url: str | None = None
        self.template: Template | None = None
        self.provisioned: ProvisionResult | None = None
        self.wiring = Wiring()
        self.runtimes: dict[str, FunctionRuntime] = {}
        self.api: ApiGatewayShim | None = None
        self.sqs_pollers: list[SqsPoller] = []
        self.stream_pollers: list[StreamPoller] = []
        self.timers: list[ScheduleTimer] = []
        self.seed: SeedData | None = None
        self.webhook_url: str | None = None
        self.notes: list[str] = []
        self._clients: dict[str, Any] = {}
        self._session: boto3.session.Session | None = None
        self._clients_lock = threading.Lock()
        self._log_handler: logging.Handler | None = None
        self._started = False
        self._started_at = ""
        self._closed = False

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def start(self) -> LocalStack:
        if self._started:
            raise StackError("this LocalStack was already started")
        self._started = True
        self._started_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def _start(self) -> None:
        if self.write_state_file:
            other = statefile.running_stack(self.state_file)
            if other is not None and other.get("pid") != os.getpid():
                raise StackError(
                    f"a local stack is already running (pid {other.get('pid')}, {self.state_file}); stop it first"
                )
        self.sink = LogSink(self.log_file)
        self._log_handler = self.sink.logging_handler()
        log.addHandler(self._log_handler)
        log.setLevel(logging.INFO)
        log.info("starting local stack %s from %s", self.stack_name, self.template_path)

        self.moto.start()
        lambda_hook.install(self._route)
        log.info("moto listening on %s", self.moto.url)
        self.admin = create_admin(self._bootstrap_iam())

        self.seed = generate_seed() if (self.seed_enabled or self.graph_factory) else None
        overrides = dict(self.parameter_overrides)
        if self.graph_factory is not None and self.seed is not None:
            self.sim = self.graph_factory(self.seed.app_id, self.seed.app_secret)
            self.graph_url = self.sim.start(host=self.host, port=0).rstrip("/")
            overrides.setdefault(GRAPH_URL_PARAMETER, self.graph_url)
            log.info("Graph simulator listening on %s", self.graph_url)
        template = self._load_template(overrides)
        for name, value in self.secrets.items():  # made by the operator before the stack, on AWS
            self.client("secretsmanager").create_secret(Name=name, SecretString=value)

        self.provisioned = Provisioner(template, self.client).provision_all()
        self.notes.extend(self.provisioned.notes)
        self.sessions = open_sessions(self.provisioned, self.client, self.stack_name)
        if self.enforce_iam:
            if self.sessions.state_machines is not None:
                sfn_identity.install(self.sessions.state_machines)
            moto_checks.install()
            self.moto.enforce_iam()
            log.info("IAM enforced: functions run with their roles, operators as %s", self.admin.access_key_id)
        self.eventbridge = ApiDestinationDelivery(
            sqs=self.client("sqs"), roles=self._role_documents, sink=self.sink, time_scale=self.eventbridge_time_scale
        )
        self.eventbridge.start()
        eventbridge_hook.install(self.eventbridge.submit)
        for spec in self.provisioned.functions.values():
            session = self.sessions.functions.get(spec.logical_id)
            self.runtimes[spec.logical_id] = FunctionRuntime(
                spec,
                aws_endpoint_url=self.moto.url,
                region=self.region,
                sink=self.sink,
                pool_size=self.pool_size,
                credentials=session.environment() if session else None,
            )
        self.wiring = wire_events(template, self.provisioned, invoker_for=self._invoker, clients=self.client)
        self.notes.extend(self.wiring.notes)
        for note in self.wiring.notes:
            log.info("%s", note)
        self._start_event_sources()
        if self.seed_enabled and self.seed is not None:
            self._apply_seed(self.seed)
        if self.schedules_enabled:
            self._start_timers()
        if self.write_state_file:
            statefile.write_state(self.describe(), self.state_file)
        log.info("local stack ready")

    def _load_template(self, overrides: dict[str, str]) -> Template:
        from .cfn_yaml import load_template_file

        declared: set[str] = set(load_template_file(self.template_path).get("Parameters") or {})
        user_set = GRAPH_URL_PARAMETER in self.parameter_overrides
        if GRAPH_URL_PARAMETER not in declared and not user_set and overrides.pop(GRAPH_URL_PARAMETER, ""):
            self.notes.append(f"template has no {GRAPH_URL_PARAMETER} parameter; functions call the real Graph")
        self.template = load_template(
            self.template_path, stack_name=self.stack_name, region=self.region, parameter_overrides=overrides
        )
        return self.template

    def _start_event_sources(self) -> None:
        assert self.sink is not None
        if self.wiring.api_routes:
            self.api = ApiGatewayShim(
                self.wiring.api_routes, sink=self.sink, account_id=self._account_id, host=self.host
            )
            self.api.start()
            for route in self.wiring.api_routes:
                log.info("%s %s -> %s", route.method, self.api.url(route.stage, route.path), route.function)
            webhook = next((r for r in self.wiring.api_routes if r.path == WEBHOOK_PATH), None)
            if webhook is not None:
                self.webhook_url = self.api.url(webhook.stage, webhook.path)
        for sqs_source in self.wiring.sqs:
            poller = SqsPoller(
                sqs_source,
                invoke=self._invoker(sqs_source.function),
                sqs=self.function_client(sqs_source.function, "sqs"),
                region=self.region,
                sink=self.sink,
            )
            poller.start()
            self.sqs_pollers.append(poller)
        for stream_source in self.wiring.streams:
            stream_poller = StreamPoller(
                stream_source,
                invoke=self._invoker(stream_source.function),
                streams=self.function_client(stream_source.function, "dynamodbstreams"),
                clients=functools.partial(self.function_client, stream_source.function),
                queue_url=self._queue_url,
                region=self.region,
                sink=self.sink,
            )
            stream_poller.start()
            self.stream_pollers.append(stream_poller)

    def _apply_seed(self, seed: SeedData) -> None:
        resources = self.resources
        secret_arn = resources.get(SECRET_ID)
        parameter_name = resources.get(ROUTING_ID)
        for logical_id, value in ((SECRET_ID, secret_arn), (ROUTING_ID, parameter_name)):
            if value is None:
                self.notes.append(f"template has no {logical_id}; not seeded")
        write_aws_seed(self.client, seed, secret_arn=secret_arn, parameter_name=parameter_name)
        if self.sim is None:
            return
        register_in_simulator(self.sim, seed)
        if self.webhook_url is None:
            self.notes.append(f"no Api event on {WEBHOOK_PATH}; the simulator has no webhook subscription")
            return
        subscribe_webhook(self.sim, self.webhook_url, seed.verify_token, str(self.log_file))
        log.info("webhook subscribed: %s", self.webhook_url)

    def _start_timers(self) -> None:
        assert self.sink is not None
        for spec in self.wiring.schedules:
            if not spec.enabled:
                continue
            timer = ScheduleTimer(spec, self._fire, self.sink)
            timer.start()
            self.timers.append(timer)

    def close(self) -> None:
        """Stop everything this stack started (idempotent) and remove its state file."""
        if self._closed:
            return
        self._closed = True
        steps: list[tuple[str, Callable[[], None]]] = []
        sources: list[_EventSource] = [*self.timers, *self.sqs_pollers, *self.stream_pollers]
        for stoppable in sources:
            steps.append(("stop source", stoppable.stop))
        if self.api is not None:
            steps.append(("stop API", self.api.stop))
        for runtime in self.runtimes.values():
            steps.append((f"stop {runtime.spec.logical_id}", runtime.close))
        for joinable in sources:
            steps.append(("join source", joinable.join))
        if self.sim is not None:
            steps.append(("stop Graph simulator", self.sim.stop))
        steps.append(("uninstall EventBridge hook", eventbridge_hook.uninstall))
        if self.eventbridge is not None:
            steps.append(("stop EventBridge delivery", self.eventbridge.stop))
        steps.append(("uninstall Lambda hook", lambda_hook.uninstall))
        steps.append(("uninstall Step Functions identity", sfn_identity.uninstall))
        steps.append(("uninstall IAM check corrections", moto_checks.uninstall))
        steps.append(("stop moto", self.moto.stop))
        if self.write_state_file:
            steps.append(("remove state file", lambda: statefile.remove_state(self.state_file, pid=os.getpid())))
        for what, step in steps:
            try:
                step()
            except Exception as exc:
                log.warning("%s failed: %s: %s", what, type(exc).__name__, exc)
        for client in self._clients.values():
            client.close()
        self._clients.clear()
        if self._log_handler is not None:
            log.info("local stack stopped")
            log.removeHandler(self._log_handler)
        if self.sink is not None:
            self.sink.close()

    # ------------------------------------------------------------------ Lambda routing
    def _route(self, function_name: str, event: Any) -> tuple[str, bool, str]:
        for runtime in self.runtimes.values():
            if runtime.spec.name == function_name:
                return runtime.invoke(event).as_moto_tuple()
        body = {"errorType": "Runtime.Unavailable", "errorMessage": f"{function_name} is not a local function"}
        return json.dumps(body), True, ""

    def _invoker(self, logical_id: str) -> Callable[[Any], InvokeResult]:
        return self.runtimes[logical_id].invoke

    # ------------------------------------------------------------------ public helpers
    @property
    def _account_id(self) -> str:
        return self.template.context.account_id if self.template else "123456789012"

    @property
    def aws_endpoint_url(self) -> str:
        return self.moto.url

    @property
    def resources(self) -> dict[str, Any]:
        """logical id -> physical name, URL or ARN (what ``Ref`` gives), for every created resource."""
        return self.provisioned.physical_ids() if self.provisioned else {}

    @property
    def functions(self) -> dict[str, FunctionSpec]:
        return self.provisioned.functions if self.provisioned else {}

    def attribute(self, logical_id: str, name: str) -> Any:
        """``Fn::GetAtt`` on a created resource (e.g. a queue's Arn, a table's StreamArn)."""
        if self.provisioned is None:
            raise StackError("the stack is not started")
        return self.provisioned.get_att(logical_id, name)

    def _make_client(self, service: str, credentials: Mapping[str, str]) -> Any:
        """A client on the local endpoint; one boto3 session for all, so each model is loaded once."""
        if self._session is None:
            self._session = boto3.session.Session(region_name=self.region)
        make_client: Any = self._session.client  # boto3-stubs only type literal service names
        return make_client(
            service,
            endpoint_url=self.moto.url,
            config=Config(retries={"max_attempts": 2}, max_pool_connections=20),
            **credentials,
        )

    def _bootstrap_iam(self) -> Any:
        """An IAM client for the calls before the admin exists (moto checks nothing yet)."""
        with self._clients_lock:
            return self._make_client(
                "iam",
                {
                    "aws_access_key_id": FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                    "aws_secret_access_key": FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
                },
            )

    def client(self, service: str) -> Any:
        """A boto3 client for ``service`` on the local endpoint, as the admin (cached, thread-safe to use)."""
        if self.admin is None:
            raise StackError("the stack is not started")
        with self._clients_lock:
            if service not in self._clients:
                self._clients[service] = self._make_client(service, self.admin.session_arguments())
            return self._clients[service]

    def _role_documents(self, arn: str) -> RoleDocuments | None:
        """A role as EventBridge assumes it (trust and identity policies), or None when it does not exist.

        The policies are the template's as resolved (``RoleSpec``), not moto's rewritten copies, so the
        resource of ``events:InvokeApiDestination`` is checked; a role the template does not declare
        is read from IAM. Looked up once per role.
        """
        with self._clients_lock:
            if arn in self._role_cache:
                return self._role_cache[arn]
        iam = self.client("iam")
        name = arn.rpartition("/")[2]
        try:
            role = iam.get_role(RoleName=name)["Role"]
        except ClientError:
            return None
        roles = self.provisioned.roles.values() if self.provisioned else []
        spec = next((r for r in roles if r.arn == arn), None)
        if spec is not None:
            policies = list(spec.policies.values())
            policies += [doc for a in spec.managed_policy_arns if (doc := managed_policy_document(a)) is not None]
        else:
            names = iam.list_role_policies(RoleName=name)["PolicyNames"]
            policies = [iam.get_role_policy(RoleName=name, PolicyName=n)["PolicyDocument"] for n in names]
        documents = RoleDocuments(role.get("AssumeRolePolicyDocument"), policies) if role["Arn"] == arn else None
        with self._clients_lock:
            self._role_cache[arn] = documents
        return documents

    def _queue_url(self, arn: str) -> str:
        """A queue's URL from its ARN, looked up as the admin (the stack's own bookkeeping)."""
        name, account = arn.split(":")[5], arn.split(":")[4]
        return str(self.client("sqs").get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"])

    def function_client(self, logical_id: str, service: str) -> Any:
        """A client signed with a function's role session, as Lambda's pollers call on its behalf.

        On AWS an event source mapping reads its queue or stream, deletes what succeeded and sends
        to its on-failure destination with the function's execution role, so the role must allow
        it. Without a session (IAM not opened for it) the admin's client is used.
        """
        session = self.sessions.functions.get(logical_id)
        if session is None:
            return self.client(service)
        key = f"{logical_id}\x00{service}"
        with self._clients_lock:
            if key not in self._clients:
                self._clients[key] = self._make_client(service, session.session_arguments())
            return self._clients[key]

    def invoke(self, logical_id: str, event: Any) -> InvokeResult:
        """Invoke a function directly (no moto round trip)."""
        if logical_id not in self.runtimes:
            raise StackError(f"{logical_id} is not a function of this stack ({', '.join(self.runtimes)})")
        return self.runtimes[logical_id].invoke(event)

    def api_url(self, api_logical_id: str) -> str:
        """Base URL (with stage) of an API, e.g. ``http://127.0.0.1:PORT/dev``."""
        if self.api is None or self.provisioned is None or api_logical_id not in self.provisioned.apis:
            raise StackError(f"{api_logical_id} is not a served API")
        return self.api.url(self.provisioned.apis[api_logical_id].stage)

    def schedule(self, owner: str, event_name: str | None = None) -> ScheduleSpec:
        specs = [s for s in self.wiring.schedules if s.owner == owner]
        if event_name is not None:
            specs = [s for s in specs if s.name == event_name]
        if not specs:
            raise StackError(f"{owner} has no schedule{' ' + event_name if event_name else ''}")
        if len(specs) > 1:
            raise StackError(f"{owner} has several schedules ({', '.join(s.name for s in specs)}); name one")
        return specs[0]

    def fire_schedule(self, owner: str, event_name: str | None = None) -> InvokeResult:
        """Fire a schedule now, with its Input; a state-machine target answers ``{"executionArn"}``."""
        return self._fire(self.schedule(owner, event_name))

    def _fire(self, spec: ScheduleSpec) -> InvokeResult:
        event = schedule_event(spec, region=self.region, account_id=self._account_id)
        if spec.target_kind == "statemachine":
            # As EventBridge Scheduler starts it: no name, so Step Functions gives it a generated one.
            response = self.client("stepfunctions").start_execution(
                stateMachineArn=spec.target_arn, input=json.dumps(event)
            )
            body = {"executionArn": response["executionArn"], "startDate": response["startDate"].isoformat()}
            return InvokeResult(json.dumps(body), False)
        for runtime in self.runtimes.values():
            if spec.target_arn in (runtime.spec.arn, runtime.spec.name):
                return runtime.invoke(event)
        raise StackError(f"schedule {spec.owner}.{spec.name} targets {spec.target_arn}, not a local function")

    def describe(self) -> dict[str, Any]:
        """The ``dev up --json`` document (also the state file)."""
        seed = self.seed
        schedules: dict[str, dict[str, Any]] = {}
        for spec in self.wiring.schedules:
            schedules.setdefault(spec.owner, {})[spec.name] = spec.to_json()
        functions = {lid: spec.name for lid, spec in self.functions.items()}
        return {
            "stack_name": self.stack_name,
            "region": self.region,
            "account_id": self._account_id,
            "aws_endpoint_url": self.aws_endpoint_url,
            "aws_access_key_id": self.admin.access_key_id if self.admin else None,
            "aws_secret_access_key": self.admin.secret_access_key if self.admin else None,
            "iam_enforced": self.enforce_iam,
            "webhook_url": self.webhook_url,
            "api_urls": {lid: self.api_url(lid) for lid in (self.provisioned.apis if self.provisioned else {})}
            if self.api
            else {},
            "graph_url": self.graph_url,
            "app_id": seed.app_id if seed else None,
            "app_secret": seed.app_secret if seed else None,
            "verify_token": seed.verify_token if seed else None,
            "page_access_token": seed.page_access_token if seed else None,
            "seed": seed.ids() if seed else None,
            "resources": self.resources,
            "functions": functions,
            "schedules": schedules,
            "schedules_running": self.schedules_enabled,
            "log_file": str(self.log_file),
            "state_file": str(self.state_file) if self.write_state_file else None,
            "template": str(self.template_path),
            "pid": os.getpid(),
            "started_at": self._started_at,
        }


def _time_scale(value: float | None) -> float:
    """The EventBridge time scale: the argument, else ``$LEADLOOP_EVENTBRIDGE_TIME_SCALE``, else 0.01."""
    if value is None:
        configured = os.environ.get(EVENTBRIDGE_TIME_SCALE_ENV)
        try:
            value = float(configured) if configured else DEFAULT_TIME_SCALE
        except ValueError:
            raise StackError(f"{EVENTBRIDGE_TIME_SCALE_ENV}={configured!r} is not a number") from None
    if not value > 0:
        raise StackError(f"the EventBridge time scale must be positive, got {value}")
    return float(value)

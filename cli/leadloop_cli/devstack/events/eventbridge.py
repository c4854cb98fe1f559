"""EventBridge's delivery to API destinations, as AWS does it, on threads the stack owns.

moto matches an event to its rules inside PutEvents and, for an API destination, sends one bodyless
request only when ``MOTO_EVENTS_INVOKE_HTTP`` is set. The stack's hook (:mod:`..eventbridge_hook`)
instead hands each (event, API-destination target) to :class:`ApiDestinationDelivery`, which, after
PutEvents has answered:

* checks the target's role as EventBridge assumes it: it must trust ``events.amazonaws.com``
  (else ``FAILED_TO_ASSUME_ROLE``) and allow ``events:InvokeApiDestination`` on the destination
  (else ``NO_PERMISSIONS``); neither is retried;
* sends the event (or the target's ``Input``/``InputPath``/``InputTransformer`` rendering) with the
  connection's authorization (API key header, or basic auth) and the headers EventBridge adds, at most
  ``InvocationRateLimitPerSecond`` requests starting in any second per destination, 5 s timeout;
* retries 429, 5xx, timeouts and unreachable endpoints with exponential backoff and full jitter,
  honouring ``Retry-After``, within the target's ``RetryPolicy``; any other status goes straight to
  the dead-letter queue;
* sends what fails to the target's dead-letter queue with EventBridge's message attributes, when the
  queue's policy lets ``events.amazonaws.com`` send to it; otherwise, as on AWS, the event is lost
  (logged here).

Times are AWS's scaled by ``time_scale`` (backoff, ``Retry-After``, ``MaximumEventAgeInSeconds``), so
a day of retries takes minutes locally while the retry counts stay AWS's. The request timeout and
the rate limit are not scaled: they are what the receiver sees.
"""

from __future__ import annotations

import base64
import heapq
import itertools
import json
import logging
import random
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple
from urllib.parse import urlencode, urlsplit, urlunsplit

from botocore.exceptions import ClientError

from ..logsink import LogSink
from ..servicerules.eventbridge import (
    API_DESTINATION_TIMEOUT,
    EXHAUSTED_AGE,
    RateLimiter,
    RetryPolicy,
    arn_for_policy,
    backoff_delay,
    dead_letter_attributes,
    identity_allows,
    json_path,
    plan_retry,
    queue_policy_admits,
    retry_after_seconds,
    retryable_status,
    trusts_service,
)

__all__ = [
    "DEFAULT_TIME_SCALE",
    "ApiDestinationCall",
    "ApiDestinationDelivery",
    "Attempt",
    "Outcome",
    "RoleDocuments",
    "build_request",
    "envelope",
    "iso_time",
]

log = logging.getLogger(__name__)

#: Local seconds per AWS second of EventBridge's retry clock (``LEADLOOP_EVENTBRIDGE_TIME_SCALE``).
DEFAULT_TIME_SCALE = 0.01
TAG = "EventBridge"
WORKERS = 4
MAX_RESPONSE_BYTES = 1_048_576
_FIXED_HEADERS = {
    "User-Agent": "Amazon/EventBridge/ApiDestinations",
    "Content-Type": "application/json; charset=utf-8",
    "Range": "bytes=0-1048575",
    "Accept-Encoding": "gzip,deflate",
    "Connection": "close",
}
_NO_BODY_METHODS = frozenset({"GET", "HEAD"})


class RoleDocuments(NamedTuple):
    """A role as EventBridge sees it: its trust policy and its identity policies."""

    trust: Any
    policies: list[Any]


RoleLookup = Callable[[str], RoleDocuments | None]


@dataclass(frozen=True)
class ApiDestinationCall:
    """One event for one API-destination target, captured when PutEvents matched the rule."""

    event: dict[str, Any]  # the envelope, as a dead-letter queue receives it
    body: str  # what the endpoint receives
    rule_arn: str
    target_id: str
    target_arn: str
    role_arn: str | None
    retry: RetryPolicy
    dead_letter_arn: str | None
    method: str = "POST"
    url: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    rate_limit: int = 300
    failure: tuple[str, str] | None = None  # known before any attempt (no such destination...)

    @property
    def event_id(self) -> str:
        return str(self.event.get("id", ""))


@dataclass(frozen=True)
class Attempt:
    """One request started (``started``: when the rate limit let it, on the delivery's clock) and its result."""

    event_id: str
    target_arn: str
    number: int
    started: float
    status: int | None
    error: str | None


@dataclass(frozen=True)
class Outcome:
    """How one event's delivery to one target ended."""

    event_id: str
    target_id: str
    result: str  # "delivered" | "dead-lettered" | "dropped"
    error_code: str | None = None
    retry_attempts: int = 0
    exhausted: str | None = None
    reason: str | None = None


_WAITED = (
    "THROTTLING",
    "The event waited longer than its MaximumEventAgeInSeconds for the API destination's rate limit.",
)


@dataclass
class _Job:
    call: ApiDestinationCall
    submitted: float
    attempts: int = 0
    last_error: tuple[str, str] = _WAITED
    started: float = 0.0  # when the rate limit let the current attempt start


# ---------------------------------------------------------------------- what EventBridge sends
def iso_time(value: Any, *, milliseconds: bool = False) -> str:
    """An event time as EventBridge writes it (``2024-05-01T12:00:00Z``), from epoch seconds or text."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return str(value)
    moment = datetime.fromtimestamp(seconds, UTC)
    if milliseconds:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def envelope(message: Mapping[str, Any]) -> dict[str, Any]:
    """The event as EventBridge delivers it, from moto's internal message (no ``ingestion-time``)."""
    event = {
        "version": str(message.get("version", "0")),
        "id": str(message.get("id", "")),
        "detail-type": message.get("detail-type", ""),
        "source": message.get("source", ""),
        "account": str(message.get("account", "")),
        "time": iso_time(message.get("time")),
        "region": str(message.get("region", "")),
        "resources": list(message.get("resources") or []),
        "detail": message.get("detail", {}),
    }
    if "replay-name" in message:
        event["replay-name"] = message["replay-name"]
    return event


def _parameter(value: Any, event: Mapping[str, Any]) -> str:
    """A target HTTP parameter: a literal, or a JSON path into the event (``$.detail.id``)."""
    text = str(value)
    if text.startswith("$."):
        found, resolved = json_path(event, text)
        if found:
            return resolved if isinstance(resolved, str) else json.dumps(resolved)
    return text


def build_request(
    *,
    endpoint: str,
    authorization_type: str,
    auth_parameters: Mapping[str, Any],
    http_parameters: Mapping[str, Any] | None,
    event: Mapping[str, Any],
) -> tuple[str, dict[str, str]]:
    """(URL, headers) of the request to an API destination.

    The target's ``HttpParameters`` fill ``*`` path segments and add headers and query parameters; the
    connection's ``InvocationHttpParameters`` come after (they win) and its authorization last.
    """
    target = http_parameters or {}
    parts = urlsplit(endpoint)
    path = parts.path
    for value in target.get("PathParameterValues") or []:
        path = path.replace("*", _parameter(value, event), 1)
    headers = dict(_FIXED_HEADERS)
    query = [(key, value) for key, _, value in (p.partition("=") for p in parts.query.split("&") if p)]
    for key, value in (target.get("HeaderParameters") or {}).items():
        headers[str(key)] = _parameter(value, event)
    for key, value in (target.get("QueryStringParameters") or {}).items():
        query.append((str(key), _parameter(value, event)))
    invocation = auth_parameters.get("InvocationHttpParameters") or {}
    for item in invocation.get("HeaderParameters") or []:
        headers[str(item["Key"])] = str(item["Value"])
    for item in invocation.get("QueryStringParameters") or []:
        query.append((str(item["Key"]), str(item["Value"])))
    if authorization_type == "API_KEY":
        key = auth_parameters["ApiKeyAuthParameters"]
        headers[str(key["ApiKeyName"])] = str(key["ApiKeyValue"])
    elif authorization_type == "BASIC":
        basic = auth_parameters["BasicAuthParameters"]
        token = base64.b64encode(f"{basic['Username']}:{basic['Password']}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    url = urlunsplit((parts.scheme, parts.netloc, path, urlencode(query), ""))
    return url, headers


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """EventBridge does not follow redirects: a 3xx is an answer (not retried)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


# ---------------------------------------------------------------------- the delivery threads
class ApiDestinationDelivery:
    """Background delivery of API-destination targets: a schedule of due attempts and a few workers.

    ``submit`` never blocks on delivery (PutEvents answers first); ``stop`` drops what is still
    pending. ``attempts`` and ``outcomes`` record what happened, for tests and the log.
    """

    def __init__(
        self,
        *,
        sqs: Any,
        roles: RoleLookup,
        sink: LogSink | None = None,
        time_scale: float = DEFAULT_TIME_SCALE,
        workers: int = WORKERS,
        timeout: float = API_DESTINATION_TIMEOUT,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self._sqs = sqs
        self._roles = roles
        self._sink = sink
        self.time_scale = time_scale
        self._workers = workers
        self._timeout = timeout
        self._rng = rng or random.Random()
        self._clock = clock
        self._opener = urllib.request.build_opener(_NoRedirect)
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Job]] = []
        self._sequence = itertools.count()
        self._limiters: dict[str, RateLimiter] = {}
        self._in_flight = 0
        self._stopping = False
        self._threads: list[threading.Thread] = []
        self.attempts: deque[Attempt] = deque(maxlen=10_000)
        self.outcomes: deque[Outcome] = deque(maxlen=10_000)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        for index in range(self._workers):
            thread = threading.Thread(target=self._run, name=f"eventbridge-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = API_DESTINATION_TIMEOUT + 1.0) -> None:
        """Stop the workers (an attempt under way finishes); what is still scheduled is dropped."""
        with self._cond:
            self._stopping = True
            pending = len(self._heap)
            self._heap.clear()
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout)
        if pending:
            self._note(f"{pending} API destination deliveries still pending at stop: dropped")

    def submit(self, call: ApiDestinationCall) -> None:
        """Schedule ``call`` now (called from PutEvents: returns at once)."""
        with self._cond:
            if self._stopping:
                return
            job = _Job(call, self._clock())
            heapq.heappush(self._heap, (job.submitted, next(self._sequence), job))
            self._cond.notify_all()  # not notify(): it could wake a wait_idle caller instead of a worker

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until nothing is scheduled or under way (True), or ``timeout`` passes (False)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._heap or self._in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    # ------------------------------------------------------------------ scheduling
    def _next_job(self) -> _Job | None:
        """The next due job whose destination may take a request now, or None when stopping."""
        with self._cond:
            while True:
                if self._stopping:
                    return None
                now = self._clock()
                if self._heap and self._heap[0][0] <= now:
                    _, _, job = heapq.heappop(self._heap)
                    limiter = self._limiters.setdefault(job.call.target_arn, RateLimiter(job.call.rate_limit))
                    wait = limiter.acquire(now) if job.call.failure is None else 0.0
                    if wait > 0:
                        heapq.heappush(self._heap, (now + wait, next(self._sequence), job))
                        continue
                    job.started = now
                    self._in_flight += 1
                    return job
                self._cond.wait(self._heap[0][0] - now if self._heap else None)

    def _schedule(self, job: _Job, delay: float) -> None:
        with self._cond:
            if not self._stopping:
                heapq.heappush(self._heap, (self._clock() + delay, next(self._sequence), job))
                self._cond.notify_all()

    def _run(self) -> None:
        while True:
            job = self._next_job()
            if job is None:
                return
            try:
                self._attempt(job)
            except Exception as exc:  # a delivery bug must not kill the worker
                self._note(f"delivery of {job.call.event_id} failed: {type(exc).__name__}: {exc}")
            finally:
                with self._cond:
                    self._in_flight -= 1
                    self._cond.notify_all()

    # ------------------------------------------------------------------ one attempt
    def _age(self, job: _Job) -> float:
        """The event's age in AWS seconds."""
        return (self._clock() - job.submitted) / self.time_scale

    def _attempt(self, job: _Job) -> None:
        call = job.call
        if self._age(job) > call.retry.maximum_event_age:  # waited on the rate limit
            self._dead_letter(job, *job.last_error, EXHAUSTED_AGE)
            return
        job.attempts += 1
        started = job.started
        refusal = call.failure or self._role_refusal(call)
        if refusal is not None:
            self.attempts.append(Attempt(call.event_id, call.target_arn, job.attempts, started, None, refusal[0]))
            self._dead_letter(job, *refusal, None)
            return
        status, retry_after, error = self._send(call)
        self.attempts.append(Attempt(call.event_id, call.target_arn, job.attempts, started, status, error and error[0]))
        if status is not None and 200 <= status <= 299:
            self.outcomes.append(Outcome(call.event_id, call.target_id, "delivered", retry_attempts=job.attempts - 1))
            self._note(f"{call.event_id} -> {call.target_id}: {status} (attempt {job.attempts})")
            return
        if error is None:
            error = (
                "SDK_CLIENT_ERROR",
                f"Unable to invoke ApiDestination endpoint: The endpoint responded with status code {status}.",
            )
        job.last_error = error
        if status is not None and not retryable_status(status):
            self._dead_letter(job, *error, None)
            return
        backoff = backoff_delay(job.attempts, self._rng)
        delay, exhausted = plan_retry(
            call.retry, retries_done=job.attempts - 1, age=self._age(job), backoff=backoff, retry_after=retry_after
        )
        if delay is None:
            self._dead_letter(job, *error, exhausted)
            return
        self._note(f"{call.event_id} -> {call.target_id}: {status or error[0]}, retry {job.attempts} in {delay:.2f} s")
        self._schedule(job, delay * self.time_scale)

    def _role_refusal(self, call: ApiDestinationCall) -> tuple[str, str] | None:
        """Why EventBridge may not invoke the destination with the target's role, or None."""
        role_arn = call.role_arn or ""
        documents = self._roles(role_arn) if role_arn else None
        if documents is None or not trusts_service(documents.trust):
            return "FAILED_TO_ASSUME_ROLE", f"EventBridge cannot assume role {role_arn or '(none)'}."
        resources = [call.target_arn, arn_for_policy(call.target_arn)]
        if not identity_allows(documents.policies, "events:InvokeApiDestination", resources):
            return (
                "NO_PERMISSIONS",
                f"{role_arn} is not authorized to perform: events:InvokeApiDestination on resource: {resources[1]}",
            )
        return None

    def _send(self, call: ApiDestinationCall) -> tuple[int | None, float | None, tuple[str, str] | None]:
        """(status, Retry-After seconds, (error code, message) when no HTTP answer came)."""
        data = call.body.encode() if call.method not in _NO_BODY_METHODS else None
        request = urllib.request.Request(call.url, data=data, method=call.method, headers=call.headers)
        try:
            with self._opener.open(request, timeout=self._timeout) as response:
                response.read(MAX_RESPONSE_BYTES)
                return int(response.status), None, None
        except urllib.error.HTTPError as exc:
            with exc:
                exc.read(MAX_RESPONSE_BYTES)
                return int(exc.code), retry_after_seconds(exc.headers.get("Retry-After")), None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                return None, None, _timeout_error()
            return None, None, _unreachable()
        except TimeoutError:
            return None, None, _timeout_error()
        except OSError:
            return None, None, _unreachable()

    # ------------------------------------------------------------------ dead letters
    def _dead_letter(self, job: _Job, code: str, message: str, exhausted: str | None) -> None:
        call = job.call
        retries = max(job.attempts - 1, 0)
        failed = f"{call.event_id} -> {call.target_id}: {code}: {message} (retries {retries}"
        failed += f", {exhausted} exhausted)" if exhausted else ")"
        reason = self._send_dead_letter(call, code, message, retries, exhausted)
        if reason is None:
            self._note(f"{failed}; sent to dead-letter queue {call.dead_letter_arn}")
            self.outcomes.append(Outcome(call.event_id, call.target_id, "dead-lettered", code, retries, exhausted))
            return
        self._note(f"{failed}; dropped: {reason}")
        self.outcomes.append(Outcome(call.event_id, call.target_id, "dropped", code, retries, exhausted, reason))

    def _send_dead_letter(
        self, call: ApiDestinationCall, code: str, message: str, retries: int, exhausted: str | None
    ) -> str | None:
        """Send the event to the target's DLQ as EventBridge would; the reason it could not, or None."""
        arn = call.dead_letter_arn
        if not arn:
            return "the target has no dead-letter queue"
        _, _, _, _, account, name = arn.split(":", 5)
        try:
            url = self._sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
            attributes = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"]).get("Attributes", {})
        except ClientError as exc:
            return f"dead-letter queue {arn} cannot be used ({exc.response.get('Error', {}).get('Code')})"
        try:
            policy = json.loads(attributes.get("Policy") or "null")
        except ValueError:
            policy = None
        rule_account = call.rule_arn.split(":")[4]
        admitted, note = queue_policy_admits(
            policy, queue_arn=arn, source_arn=call.rule_arn, source_account=rule_account
        )
        if not admitted:
            why = f"; {note}" if note else ""
            return (
                f"the policy of {arn} does not allow events.amazonaws.com sqs:SendMessage for this rule"
                f"{why} (AWS loses the event too: InvocationsFailedToBeSentToDLQ)"
            )
        message_attributes = dead_letter_attributes(
            rule_arn=call.rule_arn,
            target_arn=call.target_arn,
            error_code=code,
            error_message=message,
            retry_attempts=retries,
            exhausted=exhausted,
        )
        try:
            self._sqs.send_message(
                QueueUrl=url,
                MessageBody=json.dumps(call.event, separators=(",", ":"), ensure_ascii=False),
                MessageAttributes=message_attributes,
            )
        except ClientError as exc:
            return f"sending to {arn} failed ({exc.response.get('Error', {}).get('Code')})"
        return None

    def _note(self, text: str) -> None:
        if self._sink is not None:
            self._sink.write(TAG, text)
        else:
            log.info("%s", text)


def _timeout_error() -> tuple[str, str]:
    return "TIMEOUT", "Unable to invoke ApiDestination endpoint: Timeout calling endpoint for API Destination."


def _unreachable() -> tuple[str, str]:
    return "SDK_CLIENT_ERROR", "Unable to invoke ApiDestination endpoint: API destination endpoint cannot be reached."

"""Amazon EventBridge's documented rules, as pure checks the local stack applies where moto does not.

* **PutEvents** ("Calculating PutEvents event entry size"): an entry counts 14 bytes for ``Time`` when
  given, the UTF-8 bytes of ``Source``, ``DetailType``, ``Detail`` and each of ``Resources``; a
  request's entries may total 256 KB (262,144 bytes), else the whole request is refused
  (``ValidationException``: "Total size of the entries in the request is over the limit."). At most
  10 entries (moto refuses more). ``Detail`` must be a JSON object: moto refuses text that is not
  JSON (``MalformedDetail``) but accepts ``[]`` or ``"x"`` with a warning.
* **Targets** (PutTargets, ``AWS::Events::Rule``): at most 5 a rule; ``RetryPolicy``
  ``MaximumRetryAttempts`` 0-185 and ``MaximumEventAgeInSeconds`` 60-86,400 (defaults 185 and 24 h);
  a dead-letter queue is a standard SQS queue in the rule's Region; an API destination target needs a
  ``RoleArn``; ``Input``, ``InputPath`` and ``InputTransformer`` exclude each other.
* **API destinations**: ``InvocationEndpoint`` is HTTPS (the local stack also takes plain HTTP to
  ``localhost``/``127.0.0.1``/``::1``, for receivers on the developer's machine), ``HttpMethod`` one of
  POST, GET, HEAD, OPTIONS, PUT, PATCH, DELETE, ``InvocationRateLimitPerSecond`` at least 1 (default
  300). A request times out after 5 s. 429 and 5xx are retried, every other status is not ("API
  destination error codes"); ``Retry-After`` is honoured (the longer of it and the backoff wins, a
  negative value stops the retries). Retries back off exponentially with full jitter.
* **Dead-letter queues** ("Event retry policy and using dead-letter queues"): the message is the
  event with attributes ``RULE_ARN``, ``TARGET_ARN``, ``ERROR_CODE``, ``ERROR_MESSAGE``,
  ``RETRY_ATTEMPTS`` and, when a retry limit ended the delivery, ``EXHAUSTED_RETRY_CONDITION``
  (``MaximumRetryAttempts`` or ``MaximumEventAgeInSeconds``). EventBridge sends it as
  ``events.amazonaws.com``, so the queue's policy must allow that principal ``sqs:SendMessage``.
* **Input transformation** ("Amazon EventBridge input transformation"): ``InputPathsMap`` values are
  JSON paths into the event; a ``<name>`` inside a JSON string takes the value's text, outside one
  its JSON; ``<aws.events.rule-arn>``, ``<aws.events.rule-name>``, ``<aws.events.event>`` (the event
  without ``detail``), ``<aws.events.event.json>`` and ``<aws.events.event.ingestion-time>`` are
  predefined.
"""

from __future__ import annotations

import json
import random
import re
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "API_DESTINATION_TIMEOUT",
    "DEFAULT_RATE_LIMIT",
    "EVENTS_PRINCIPAL",
    "MAX_REQUEST_BYTES",
    "RateLimiter",
    "RetryPolicy",
    "api_destination_errors",
    "arn_for_policy",
    "backoff_delay",
    "connection_errors",
    "dead_letter_attributes",
    "detail_error",
    "endpoint_error",
    "entry_size",
    "event_pattern_error",
    "identity_allows",
    "is_api_destination_arn",
    "json_path",
    "plan_retry",
    "put_events_size_error",
    "queue_policy_admits",
    "render_target_input",
    "retry_after_seconds",
    "retryable_status",
    "target_errors",
    "trusts_service",
]

MAX_ENTRIES = 10
MAX_REQUEST_BYTES = 262_144
TIME_BYTES = 14
SIZE_ERROR = "Total size of the entries in the request is over the limit."
MALFORMED_DETAIL = "Detail is malformed."

MAX_TARGETS = 5
MAX_RETRY_ATTEMPTS = 185
MIN_EVENT_AGE, MAX_EVENT_AGE = 60, 86_400
DEFAULT_RATE_LIMIT = 300
API_DESTINATION_TIMEOUT = 5.0
HTTP_METHODS = frozenset({"POST", "GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
AUTHORIZATION_TYPES = {
    "API_KEY": "ApiKeyAuthParameters",
    "BASIC": "BasicAuthParameters",
    "OAUTH_CLIENT_CREDENTIALS": "OAuthParameters",
}
MAX_INPUT_TEMPLATE = 8192
MAX_INPUT_PATHS = 100

#: Backoff of retry n: full jitter under min(cap, base * 2**(n-1)) seconds. AWS does not publish its
#: figures; these make the default 185 retries span about a day, as AWS's do.
BACKOFF_BASE, BACKOFF_CAP = 1.0, 900.0

EVENTS_PRINCIPAL = "events.amazonaws.com"
EXHAUSTED_ATTEMPTS = "MaximumRetryAttempts"
EXHAUSTED_AGE = "MaximumEventAgeInSeconds"


# ---------------------------------------------------------------------- PutEvents
def _utf8(value: Any) -> int:
    return len(str(value).encode()) if value is not None else 0


def entry_size(entry: Mapping[str, Any]) -> int:
    """The bytes EventBridge counts for one ``PutEventsRequestEntry``."""
    size = TIME_BYTES if entry.get("Time") is not None else 0
    size += _utf8(entry.get("Source")) + _utf8(entry.get("DetailType")) + _utf8(entry.get("Detail"))
    return size + sum(_utf8(resource) for resource in entry.get("Resources") or [])


def put_events_size_error(entries: Sequence[Mapping[str, Any]]) -> str | None:
    """The refusal of a request whose entries total over 256 KB, or None."""
    return SIZE_ERROR if sum(entry_size(entry) for entry in entries) > MAX_REQUEST_BYTES else None


def detail_error(detail: Any) -> str | None:
    """``MalformedDetail``'s message for a ``Detail`` that is JSON but not an object (moto's gap), or None.

    Text that is not JSON at all, and a missing ``Detail``, are left to moto, which refuses them already.
    """
    if not isinstance(detail, str) or not detail:
        return None
    try:
        value = json.loads(detail)
    except ValueError:
        return None
    return None if isinstance(value, dict) else MALFORMED_DETAIL


# ---------------------------------------------------------------------- rules and targets
@dataclass(frozen=True)
class RetryPolicy:
    """A target's retry limits, in AWS seconds."""

    maximum_retry_attempts: int = MAX_RETRY_ATTEMPTS
    maximum_event_age: int = MAX_EVENT_AGE

    @classmethod
    def of(cls, target: Mapping[str, Any]) -> RetryPolicy:
        """The target's policy, AWS's defaults for what it leaves out."""
        policy = target.get("RetryPolicy") or {}
        return cls(
            int(policy.get("MaximumRetryAttempts", MAX_RETRY_ATTEMPTS)),
            int(policy.get("MaximumEventAgeInSeconds", MAX_EVENT_AGE)),
        )


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def event_pattern_error(pattern: Any) -> str | None:
    """Why an ``EventPattern`` (object, or JSON text) is refused, or None."""
    if isinstance(pattern, str):
        try:
            pattern = json.loads(pattern)
        except ValueError as exc:
            return f"EventPattern is not valid JSON: {exc}"
    if not isinstance(pattern, dict) or not pattern:
        return "EventPattern must be a non-empty JSON object"
    return None


def _is_sqs_arn(arn: str) -> bool:
    parts = arn.split(":")
    return len(parts) == 6 and parts[0] == "arn" and parts[2] == "sqs" and bool(parts[5])


def arn_for_policy(arn: str) -> str:
    """A connection's or API destination's ARN as IAM policies name it: without the generated id."""
    head, _, resource = arn.rpartition(":")
    parts = resource.split("/")
    return f"{head}:{parts[0]}/{parts[1]}" if len(parts) >= 3 else arn


def is_api_destination_arn(arn: str) -> bool:
    parts = arn.split(":", 5)
    return len(parts) == 6 and parts[2] == "events" and parts[5].startswith("api-destination/")


def target_errors(targets: Sequence[Mapping[str, Any]], *, region: str) -> list[str]:
    """Every rule PutTargets (or CloudFormation) would refuse ``targets`` for."""
    errors: list[str] = []
    if len(targets) > MAX_TARGETS:
        errors.append(f"{len(targets)} targets (a rule has at most {MAX_TARGETS})")
    for index, target in enumerate(targets):
        where = f"Targets[{index}] ({target.get('Id', '?')})"
        arn = str(target.get("Arn") or "")
        if not target.get("Id") or not arn:
            errors.append(f"{where}: Id and Arn are required")
        given = [key for key in ("Input", "InputPath", "InputTransformer") if target.get(key) is not None]
        if len(given) > 1:
            errors.append(f"{where}: only one of Input, InputPath and InputTransformer may be given")
        if target.get("Input") is not None:
            try:
                json.loads(str(target["Input"]))
            except ValueError:
                errors.append(f"{where}: Input must be valid JSON text")
        errors += [f"{where}: {e}" for e in _transformer_errors(target.get("InputTransformer"))]
        errors += [f"{where}: {e}" for e in _retry_policy_errors(target.get("RetryPolicy"))]
        dead_letter = (target.get("DeadLetterConfig") or {}).get("Arn")
        if dead_letter is not None:
            dlq = str(dead_letter)
            if not _is_sqs_arn(dlq):
                errors.append(f"{where}: DeadLetterConfig.Arn {dlq!r} is not an SQS queue ARN")
            elif dlq.endswith(".fifo"):
                errors.append(f"{where}: a dead-letter queue must be a standard queue, not FIFO")
            elif dlq.split(":")[3] != region:
                errors.append(f"{where}: the dead-letter queue must be in the rule's Region ({region})")
        if is_api_destination_arn(arn) and not target.get("RoleArn"):
            errors.append(f"Parameter(s) RoleArn must be specified for target: {target.get('Id')}.")
    return errors


def _retry_policy_errors(policy: Any) -> list[str]:
    if policy is None:
        return []
    errors = []
    attempts, age = policy.get("MaximumRetryAttempts"), policy.get("MaximumEventAgeInSeconds")
    if attempts is not None and not (_int(attempts) is not None and 0 <= int(attempts) <= MAX_RETRY_ATTEMPTS):
        errors.append(f"RetryPolicy.MaximumRetryAttempts {attempts!r} must be 0-{MAX_RETRY_ATTEMPTS}")
    if age is not None and not (_int(age) is not None and MIN_EVENT_AGE <= int(age) <= MAX_EVENT_AGE):
        errors.append(f"RetryPolicy.MaximumEventAgeInSeconds {age!r} must be {MIN_EVENT_AGE}-{MAX_EVENT_AGE}")
    return errors


def _transformer_errors(transformer: Any) -> list[str]:
    if transformer is None:
        return []
    template = transformer.get("InputTemplate")
    if not isinstance(template, str) or not template:
        return ["InputTransformer.InputTemplate is required"]
    errors = []
    if len(template) > MAX_INPUT_TEMPLATE:
        errors.append(f"InputTransformer.InputTemplate is longer than {MAX_INPUT_TEMPLATE} characters")
    paths = transformer.get("InputPathsMap") or {}
    if len(paths) > MAX_INPUT_PATHS:
        errors.append(f"InputTransformer.InputPathsMap has more than {MAX_INPUT_PATHS} entries")
    for name, path in paths.items():
        if name.startswith("aws.") or not re.fullmatch(r"[A-Za-z0-9_\-]+", name):
            errors.append(f"InputPathsMap key {name!r} is not allowed")
        if _parse_path(str(path)) is None:
            errors.append(f"InputPathsMap {name}: {path!r} is not a JSON path EventBridge accepts")
    return errors


# ---------------------------------------------------------------------- connections and API destinations
def endpoint_error(url: str) -> str | None:
    """Why an ``InvocationEndpoint`` is refused: AWS takes HTTPS only; locally HTTP to this machine too."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and (parts.hostname or "") in LOCAL_HOSTS:
        return None
    return (
        f"InvocationEndpoint {url!r} must be an HTTPS URL (the local stack also allows "
        "http://localhost, http://127.0.0.1 and http://[::1])"
    )


def api_destination_errors(properties: Mapping[str, Any]) -> list[str]:
    """Every rule CreateApiDestination would refuse ``properties`` (CloudFormation's names) for."""
    errors = []
    if not properties.get("ConnectionArn"):
        errors.append("ConnectionArn is required")
    endpoint = properties.get("InvocationEndpoint")
    if not endpoint:
        errors.append("InvocationEndpoint is required")
    else:
        error = endpoint_error(str(endpoint))
        if error:
            errors.append(error)
    method = str(properties.get("HttpMethod") or "")
    if method not in HTTP_METHODS:
        errors.append(f"HttpMethod {method!r} must be one of {', '.join(sorted(HTTP_METHODS))}")
    rate = properties.get("InvocationRateLimitPerSecond")
    if rate is not None and not (_int(rate) is not None and int(rate) >= 1):
        errors.append(f"InvocationRateLimitPerSecond {rate!r} must be an integer of at least 1")
    return errors


def connection_errors(properties: Mapping[str, Any]) -> list[str]:
    """Every rule CreateConnection would refuse ``properties`` for (OAuth is refused: not emulated)."""
    kind = str(properties.get("AuthorizationType") or "")
    if kind not in AUTHORIZATION_TYPES:
        return [f"AuthorizationType {kind!r} must be one of {', '.join(AUTHORIZATION_TYPES)}"]
    if kind == "OAUTH_CLIENT_CREDENTIALS":
        return ["OAUTH_CLIENT_CREDENTIALS connections are not emulated by the local stack; use API_KEY or BASIC"]
    parameters = (properties.get("AuthParameters") or {}).get(AUTHORIZATION_TYPES[kind])
    required = ("ApiKeyName", "ApiKeyValue") if kind == "API_KEY" else ("Username", "Password")
    if not isinstance(parameters, Mapping) or any(not parameters.get(key) for key in required):
        return [f"AuthParameters.{AUTHORIZATION_TYPES[kind]} needs {' and '.join(required)}"]
    return []


# ---------------------------------------------------------------------- delivery
def retryable_status(status: int) -> bool:
    """Whether EventBridge retries an API destination's answer: 429 and 5xx only."""
    return status == 429 or 500 <= status <= 599


def retry_after_seconds(value: str | None) -> float | None:
    """A ``Retry-After`` header in seconds (negative means stop retrying), or None when absent/unreadable."""
    if value is None:
        return None
    try:
        return float(value.strip())
    except ValueError:
        return None


def backoff_delay(retry: int, rng: random.Random, *, base: float = BACKOFF_BASE, cap: float = BACKOFF_CAP) -> float:
    """Seconds before retry number ``retry`` (1 for the first): exponential, full jitter."""
    return rng.uniform(0.0, min(cap, base * 2.0 ** max(retry - 1, 0)))


def plan_retry(
    policy: RetryPolicy, *, retries_done: int, age: float, backoff: float, retry_after: float | None
) -> tuple[float | None, str | None]:
    """(seconds until the next attempt, None) or (None, the exhausted condition or None when told to stop).

    ``age`` is the event's age now, in seconds; the retry must fit within ``MaximumEventAgeInSeconds``.
    """
    if retry_after is not None and retry_after < 0:
        return None, None
    if retries_done >= policy.maximum_retry_attempts:
        return None, EXHAUSTED_ATTEMPTS
    delay = max(backoff, retry_after or 0.0)
    if age + delay > policy.maximum_event_age:
        return None, EXHAUSTED_AGE
    return delay, None


class RateLimiter:
    """``InvocationRateLimitPerSecond``: at most ``per_second`` requests start in any one-second window."""

    def __init__(self, per_second: int, window: float = 1.0) -> None:
        self.per_second = max(int(per_second), 1)
        self.window = window
        self._starts: deque[float] = deque()

    def acquire(self, now: float) -> float:
        """0.0 when a request may start at ``now`` (and it is counted), else the seconds until one may."""
        while self._starts and now - self._starts[0] >= self.window:
            self._starts.popleft()
        if len(self._starts) < self.per_second:
            self._starts.append(now)
            return 0.0
        return max(self._starts[0] + self.window - now, 1e-6)  # never 0.0: that means "counted"


def dead_letter_attributes(
    *,
    rule_arn: str,
    target_arn: str,
    error_code: str,
    error_message: str,
    retry_attempts: int,
    exhausted: str | None,
) -> dict[str, dict[str, str]]:
    """The message attributes EventBridge puts on a dead-lettered event."""
    values = {
        "RULE_ARN": rule_arn,
        "TARGET_ARN": target_arn,
        "ERROR_CODE": error_code,
        "ERROR_MESSAGE": error_message or error_code,
        "RETRY_ATTEMPTS": str(retry_attempts),
    }
    if exhausted:
        values["EXHAUSTED_RETRY_CONDITION"] = exhausted
    return {name: {"DataType": "String", "StringValue": value} for name, value in values.items()}


# ---------------------------------------------------------------------- input transformation
_PATH_TOKEN = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")


def _parse_path(path: str) -> list[str | int] | None:
    if not path.startswith("$"):
        return None
    steps: list[str | int] = []
    position = 1
    while position < len(path):
        match = _PATH_TOKEN.match(path, position)
        if match is None:
            return None
        name, index, quoted, double = match.groups()
        steps.append(int(index) if index is not None else next(p for p in (name, quoted, double) if p is not None))
        position = match.end()
    return steps


def json_path(document: Any, path: str) -> tuple[bool, Any]:
    """(found, value) of a JSON path such as ``$.detail.lead_id`` or ``$.resources[0]`` in ``document``."""
    steps = _parse_path(path)
    if steps is None:
        return False, None
    node = document
    for step in steps:
        in_list = isinstance(step, int) and isinstance(node, list) and 0 <= step < len(node)
        in_object = isinstance(step, str) and isinstance(node, dict) and step in node
        if not (in_list or in_object):
            return False, None
        node = node[step]
    return True, node


_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")


def render_target_input(
    target: Mapping[str, Any], event: Mapping[str, Any], *, rule_arn: str, ingestion_time: str
) -> str:
    """What EventBridge sends a target for ``event``: the event, ``Input``, ``InputPath``'s part, or the
    ``InputTransformer``'s rendering (compact JSON where EventBridge serialises)."""
    if target.get("Input") is not None:
        return str(target["Input"])
    if target.get("InputPath") is not None:
        found, value = json_path(event, str(target["InputPath"]))
        return _compact(value if found else None)
    transformer = target.get("InputTransformer")
    if transformer is None:
        return _compact(event)
    values: dict[str, tuple[bool, Any]] = {
        name: json_path(event, str(path)) for name, path in (transformer.get("InputPathsMap") or {}).items()
    }
    values |= {
        "aws.events.rule-arn": (True, rule_arn),
        "aws.events.rule-name": (True, rule_arn.rpartition("/")[2]),
        "aws.events.event.ingestion-time": (True, ingestion_time),
        "aws.events.event": (True, {k: v for k, v in event.items() if k != "detail"}),
        "aws.events.event.json": (True, dict(event)),
    }
    return _substitute(str(transformer["InputTemplate"]), values)


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _substitute(template: str, values: Mapping[str, tuple[bool, Any]]) -> str:
    out: list[str] = []
    in_string = escaped = False
    position = 0
    while position < len(template):
        char = template[position]
        if in_string and (escaped or char == "\\"):
            escaped = not escaped
            out.append(char)
            position += 1
            continue
        match = _PLACEHOLDER.match(template, position) if char == "<" else None
        if match is not None and match.group(1) in values:
            found, value = values[match.group(1)]
            if in_string:
                text = value if isinstance(value, str) else ("" if not found else _compact(value))
                out.append(json.dumps(text, ensure_ascii=False)[1:-1])
            else:
                out.append(_compact(value if found else None))
            position = match.end()
            continue
        if char == '"':
            in_string = not in_string
        out.append(char)
        position += 1
    return "".join(out)


# ---------------------------------------------------------------------- policies
def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _statements(document: Any) -> list[Mapping[str, Any]]:
    if not isinstance(document, Mapping):
        return []
    return [s for s in _list(document.get("Statement")) if isinstance(s, Mapping)]


def _action_applies(statement: Mapping[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not any(fnmatchcase(action.lower(), str(p).lower()) for p in _list(statement["NotAction"]))
    return any(fnmatchcase(action.lower(), str(p).lower()) for p in _list(statement.get("Action")))


def _resource_applies(statement: Mapping[str, Any], resources: Iterable[str], default: bool = False) -> bool:
    if "NotResource" in statement:
        patterns = [str(p) for p in _list(statement["NotResource"])]
        return not any(fnmatchcase(r, p) for r in resources for p in patterns)
    if "Resource" not in statement:
        return default
    return any(fnmatchcase(r, str(p)) for r in resources for p in _list(statement["Resource"]))


def identity_allows(documents: Iterable[Any], action: str, resources: Sequence[str]) -> bool:
    """Whether identity policies allow ``action`` on any of ``resources`` (an explicit Deny wins).

    As elsewhere in the local stack, conditions are not evaluated: an Allow applies without its
    ``Condition`` and a Deny with one is not applied.
    """
    allowed = False
    for document in documents:
        for statement in _statements(document):
            if not (_action_applies(statement, action) and _resource_applies(statement, resources)):
                continue
            if statement.get("Effect") == "Deny" and "Condition" not in statement:
                return False
            if statement.get("Effect") == "Allow":
                allowed = True
    return allowed


def _names_service(principal: Any, service: str) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    return service in [str(s) for s in _list(principal.get("Service"))] or "*" in _list(principal.get("AWS"))


def trusts_service(trust: Any, service: str = EVENTS_PRINCIPAL) -> bool:
    """Whether a role's trust policy lets ``service`` assume it (``sts:AssumeRole``)."""
    return any(
        statement.get("Effect") == "Allow"
        and _names_service(statement.get("Principal"), service)
        and _action_applies(statement, "sts:AssumeRole")
        for statement in _statements(trust)
    )


_CONDITION_KEYS = {"aws:sourcearn": "source_arn", "aws:sourceaccount": "source_account"}
_OPERATORS = {"ArnEquals": False, "ArnLike": True, "StringEquals": False, "StringLike": True}


def _condition_holds(condition: Any, context: Mapping[str, str]) -> tuple[bool, str | None]:
    """(holds, why it could not be evaluated) for the condition keys EventBridge supplies."""
    if condition is None:
        return True, None
    if not isinstance(condition, Mapping):
        return False, f"condition {condition!r} is not an object"
    for operator, tests in condition.items():
        base = str(operator).removesuffix("IfExists")
        if base not in _OPERATORS or not isinstance(tests, Mapping):
            return False, f"condition operator {operator} is not evaluated locally"
        for key, expected in tests.items():
            name = _CONDITION_KEYS.get(str(key).lower())
            if name is None:
                return False, f"condition key {key} is not evaluated locally"
            actual = context[name]
            patterns = [str(v) for v in _list(expected)]
            wildcard = _OPERATORS[base]
            if not (any(fnmatchcase(actual, p) for p in patterns) if wildcard else actual in patterns):
                return False, None
    return True, None


def queue_policy_admits(
    policy: Any, *, queue_arn: str, source_arn: str, source_account: str
) -> tuple[bool, str | None]:
    """(admitted, a note on what could not be evaluated): may EventBridge send this rule's dead letters?

    The queue policy must allow ``events.amazonaws.com`` ``sqs:SendMessage`` on the queue;
    ``aws:SourceArn``/``aws:SourceAccount`` conditions (``ArnEquals``/``ArnLike``/``StringEquals``/
    ``StringLike``) are checked against the rule.
    """
    context = {"source_arn": source_arn, "source_account": source_account}
    allowed, note = False, None
    for statement in _statements(policy):
        if not (
            _names_service(statement.get("Principal"), EVENTS_PRINCIPAL)
            and _action_applies(statement, "sqs:SendMessage")
            and _resource_applies(statement, [queue_arn], default=True)
        ):
            continue
        holds, why = _condition_holds(statement.get("Condition"), context)
        note = note or why
        if not holds:
            continue
        if statement.get("Effect") == "Deny":
            return False, note
        if statement.get("Effect") == "Allow":
            allowed = True
    return allowed, note

"""The Graph calls of a replace, and what Meta's answers mean for it (meta-api.md §6).

Every ``/usersreplace`` error is code 2650 with a subcode; :func:`classify` turns each into what the
state machine does next. Transient errors and throttling are retried here a few times (waiting as
Meta says, within the task's budget) before the task hands them to the state machine's Retry.
"""

from __future__ import annotations

import enum
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from leadloop.audience import payload_cell
from leadloop.graph import GraphAuthError, GraphError, GraphResponse, GraphThrottledError
from leadloop.replace.errors import (
    AudienceBusy,
    AudienceNotReplaceable,
    GraphAccessBroken,
    GraphUnavailable,
    ReplaceFailed,
)

REPLACE_CODE = 2650
BUSY = 1870145  # another update or replace runs on the audience
TIMED_OUT = 1870158  # the 90-minute window has passed
NO_FIRST_BATCH = 1870147  # Meta never saw batch_seq 1 of this session
FINISHED = 1870159  # last_batch_flag already received
WENT_WRONG = 1870148  # the list was not fully updated
TOO_LARGE = 1870144  # 100M members or more

MAX_AUDIENCE_SIZE = 100_000_000
STATUS_NORMAL = 200
STATUS_REPLACING = 414
STATUS_REPLACE_FAILED = 415
STATUS_FLAGGED = 471
_STATUS_NAMES = {
    "replace_in_progress": STATUS_REPLACING,
    "replace_error": STATUS_REPLACE_FAILED,
    "normal": STATUS_NORMAL,
}


class Graph(Protocol):
    def get(
        self, path: str, params: Mapping[str, str] | None = None, *, timeout: float | None = None
    ) -> GraphResponse: ...

    def post_json(self, path: str, body: Mapping[str, Any], *, timeout: float | None = None) -> GraphResponse: ...


class ReplaceBatchResult(enum.Enum):
    SENT = "sent"
    WINDOW_CLOSED = "window_closed"  # 1870158 / 1870159: what is left becomes overflow
    SESSION_LOST = "session_lost"  # 1870147: start again with a new session


@dataclass(frozen=True)
class Sent:
    result: ReplaceBatchResult
    received: int = 0
    invalid: int = 0


@dataclass(frozen=True)
class AudienceState:
    subtype: str
    status: int
    upper_bound: int
    account_id: str


def status_code(raw: Any) -> int:
    """``operation_status`` → its code (Meta also spells it ``status`` or by name)."""
    if not isinstance(raw, dict):
        return 0
    value: Any = raw.get("code", raw.get("status"))
    if isinstance(value, str) and not value.isdigit():
        return _STATUS_NAMES.get(value.strip().lower(), 0)
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def read_audience(graph: Graph, audience_id: str) -> AudienceState:
    fields = "subtype,operation_status,approximate_count_upper_bound,account_id"
    body = _read(lambda: graph.get(audience_id, {"fields": fields}), audience_id).data
    body = body if isinstance(body, dict) else {}
    try:
        upper = int(body.get("approximate_count_upper_bound") or 0)
    except (TypeError, ValueError):
        upper = 0
    return AudienceState(
        subtype=str(body.get("subtype", "")),
        status=status_code(body.get("operation_status")),
        upper_bound=upper,
        account_id=str(body.get("account_id", "")),
    )


def ensure_replaceable(audience_id: str, state: AudienceState) -> bool:
    """True when a replace may start now; False while Meta is busy; raises when it never may."""
    if state.subtype and state.subtype != "CUSTOM":
        raise AudienceNotReplaceable(
            f"audience {audience_id} is {state.subtype}; only CUSTOM audiences can be replaced"
        )
    if state.status == STATUS_FLAGGED:
        raise AudienceNotReplaceable(f"audience {audience_id} is flagged for integrity review (operation_status 471)")
    if state.upper_bound >= MAX_AUDIENCE_SIZE:
        raise AudienceNotReplaceable(f"audience {audience_id} has 100M members or more; Meta refuses replaces")
    return state.status != STATUS_REPLACING


def payload_document(schema: Sequence[str], rows: Sequence[Sequence[str]]) -> dict[str, Any]:
    data = [[payload_cell(k, c) for k, c in zip(schema, row, strict=True)] for row in rows]
    return {"schema": list(schema), "data": data, "is_raw": True}


def payload(schema: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    return json.dumps(payload_document(schema, rows), separators=(",", ":"))


def send_replace_batch(
    graph: Graph,
    audience_id: str,
    schema: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    session_id: int,
    batch_seq: int,
    last: bool,
    estimated_total: int,
    time_left: Callable[[], float],
) -> Sent:
    """One replace batch. Batch 1 is never retried here: only the caller knows (by asking Meta for the
    session) whether an unanswered batch 1 arrived, and it must not arrive twice."""
    session = {
        "session_id": session_id,
        "batch_seq": batch_seq,
        "last_batch_flag": last,
        "estimated_num_total": estimated_total,
    }
    body = {"payload": payload_document(schema, rows), "session": session}
    try:
        answer = _call(
            lambda: graph.post_json(f"{audience_id}/usersreplace", body),
            time_left=time_left,
            attempts=1 if batch_seq == 1 else 4,
        )
    except GraphError as exc:
        return Sent(classify(exc, audience_id))
    return Sent(ReplaceBatchResult.SENT, *_numbers(answer.data))


def send_add_batch(
    graph: Graph, audience_id: str, schema: Sequence[str], rows: Sequence[Sequence[str]], time_left: Callable[[], float]
) -> Sent:
    try:
        answer = _call(
            lambda: graph.post_json(f"{audience_id}/users", {"payload": payload_document(schema, rows)}),
            time_left=time_left,
        )
    except GraphError as exc:
        raise _fatal(exc, audience_id) from None
    return Sent(ReplaceBatchResult.SENT, *_numbers(answer.data))


def session_received(graph: Graph, audience_id: str, session_id: int) -> bool:
    """Whether Meta holds a session with this id (did an unanswered batch 1 arrive?)."""
    answer = _read(lambda: graph.get(f"{audience_id}/sessions", {"session_id": str(session_id)}), audience_id)
    data = answer.data.get("data") if isinstance(answer.data, dict) else None
    return any(str(s.get("session_id")) == str(session_id) for s in data or [] if isinstance(s, dict))


def classify(exc: GraphError, audience_id: str) -> ReplaceBatchResult:
    """What a failed replace batch means; raises for the errors that end or pause the replace."""
    if exc.code == REPLACE_CODE:
        if exc.subcode in (TIMED_OUT, FINISHED):
            return ReplaceBatchResult.WINDOW_CLOSED
        if exc.subcode == NO_FIRST_BATCH:
            return ReplaceBatchResult.SESSION_LOST
    raise _fatal(exc, audience_id)


def _fatal(exc: GraphError, audience_id: str) -> Exception:
    where = f"audience {audience_id}: {exc.describe()}"
    if exc.code == REPLACE_CODE and exc.subcode == BUSY:
        return AudienceBusy(where)
    if exc.code == REPLACE_CODE and exc.subcode == TOO_LARGE:
        return AudienceNotReplaceable(where)
    if exc.code == REPLACE_CODE and exc.subcode == WENT_WRONG:
        return ReplaceFailed(where)  # final even when flagged transient: a retry cannot mend this replace
    if isinstance(exc, GraphAuthError):
        return GraphAccessBroken(where)
    if exc.retryable:
        return GraphUnavailable(where)
    return ReplaceFailed(where)


def _read(request: Callable[[], GraphResponse], audience_id: str) -> GraphResponse:
    """A read the replace needs; its errors become the classes the state machine routes on."""
    try:
        return _call(request)
    except GraphError as exc:
        raise _fatal(exc, audience_id) from None


def _call(
    request: Callable[[], GraphResponse], *, time_left: Callable[[], float] | None = None, attempts: int = 4
) -> GraphResponse:
    """One Graph call with a few quick retries for transient answers (never for 2650 rules)."""
    delay = 1.0
    for attempt in range(1, attempts + 1):
        try:
            return request()
        except GraphError as exc:
            if exc.code == REPLACE_CODE or not exc.retryable or attempt == attempts:
                raise
            wait = min(60.0, exc.retry_after) if isinstance(exc, GraphThrottledError) else delay
            if time_left is not None and time_left() < wait + 30:
                raise
            time.sleep(wait)
            delay *= 2
    raise AssertionError("unreachable")


def _numbers(data: Any) -> tuple[int, int]:
    body = data if isinstance(data, dict) else {}
    try:
        return max(0, int(body.get("num_received") or 0)), max(0, int(body.get("num_invalid_entries") or 0))
    except (TypeError, ValueError):
        return 0, 0

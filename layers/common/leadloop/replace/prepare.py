"""The tasks before Meta's window opens: validate the input, check the audience, lock, stage, pack."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from leadloop.observability import logger
from leadloop.replace.deps import ReplaceDeps
from leadloop.replace.errors import AudienceBusy, EmptySource, InvalidReplaceInput, StagingError
from leadloop.replace.history import next_wait
from leadloop.replace.meta import ensure_replaceable, read_audience
from leadloop.replace.pack import pack_slice
from leadloop.replace.request import ReplaceRequest, S3CsvSource, parse_request
from leadloop.replace.sources import RowSource, S3CsvRows, StoredLeadRows
from leadloop.replace.stage import stage_slice
from leadloop.replace.state import (
    BeginInput,
    CheckState,
    Locked,
    PackState,
    ReplaceState,
    RunParams,
    SendState,
    Staged,
    StageState,
    Times,
)
from leadloop.routing import FormRoute

_RUN_ID = re.compile(r"[^A-Za-z0-9_-]")
#: The lock outlives the window and processing; poll and overflow extend it as they go.
LOCK_EXTRA_SECONDS = 3 * 3600
#: S3 answers that a retry cannot change: the object or bucket is missing or not ours to read.
_UNREADABLE = frozenset({"404", "403", "NoSuchKey", "NoSuchBucket", "AccessDenied"})


def begin(state: BeginInput, deps: ReplaceDeps, time_left: Callable[[], float]) -> ReplaceState:
    """Validate the execution input and fix the run's parameters (fails before any lock is taken)."""
    request = parse_request(state.input)
    run_id = _RUN_ID.sub("-", str(state.run_id or ""))[:80]
    if not run_id:
        raise InvalidReplaceInput("the run has no id (start it through the state machine)")
    s = deps.settings
    now = int(deps.clock())
    since_days = getattr(request.source, "since_days", None)
    # Fixed once: a cutoff recomputed per stage invocation would move while staging runs.
    since = now - since_days * 86400 if since_days else None
    schema = _source(request, deps, cursor=None, since=since).schema
    if isinstance(request.source, S3CsvSource):
        _require_object(deps.s3, request.source)
    return ReplaceState(
        request=request,
        run=RunParams(
            run_id=run_id,
            audience_id=request.audience_id,
            schema_keys=schema,
            chunk_rows=s.replace_chunk_rows,
            concurrency=request.max_concurrency or s.replace_default_concurrency,
            dry_run=request.dry_run,
            source=request.source.type,
            since=since,
        ),
        times=Times(started=now),
        check=CheckState(attempts=0, ready=False),
    )


def _require_object(s3: Any, spec: S3CsvSource) -> None:
    """The CSV must exist and be ours to read now, so a wrong key never locks the audience."""
    try:
        s3.head_object(Bucket=spec.bucket, Key=spec.key)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in _UNREADABLE:
            raise InvalidReplaceInput(f"s3://{spec.bucket}/{spec.key} cannot be read: {code}") from None
        raise StagingError(f"checking s3://{spec.bucket}/{spec.key} failed: {code or 'ClientError'}") from None
    except BotoCoreError as exc:
        raise StagingError(f"checking s3://{spec.bucket}/{spec.key} failed: {type(exc).__name__}") from None


def check(state: ReplaceState, deps: ReplaceDeps, time_left: Callable[[], float]) -> ReplaceState:
    """Meta must allow a replace now; while the audience is busy, ask the machine to wait."""
    run = state.run
    audience = read_audience(deps.graph(), run.audience_id)
    run.account_id = audience.account_id or None
    attempts = state.check.attempts
    if ensure_replaceable(run.audience_id, audience) or run.dry_run:
        state.check = CheckState(attempts=attempts, ready=True)
        return state
    waited = state.check.waited
    if waited >= deps.settings.replace_busy_max_seconds:
        raise AudienceBusy(f"audience {run.audience_id} still busy at Meta after {waited} s")
    wait = next_wait(waited, deps.settings.replace_poll_seconds)
    logger.info("audience busy at Meta: waiting", extra={"audience_id": run.audience_id, "attempts": attempts})
    state.check = CheckState(attempts=attempts + 1, ready=False, waited=waited + wait, wait_seconds=wait)
    return state


def lock(state: ReplaceState, deps: ReplaceDeps, time_left: Callable[[], float]) -> ReplaceState:
    run = state.run
    now = int(deps.clock())
    until = now + deps.settings.replace_window_seconds + LOCK_EXTRA_SECONDS
    if not run.dry_run:  # a dry run sends nothing, so uploads need not wait for it
        deps.records.take_lock(run.audience_id, run.run_id, until=until, now=now)
    run.locked = not run.dry_run
    state.stage = StageState(done=False, cursor=None)
    return state


def stage(state: Locked, deps: ReplaceDeps, time_left: Callable[[], float]) -> Locked:
    run, progress = state.run, state.stage.progress
    source = _source(state.request, deps, cursor=state.stage.cursor, since=run.since)
    finished = stage_slice(
        source,
        deps.staging(run.run_id),
        progress,
        time_left=time_left,
        partitions=deps.settings.replace_partitions,
    )
    state.stage = StageState(done=finished, cursor=None if finished else source.cursor(), progress=progress)
    logger.info("staged", extra={"run_id": run.run_id, "finished": finished} | progress.as_state())
    if finished:
        state.times.staged = int(deps.clock())
        state.pack = PackState(done=False)
    return state


def pack(state: Staged, deps: ReplaceDeps, time_left: Callable[[], float]) -> Staged:
    run, progress = state.run, state.pack.progress
    finished = pack_slice(
        deps.staging(run.run_id),
        progress,
        chunk_rows=run.chunk_rows,
        time_left=time_left,
        partitions=deps.settings.replace_partitions,
    )
    state.pack = PackState(done=finished, progress=progress)
    if finished:
        if progress.rows_unique == 0:
            raise EmptySource(f"the source gave no usable row for audience {run.audience_id}: refusing to empty it")
        run.chunks = progress.chunks
        state.times.packed = int(deps.clock())
        state.send = SendState(session_id=deps.new_session_id(), attempts=0)
        logger.info("packed", extra={"run_id": run.run_id} | progress.as_state())
    return state


def _source(
    request: ReplaceRequest, deps: ReplaceDeps, *, cursor: dict[str, Any] | None, since: int | None
) -> RowSource:
    spec = request.source
    if isinstance(spec, S3CsvSource):
        return S3CsvRows(
            deps.s3, spec.bucket, spec.key, spec.mapping, default_country=spec.default_country, cursor=cursor
        )
    routes = _routes_for(request, deps)
    return StoredLeadRows(
        deps.dynamodb,
        deps.settings.leads_table_name,
        routes,
        audience_id=request.audience_id,
        since=since,
        cursor=cursor,
    )


def _routes_for(request: ReplaceRequest, deps: ReplaceDeps) -> list[FormRoute]:
    routing = deps.routing()
    spec = request.source
    wanted = getattr(spec, "form_ids", None)
    if wanted:
        missing = [f for f in wanted if routing.form(f) is None]
        if missing:
            raise InvalidReplaceInput(f"forms not in the routing document: {', '.join(missing)}")
        return [r for f in wanted if (r := routing.form(f)) is not None]
    return [r for r in routing.forms if request.audience_id in r.audience_ids]

"""``usersreplace`` rules: replace sessions, their window, processing and the 2650 subcodes.

Pure logic over :class:`~leadloop_cli.graphsim.models.Audience` records, like
:mod:`~leadloop_cli.graphsim.audiences`; callers hold the state lock and pass the virtual
``now``. Nothing runs in the background: a session's window and its processing delay are
evaluated lazily by :func:`settle`, which every read or touch of an audience calls first. The
decisions (where Meta is silent) are listed in the package docstring.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from leadloop_cli.graphsim.audiences import (
    FLAGGED,
    add_members,
    approximate_size,
    ensure_source,
    parse_payload,
    parse_session,
)
from leadloop_cli.graphsim.errors import GraphError
from leadloop_cli.graphsim.models import REPLACE_OP, Audience, ReplaceJob, UploadSession

if TYPE_CHECKING:
    from leadloop_cli.graphsim.audiences import Payload, SessionIn

REPLACE_IN_PROGRESS = 414
REPLACE_FAILED = 415
MAX_REPLACE_SIZE = 100_000_000  # Meta: the audience must be below 100 million before a replace
SIZE_NOT_SUPPORTED = 1870144
UPDATE_IN_PROGRESS = 1870145
INVALID_BATCH = 1870147
SOMETHING_WENT_WRONG = 1870148
SESSION_TIMED_OUT = 1870158
SESSION_FINISHED = 1870159
SUBCODE_NAMES = {
    SIZE_NOT_SUPPORTED: "DFCA size not supported for replace",
    UPDATE_IN_PROGRESS: "Audience update in progress",
    INVALID_BATCH: "Invalid upload batch for replace",
    SOMETHING_WENT_WRONG: "Something went wrong",
    SESSION_TIMED_OUT: "Replace session timed out",
    SESSION_FINISHED: "Replace session finished",
}
NORMAL: dict[str, Any] = {"code": 200, "description": "Normal"}
IN_PROGRESS: dict[str, Any] = {
    "code": REPLACE_IN_PROGRESS,
    "description": "Replace in progress: the audience's members are being replaced.",
}
FAILED: dict[str, Any] = {
    "code": REPLACE_FAILED,
    "description": "Replace failed: the audience was not updated; its members are unchanged.",
}


def replace_error(subcode: int, detail: str) -> GraphError:
    """Meta's replace errors are all 2650; only "update in progress" is worth retrying later."""
    name = SUBCODE_NAMES[subcode]
    return GraphError(
        2650,
        f"(#2650) Failed to update the custom audience: {name}: {detail}",
        subcode=subcode,
        is_transient=subcode == UPDATE_IN_PROGRESS,
        status=400,
        extra={"error_user_title": name, "error_user_msg": detail},
    )


def replace_input_error(detail: str) -> GraphError:
    """A malformed replace request: 2650 like every replace error, without a subcode (Meta documents none)."""
    return GraphError(2650, f"(#2650) Failed to update the custom audience: {detail.removeprefix('(#100) ')}")


# -- checks -----------------------------------------------------------------------------------------


def ensure_custom(audience: Audience) -> None:
    """Meta only replaces ``subtype=CUSTOM`` audiences (the simulator creates no others)."""
    if audience.subtype != "CUSTOM":
        raise replace_input_error("usersreplace is only supported for audiences with subtype CUSTOM")


def parse_replace_input(raw_payload: object, raw_session: object) -> tuple[Payload, SessionIn]:
    """``payload`` and the required ``session`` of a replace batch; their errors become 2650."""
    try:
        payload = parse_payload(raw_payload)
        session = parse_session(raw_session)
    except GraphError as error:
        raise replace_input_error(error.message) from None
    if session is None:
        raise replace_input_error("The parameter session is required for usersreplace")
    return payload, session


def is_busy(audience: Audience) -> bool:
    """A replace is open or processing, or a test set operation_status 414 to fake one."""
    if audience.operation_status.get("code") == REPLACE_IN_PROGRESS:
        return True
    return any(job.active for job in audience.replaces.values())


def ensure_not_busy(audience: Audience) -> None:
    """``/users`` add/remove while a replace runs → 2650/1870145 (Meta: don't mix them)."""
    if is_busy(audience):
        raise replace_error(
            UPDATE_IN_PROGRESS,
            "a replace of this audience is running; wait until its operation_status is 200 (Normal) and retry",
        )


# -- time ------------------------------------------------------------------------------------------


def settle(audience: Audience, now: int, processing_seconds: int) -> None:
    """Catch up with the virtual clock: close sessions whose window ran out, finish processed ones."""
    for job in audience.replaces.values():
        if job.record.stage == "uploading" and now > job.deadline:
            job.timed_out = True
            _close(job, job.deadline, processing_seconds)
        if job.record.stage == "processing" and job.done_at is not None and now >= job.done_at:
            _finish(audience, job, job.done_at)


def _close(job: ReplaceJob, at: int, processing_seconds: int) -> None:
    job.closed_at = at
    job.done_at = at + processing_seconds
    job.record.stage = "processing"


def _staged(job: ReplaceJob) -> Audience:
    if job.staged is None:  # only finished jobs drop it, and those accept no batch
        raise GraphError(1)
    return job.staged


def _finish(audience: Audience, job: ReplaceJob, done: int) -> None:
    """The members become exactly the staged set, unless the test hook made this replace fail."""
    staged = _staged(job)
    if audience.fail_next_replace:
        audience.fail_next_replace = False
        job.record.stage = "failed"
        status = FAILED
    else:
        audience.schema = staged.schema
        audience.members = staged.members
        audience.member_keys = staged.member_keys
        audience.data_source_sub_type = staged.data_source_sub_type
        audience.time_updated = max(audience.time_updated, done)
        job.record.stage = "processed"
        status = NORMAL
    job.record.end_time = done
    job.staged = None
    if audience.operation_status.get("code") != FLAGGED:  # an integrity flag set meanwhile stays
        audience.operation_status = dict(status)


# -- batches ---------------------------------------------------------------------------------------


def accept_batch(
    audience: Audience,
    session: SessionIn,
    payload: Payload,
    *,
    now: int,
    window_seconds: int,
    processing_seconds: int,
) -> UploadSession:
    """Check one ``usersreplace`` batch against Meta's session rules, then stage its rows.

    ``batch_seq`` 1 opens a session (once per session id); any other number adds to an open one,
    in any order. ``last_batch_flag`` closes it; refused batches change nothing.
    """
    settle(audience, now, processing_seconds)
    job = audience.replaces.get(session.session_id)
    if job is None:
        if session.batch_seq != 1:
            raise replace_error(
                INVALID_BATCH,
                f"no first batch (batch_seq 1) was accepted for session {session.session_id}; "
                "start the replace again with batch_seq 1 and a new session_id",
            )
        job = _open(audience, session, payload, now, window_seconds)
    else:
        _ensure_accepting(job, session)
        ensure_source(_staged(job), payload.sub_type)
    _stage(job, session, payload)
    if session.last_batch_flag:
        job.record.last_batch_flag_seen = True
        _close(job, now, processing_seconds)
        settle(audience, now, processing_seconds)
        if job.record.stage == "failed":
            raise replace_error(
                SOMETHING_WENT_WRONG,
                "the audience was not fully updated; check its size and run the replace again",
            )
    return job.record


def _open(audience: Audience, session: SessionIn, payload: Payload, now: int, window_seconds: int) -> ReplaceJob:
    """Batch 1 of a new session: refused while another update runs or for huge audiences."""
    if is_busy(audience):
        raise replace_error(
            UPDATE_IN_PROGRESS,
            "another replace of this audience is open or still processing; wait until its "
            "operation_status is 200 (Normal), then start again",
        )
    if approximate_size(audience) >= MAX_REPLACE_SIZE:
        raise replace_error(
            SIZE_NOT_SUPPORTED,
            "audiences of 100 million people or more cannot be replaced; use /users to add and remove members",
        )
    ensure_source(audience, payload.sub_type)
    staged = Audience(
        id=audience.id,
        account_id=audience.account_id,
        name=audience.name,
        data_source_sub_type=audience.data_source_sub_type,
    )
    record = UploadSession(session_id=session.session_id, op=REPLACE_OP, start_time=now)
    job = ReplaceJob(record=record, staged=staged, deadline=now + window_seconds)
    audience.sessions.append(record)
    audience.replaces[session.session_id] = job
    audience.operation_status = dict(IN_PROGRESS)
    return job


def _ensure_accepting(job: ReplaceJob, session: SessionIn) -> None:
    """A known session: finished (flag seen) beats timed out beats a repeated batch 1."""
    if job.record.last_batch_flag_seen:
        raise replace_error(
            SESSION_FINISHED,
            f"session {session.session_id} already received its last batch (last_batch_flag); "
            "add further members with /users once the replace has finished",
        )
    if job.timed_out:
        raise replace_error(
            SESSION_TIMED_OUT,
            f"session {session.session_id} passed its replace window; the audience is replaced with the "
            "batches received in time; add the rest with /users once the replace has finished",
        )
    if session.batch_seq == 1:
        raise replace_error(
            UPDATE_IN_PROGRESS,
            f"batch_seq 1 was already received for session {session.session_id}; a replace starts only once, "
            "send the other batches with batch_seq other than 1",
        )


def _stage(job: ReplaceJob, session: SessionIn, payload: Payload) -> None:
    add_members(_staged(job), payload)
    record = job.record
    record.num_received += payload.received
    record.num_valid += len(payload.rows)
    record.num_invalid_entries += payload.invalid
    record.batches += 1
    record.batch_seqs.append(session.batch_seq)


def session_view(record: UploadSession) -> dict[str, Any]:
    """A session as ``GET /_sim/audiences/{id}`` shows it: Graph fields, ``op`` and replace extras."""
    view: dict[str, Any] = {**record.render(), "op": record.op}
    if record.op == REPLACE_OP:
        view["batches"] = list(record.batch_seqs)
        view["last_batch_flag_seen"] = record.last_batch_flag_seen
    return view

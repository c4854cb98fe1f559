"""The AudienceReplace execution's state: the JSON document each replace task takes and returns.

This document is the contract with ``infra/statemachines/audience_replace.asl.json``: its Choice and
Wait states read the flags the tasks set (``check.ready``, ``stage.done``, ``send.busy`` …) and a
Catch writes the caught error into ``error``. The machine tests those flags with ``IsPresent``, so a
key a task never set must stay out of the JSON: a task's result is dumped with ``exclude_unset``.
Setting a field makes its key appear; replacing a whole part (``state.check = CheckState(...)``)
drops the keys the new part does not set. ``tests/unit/replace/test_state_contract.py`` checks every
path the ASL reads against this model.

The phases (:class:`Locked` … :class:`Processed`) are the same document with one more part
required; each task validates its input as the phase it runs in, so a missing part fails at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_serializer

from leadloop.observability import logger
from leadloop.replace.chunkset import Ranges
from leadloop.replace.errors import InvalidReplaceInput
from leadloop.replace.pack import PackProgress
from leadloop.replace.request import ReplaceRequest
from leadloop.replace.stage import StageProgress
from leadloop.validation import describe_problems


class Part(BaseModel):
    """A piece of the state: unknown keys are drift between the ASL and the code, so they fail."""

    model_config = ConfigDict(
        extra="forbid",
        validate_assignment=True,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )


class Document(Part):
    """A whole task input or result: validated when the task starts, dumped when it returns."""

    @classmethod
    def parse(cls, raw: object) -> Self:
        """The task's input as this model; InvalidReplaceInput names the fields at fault, never values."""
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            raise InvalidReplaceInput(f"invalid replace state: {describe_problems(exc, root='state')}") from None

    def dump(self) -> dict[str, Any]:
        """The JSON the state machine gets back: only the keys a task set (see the module docstring)."""
        return self.model_dump(mode="json", exclude_unset=True, by_alias=True)


# ---------------------------------------------------------------------- parts
class RunParams(Part):
    """``run``: fixed by ``begin`` (the first eight), then what later tasks learn about the run."""

    run_id: str
    audience_id: str
    schema_keys: list[str] = Field(alias="schema")
    chunk_rows: int
    concurrency: int
    dry_run: bool
    source: Literal["leads", "s3_csv"]
    #: The leads cutoff (epoch seconds), fixed once so it does not move while staging runs.
    since: int | None
    #: Task invocations so far (:mod:`leadloop.replace.history`), set after every task.
    steps: int = 0
    account_id: str | None = None
    locked: bool = False
    chunks: int = 0


class Times(Part):
    """``times``: epoch seconds of each milestone, in the order a run reaches them."""

    started: int
    staged: int | None = None
    packed: int | None = None
    session_opened: int | None = None
    session_closed: int | None = None
    processed: int | None = None
    finished: int | None = None


class CheckState(Part):
    """``check``: is the audience ready for a replace, or how long to wait before asking again."""

    attempts: int = 0
    ready: bool = False
    waited: int = 0
    wait_seconds: int = 0


class StageState(Part):
    """``stage``: the source's cursor between stage invocations, and the counts so far."""

    done: bool
    #: The source's own resume point (:mod:`leadloop.replace.sources`): keys and offsets, never rows.
    cursor: dict[str, Any] | None
    progress: StageProgress = Field(default_factory=StageProgress)


class PackState(Part):
    """``pack``: how far deduping and chunking got."""

    done: bool
    progress: PackProgress = Field(default_factory=PackProgress)


class SendState(Part):
    """``send``: the replace session at Meta, from batch 1 to the closing batch."""

    session_id: int
    attempts: int = 0
    restarts: int = 0
    waited: int = 0
    busy: bool = False
    restart: bool = False
    wait_seconds: int = 0
    opened_at: int = 0
    #: The next chunk number to send.
    next: int = 0
    received: int = 0
    invalid: int = 0
    calls: int = 0
    closed: bool = False
    done: bool = False
    window_over: bool = False
    #: Chunks left for ``/users`` after the replace (:mod:`leadloop.replace.chunkset` ranges).
    overflow: Ranges = Field(default_factory=list)


class PollState(Part):
    """``poll``: waiting for Meta to finish processing the closed session."""

    done: bool
    since: int
    wait_seconds: int = 0
    status: int = 0


class OverflowState(Part):
    """``overflow``: adding the chunks that missed the window, by index into ``send.overflow``."""

    next: int
    done: bool
    rows: int
    received: int
    invalid: int
    calls: int = 0


class CaughtError(Part):
    """``error``: what a Catch (``ResultPath: $.error``) records about the failed task."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(default="", alias="Error")
    cause: str | None = Field(default=None, alias="Cause")


# ---------------------------------------------------------------------- documents
class BeginInput(Document):
    """What ``begin`` gets: the execution input as typed, and the execution's name."""

    input: Any = None
    run_id: str | None = None


class ReplaceState(Document):
    """The state from ``begin`` on; later parts appear as the run reaches them."""

    request: ReplaceRequest
    run: RunParams
    times: Times
    check: CheckState
    stage: StageState | None = None
    pack: PackState | None = None
    send: SendState | None = None
    poll: PollState | None = None
    overflow: OverflowState | None = None
    error: CaughtError | None = None

    @field_serializer("request")
    def _whole_request(self, request: ReplaceRequest) -> dict[str, Any]:
        """Every key of the request, the unset ones too, exactly as ``begin`` first wrote it."""
        return request.model_dump(mode="json")


class Locked(ReplaceState):
    """After ``lock``: staging may start."""

    stage: StageState


class Staged(Locked):
    """After the last ``stage``: packing may start."""

    pack: PackState


class Packed(Staged):
    """After the last ``pack``: a session is named and chunks may be sent."""

    send: SendState


class Closed(Packed):
    """After ``close``: Meta is processing the session."""

    poll: PollState


class Processed(Closed):
    """After the last ``poll``: the overflow may be added."""

    overflow: OverflowState


class Ended(Document):
    """What ``finish`` and ``fail`` return; the machine's output is ``$.outcome``."""

    outcome: dict[str, Any]


# ---------------------------------------------------------------------- the fail task's input
class _Rejected(BaseModel):
    """A run that failed before ``begin`` wrote its state: the execution input with the caught error."""

    model_config = ConfigDict(extra="ignore")

    error: CaughtError = Field(default_factory=CaughtError)


@dataclass(frozen=True)
class Failure:
    """What ``fail`` records: the run's state when there is one, and the error that stopped it."""

    state: ReplaceState | None
    error: CaughtError
    #: The run alone, when the state around it no longer reads: enough to release its lock.
    run: RunParams | None = None

    @classmethod
    def parse(cls, raw: object) -> Failure:
        """Never raises: a failure must be recorded whatever the input that led to it."""
        try:
            state = ReplaceState.model_validate(raw)
        except ValidationError as exc:
            run = None
            if isinstance(raw, dict) and "run" in raw:
                problems = describe_problems(exc, root="state")
                run = _run_alone(raw["run"])
                logger.warning(
                    "replace state unreadable: failure recorded with its run only",
                    extra={"problems": problems, "run_readable": run is not None},
                )
            try:
                error = _Rejected.model_validate(raw).error
            except ValidationError:
                error = CaughtError()
            return cls(state=None, error=error, run=run)
        return cls(state=state, error=state.error or CaughtError())


def _run_alone(raw: object) -> RunParams | None:
    try:
        return RunParams.model_validate(raw)
    except ValidationError:
        return None

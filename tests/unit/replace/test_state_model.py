"""The replace state model: strict on the way in, and on the way out exactly the JSON the tasks wrote."""

from __future__ import annotations

from typing import Any

import pytest

from leadloop.replace import outcome
from leadloop.replace.errors import InvalidReplaceInput
from leadloop.replace.state import (
    BeginInput,
    CheckState,
    Closed,
    Failure,
    Locked,
    Packed,
    Processed,
    ReplaceState,
    Staged,
)

from . import states


@pytest.mark.parametrize("document", states.RUN, ids=lambda f: f.__name__)
def test_a_state_of_a_run_dumps_back_to_the_same_json(document: Any) -> None:
    # Given a state as a task returned it
    given = document()
    # When it is validated and dumped again
    dumped = ReplaceState.parse(given).dump()
    # Then nothing was added, dropped or changed
    assert dumped == given


def test_a_key_never_set_stays_out_of_the_json() -> None:
    # Given a run whose check found the audience ready
    state = ReplaceState.parse(states.checked())
    # When the next check replaces the part without waiting
    state.check = CheckState(attempts=2, ready=True)
    # Then the waiting keys of the part before are gone
    assert state.dump()["check"] == {"attempts": 2, "ready": True}


def test_setting_a_field_puts_its_key_in_the_json() -> None:
    # Given a run before the lock
    state = ReplaceState.parse(states.checked())
    # When the lock task marks it locked
    state.run.locked = True
    # Then the key appears
    assert state.dump()["run"]["locked"] is True


def test_the_request_keeps_its_null_keys() -> None:
    # Given a state whose request leaves the optional fields empty
    state = ReplaceState.parse(states.begun())
    # When it is dumped
    request = state.dump()["request"]
    # Then the empty fields are still there, as null
    assert request["source"] == {"type": "leads", "form_ids": None, "since_days": None}


def test_an_unknown_key_is_refused_by_name() -> None:
    # Given a state with a key the model does not know
    document = states.packed()
    document["send"]["speed"] = 3
    # When a task reads it
    # Then it fails as invalid input naming the key
    with pytest.raises(InvalidReplaceInput, match=r"^invalid replace state: send\.speed: Extra inputs"):
        Packed.parse(document)


def test_a_missing_key_is_refused_by_name() -> None:
    # Given a state whose run lost its chunk size
    document = states.begun()
    del document["run"]["chunk_rows"]
    # When a task reads it
    # Then it fails naming the key
    with pytest.raises(InvalidReplaceInput, match=r"run\.chunk_rows: Field required"):
        ReplaceState.parse(document)


def test_a_value_of_the_wrong_type_is_refused_without_repeating_it() -> None:
    # Given a state whose flag is not a boolean
    document = states.staged()
    document["stage"]["done"] = "maybe-a-secret"
    # When a task reads it
    with pytest.raises(InvalidReplaceInput) as raised:
        Staged.parse(document)
    # Then the error names the field, not the value
    assert "stage.done" in str(raised.value)
    assert "maybe-a-secret" not in str(raised.value)


def test_a_state_that_is_not_an_object_is_refused() -> None:
    # Given a list where the state should be
    # When a task reads it
    # Then it fails as invalid input
    with pytest.raises(InvalidReplaceInput, match="invalid replace state"):
        ReplaceState.parse([states.begun()])


@pytest.mark.parametrize(
    ("phase", "document", "part"),
    [
        (Locked, states.checked, "stage"),
        (Staged, states.locked, "pack"),
        (Packed, states.staged, "send"),
        (Closed, states.packed, "poll"),
        (Processed, states.closed, "overflow"),
    ],
    ids=lambda v: getattr(v, "__name__", str(v)),
)
def test_each_phase_requires_the_part_its_task_works_on(phase: type[ReplaceState], document: Any, part: str) -> None:
    # Given the state one phase too early
    # When the task of `phase` reads it
    # Then it fails naming the missing part
    with pytest.raises(InvalidReplaceInput, match=rf"{part}: Field required"):
        phase.parse(document())


def test_begin_reads_the_execution_input_as_it_came() -> None:
    # Given Begin's parameters with an input that is not even an object
    # When begin's model reads them
    begun = BeginInput.parse({"input": [1, 2], "run_id": "run-1"})
    # Then the input is kept for the request's own validation
    assert begun.input == [1, 2]


def test_a_failure_after_begin_keeps_the_state_and_the_error() -> None:
    # Given a caught error on a state after the lock
    # When the fail task reads it
    failure = Failure.parse(states.caught(states.processed(), "ReplaceFailed", "415"))
    # Then both the run and the error are there
    assert failure.state is not None
    assert failure.state.run.locked is True
    assert (failure.error.name, failure.error.cause) == ("ReplaceFailed", "415")


def test_a_failure_before_begin_keeps_only_the_error() -> None:
    # Given a caught error on the execution input itself (Begin refused it)
    rejected = states.caught({"audience_id": "x1", "source": {"type": "leads"}}, "InvalidReplaceInput")
    # When the fail task reads it
    failure = Failure.parse(rejected)
    # Then there is no run, only the error
    assert failure.state is None
    assert failure.error.name == "InvalidReplaceInput"


@pytest.mark.parametrize(
    "document",
    [{"run": "not a run", "times": 3}, {"error": "not an error"}, {}],
    ids=["junk parts", "junk error", "empty"],
)
def test_a_failure_is_read_whatever_the_input(document: dict[str, Any]) -> None:
    # Given an input the replace state model refuses
    # When the fail task reads it
    failure = Failure.parse(document)
    # Then it still gets a failure to record, with no run
    assert failure.state is None


class _RecordingRecords:
    def __init__(self) -> None:
        self.released: list[tuple[str, str]] = []
        self.outcomes: list[tuple[str, str, dict[str, Any]]] = []

    def release_lock(self, audience_id: str, run_id: str) -> bool:
        self.released.append((audience_id, run_id))
        return True

    def write_outcome(self, audience_id: str, run_id: str, started: int, outcome: dict[str, Any]) -> None:
        self.outcomes.append((audience_id, run_id, outcome))


class _Deps:
    def __init__(self) -> None:
        self.records = _RecordingRecords()

    @staticmethod
    def clock() -> float:
        return float(states.T0 + 400)


def _locked_run_with_a_broken_part() -> dict[str, Any]:
    document = states.caught(states.processed(), "ReplaceFailed", "415")
    document["pack"] = "no longer a pack"
    return document


def test_a_failure_whose_state_no_longer_reads_keeps_its_run() -> None:
    # Given a caught error on a locked run whose pack part no longer validates
    # When the fail task reads it
    failure = Failure.parse(_locked_run_with_a_broken_part())
    # Then the state is gone but the run is kept
    assert failure.state is None
    assert failure.run is not None
    assert failure.run.locked is True


def test_a_failure_whose_state_no_longer_reads_still_releases_the_lock_and_records_the_run() -> None:
    # Given a caught error on a locked run whose pack part no longer validates
    document = _locked_run_with_a_broken_part()
    deps = _Deps()
    # When the fail task runs
    ended = outcome.fail(Failure.parse(document), deps, lambda: 100.0)  # type: ignore[arg-type]
    # Then the run's lock is released
    assert deps.records.released == [(document["run"]["audience_id"], document["run"]["run_id"])]
    # And the outcome is recorded under the run, as failed with the caught error
    assert [(a, r) for a, r, _ in deps.records.outcomes] == deps.records.released
    assert (ended.outcome["status"], ended.outcome["error"]) == ("failed", "ReplaceFailed")
    assert ended.outcome["lock_released"] is True

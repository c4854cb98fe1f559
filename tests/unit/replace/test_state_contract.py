"""The AudienceReplace ASL and the replace state model agree: a drift between them fails here.

Every path the state machine reads (Choice rules, Wait seconds, Begin's parameters, the Catch's
ResultPath, Finish's OutputPath and the Fail state's error and cause) must name a field of the
model and, for the flags the machine routes on, be present with the right type in a dumped state
of a realistic run (:mod:`tests.unit.replace.states`).
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Iterator
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from leadloop.replace import outcome
from leadloop.replace.state import BeginInput, CaughtError, Ended, Failure, ReplaceState

from . import states

ASL = Path(__file__).resolve().parents[3] / "infra" / "statemachines" / "audience_replace.asl.json"
_STATES: dict[str, Any] = json.loads(ASL.read_text())["States"]


# ---------------------------------------------------------------------- what the ASL reads
def _rules(rule: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A Choice rule and every rule nested in it (And, Or, Not)."""
    yield rule
    for nested in [*rule.get("And", []), *rule.get("Or", []), *([rule["Not"]] if "Not" in rule else [])]:
        yield from _rules(nested)


def _flag_reads() -> list[tuple[str, str, type]]:
    """(state, path, type) for every value the machine routes or waits on."""
    reads: list[tuple[str, str, type]] = []
    for name, state in _STATES.items():
        for choice in state.get("Choices", []):
            for rule in _rules(choice):
                if "Variable" in rule and "BooleanEquals" in rule:
                    reads.append((name, rule["Variable"], bool))
        if "SecondsPath" in state:
            reads.append((name, state["SecondsPath"], int))
    return reads


def _state_paths() -> set[str]:
    """Every ``$.`` path a Choice or Wait state reads from the replace state (presence checks too)."""
    paths = {path for _, path, _ in _flag_reads()}
    for state in _STATES.values():
        for choice in state.get("Choices", []):
            paths |= {rule["Variable"] for rule in _rules(choice) if "Variable" in rule}
    return paths - {"$.audience_id"}  # ReadInput reads the execution input, before Begin


def _resolve(document: Any, path: str) -> Any:
    """The value at a ``$.a.b`` path; KeyError when a key on the way is absent."""
    value = document
    for key in path.removeprefix("$.").split("."):
        if not isinstance(value, dict):
            raise KeyError(path)
        value = value[key]
    return value


def _dumped_run() -> list[dict[str, Any]]:
    return [ReplaceState.parse(document()).dump() for document in states.RUN]


# ---------------------------------------------------------------------- the model's side
def _field_type(model: type[Any], key: str) -> Any:
    """The annotation of ``model``'s field named (or aliased) ``key``; KeyError when there is none."""
    if isinstance(model, type) and issubclass(model, BaseModel):
        by_key = {(info.alias or name): info.annotation for name, info in model.model_fields.items()}
        return by_key[key]
    if is_dataclass(model):
        return {f.name: f.type for f in fields(model)}[key]
    raise KeyError(key)


def _unwrap(annotation: Any) -> Any:
    """``X | None`` → ``X``."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        [inner] = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return inner
    return annotation


def _model_has(model: type[Any], path: str) -> bool:
    current: Any = model
    try:
        for key in path.removeprefix("$.").split("."):
            current = _unwrap(_field_type(current, key))
    except KeyError:
        return False
    return True


# ---------------------------------------------------------------------- tests
def test_the_asl_routes_on_flags_of_the_state() -> None:
    # Given the ASL
    # When its Choice and Wait states are read
    reads = _flag_reads()
    # Then they route on the flags this test checks (the walk itself found them)
    assert {path for _, path, _ in reads} >= {"$.check.ready", "$.send.busy", "$.poll.wait_seconds"}


@pytest.mark.parametrize("path", sorted(_state_paths()))
def test_every_path_the_asl_reads_is_a_field_of_the_model(path: str) -> None:
    # Given a path a Choice or Wait state reads
    # When it is looked up in the state model's fields (by their JSON names)
    # Then the model has it
    assert _model_has(ReplaceState, path), f"{path} is read by the ASL but is no field of ReplaceState"


@pytest.mark.parametrize("path", sorted(_state_paths()))
def test_every_path_the_asl_reads_appears_in_a_dumped_state_of_a_run(path: str) -> None:
    # Given the states a realistic run returns, each validated and dumped by the model
    dumped = _dumped_run()
    # When the path is resolved in each
    found = [document for document in dumped if _has_path(document, path)]
    # Then at least one holds it
    assert found, f"no task of a run ever sets {path}"


@pytest.mark.parametrize(("state", "path", "kind"), _flag_reads(), ids=lambda v: getattr(v, "__name__", str(v)))
def test_a_value_the_machine_routes_on_has_the_type_its_rule_needs(state: str, path: str, kind: type) -> None:
    # Given every dumped state of a run that holds the path
    values = [_resolve(document, path) for document in _dumped_run() if _has_path(document, path)]
    # When their types are compared with what the rule in `state` needs
    wrong = [value for value in values if type(value) is not kind]
    # Then none differs (a Wait's seconds are an integer, a BooleanEquals reads a boolean)
    assert values and wrong == [], f"{state} reads {path} as {kind.__name__}: {wrong}"


def test_a_task_puts_its_result_at_the_root_and_a_catch_puts_the_error_in_the_error_field() -> None:
    # Given every Task state of the ASL
    tasks = [state for state in _STATES.values() if state["Type"] == "Task"]
    # When their ResultPath and their Catches' ResultPath are collected
    result_paths = {state["ResultPath"] for state in tasks}
    catch_paths = {catch["ResultPath"] for state in tasks for catch in state.get("Catch", [])}
    # Then a result replaces the whole state, and a caught error lands in a field of the model
    assert result_paths == {"$"}
    assert catch_paths == {"$.error"}
    assert _model_has(ReplaceState, "$.error")


def test_a_caught_error_as_step_functions_writes_it_is_read_by_the_model() -> None:
    # Given the error object a Catch writes
    error = {"Error": "States.TaskFailed", "Cause": '{"errorMessage": "boom"}'}
    # When the model reads it
    caught = CaughtError.model_validate(error)
    # Then both values are kept
    assert (caught.name, caught.cause) == ("States.TaskFailed", '{"errorMessage": "boom"}')


def test_every_task_after_begin_gets_the_whole_state() -> None:
    # Given the Task states other than Begin
    tasks = {name: s for name, s in _STATES.items() if s["Type"] == "Task" and name != "Begin"}
    # When their parameters are read
    parameters = {name: s["Parameters"].get("state.$") for name, s in tasks.items()}
    # Then each passes the state document as it is
    assert set(parameters.values()) == {"$"}


def test_begin_gets_exactly_the_fields_of_its_input_model() -> None:
    # Given Begin's parameters
    given = {key.removesuffix(".$") for key in _STATES["Begin"]["Parameters"]["state"]}
    # When they are compared with the model begin validates
    # Then they match field for field
    assert given == set(BeginInput.model_fields)


def test_finish_hands_the_machine_its_outcome() -> None:
    # Given Finish's OutputPath
    output_path = _STATES["Finish"]["OutputPath"]
    # When it is looked up in what finish returns
    # Then it is a field of that model
    assert _model_has(Ended, output_path)


class _Records:
    def release_lock(self, audience_id: str, run_id: str) -> bool:
        return True

    def write_outcome(self, *args: Any) -> None:
        return None


class _Deps:
    records = _Records()

    @staticmethod
    def clock() -> float:
        return float(states.T0 + 400)


@pytest.mark.parametrize(
    "document",
    [states.caught(states.processed()), states.caught({"audience_id": "x1", "source": {"type": "leads"}})],
    ids=["after the lock", "input rejected by begin"],
)
@pytest.mark.parametrize("field", ["error", "cause"])
def test_the_fail_state_finds_the_error_and_cause_it_reads(document: dict[str, Any], field: str) -> None:
    # Given what the fail task returns for a caught error
    ended = outcome.fail(Failure.parse(document), _Deps(), lambda: 100.0).dump()  # type: ignore[arg-type]
    # When the Fail state's ErrorPath and CausePath are resolved in it
    path = _STATES["Failed"][f"{field.title()}Path"]
    # Then each names a string
    assert isinstance(_resolve(ended, path), str)


def _has_path(document: dict[str, Any], path: str) -> bool:
    try:
        _resolve(document, path)
    except KeyError:
        return False
    return True

"""Fault registry: matching, times, probability, pass-through, rendering."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from leadloop_cli.graphsim.faults import FaultRegistry, FaultSpec, fault_response


def _spec(**kwargs: Any) -> FaultSpec:
    return FaultSpec.model_validate(kwargs)


def test_times_use_up_and_remove_the_fault():
    registry = FaultRegistry()
    registry.add(_spec(path="leads", status=500, times=2))
    hits = [registry.match("GET", "/v25.0/1/leads", in_batch=False).fault for _ in range(3)]
    assert [h is not None for h in hits] == [True, True, False]
    assert registry.describe() == []


def test_after_lets_the_first_matching_calls_pass():
    registry = FaultRegistry()
    registry.add(_spec(path="usersreplace", status=500, after=2, times=1))
    assert registry.match("POST", "/v26.0/9/users", in_batch=False).fault is None  # not matching: not counted
    hits = [registry.match("POST", "/v26.0/9/usersreplace", in_batch=False).fault for _ in range(4)]
    assert [h is not None for h in hits] == [False, False, True, False]


def test_probability_is_seeded():
    def pattern(seed: int) -> list[bool]:
        registry = FaultRegistry(seed)
        registry.add(_spec(path=".", status=500, probability=0.3))
        return [registry.match("GET", "/x", in_batch=False).fault is not None for _ in range(50)]

    assert pattern(1) == pattern(1)
    assert pattern(1) != pattern(2)
    assert 0 < sum(pattern(1)) < 50


def test_probability_miss_does_not_use_times():
    registry = FaultRegistry()
    registry.add(_spec(path=".", status=500, probability=0.0, times=1))
    registry.match("GET", "/x", in_batch=False)
    assert registry.describe()[0]["remaining"] == 1


def test_pass_through_faults_stack_and_first_answering_fault_wins():
    registry = FaultRegistry()
    registry.add(_spec(path=".", latency_ms=100, headers={"A": "1"}))
    first = registry.add(_spec(path="lead", status=503))
    registry.add(_spec(path=".", status=500))
    outcome = registry.match("GET", "/v25.0/lead", in_batch=False)
    assert outcome.latency_s == pytest.approx(0.1)
    assert outcome.headers == {"A": "1"}
    assert outcome.fault is not None and outcome.fault.id == first


def test_batch_null_only_matches_batch_items_and_method_filter():
    registry = FaultRegistry()
    registry.add(_spec(path=".", batch_null=True))
    registry.add(_spec(path=".", method="delete", status=500))
    assert registry.match("GET", "/x", in_batch=False).fault is None
    assert registry.match("GET", "/x", in_batch=True).fault is not None
    assert registry.match("DELETE", "/x", in_batch=False).fault is not None


@pytest.mark.parametrize(
    ("spec", "status", "code"),
    [
        ({"status": 500}, 500, 1),
        ({"status": 503}, 503, 2),
        ({"status": 429}, 429, 4),
        ({"status": 403}, 403, 200),
        ({"error": {"code": 2}}, 500, 2),
        ({"error": {"code": 80004, "error_subcode": 2446079}}, 400, 80004),
        ({"error": {"code": 10}}, 403, 10),
        ({"error": {"code": 190}, "status": 401}, 401, 190),
    ],
)
def test_fault_response_shapes(spec, status, code):
    got_status, body, _ = fault_response(_spec(path=".", **spec))
    assert got_status == status
    assert body["error"]["code"] == code
    assert set(body["error"]) >= {"message", "type", "code", "is_transient", "fbtrace_id"}


def test_body_override_including_null():
    assert fault_response(_spec(path=".", body=None))[:2] == (200, None)
    assert fault_response(_spec(path=".", body=[1], status=201))[:2] == (201, [1])


def test_invalid_specs():
    for bad in ({}, {"path": "("}, {"path": ".", "probability": 2}, {"path": ".", "status": 99}):
        with pytest.raises(ValidationError):
            FaultSpec.model_validate(bad)

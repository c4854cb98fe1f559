"""Leadgen budget arithmetic on the virtual clock."""

from __future__ import annotations

import json

import pytest

from leadloop_cli.graphsim.clock import VirtualClock
from leadloop_cli.graphsim.config import SimConfig
from leadloop_cli.graphsim.errors import GraphError
from leadloop_cli.graphsim.models import FieldAnswer
from leadloop_cli.graphsim.state import SimState
from leadloop_cli.graphsim.usage import UsageTracker


@pytest.fixture
def world():
    clock = VirtualClock(1_800_000_000, frozen=True)
    state = SimState(SimConfig(app_id="1", app_secret="s"), clock)
    state.add_page("p", "t")
    state.add_form("f", "p")
    return clock, state, UsageTracker(clock, state)


def _lead(state: SimState, created: int) -> None:
    state.create_lead(page_id="p", form_id="f", field_data=[FieldAnswer("e", ("x",))], created_time=created)


def test_budget_formula_counts_leads_of_last_90_days(world):
    clock, state, usage = world
    assert usage.leadgen_budget("p") == 4800  # min 1 lead
    _lead(state, clock.now() - 91 * 86_400)
    _lead(state, clock.now() - 89 * 86_400)
    _lead(state, clock.now())
    assert usage.leadgen_budget("p") == 9600


def test_regain_time_follows_the_oldest_call(world):
    clock, _, usage = world
    usage.set_leadgen_budget("p", 2)
    usage.leadgen_call("p")
    clock.advance(3600)
    usage.leadgen_call("p")
    with pytest.raises(GraphError) as caught:
        usage.leadgen_call("p")
    assert caught.value.code == 80005
    buc = json.loads(caught.value.headers["X-Business-Use-Case-Usage"])["p"][0]
    assert buc["estimated_time_to_regain_access"] == 23 * 60
    clock.advance(23 * 3600 + 1)
    assert json.loads(usage.leadgen_call("p")["X-Business-Use-Case-Usage"])["p"][0]["call_count"] == 100


def test_refused_calls_are_not_counted(world):
    clock, _, usage = world
    usage.set_leadgen_budget("p", 1)
    usage.leadgen_call("p")
    for _ in range(5):
        with pytest.raises(GraphError):
            usage.leadgen_call("p")
    clock.advance(86_401)
    usage.leadgen_call("p")


def test_zero_budget_reports_whole_window(world):
    _, _, usage = world
    usage.set_leadgen_budget("p", 0)
    with pytest.raises(GraphError) as caught:
        usage.leadgen_call("p")
    buc = json.loads(caught.value.headers["X-Business-Use-Case-Usage"])["p"][0]
    assert buc["estimated_time_to_regain_access"] == 1440


def test_negative_budget_rejected(world):
    with pytest.raises(ValueError):
        world[2].set_leadgen_budget("p", -1)

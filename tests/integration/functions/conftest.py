"""Fixtures: each handler on moto (resources provisioned from infra/template.yaml) plus the Graph simulator.

The function's environment is exactly what the template gives it, so a test fails when the
template and the code disagree about a variable. The helpers live in ``tests.support.moto_stack``
(the stack, the seed ids) and ``tests.support.events`` (the events the functions receive).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from leadloop_cli.graphsim import GraphSimulator
from tests.support.moto_stack import Env, provisioned, seeded_simulator


@pytest.fixture
def sim() -> Iterator[GraphSimulator]:
    simulator = seeded_simulator()
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
def env(sim: GraphSimulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    with provisioned(sim, monkeypatch) as provisioned_env:
        yield provisioned_env

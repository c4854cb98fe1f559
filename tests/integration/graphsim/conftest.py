"""Fixtures: a running simulator with two Pages, a signed client, a webhook receiver (``tests.support.graphsim``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from leadloop_cli.graphsim import GraphSimulator
from tests.support.graphsim import Receiver, SignedClient, SimIds, seeded_simulator


@pytest.fixture
def sim() -> Iterator[GraphSimulator]:
    simulator = seeded_simulator()
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
def graph(sim: GraphSimulator) -> Iterator[SignedClient]:
    client = SignedClient(sim=sim, base_url=sim.base_url)
    yield client
    client.session.close()


@pytest.fixture
def ids() -> SimIds:
    return SimIds()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    endpoint = Receiver()
    yield endpoint
    endpoint.close()

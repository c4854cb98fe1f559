"""Fixtures for the local stack's integration tests (helpers live in devstack_support.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from leadloop_cli.devstack import LocalStack
from tests.integration.devstack.devstack_support import TEMPLATE, StubGraphSimulator


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """One local stack (fixture template, stub Graph) per test module."""
    tmp = tmp_path_factory.mktemp("devstack")
    with LocalStack(
        TEMPLATE,
        log_file=tmp / "devstack.log",
        write_state_file=False,
        graph_factory=StubGraphSimulator,
    ) as running:
        yield running

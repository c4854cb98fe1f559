"""Fixtures: the local stack started exactly as a user starts it (``tests.support.cli.running_stack``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from leadloop_cli.stackclient import StackClient
from tests.support.cli import running_stack


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackClient]:
    with running_stack(tmp_path_factory.mktemp("state")) as client:
        yield client


@pytest.fixture(autouse=True)
def _no_fault_outlives_its_test(stack: StackClient) -> Iterator[None]:
    """Faults are per test: one left half-spent would fail an unrelated test's Graph call."""
    yield
    stack.clear_faults()

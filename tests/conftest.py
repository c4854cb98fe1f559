"""How `make test` spreads the suite over processes (pytest-xdist, ``--dist loadgroup``).

Each test module is one group, so a module and its module-scoped local stack stay in one process.
The two e2e modules that load the machine most (hundreds of leads with faults) share a group, so
they never run at the same time and starve each other's waits on a 2-core machine.
"""

from __future__ import annotations

import pytest

HEAVY_E2E = frozenset({"tests/e2e/test_load_e2e.py", "tests/e2e/test_capture_e2e.py"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        module = item.nodeid.split("::", 1)[0]
        item.add_marker(pytest.mark.xdist_group("heavy-e2e" if module in HEAVY_E2E else module))

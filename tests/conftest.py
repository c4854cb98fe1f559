"""How `make test` means to spread the suite over processes (pytest-xdist, ``--dist loadgroup``).

The intent: each test module is one group, so a module and its module-scoped local stack stay in
one process; the two e2e modules that load the machine most share a group, so they never run at
the same time on a 2-core machine.

What happens today: pytest 9.2 ignores these marks under ``--dist loadgroup`` (pytest-xdist issue
1386: xdist rewrites ``_nodeid``, which pytest 9.2 no longer reads), so every test is its own unit
and each e2e test starts its own local stack. Grouping by module again (a scope scheduler through
``pytest_xdist_make_scheduler``) was tried: 37 e2e tests pass on shared module stacks when run
alone, but in the full run ``test_200_deliveries…`` timed out after the demo on the shared capture
stack, so the suite stays as it has been green until that is understood.
"""

from __future__ import annotations

import pytest

HEAVY_E2E = frozenset({"tests/e2e/test_load_e2e.py", "tests/e2e/test_capture_e2e.py"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        module = item.nodeid.split("::", 1)[0]
        item.add_marker(pytest.mark.xdist_group("heavy-e2e" if module in HEAVY_E2E else module))

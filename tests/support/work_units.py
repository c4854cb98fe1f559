"""How `make test` spreads the suite over processes (pytest-xdist, ``--dist loadgroup``).

Each test module is one unit of work, so a module and its module-scoped local stack stay in one
process and the stack starts once. The two e2e modules that load the machine most (hundreds of
leads with faults) are one unit, so they never run at the same time and starve each other's waits
on a 2-core machine. Units go out in collection order, so the long e2e units start first.

xdist's own ``loadgroup`` reads ``xdist_group`` marks by rewriting node ids, which pytest 9.2 no
longer honours (pytest-xdist issue 1386: the marks are silently ignored and every test becomes its
own unit). :class:`ModuleScheduling` groups by module itself and needs no marks.
"""

from __future__ import annotations

from xdist.scheduler import LoadScopeScheduling

HEAVY_E2E = frozenset({"tests/e2e/test_load_e2e.py", "tests/e2e/test_capture_e2e.py"})
HEAVY_E2E_UNIT = "heavy-e2e"


def work_unit(nodeid: str) -> str:
    """The unit a test runs in: its module, or the heavy e2e unit."""
    module = nodeid.split("::", 1)[0]
    return HEAVY_E2E_UNIT if module in HEAVY_E2E else module


class ModuleScheduling(LoadScopeScheduling):  # type: ignore[misc]  # xdist ships no types
    """xdist's scope scheduling, with :func:`work_unit` as the scope."""

    def _split_scope(self, nodeid: str) -> str:
        return work_unit(nodeid)

"""Test-run wiring: how pytest-xdist spreads the suite (see :mod:`tests.support.work_units`)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.work_units import ModuleScheduling


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> ModuleScheduling | None:
    if config.getvalue("dist") != "loadgroup":
        return None  # any other --dist keeps xdist's own scheduling
    config.option.loadscopereorder = False  # collection order: e2e units first, not most tests first
    return ModuleScheduling(config, log)

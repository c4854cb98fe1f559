"""The template fixture for the infra contract tests (helpers in ``tests.support.template``)."""

from __future__ import annotations

import pytest

from tests.support.template import CfnTemplate, read_template


@pytest.fixture(scope="session")
def template() -> CfnTemplate:
    return CfnTemplate(read_template())

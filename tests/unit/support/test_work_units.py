"""make test's units of work: one per module, the heavy e2e modules together."""

from __future__ import annotations

from tests.support.work_units import HEAVY_E2E_UNIT, work_unit


def test_every_test_of_a_module_shares_its_unit() -> None:
    # Given two tests of one module, one of them parametrized with "::" and "@" in its id
    first = "tests/e2e/test_replace_e2e.py::test_a_csv_replace_with_columns_found_from_the_header"
    second = "tests/e2e/test_replace_e2e.py::test_x[a::b@c]"
    # Then both run in the module's unit, so its module-scoped stack starts once
    assert work_unit(first) == work_unit(second) == "tests/e2e/test_replace_e2e.py"


def test_the_heavy_e2e_modules_share_one_unit() -> None:
    # Given a test of each heavy e2e module
    load = "tests/e2e/test_load_e2e.py::test_300_leads"
    capture = "tests/e2e/test_capture_e2e.py::test_webhook_http_contract"
    # Then they run in one unit, one after the other
    assert work_unit(load) == work_unit(capture) == HEAVY_E2E_UNIT


def test_a_class_of_tests_runs_in_its_modules_unit() -> None:
    assert work_unit("tests/unit/x/test_y.py::TestZ::test_w") == "tests/unit/x/test_y.py"

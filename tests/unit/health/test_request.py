"""The on-demand event: known checks only, a numeric page id, and schedule events run everything."""

from __future__ import annotations

import pytest

from leadloop.health.request import HealthRequest, InvalidHealthRequest, parse_request


@pytest.mark.parametrize(
    "event", [{"trigger": "schedule"}, {}, None, [], "run", {"source": "aws.scheduler", "detail": {}}]
)
def test_schedule_and_empty_events_run_everything(event):
    assert parse_request(event) == HealthRequest(page_id=None, checks=None)


def test_a_page_and_checks_are_read():
    request = parse_request({"page_id": "111", "checks": ["token", "webhook_drift"]})
    assert request.page_id == "111" and request.checks == ["token", "webhook_drift"]


def test_a_numeric_page_id_is_accepted_as_text():
    assert parse_request({"page_id": 123456789012345}).page_id == "123456789012345"


@pytest.mark.parametrize("page_id", ["", "abc", "111/leads", "1" * 31, "-1", "12 34"])
def test_a_malformed_page_id_is_refused(page_id):
    with pytest.raises(InvalidHealthRequest, match="page_id"):
        parse_request({"page_id": page_id})


def test_unknown_checks_are_refused_naming_the_known_ones():
    with pytest.raises(InvalidHealthRequest) as caught:
        parse_request({"checks": ["token", "nope"]})
    assert "nope" in str(caught.value) and "webhook_drift" in str(caught.value)


@pytest.mark.parametrize("checks", ["token", [1], {"token": True}])
def test_checks_must_be_a_list_of_names(checks):
    with pytest.raises(InvalidHealthRequest, match="checks"):
        parse_request({"checks": checks})

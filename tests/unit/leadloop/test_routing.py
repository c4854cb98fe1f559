import pytest
from pydantic import ValidationError

from leadloop.routing import Routing


def test_a_full_form_route_parses():
    routing = Routing.model_validate(
        {
            "version": 1,
            "forms": [
                {
                    "form_id": 1,
                    "page_id": "2",
                    "audience_ids": ["3"],
                    "default_country": "us",
                    "schema": ["EMAIL", "PHONE"],
                    "ldu": True,
                }
            ],
        }
    )
    route = routing.form("1")
    assert route is not None and route.schema_keys == ["EMAIL", "PHONE"] and route.ldu
    assert routing.form("9") is None


@pytest.mark.parametrize(
    "form",
    [
        {"form_id": "x1", "page_id": "2"},
        {"form_id": "1", "page_id": "2", "schema": ["EMAIL", "SSN"]},
        {"form_id": "1", "page_id": "2", "schema": ["EMAIL", "EMAIL"]},
        {"form_id": "1", "page_id": "2", "default_country": "USA"},
        {"form_id": "1", "page_id": "2", "surprise": True},
    ],
)
def test_bad_routes_are_refused(form):
    with pytest.raises(ValidationError):
        Routing.model_validate({"version": 1, "forms": [form]})


def test_a_form_may_appear_once():
    with pytest.raises(ValidationError):
        Routing.model_validate({"forms": [{"form_id": "1", "page_id": "2"}, {"form_id": "1", "page_id": "3"}]})

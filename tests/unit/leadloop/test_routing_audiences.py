"""The routing's ``audiences`` section: each audience's ad account and nightly replace."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from leadloop.replace.request import LeadsSource, S3CsvSource
from leadloop.routing import Routing

CSV = {
    "type": "s3_csv",
    "bucket": "crm-exports",
    "key": "exports/crm-{yyyy}-{mm}-{dd}.csv",
    "mapping": {"Email": "email"},
}


def routing(audiences: dict[str, Any], forms: list[dict[str, Any]] | None = None) -> Routing:
    return Routing.model_validate({"version": 1, "forms": forms or [], "audiences": audiences})


def test_audiences_are_keyed_by_id_with_an_account_and_an_optional_replace():
    r = routing(
        {
            "501": {"account_id": "act_42", "replace": {"source": {"type": "leads", "since_days": 30}}},
            "502": {"account_id": 42, "replace": {"source": CSV, "max_concurrency": 2}},
            "503": {"account_id": "43"},
        },
        forms=[{"form_id": "1", "page_id": "9", "audience_ids": ["501"]}],
    )
    assert {a: route.account_id for a, route in r.audiences.items()} == {"501": "42", "502": "42", "503": "43"}
    assert list(r.replaced_audiences()) == ["501", "502"]
    leads, csv = r.audiences["501"].replace, r.audiences["502"].replace
    assert leads is not None and isinstance(leads.source, LeadsSource) and leads.source.since_days == 30
    # The replace's own source model: the mapping is checked and normalized exactly as the state machine does.
    assert csv is not None and isinstance(csv.source, S3CsvSource) and csv.source.mapping == {"Email": "EMAIL"}
    assert csv.max_concurrency == 2


def test_a_document_without_audiences_is_still_valid():
    assert Routing.model_validate({"version": 1, "forms": []}).replaced_audiences() == {}


@pytest.mark.parametrize(
    ("entry", "where"),
    [
        ({"replace": {"source": {"type": "leads"}}}, "account_id"),
        ({"account_id": "act_x"}, "account_id"),
        ({"account_id": "1", "replace": {"source": {"type": "ftp"}}}, "source"),
        ({"account_id": "1", "replace": {"source": CSV | {"mapping": {"E": "SSN"}}}}, "SSN"),
        ({"account_id": "1", "replace": {"source": CSV | {"key": "crm-{day}.csv"}}}, "{day}"),
        ({"account_id": "1", "replace": {"source": {"type": "leads"}, "max_concurrency": 17}}, "max_concurrency"),
        ({"account_id": "1", "replace": {"source": {"type": "leads"}, "dry_run": True}}, "dry_run"),
        ({"account_id": "1", "extra": True}, "extra"),
    ],
)
def test_a_bad_entry_is_refused_with_its_field(entry: dict[str, Any], where: str):
    with pytest.raises(ValidationError, match=rf"(?s)audiences\.501.*{__import__('re').escape(where)}"):
        routing({"501": entry})


def test_audience_ids_are_ids():
    with pytest.raises(ValidationError, match="audiences"):
        routing({"act_501": {"account_id": "1"}})


def test_a_leads_replace_names_only_routed_forms():
    with pytest.raises(
        ValidationError, match=r"audiences\[501\]: replace.source.form_ids names forms not in forms: 77"
    ):
        routing(
            {"501": {"account_id": "1", "replace": {"source": {"type": "leads", "form_ids": ["1", "77"]}}}},
            forms=[{"form_id": "1", "page_id": "9"}],
        )


def test_an_audience_has_one_ad_account_in_the_whole_document():
    forms = [{"form_id": "1", "page_id": "9", "audience_ids": ["501"], "account_id": "act_7"}]
    with pytest.raises(ValidationError, match=r"audiences\[501\]: account_id 8 but forms feeding it say 7"):
        routing({"501": {"account_id": "act_8"}}, forms=forms)
    assert routing({"501": {"account_id": "act_7"}}, forms=forms).audiences["501"].account_id == "7"

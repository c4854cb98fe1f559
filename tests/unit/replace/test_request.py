"""parse_request: what the execution input may say, and errors that name fields, never values."""

from __future__ import annotations

from typing import Any

import pytest

from leadloop.replace.errors import InvalidReplaceInput
from leadloop.replace.request import LeadsSource, S3CsvSource, parse_request

AUDIENCE = "238000000000001"


def csv(**overrides: Any) -> dict[str, Any]:
    return {
        "type": "s3_csv",
        "bucket": "my-bucket",
        "key": "lists/people.csv",
        "mapping": {"Email": "EMAIL"},
    } | overrides


def test_leads_source_defaults() -> None:
    request = parse_request({"audience_id": AUDIENCE, "source": {"type": "leads"}})
    assert isinstance(request.source, LeadsSource)
    assert request.source.form_ids is None and request.source.since_days is None
    assert request.max_concurrency is None and request.dry_run is False


def test_numbers_are_accepted_as_ids() -> None:
    request = parse_request(
        {"audience_id": int(AUDIENCE), "source": {"type": "leads", "form_ids": [205000000000001], "since_days": 30}}
    )
    assert request.audience_id == AUDIENCE
    assert isinstance(request.source, LeadsSource) and request.source.form_ids == ["205000000000001"]


def test_mapping_keys_are_normalized_to_upper_case() -> None:
    request = parse_request(
        {"audience_id": AUDIENCE, "source": csv(mapping={"E-mail": " email ", "Phone": "Phone", "Id": "EXTERN_ID"})}
    )
    assert isinstance(request.source, S3CsvSource)
    assert request.source.mapping == {"E-mail": "EMAIL", "Phone": "PHONE", "Id": "EXTERN_ID"}
    assert list(request.source.mapping) == ["E-mail", "Phone", "Id"]  # order gives the schema


def test_two_columns_to_one_schema_key_are_refused() -> None:
    with pytest.raises(InvalidReplaceInput, match=r"source\.s3_csv\.mapping: .*same schema key"):
        parse_request({"audience_id": AUDIENCE, "source": csv(mapping={"Email": "EMAIL", "Mail": " email"})})


def test_unknown_schema_keys_are_named() -> None:
    with pytest.raises(InvalidReplaceInput, match="unknown schema keys: NAME, SSN"):
        parse_request({"audience_id": AUDIENCE, "source": csv(mapping={"a": "ssn", "b": "Name", "c": "EMAIL"})})


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"source": {"type": "leads"}}, "audience_id: Field required"),
        ({"audience_id": "abc", "source": {"type": "leads"}}, "audience_id: String should match pattern"),
        ({"audience_id": AUDIENCE}, "source: Field required"),
        ({"audience_id": AUDIENCE, "source": {"type": "ftp"}}, "source: Input tag 'ftp'"),
        ({"audience_id": AUDIENCE, "source": {"type": "leads", "since_days": 0}}, "source.leads.since_days"),
        ({"audience_id": AUDIENCE, "source": {"type": "leads", "form_ids": []}}, "source.leads.form_ids"),
        ({"audience_id": AUDIENCE, "source": {"type": "leads", "form_ids": ["x1"]}}, "source.leads.form_ids.0"),
        ({"audience_id": AUDIENCE, "source": csv(bucket="Bad_Bucket")}, "source.s3_csv.bucket"),
        ({"audience_id": AUDIENCE, "source": csv(key="")}, "source.s3_csv.key"),
        ({"audience_id": AUDIENCE, "source": csv(mapping={})}, "source.s3_csv.mapping"),
        ({"audience_id": AUDIENCE, "source": csv(default_country="USA")}, "source.s3_csv.default_country"),
        ({"audience_id": AUDIENCE, "source": csv(extra=1)}, "source.s3_csv.extra: Extra inputs"),
        ({"audience_id": AUDIENCE, "source": {"type": "leads"}, "max_concurrency": 17}, "max_concurrency"),
        ({"audience_id": AUDIENCE, "source": {"type": "leads"}, "max_concurrency": 0}, "max_concurrency"),
        ({"audience_id": AUDIENCE, "source": {"type": "leads"}, "dry_run": "maybe"}, "dry_run"),
        ({"audience_id": AUDIENCE, "source": {"type": "leads"}, "audience": 1}, "audience: Extra inputs"),
        ([1, 2], "input: Input should be"),
    ],
)
def test_errors_name_the_field(document: Any, field: str) -> None:
    with pytest.raises(InvalidReplaceInput) as caught:
        parse_request(document)
    assert str(caught.value).startswith("invalid replace input: ")
    assert field in str(caught.value)


def test_errors_never_echo_values() -> None:
    secret = "person.secret@example.com"
    with pytest.raises(InvalidReplaceInput) as caught:
        parse_request(
            {
                "audience_id": secret,
                "source": csv(key=secret * 60, bucket=secret, default_country=secret),
                "dry_run": secret,
            }
        )
    message = str(caught.value)
    assert "audience_id" in message and "source.s3_csv.key" in message and "dry_run" in message
    assert "secret" not in message


def test_error_chain_is_dropped() -> None:
    with pytest.raises(InvalidReplaceInput) as caught:
        parse_request({"audience_id": "x"})
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_model_round_trips_through_the_state() -> None:
    request = parse_request({"audience_id": AUDIENCE, "source": csv(default_country="us"), "max_concurrency": 4})
    assert parse_request(request.model_dump(mode="json")) == request

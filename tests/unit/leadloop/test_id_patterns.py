"""Meta ids are ASCII digits: every place that validates one refuses other scripts' digits.

``\\d`` in a pydantic pattern (Rust regex) matches any Unicode decimal digit, so ``١٢٣``
(Arabic-Indic) or ``１２３`` (full-width) would become keys and Graph paths Meta never returns.
"""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from leadloop.backfill.request import BackfillRequest
from leadloop.capture.messages import FetchRetryMessage
from leadloop.health.request import InvalidHealthRequest
from leadloop.health.request import parse_request as parse_health_request
from leadloop.leads.models import GraphLead
from leadloop.replace.errors import InvalidReplaceInput
from leadloop.replace.request import parse_request as parse_replace_request
from leadloop.routing import FormRoute
from leadloop.webhook.payload import parse_leadgen_notifications

ARABIC_INDIC = "\u0661\u0662\u0663\u0664"
FULL_WIDTH = "\uff11\uff12\uff13\uff14"
EXTENDED_ARABIC_INDIC = "\u06f1\u06f2\u06f3\u06f4"
NON_ASCII_DIGITS = pytest.mark.parametrize("digits", [ARABIC_INDIC, FULL_WIDTH, EXTENDED_ARABIC_INDIC])


@NON_ASCII_DIGITS
def test_webhook_leadgen_ids_and_page_ids(digits: str) -> None:
    values = ({"leadgen_id": digits}, {"leadgen_id": "1", "page_id": digits}, {"leadgen_id": "1", "form_id": digits})
    for value in values:
        body = {"object": "page", "entry": [{"id": "1", "changes": [{"field": "leadgen", "value": value}]}]}
        parsed = parse_leadgen_notifications(json.dumps(body).encode())
        assert parsed.leads == [] and parsed.malformed_changes == 1


@NON_ASCII_DIGITS
def test_fetch_retry_messages(digits: str) -> None:
    with pytest.raises(ValidationError):
        FetchRetryMessage.model_validate_json(json.dumps({"leadgen_id": digits}))
    with pytest.raises(ValidationError):
        FetchRetryMessage.model_validate_json(json.dumps({"leadgen_id": "1", "page_id": digits}))
    assert FetchRetryMessage.model_validate_json('{"leadgen_id": "1234"}').leadgen_id == "1234"


@NON_ASCII_DIGITS
def test_graph_lead_answers(digits: str) -> None:
    with pytest.raises(ValidationError):
        GraphLead.model_validate({"id": digits, "created_time": "2026-01-01T00:00:00+0000"})
    with pytest.raises(ValidationError):
        GraphLead.model_validate({"id": "1", "created_time": "2026-01-01T00:00:00+0000", "form_id": digits})


@NON_ASCII_DIGITS
def test_routing_forms_audiences_and_accounts(digits: str) -> None:
    good = {"form_id": "1", "page_id": "2", "audience_ids": ["3"], "account_id": "act_4"}
    assert FormRoute.model_validate(good).account_id == "4"
    for field, value in (("form_id", digits), ("page_id", digits), ("audience_ids", [digits])):
        with pytest.raises(ValidationError):
            FormRoute.model_validate(good | {field: value})
    for account in (digits, f"act_{digits}"):
        with pytest.raises(ValidationError):
            FormRoute.model_validate(good | {"account_id": account})


@NON_ASCII_DIGITS
def test_backfill_requests(digits: str) -> None:
    with pytest.raises(ValidationError):
        BackfillRequest.model_validate({"form_ids": [digits]})


@NON_ASCII_DIGITS
def test_health_requests(digits: str) -> None:
    with pytest.raises(InvalidHealthRequest):
        parse_health_request({"page_id": digits})


@NON_ASCII_DIGITS
def test_replace_input(digits: str) -> None:
    with pytest.raises(InvalidReplaceInput):
        parse_replace_request({"audience_id": digits, "source": {"type": "leads"}})
    with pytest.raises(InvalidReplaceInput):
        parse_replace_request({"audience_id": "1", "source": {"type": "leads", "form_ids": [digits]}})


@NON_ASCII_DIGITS
def test_hasher_audience_messages(digits: str) -> None:
    from leadloop.rows.messages import AudienceRowsMessage

    row = {"schema": ["EXTERN_ID"], "rows": [["x"]], "op": "add"}
    assert AudienceRowsMessage.model_validate(row | {"audience_id": "1"}).audience_id == "1"
    for extra in ({"audience_id": digits}, {"audience_id": "1", "lead_ids": [digits]}):
        with pytest.raises(ValidationError):
            AudienceRowsMessage.model_validate(row | extra)

"""A validation error on a model that carries answers, rows or secrets never repeats its input.

Validation errors end up in logs and exceptions (``logger.exception``); pydantic quotes the input
in them by default, truncated but with its tail, which is enough to leak part of an e-mail
address, a phone number or a token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from leadloop.credentials import MetaCredentials
from leadloop.leads.models import GraphLead
from leadloop.rows.messages import AudienceRowsMessage

RAW = "jane.doe.private@example.com"
TOKEN = "EAAB-secret-token-value-1234567890"

CASES: list[tuple[str, Callable[[], Any]]] = [
    (
        RAW,
        lambda: AudienceRowsMessage.model_validate(
            {"audience_id": "1", "op": "add", "schema": ["EMAIL"], "rows": [[RAW]], "lead_ids": ["1"]}
        ),
    ),
    (
        RAW,
        lambda: GraphLead.model_validate(
            {"id": "x", "created_time": "now", "field_data": [{"name": "email", "values": [RAW]}]}
        ),
    ),
    (RAW, lambda: GraphLead.model_validate({"id": "1", "created_time": 0, "field_data": [{"values": [RAW]}]})),
    (
        TOKEN,
        lambda: MetaCredentials.model_validate(
            {"app_secret": 5, "verify_token": None, "access_token": TOKEN, "page_access_tokens": TOKEN}
        ),
    ),
]


@pytest.mark.parametrize(("secret", "build"), CASES)
def test_the_error_names_the_problem_without_the_input(secret: str, build: Callable[[], Any]):
    with pytest.raises(ValidationError) as caught:
        build()
    # What logs and exceptions carry: the message, and each error's location and text (never its input).
    text = str(caught.value) + repr([(e["loc"], e["msg"]) for e in caught.value.errors()])
    for fragment in (secret, secret[-6:], secret[:6]):
        assert fragment not in text

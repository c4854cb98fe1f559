"""The AudienceQueue message: hashed rows for one audience, validated so raw PII cannot pass.

Every cell of a hashed key must be a SHA-256 hex digest or empty; a message that would carry
anything else fails validation before it is sent and again when it is read, which is the last
guard that keeps raw answers out of SQS (DESIGN rule 6).

Two wire versions, one model:

* v2 (sent): the rows of many leads for one (audience, op, schema, pages, account), packed in
  ``rows_z`` (see ``codec``), with ``lead_ids`` parallel to the rows (row i came from lead i). The
  hasher keeps each body within ``MAX_BODY_BYTES`` (SQS's 256 KiB cap, attributes included), so a
  6 MB uploader batch holds 10,000 rows and more instead of about 3,000 one-row messages.
* v1 (still read): one lead's rows in plain JSON with ``lead_id`` and ``form_id``; messages sent
  before an upgrade stay on the queue (and in AudienceDLQ) for up to 14 days.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from leadloop.audience import SCHEMA_KEYS, UNHASHED_KEYS
from leadloop.rows.codec import PackedRowsError, pack_rows, unpack_rows
from leadloop.validation import MetaId

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
Op = Literal["add", "remove"]
MAX_ROWS = 10_000
#: SQS refuses a message above 256 KiB, counting the body and its attributes; 1 KiB is left for
#: the ``reason`` attribute the queue adapter adds (at most 250 characters).
MAX_BODY_BYTES = 256 * 1024 - 1024


class MessageError(ValueError):
    """A body that is not an audience message; the text names fields and counts, never a value."""


def check_rows(schema: Sequence[str], rows: Sequence[Sequence[str]], page_ids: Sequence[str] | None) -> None:
    """Raise ``ValueError`` unless every row fits ``schema`` and every hashed cell is a digest or empty."""
    unknown = [k for k in schema if k not in SCHEMA_KEYS]
    if unknown:
        raise ValueError(f"unknown schema keys: {', '.join(unknown)}")
    if "PAGEUID" in schema and not page_ids:
        raise ValueError("a PAGEUID schema needs page_ids")
    hashed = [i for i, k in enumerate(schema) if k not in UNHASHED_KEYS]
    for row in rows:
        if len(row) != len(schema):
            raise ValueError("a row's cell count differs from the schema")
        if any(row[i] and not _SHA256.match(row[i]) for i in hashed):
            raise ValueError("a hashed column holds a value that is not a SHA-256 digest")


class AudienceRowsMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, hide_input_in_errors=True)

    v: Literal[2] = 2
    audience_id: MetaId
    op: Op
    schema_keys: list[str] = Field(alias="schema", min_length=1)
    rows: list[list[str]] = Field(min_length=1, max_length=MAX_ROWS)
    #: The audience's ad account (digits), when routing names it: scopes Meta's per-account throttling.
    account_id: MetaId | None = None
    #: The Pages whose page-scoped ids a PAGEUID column holds (Meta requires them with PAGEUID).
    page_ids: list[MetaId] | None = Field(default=None, min_length=1)
    #: The lead each row came from (same order as ``rows``), for operators tracing a dead letter.
    lead_ids: list[MetaId] = Field(default_factory=list, max_length=MAX_ROWS)

    @model_validator(mode="after")
    def _rows_are_hashed(self) -> AudienceRowsMessage:
        check_rows(self.schema_keys, self.rows, self.page_ids)
        if self.lead_ids and len(self.lead_ids) != len(self.rows):
            raise ValueError("lead_ids must name one lead per row")
        return self

    def body(self) -> str:
        """The v2 wire form (rows packed)."""
        document: dict[str, Any] = self.model_dump(by_alias=True, exclude={"rows"}, exclude_none=True)
        if not self.lead_ids:
            del document["lead_ids"]
        document["rows_z"] = pack_rows(self.rows)
        return json.dumps(document, separators=(",", ":"))

    @classmethod
    def from_body(cls, body: str) -> AudienceRowsMessage:
        """A v2 or v1 body, validated cell by cell; ``ValueError`` (never quoting a cell) otherwise."""
        try:
            document = json.loads(body)
        except ValueError:
            raise MessageError("not JSON") from None
        if not isinstance(document, dict):
            raise MessageError("not a JSON object")
        if document.get("v", 1) == 1:
            return _LegacyRowsMessage.model_validate(document).upgraded()
        if "rows" in document or not isinstance(document.get("rows_z"), str):
            raise MessageError("a v2 message carries its rows in rows_z")
        try:
            document["rows"] = unpack_rows(document.pop("rows_z"))
        except PackedRowsError as exc:
            raise MessageError(str(exc)) from None
        return cls.model_validate(document)


class _LegacyRowsMessage(BaseModel):
    """v1: one lead's rows in plain JSON (what the hasher sent before rows were packed)."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    v: Literal[1] = 1
    audience_id: MetaId
    op: Op
    schema_keys: list[str] = Field(alias="schema", min_length=1)
    rows: list[list[str]] = Field(min_length=1, max_length=MAX_ROWS)
    lead_id: MetaId | None = None
    form_id: MetaId | None = None
    account_id: MetaId | None = None
    page_ids: list[MetaId] | None = Field(default=None, min_length=1)

    def upgraded(self) -> AudienceRowsMessage:
        return AudienceRowsMessage(
            audience_id=self.audience_id,
            op=self.op,
            schema_keys=self.schema_keys,
            rows=self.rows,
            account_id=self.account_id,
            page_ids=self.page_ids,
            lead_ids=[self.lead_id] * len(self.rows) if self.lead_id else [],
        )

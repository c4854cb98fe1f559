"""The AudienceQueue message: hashed rows for one audience, validated so raw PII cannot pass.

Every cell of a hashed key must be a SHA-256 hex digest or empty; a message that would carry
anything else fails validation before it is sent, which is the last guard that keeps raw answers
out of SQS (DESIGN rule 6).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from leadloop.audience import SCHEMA_KEYS, UNHASHED_KEYS

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_Id = Annotated[str, Field(pattern=r"^\d{1,30}$")]
MAX_ROWS = 10_000


class AudienceRowsMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Literal[1] = 1
    audience_id: _Id
    op: Literal["add", "remove"]
    schema_keys: list[str] = Field(alias="schema", min_length=1)
    rows: list[list[str]] = Field(min_length=1, max_length=MAX_ROWS)
    lead_id: _Id | None = None
    form_id: _Id | None = None
    #: The audience's ad account (digits), when routing names it: scopes Meta's per-account throttling.
    account_id: _Id | None = None
    #: The Pages whose page-scoped ids a PAGEUID column holds (Meta requires them with PAGEUID).
    page_ids: list[_Id] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _rows_are_hashed(self) -> AudienceRowsMessage:
        unknown = [k for k in self.schema_keys if k not in SCHEMA_KEYS]
        if unknown:
            raise ValueError(f"unknown schema keys: {', '.join(unknown)}")
        if "PAGEUID" in self.schema_keys and not self.page_ids:
            raise ValueError("a PAGEUID schema needs page_ids")
        hashed = [i for i, k in enumerate(self.schema_keys) if k not in UNHASHED_KEYS]
        for row in self.rows:
            if len(row) != len(self.schema_keys):
                raise ValueError("a row's cell count differs from the schema")
            if any(row[i] and not _SHA256.match(row[i]) for i in hashed):
                raise ValueError("a hashed column holds a value that is not a SHA-256 digest")
        return self

    def body(self) -> str:
        return self.model_dump_json(by_alias=True)

"""The smoke's test person: a fresh address nobody owns, and the audience row the hasher makes of it.

The address is ``leadloop-smoke-<random>@example.com``: ``example.com`` is reserved (RFC 2606), so
no Facebook account can match it, and a new one per run tells this run's row from every other.
The row comes from the same code the LeadHasher runs, so the removal carries exactly the cells the
add carried.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from leadloop.audience import LDU_KEYS
from leadloop.routing import FormRoute
from leadloop.rows.mapping import DEFAULT_FIELD_MAP
from leadloop.rows.policy import identifies, lead_row, route_schema

#: Keys Meta matches a person on (a removal by any of them removes that person).
IDENTIFYING_KEYS = ("EMAIL", "PHONE", "MADID", "EXTERN_ID")


@dataclass(frozen=True)
class PersonRow:
    """One audience row in ``schema`` order (hashed cells), plus what removing it needs."""

    schema: tuple[str, ...]
    cells: tuple[str, ...]
    page_ids: tuple[str, ...] = ()

    @property
    def reaches_audiences(self) -> bool:
        """Whether the hasher sends this row at all (it drops rows nobody can be matched on)."""
        return identifies(self.schema, self.cells)

    def matchable(self) -> dict[str, str]:
        """The row's non-empty cells outside the LDU columns, by key."""
        return {k: c for k, c in zip(self.schema, self.cells, strict=True) if k not in LDU_KEYS and c}

    def identifiers(self) -> dict[str, str]:
        """The row's non-empty identifying cells by key."""
        return {k: c for k, c in zip(self.schema, self.cells, strict=True) if k in IDENTIFYING_KEYS and c}


def new_address() -> str:
    """A fresh synthetic address for one run."""
    return f"leadloop-smoke-{secrets.token_hex(6)}@example.com"


def email_question(route: FormRoute) -> str:
    """The form's question id that the routing maps to EMAIL (``email``, Meta's prefill key, by default)."""
    for name, key in route.field_map.items():
        if key.upper() == "EMAIL":
            return name
    return next(name for name, key in DEFAULT_FIELD_MAP.items() if key == "EMAIL")


def field_data(route: FormRoute, address: str) -> list[dict[str, Any]]:
    """The test lead's answers: only the address, under the form's email question."""
    return [{"name": email_question(route), "values": [address]}]


def row_for(route: FormRoute, answers: Sequence[Mapping[str, Any]]) -> PersonRow:
    """The row the LeadHasher sends for a lead with ``answers`` on ``route``'s form."""
    schema = route_schema(route)
    hashed = lead_row(list(answers), route)
    page_ids = (route.page_id,) if "PAGEUID" in schema else ()
    return PersonRow(tuple(schema), tuple(hashed.cells), page_ids)

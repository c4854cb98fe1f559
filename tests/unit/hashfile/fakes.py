"""A stand-in for ``leadloop.audience.hash_row``: the same shape, trivially simple rules.

The pipeline's tests are about streaming, mapping and bookkeeping, not Meta's normalization, so
they use this and stay independent of the phone-number tables; the integration tests use the real
library end to end.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass
class FakeHashedRow:
    cells: list[str]
    rejected: list[tuple[str, str]]


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class FakeHasher:
    """Hashes ``value.strip().lower()``; EMAIL needs an ``@``, PHONE 7+ digits; EXTERN_ID unhashed."""

    calls: list[dict[str, object]] = field(default_factory=list)

    def __call__(
        self,
        record: Mapping[str, str],
        schema: Sequence[str],
        *,
        default_country: str | None = None,
        prehashed: Collection[str] = (),
    ) -> FakeHashedRow:
        self.calls.append({"default_country": default_country, "prehashed": set(prehashed)})
        cells: list[str] = []
        rejected: list[tuple[str, str]] = []
        for key in schema:
            value = record.get(key, "").strip()
            if not value:
                cells.append("")
            elif key in prehashed or key == "EXTERN_ID":
                cells.append(value.lower() if key in prehashed else value)
            elif key == "EMAIL" and "@" not in value:
                cells.append("")
                rejected.append((key, "invalid_email"))
            elif key == "PHONE" and sum(c.isdigit() for c in value) < 7:
                cells.append("")
                rejected.append((key, "invalid_phone"))
            else:
                cells.append(sha(value.lower()))
        return FakeHashedRow(cells, rejected)


KNOWN_KEYS = frozenset(
    {"EMAIL", "PHONE", "FN", "LN", "FI", "CT", "ST", "ZIP", "COUNTRY", "GEN", "DOBY", "DOBM", "DOBD", "MADID"}
    | {"EXTERN_ID", "LOOKALIKE_VALUE"}
)

"""What a check found: a status, the subject (Page, form, audience), a detail and what to do.

Details name ids, codes and counts only: never a token, an answer or a person.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any


class Status(enum.IntEnum):
    OK = 0
    WARN = 1
    FAIL = 2

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Finding:
    check: str
    status: Status
    subject: str
    detail: str
    action: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"status": self.status.label}


@dataclass
class Report:
    checked_at: int
    findings: list[Finding] = field(default_factory=list)
    #: One Page or some checks only (an on-demand run): not the whole picture, so never the latest state.
    partial: bool = False

    @property
    def status(self) -> Status:
        return max((f.status for f in self.findings), default=Status.OK)

    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.status is not Status.OK]

    def as_dict(self) -> dict[str, Any]:
        return {
            "checked_at": self.checked_at,
            "status": self.status.label,
            "partial": self.partial,
            "findings": [f.as_dict() for f in self.findings],
        }

"""The outcome of one smoke run, as the command prints it (one JSON object with ``--json``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class SmokeResult:
    """``ok`` only when the lead was stored through its webhook and everything was cleaned up."""

    form_id: str
    lead_id: str | None = None
    seconds_to_stored: float | None = None
    origin: str | None = None
    cleaned_up: bool = False
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.seconds_to_stored is not None and self.cleaned_up and not self.reason

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "form_id": self.form_id,
            "lead_id": self.lead_id,
            "seconds_to_stored": self.seconds_to_stored,
            "origin": self.origin,
            "cleaned_up": self.cleaned_up,
            "reason": self.reason,
        }

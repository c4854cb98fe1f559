"""What a run did, by reason and by row number, and never by value.

The report is the only thing a user sees about the rows we dropped, so it has to be enough to find
them (counts plus the first few row numbers per reason) while staying safe to paste into a ticket:
it holds schema keys, reason tokens and numbers only. A reason that is not a short lower-case token
is replaced by ``invalid``, so a hasher that put a value in its reason still cannot leak it here.

Row reasons: ``bad_encoding``, ``ragged_row``, ``field_too_large``, ``row_too_large``,
``malformed_row``, ``empty_row`` (every cell empty after normalizing: nothing to send).
Cell reasons come from ``leadloop.audience.hash_row`` (``invalid_email``, ``invalid_phone``, ...);
a rejected cell is sent as ``""`` and its row is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EXAMPLE_ROWS", "RunReport", "Tally"]

EXAMPLE_ROWS = 20
"""Row numbers kept per reason: enough to find the pattern, small enough to read."""

_TEXT_ROWS = 10  # the printed summary shows fewer row numbers than the JSON keeps, to stay on one line
_TOKEN = re.compile(r"[a-z0-9_]{1,48}")
_KEY = re.compile(r"[A-Z0-9_]{1,48}")


@dataclass(slots=True)
class Tally:
    """How many times one reason happened, and the first row numbers where it did."""

    count: int = 0
    rows: list[int] = field(default_factory=list)

    def add(self, row: int, limit: int) -> None:
        self.count += 1
        if len(self.rows) < limit:
            self.rows.append(row)

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.count, "rows": list(self.rows)}


@dataclass(slots=True)
class RunReport:
    """Counters of one ``leadloop hash`` run; ``rows_read == rows_written + rows rejected``."""

    input: str = ""
    output: str = ""
    schema: tuple[str, ...] = ()
    columns: dict[str, str] = field(default_factory=dict)
    country_hint_column: str | None = None
    example_rows: int = EXAMPLE_ROWS
    rows_read: int = 0
    rows_written: int = 0
    bytes_read: int | None = None
    elapsed_seconds: float = 0.0
    output_written: bool = False
    rows_rejected: dict[str, Tally] = field(default_factory=dict)
    cells_rejected: dict[str, dict[str, Tally]] = field(default_factory=dict)
    _safe: dict[str, str] = field(default_factory=dict)

    def reject_row(self, row: int, reason: str) -> None:
        """Count a data row that produced no payload row."""
        self.rows_rejected.setdefault(self._token(reason, _TOKEN, "invalid"), Tally()).add(row, self.example_rows)

    def reject_cell(self, row: int, key: str, reason: str) -> None:
        """Count a present-but-invalid cell (sent empty; its row is kept)."""
        by_reason = self.cells_rejected.setdefault(self._token(key, _KEY, "UNKNOWN"), {})
        safe_reason = self._token(reason, _TOKEN, "invalid")
        by_reason.setdefault(safe_reason, Tally()).add(row, self.example_rows)

    @property
    def rows_rejected_total(self) -> int:
        return sum(tally.count for tally in self.rows_rejected.values())

    @property
    def cells_rejected_total(self) -> int:
        return sum(t.count for by_reason in self.cells_rejected.values() for t in by_reason.values())

    def as_dict(self) -> dict[str, Any]:
        """The ``--report FILE.json`` document."""
        return {
            "input": self.input,
            "output": self.output,
            "output_written": self.output_written,
            "schema": list(self.schema),
            "columns": dict(self.columns),
            "country_hint_column": self.country_hint_column,
            "rows_read": self.rows_read,
            "rows_written": self.rows_written,
            "rows_rejected_total": self.rows_rejected_total,
            "cells_rejected_total": self.cells_rejected_total,
            "bytes_read": self.bytes_read,
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "row_numbers_per_reason": self.example_rows,
            "rows_rejected": {reason: t.as_dict() for reason, t in sorted(self.rows_rejected.items())},
            "cells_rejected": {
                key: {reason: t.as_dict() for reason, t in sorted(by_reason.items())}
                for key, by_reason in self.cells_rejected.items()
            },
        }

    def render(self) -> str:
        """The human summary printed on stderr."""
        rate = self.rows_read / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0
        lines = [
            f"leadloop hash: {self.rows_read:,} row(s) read, {self.rows_written:,} written, "
            f"{self.rows_rejected_total:,} rejected, {self.cells_rejected_total:,} cell(s) rejected "
            f"in {self.elapsed_seconds:.1f}s ({rate:,.0f} rows/s)"
        ]
        cells = [
            (f"{key} {reason}", key, t)
            for key, by_reason in self.cells_rejected.items()
            for reason, t in by_reason.items()
        ]
        width = max([len(reason) for reason in self.rows_rejected] + [len(label) for label, _, _ in cells], default=0)
        if self.rows_rejected:
            lines.append("rows rejected (not written):")
            for reason, tally in sorted(self.rows_rejected.items(), key=lambda item: (-item[1].count, item[0])):
                lines.append(f"  {reason:<{width}}  {tally.count:>9,}  {_rows_text(tally)}")
        if cells:
            lines.append('cells rejected (sent as "", row kept):')
            for label, _, tally in sorted(cells, key=lambda c: (self._schema_pos(c[1]), -c[2].count, c[0])):
                lines.append(f"  {label:<{width}}  {tally.count:>9,}  {_rows_text(tally)}")
        if self.output and not self.output_written and self.output != "-":
            lines.append(f"{self.output} was not written")
        return "\n".join(lines)

    def _schema_pos(self, key: str) -> int:
        return self.schema.index(key) if key in self.schema else len(self.schema)

    def _token(self, text: str, pattern: re.Pattern[str], fallback: str) -> str:
        safe = self._safe.get(text)
        if safe is None:
            safe = self._safe[text] = text if pattern.fullmatch(text) else fallback
        return safe


def _rows_text(tally: Tally) -> str:
    shown = tally.rows[:_TEXT_ROWS]
    listed = ", ".join(str(row) for row in shown)
    more = f" and {tally.count - len(shown):,} more" if tally.count > len(shown) else ""
    return f"row{'s' if tally.count > 1 else ''} {listed}{more}"

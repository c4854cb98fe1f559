"""What a Graph handler returns, before it becomes HTTP or a batch item."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leadloop_cli.graphsim.errors import GraphError


@dataclass
class GraphResponse:
    """Status, JSON body and headers; ``rows`` and ``error_code`` feed the call log."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    rows: int | None = None
    error_code: int | None = None

    @classmethod
    def from_error(cls, error: GraphError) -> GraphResponse:
        """Render a Graph error."""
        return cls(status=error.status, body=error.body(), headers=dict(error.headers), error_code=error.code)

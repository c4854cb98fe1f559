"""What a Graph handler returns, before it becomes HTTP or a batch item."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leadloop_cli.graphsim.errors import GraphError


@dataclass
class GraphResponse:
    """Status, JSON body and headers; ``rows``, ``error_code`` and ``log`` feed the call log."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    rows: int | None = None
    error_code: int | None = None
    log: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_error(cls, error: GraphError) -> GraphResponse:
        """Render a Graph error."""
        return cls(
            status=error.status,
            body=error.body(),
            headers=dict(error.headers),
            error_code=error.code,
            log=dict(error.log),
        )

"""Reading leads from Meta: many single-lead reads folded into batch calls of up to 50.

Each lead's outcome stands alone: a lead Meta could not return carries its classified error so
the caller can retry it, park it, or alert, without touching its neighbours in the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from pydantic import ValidationError

from leadloop.graph import BatchRequest, GraphClient, GraphError, GraphPermanentError
from leadloop.graph.client import MAX_BATCH_SIZE
from leadloop.leads.models import LEAD_FIELDS_PARAM, GraphLead


@dataclass(frozen=True)
class LeadReadResult:
    leadgen_id: str
    lead: GraphLead | None = None
    error: GraphError | None = None


def read_leads(
    client: GraphClient,
    leadgen_ids: Sequence[str],
    *,
    timeout: float | None = None,
    parallel_calls: int = 4,
) -> list[LeadReadResult]:
    """Fetch every id (batch calls in parallel); results keep the input order."""
    chunks = [list(leadgen_ids[i : i + MAX_BATCH_SIZE]) for i in range(0, len(leadgen_ids), MAX_BATCH_SIZE)]
    if not chunks:
        return []
    if len(chunks) == 1:
        return _read_chunk(client, chunks[0], timeout)
    with ThreadPoolExecutor(max_workers=max(1, min(parallel_calls, len(chunks)))) as pool:
        parts = list(pool.map(lambda chunk: _read_chunk(client, chunk, timeout), chunks))
    return [result for part in parts for result in part]


def _read_chunk(client: GraphClient, ids: list[str], timeout: float | None) -> list[LeadReadResult]:
    requests = [BatchRequest.get(lead_id, {"fields": LEAD_FIELDS_PARAM}) for lead_id in ids]
    try:
        answers = client.batch(requests, timeout=timeout)
    except GraphError as exc:
        return [LeadReadResult(lead_id, error=exc) for lead_id in ids]
    return [_to_result(lead_id, answer.data, answer.error) for lead_id, answer in zip(ids, answers, strict=True)]


def _to_result(lead_id: str, data: object, error: GraphError | None) -> LeadReadResult:
    if error is not None:
        return LeadReadResult(lead_id, error=error)
    try:
        lead = GraphLead.model_validate(data)
    except ValidationError as exc:
        return LeadReadResult(
            lead_id,
            error=GraphPermanentError(f"lead answer failed validation ({exc.error_count()} error(s))"),
        )
    if lead.id != lead_id:
        return LeadReadResult(lead_id, error=GraphPermanentError("lead answer carries another id"))
    return LeadReadResult(lead_id, lead=lead)

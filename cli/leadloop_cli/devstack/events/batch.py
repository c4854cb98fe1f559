"""Lambda's reading of a partial batch response (``ReportBatchItemFailures``), shared by the pollers.

From the Lambda docs: an empty or null response, or an empty/null ``batchItemFailures``, is a complete
success; an invalid response, or an ``itemIdentifier`` that is empty, null, or not in the batch, makes
the whole batch a failure.
"""

from __future__ import annotations

import json
from collections.abc import Collection

from ..runtime import InvokeResult

__all__ = ["ALL_FAILED", "failed_item_ids"]

ALL_FAILED = None


def failed_item_ids(result: InvokeResult, batch_ids: Collection[str]) -> set[str] | None:
    """Ids the function reported as failed; ``None`` (ALL_FAILED) when the whole batch counts as failed."""
    if result.errored:
        return ALL_FAILED
    try:
        response = json.loads(result.payload) if result.payload.strip() else None
    except ValueError:
        return ALL_FAILED
    if response is None or response in ({}, ""):
        return set()
    if not isinstance(response, dict):
        return ALL_FAILED
    failures = response.get("batchItemFailures")
    if failures is None or failures == []:
        return set()
    if not isinstance(failures, list):
        return ALL_FAILED
    failed: set[str] = set()
    for item in failures:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(identifier, str) or not identifier or identifier not in batch_ids:
            return ALL_FAILED
        failed.add(identifier)
    return failed

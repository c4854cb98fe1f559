"""Every StateTable key: ``pk``/``sk`` strings, built here and nowhere else.

* ``form#{id}`` / ``watermark``: backfill has read every lead created before ``value``.
* ``page#{id}`` / ``leadgen-calls#{day}``: lead reads spent on the Page that UTC day.
* ``page#{id}`` / ``backoff``: do not read the Page's leads before ``until`` (Meta throttled us).
* ``audience#{id}`` / ``lock``: a replace holds the audience; the uploader waits for it to end.
* ``replace#{run_id}`` / ``run``: a replace run's progress.
* ``audience#{id}`` / ``replace#{started}#{run_id}``, ``replace#latest``, ``replace#scheduled``:
  a replace's outcome, the last one, and the audience's part in the last fan-out.
* ``health`` / ``latest`` and ``health`` / ``report#{checked_at}``: health runs.
* ``hasher-failed`` / the stream sequence number, zero-padded: the hasher's failure markers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

_AUDIENCE = "audience#"
HASHER_FAILED = "hasher-failed"
#: Stream sequence numbers are decimal strings of varying length; padded to this width they sort as numbers.
SEQUENCE_WIDTH = 40


@dataclass(frozen=True)
class StateKey:
    pk: str
    sk: str

    def fields(self) -> dict[str, str]:
        """The key as plain item fields, to merge into an item before it is serialized."""
        return {"pk": self.pk, "sk": self.sk}

    def item_key(self) -> dict[str, Any]:
        """The key in DynamoDB's JSON, for GetItem, UpdateItem and DeleteItem."""
        return {"pk": {"S": self.pk}, "sk": {"S": self.sk}}


# ---------------------------------------------------------------- backfill
def form_watermark(form_id: str) -> StateKey:
    return StateKey(f"form#{form_id}", "watermark")


def leadgen_calls(page_id: str, now: int) -> StateKey:
    """Counted per UTC day, so the day's budget starts again at midnight UTC."""
    return StateKey(f"page#{page_id}", f"leadgen-calls#{time.strftime('%Y-%m-%d', time.gmtime(now))}")


def page_backoff(page_id: str) -> StateKey:
    return StateKey(f"page#{page_id}", "backoff")


# ---------------------------------------------------------------- audience lock and replace
def audience_partition(audience_id: str) -> str:
    return f"{_AUDIENCE}{audience_id}"


def audience_of(pk: str) -> str:
    """The audience id an ``audience#`` partition key names."""
    return pk.removeprefix(_AUDIENCE)


def audience_lock(audience_id: str) -> StateKey:
    """The one lock key: the replace takes it, the uploader reads it."""
    return StateKey(audience_partition(audience_id), "lock")


def replace_run(run_id: str) -> StateKey:
    return StateKey(f"replace#{run_id}", "run")


def replace_outcome(audience_id: str, started: int, run_id: str) -> StateKey:
    """Zero-padded start time first, so an audience's outcomes sort by when they started."""
    return StateKey(audience_partition(audience_id), f"replace#{started:010d}#{run_id}")


def replace_latest(audience_id: str) -> StateKey:
    return StateKey(audience_partition(audience_id), "replace#latest")


def replace_scheduled(audience_id: str) -> StateKey:
    return StateKey(audience_partition(audience_id), "replace#scheduled")


# ---------------------------------------------------------------- health
def health_latest() -> StateKey:
    return StateKey("health", "latest")


def health_report(checked_at: int) -> StateKey:
    return StateKey("health", f"report#{checked_at:010d}")


# ---------------------------------------------------------------- hasher failure markers
def sequence_sort_key(sequence: str) -> str:
    """Sequence numbers are decimal strings of varying length: padded, they sort as numbers."""
    return sequence.zfill(SEQUENCE_WIDTH)


def hasher_failed(sequence: str) -> StateKey:
    return StateKey(HASHER_FAILED, sequence_sort_key(sequence))

"""Replace state documents as the tasks return them along one run (ids and times made up).

The run waits once for a busy audience, stages in two invocations, waits once on batch 1, loses its
session once (1870147), sends the rest, closes, waits for Meta's processing and adds one overflow
chunk. Each function returns a fresh document, so a test may change it freely.
"""

from __future__ import annotations

import copy
from typing import Any

AUDIENCE = "238000000000001"
T0 = 1_800_000_000
SESSION = 6_676_050_504_719_801_955

_BEGUN: dict[str, Any] = {
    "request": {
        "audience_id": AUDIENCE,
        "source": {"type": "leads", "form_ids": None, "since_days": None},
        "max_concurrency": 1,
        "dry_run": False,
    },
    "run": {
        "run_id": "run-e59e9066b557",
        "audience_id": AUDIENCE,
        "schema": ["EMAIL", "PHONE", "FN", "LN"],
        "chunk_rows": 3,
        "concurrency": 1,
        "dry_run": False,
        "source": "leads",
        "since": None,
        "steps": 1,
    },
    "times": {"started": T0},
    "check": {"attempts": 0, "ready": False},
}


def _after(document: dict[str, Any], **parts: dict[str, Any]) -> dict[str, Any]:
    """``document`` with each named part's fields merged in."""
    changed = copy.deepcopy(document)
    for name, fields in parts.items():
        changed.setdefault(name, {}).update(fields)
    return changed


def begun() -> dict[str, Any]:
    return copy.deepcopy(_BEGUN)


def audience_busy() -> dict[str, Any]:
    """``check`` found the audience busy at Meta: the machine waits ``check.wait_seconds``."""
    return _after(begun(), run={"steps": 2, "account_id": "300000000000001"}) | {
        "check": {"attempts": 1, "ready": False, "waited": 60, "wait_seconds": 60}
    }


def checked() -> dict[str, Any]:
    return _after(audience_busy(), run={"steps": 3}) | {"check": {"attempts": 1, "ready": True}}


def locked() -> dict[str, Any]:
    return _after(checked(), run={"steps": 4, "locked": True}, stage={"done": False, "cursor": None})


def staging() -> dict[str, Any]:
    """The time budget ended mid-source: ``stage.cursor`` says where the next invocation starts."""
    progress = {
        "rows_read": 2000,
        "rows_staged": 1990,
        "rows_without_identifiers": 10,
        "cells_rejected": {"EMAIL:invalid": 3, "PHONE:invalid": 7},
        "invocations": 1,
    }
    cursor = {"start_key": {"leadgen_id": "100000000000001999"}, "skip": 0, "done": False}
    return _after(locked(), run={"steps": 5}, stage={"done": False, "cursor": cursor, "progress": progress})


def staged() -> dict[str, Any]:
    progress = {
        "rows_read": 2012,
        "rows_staged": 2002,
        "rows_without_identifiers": 10,
        "cells_rejected": {"EMAIL:invalid": 3, "PHONE:invalid": 7},
        "invocations": 2,
    }
    document = _after(staging(), run={"steps": 6}, times={"staged": T0 + 40})
    document["stage"] = {"done": True, "cursor": None, "progress": progress}
    document["pack"] = {"done": False}
    return document


def packed() -> dict[str, Any]:
    progress = {"next_partition": 64, "chunks": 4, "rows_unique": 10, "duplicates": 2, "has_tail": False}
    document = _after(staged(), run={"steps": 7, "chunks": 4}, times={"packed": T0 + 50})
    document["pack"] = {"done": True, "progress": progress}
    document["send"] = {"session_id": SESSION, "attempts": 0}
    return document


def first_batch_waits() -> dict[str, Any]:
    """Meta answered 1870145 to batch 1: the machine waits ``send.wait_seconds`` and sends it again."""
    busy = {"attempts": 1, "waited": 5, "busy": True, "done": False, "restart": False, "wait_seconds": 5}
    return _after(packed(), run={"steps": 8}, send=busy)


def session_opened() -> dict[str, Any]:
    opened = {
        "busy": False,
        "restart": False,
        "opened_at": T0 + 60,
        "next": 2,
        "received": 3,
        "invalid": 0,
        "calls": 1,
        "closed": False,
        "done": False,
        "window_over": False,
        "overflow": [],
    }
    return _after(first_batch_waits(), run={"steps": 9}, send=opened, times={"session_opened": T0 + 60})


def session_lost() -> dict[str, Any]:
    """Meta answered 1870147 to a middle batch: the machine starts a new session."""
    return _after(session_opened(), run={"steps": 10}, send={"restart": True, "done": True, "next": 3})


def new_session() -> dict[str, Any]:
    document = _after(session_lost(), run={"steps": 11})
    document["send"] = {"session_id": SESSION + 1, "attempts": 0, "restarts": 1}
    return document


def window_over() -> dict[str, Any]:
    """The second session ran out of window after chunk 2: chunk 3 is overflow."""
    sent = {
        "busy": False,
        "restart": False,
        "opened_at": T0 + 120,
        "next": 3,
        "received": 6,
        "invalid": 1,
        "calls": 2,
        "closed": False,
        "done": True,
        "window_over": True,
        "overflow": [[3, 3]],
    }
    return _after(new_session(), run={"steps": 13}, send=sent, times={"session_opened": T0 + 120})


def closed() -> dict[str, Any]:
    document = _after(
        window_over(),
        run={"steps": 14},
        send={"closed": True, "calls": 3, "received": 9},
        times={"session_closed": T0 + 200},
    )
    document["poll"] = {"done": False, "since": T0 + 200}
    return document


def processing() -> dict[str, Any]:
    """Meta still processes the session (414): the machine waits ``poll.wait_seconds``."""
    return _after(closed(), run={"steps": 15}, poll={"wait_seconds": 5})


def processed() -> dict[str, Any]:
    document = _after(
        processing(), run={"steps": 16}, poll={"done": True, "status": 200}, times={"processed": T0 + 300}
    )
    document["overflow"] = {"next": 0, "done": False, "rows": 0, "received": 0, "invalid": 0}
    return document


def overflow_added() -> dict[str, Any]:
    return _after(processed(), run={"steps": 17}, overflow={"next": 1, "done": True, "calls": 1, "received": 3})


def caught(document: dict[str, Any], error: str = "ReplaceFailed", cause: str = "x") -> dict[str, Any]:
    """``document`` as a Catch (``ResultPath: $.error``) passes it on to the fail task."""
    return document | {"error": {"Error": error, "Cause": cause}}


#: Every document a task returns in the run above, in order.
RUN = [
    begun,
    audience_busy,
    checked,
    locked,
    staging,
    staged,
    packed,
    first_batch_waits,
    session_opened,
    session_lost,
    new_session,
    window_over,
    closed,
    processing,
    processed,
    overflow_added,
]

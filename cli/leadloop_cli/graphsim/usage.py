"""Rate-limit accounting: the per-Page ``leadgen`` BUC budget and the app-wide ``X-App-Usage``.

Leadgen budget (meta-api.md §1.6): per Page per rolling 24 h of the virtual clock,
4800 × (leads created on that Page in the last 90 days, at least 1), unless a test
overrides it. A call over budget is refused with code 80005 and is not counted.
Percentages in both headers are integers capped at 100; ``total_cputime`` and
``total_time`` mirror ``call_count`` (the simulator does no real CPU accounting).
"""

from __future__ import annotations

import json
import math
import threading
from collections import deque
from typing import TYPE_CHECKING

from leadloop_cli.graphsim.errors import GraphError

if TYPE_CHECKING:
    from leadloop_cli.graphsim.clock import VirtualClock
    from leadloop_cli.graphsim.state import SimState

LEADGEN_WINDOW = 86_400
APP_WINDOW = 3_600
CALLS_PER_LEAD = 4_800
BUC_HEADER = "X-Business-Use-Case-Usage"
APP_HEADER = "X-App-Usage"


def _percent(used: int, budget: int) -> int:
    return min(100, (used * 100) // max(budget, 1))


class UsageTracker:
    """Counts Graph calls against the app budget and lead reads against each Page's budget."""

    def __init__(self, clock: VirtualClock, state: SimState) -> None:
        self._clock = clock
        self._state = state
        self._lock = threading.Lock()
        self._app_calls: deque[float] = deque()
        self._leadgen_calls: dict[str, deque[float]] = {}
        self._budgets: dict[str, int] = {}

    def set_leadgen_budget(self, page_id: str, calls: int | None) -> None:
        """Override a Page's 24 h lead-read budget (``None`` restores Meta's formula)."""
        with self._lock:
            if calls is None:
                self._budgets.pop(page_id, None)
            else:
                if calls < 0:
                    raise ValueError("a leadgen budget must be >= 0")
                self._budgets[page_id] = calls

    def leadgen_budget(self, page_id: str) -> int:
        """The Page's current 24 h budget."""
        with self._lock:
            override = self._budgets.get(page_id)
        if override is not None:
            return override
        return CALLS_PER_LEAD * max(1, self._state.recent_lead_count(page_id))

    def budgets(self) -> dict[str, int]:
        """The overridden budgets (for ``GET /_sim/config``)."""
        with self._lock:
            return dict(self._budgets)

    def app_call(self, *, count: bool = True) -> dict[str, str]:
        """Count one Graph call against the app (unless ``count`` is off); returns ``X-App-Usage``."""
        now = self._clock.time()
        with self._lock:
            if count:
                self._app_calls.append(now)
            _trim(self._app_calls, now - APP_WINDOW)
            used = len(self._app_calls)
        pct = _percent(used, self._state.config.app_hourly_budget)
        return {
            APP_HEADER: json.dumps({"call_count": pct, "total_cputime": pct, "total_time": pct}, separators=(",", ":"))
        }

    def leadgen_call(self, page_id: str) -> dict[str, str]:
        """Count one lead read for the Page; raises code 80005 (not counted) when over budget."""
        budget = self.leadgen_budget(page_id)
        now = self._clock.time()
        with self._lock:
            calls = self._leadgen_calls.setdefault(page_id, deque())
            _trim(calls, now - LEADGEN_WINDOW)
            if len(calls) >= budget:
                wait_minutes = self._regain_minutes(calls, budget, now)
                header = _buc_header(page_id, 100, wait_minutes)
                raise GraphError(80005, headers=header)
            calls.append(now)
            used = len(calls)
        return _buc_header(page_id, _percent(used, budget), 0)

    @staticmethod
    def _regain_minutes(calls: deque[float], budget: int, now: float) -> int:
        """Minutes until enough calls leave the window for one more to fit."""
        index = max(len(calls) - budget, 0)
        if index >= len(calls):
            # Budget 0: no call will ever fit; report the whole window.
            return LEADGEN_WINDOW // 60
        frees_at = calls[index] + LEADGEN_WINDOW
        return max(1, math.ceil((frees_at - now) / 60))

    def reset(self) -> None:
        """Forget every counted call (budget overrides stay)."""
        with self._lock:
            self._app_calls.clear()
            self._leadgen_calls.clear()


def _trim(calls: deque[float], oldest: float) -> None:
    while calls and calls[0] <= oldest:
        calls.popleft()


def _buc_header(page_id: str, pct: int, regain_minutes: int) -> dict[str, str]:
    usage = {
        "type": "leadgen",
        "call_count": pct,
        "total_cputime": pct,
        "total_time": pct,
        "estimated_time_to_regain_access": regain_minutes,
    }
    return {BUC_HEADER: json.dumps({page_id: [usage]}, separators=(",", ":"))}

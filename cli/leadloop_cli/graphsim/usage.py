"""Rate-limit accounting: the per-Page ``leadgen`` BUC budget and the app-wide ``X-App-Usage``.

Leadgen budget (meta-api.md §1.6): per Page per rolling 24 h of the virtual clock,
4800 × (leads created on that Page in the last 90 days, at least 1), unless a test
overrides it. A call over budget is refused with code 80005 and is not counted.
Custom-audience budget (meta-api.md §4.4): per ad account per rolling hour of the virtual
clock, ``5000`` (``development_access``) or ``190000`` (``standard_access``) + 40 × the
account's audiences, never above 700000, unless a test overrides it. Every audience call
(create, read, ``/users``, ``/sessions``, ``usersofanyaudience``) counts once; over budget →
80003 (not counted). Those answers carry ``X-Ad-Account-Usage`` and a ``custom_audience``
``X-Business-Use-Case-Usage`` entry keyed by the account id without ``act_``.
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
AUDIENCE_WINDOW = 3_600
AUDIENCE_BASE = {"development_access": 5_000, "standard_access": 190_000}
AUDIENCE_PER_AUDIENCE = 40
AUDIENCE_MAX = 700_000
AD_ACCOUNT_HEADER = "X-Ad-Account-Usage"
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
        self._audience_calls: dict[str, deque[float]] = {}
        self._audience_budgets: dict[str, int] = {}

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

    def set_audience_budget(self, account_id: str, calls: int | None) -> None:
        """Override an ad account's hourly custom-audience budget (``None`` restores Meta's formula)."""
        with self._lock:
            if calls is None:
                self._audience_budgets.pop(account_id, None)
            else:
                if calls < 0:
                    raise ValueError("an audience budget must be >= 0")
                self._audience_budgets[account_id] = calls

    def audience_budget(self, account_id: str) -> int:
        """The ad account's current hourly custom-audience budget."""
        with self._lock:
            override = self._audience_budgets.get(account_id)
        if override is not None:
            return override
        tier = self._state.config.ads_api_access_tier
        audiences = len(self._state.account_audiences(account_id))
        return min(AUDIENCE_MAX, AUDIENCE_BASE.get(tier, 5_000) + AUDIENCE_PER_AUDIENCE * audiences)

    def audience_budgets(self) -> dict[str, int]:
        """The overridden audience budgets (for ``GET /_sim/config``)."""
        with self._lock:
            return dict(self._audience_budgets)

    def custom_audience_call(self, account_id: str) -> dict[str, str]:
        """Count one audience call for the account; raises 80003 (not counted) when over budget."""
        budget = self.audience_budget(account_id)
        tier = self._state.config.ads_api_access_tier
        now = self._clock.time()
        with self._lock:
            calls = self._audience_calls.setdefault(account_id, deque())
            _trim(calls, now - AUDIENCE_WINDOW)
            if len(calls) >= budget:
                index = len(calls) - budget
                frees_at = calls[index] + AUDIENCE_WINDOW if index < len(calls) else now + AUDIENCE_WINDOW
                wait_s = max(1, math.ceil(frees_at - now))
                headers = _audience_headers(account_id, 100.0, wait_s, tier, math.ceil(wait_s / 60))
                raise GraphError(
                    80003,
                    extra={"error_data": {"estimated_time_to_regain_access": math.ceil(wait_s / 60)}},
                    headers=headers,
                )
            calls.append(now)
            used = len(calls)
            reset_s = max(0, math.ceil(calls[0] + AUDIENCE_WINDOW - now))
        pct = min(100.0, round(used * 100 / max(budget, 1), 2))
        return _audience_headers(account_id, pct, reset_s, tier, 0)

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
            self._audience_calls.clear()


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


def _audience_headers(account_id: str, pct: float, reset_s: int, tier: str, regain_minutes: int) -> dict[str, str]:
    whole = min(100, math.floor(pct))
    usage = {
        "type": "custom_audience",
        "call_count": whole,
        "total_cputime": whole,
        "total_time": whole,
        "estimated_time_to_regain_access": regain_minutes,
        "ads_api_access_tier": tier,
    }
    account_usage = {"acc_id_util_pct": pct, "reset_time_duration": reset_s, "ads_api_access_tier": tier}
    return {
        AD_ACCOUNT_HEADER: json.dumps(account_usage, separators=(",", ":")),
        BUC_HEADER: json.dumps({account_id.removeprefix("act_"): [usage]}, separators=(",", ":")),
    }

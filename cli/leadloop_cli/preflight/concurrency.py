"""Reserved concurrency against the account's limit.

Lambda refuses a reservation that would leave fewer than 100 unreserved executions. What this
stack's functions reserve today comes back when the deploy lowers it, but CloudFormation may raise
one function's reservation before it lowers another's: a plan that fits only after the releases
is a warning, one that does not fit at all blocks. A very low account limit (new accounts) throttles
a burst of webhooks whatever the reservations.
"""

from __future__ import annotations

from collections.abc import Mapping

from leadloop.health.findings import Finding, Status
from leadloop_cli.preflight.common import unread
from leadloop_cli.preflight.facts import AccountConcurrency, Read
from leadloop_cli.preflight.parameters import RESERVED_CONCURRENCY, Parameters

CHECK = "concurrency"
#: Lambda keeps this many executions unreserved in every account and region.
UNRESERVED_MINIMUM = 100
#: Below this account limit, a burst of webhook calls is throttled.
LOW_LIMIT = 20
QUOTA = "ask for more: Service Quotas → AWS Lambda → Concurrent executions"


def check(
    params: Parameters, account: Read[AccountConcurrency], reserved_now: Mapping[str, int], note: str = ""
) -> list[Finding]:
    asked, bad = _asked(params)
    if bad:
        return [Finding(CHECK, Status.FAIL, name, "not a whole number ≥ 0", "0 = unreserved") for name in bad]
    total = sum(asked.values())
    subject = f"{total} reserved" if total else "unreserved"
    if account.failure is not None:
        what, permission = "Lambda's account settings", "lambda:GetAccountSettings"
        return [unread(CHECK, subject, account.failure, what=what, permission=permission)]
    if account.value is None:
        return [Finding(CHECK, Status.OK, subject, note)]
    return [_fit(params, asked, account.value, reserved_now, subject), *_low_limit(account.value)]


def _asked(params: Parameters) -> tuple[dict[str, int], list[str]]:
    asked: dict[str, int] = {}
    bad: list[str] = []
    for function, name in RESERVED_CONCURRENCY.items():
        text = params.values[name].strip()
        if not text.isdigit():
            bad.append(params.describe(name))
        else:
            asked[function] = int(text)
    return asked, bad


def _fit(
    params: Parameters,
    asked: Mapping[str, int],
    account: AccountConcurrency,
    reserved_now: Mapping[str, int],
    subject: str,
) -> Finding:
    held = sum(reserved_now.get(f, 0) for f in asked)
    raised = sum(max(0, n - reserved_now.get(f, 0)) for f, n in asked.items())
    after_all = account.unreserved + held - sum(asked.values())
    worst = account.unreserved - raised
    figures = f"account limit {account.limit}, {account.unreserved} unreserved" + (
        f" (+{held} this stack reserves now)" if held else ""
    )
    if raised == 0 or worst >= UNRESERVED_MINIMUM:
        return Finding(CHECK, Status.OK, subject, f"{figures}; {after_all} stay unreserved")
    if after_all >= UNRESERVED_MINIMUM:
        return Finding(
            CHECK,
            Status.WARN,
            subject,
            f"{figures}; fits only once this stack's current reservations are released",
            "if the deploy fails on concurrency, deploy once with the lowered values only, then again",
        )
    room = max(0, account.unreserved + held - UNRESERVED_MINIMUM)
    named = ", ".join(params.describe(RESERVED_CONCURRENCY[f]) for f, n in asked.items() if n)
    return Finding(
        CHECK,
        Status.FAIL,
        subject,
        f"{figures}; Lambda keeps {UNRESERVED_MINIMUM} unreserved, so at most {room} can be reserved",
        f"lower {named} (0 = unreserved), or {QUOTA}",
    )


def _low_limit(account: AccountConcurrency) -> list[Finding]:
    if account.limit >= LOW_LIMIT:
        return []
    return [
        Finding(
            CHECK,
            Status.WARN,
            "account limit",
            f"{account.limit} concurrent executions: a burst of webhooks will be throttled "
            "(Meta retries; leads arrive late)",
            QUOTA + " (new accounts start low)",
        )
    ]

"""Why the test lead did not arrive, in one line with what to do (never a token or an answer)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from leadloop_cli.smoke.capture import FETCHED, Item, webhook_seen

_CODE = re.compile(r"\bcode=(\d+)(?: subcode=(\d+))?")

WEBHOOK_CHECKS = (
    "check the app's Webhooks subscription (object Page, field leadgen), its callback URL (the "
    "stack's WebhookUrl output), that the secret's app_secret is this app's (a wrong one is refused "
    "with 401), and the Page's subscribed_apps; `leadloop doctor` checks them"
)
READ_CHECKS = (
    "check the token (leads_retrieval; a Page token of someone with access to the Page's leads) and "
    "the Page's Leads Access (Business Settings → Integrations → Leads Access); `leadloop doctor` names which"
)


@dataclass(frozen=True)
class Clues:
    """What the smoke could find out besides the lead's own item."""

    timeout: float
    page_id: str
    page_installed: bool | None = None
    parked: int | None = None


def explain(item: Item | None, clues: Clues) -> str:
    """The likely cause of a failed smoke and what to do, as one line."""
    waited = f"{clues.timeout:.0f}s"
    if item is None or (item.get("status") == FETCHED and not webhook_seen(item)):
        what = "the webhook never arrived" if item is None else "the lead was stored only by the backfill"
        if clues.page_installed is False:
            return (
                f"{what} in {waited}: Page {clues.page_id} has not installed the app for leadgen; "
                f"install it: POST /{clues.page_id}/subscribed_apps?subscribed_fields=leadgen with its Page token"
            )
        return f"{what} in {waited} (webhook missing): {WEBHOOK_CHECKS}"
    status = str(item.get("status") or "")
    error = _error_codes(item.get("last_error"))
    attempts = int(item.get("fetch_attempts") or 0)
    if status == "FAILED":
        return (
            f"the webhook arrived but reading the lead failed {attempts} time(s){error} and it is parked "
            f"in FetchRetryDLQ: {READ_CHECKS}; then `leadloop dlq replay FetchRetryDLQ`"
        )
    if status == "PENDING":
        parked = f"; FetchRetryDLQ holds {clues.parked}" if clues.parked else ""
        return (
            f"the webhook arrived but the lead is still PENDING after {waited}{error}{parked}: {READ_CHECKS}; "
            "if no error is recorded, see LeadFetchFunction's logs"
        )
    if status == "FORGOTTEN":
        return "the lead became a FORGOTTEN tombstone before it was stored (a `leadloop forget` matched it?)"
    return f"the lead is {status or 'in an unknown state'} after {waited}"


def _error_codes(last_error: object) -> str:
    """`` (last error code=200 subcode=…)`` from the stored reason, without Meta's message."""
    match = _CODE.search(str(last_error or ""))
    if match is None:
        return ""
    code, subcode = match.groups()
    return f" (last error code={code}" + (f" subcode={subcode})" if subcode else ")")

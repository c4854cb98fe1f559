"""Meta's side of Page ``leadgen`` webhooks: callback verification, signed deliveries, retries.

Each delivery is one POST (one body, possibly several leads grouped into one ``entry``
per Page) sent from its own daemon thread. Attempt *i* waits ``webhook_retry_delays[i]``
seconds of real time first, so ``(0.0, 0.5, 1.0)`` means: now, 0.5 s later, 1 s after
that, then give up. Anything but HTTP 200 (or a connection error/timeout) triggers the
next attempt, the way Meta retries for 36 hours.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import requests

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from leadloop_cli.graphsim.models import Lead, Subscription
    from leadloop_cli.graphsim.state import SimState

USER_AGENT = "facebookexternalua"
SIGNATURE_HEADER = "X-Hub-Signature-256"


class SubscriptionError(Exception):
    """The callback did not pass Meta's verification GET."""


def sign(app_secret: str, body: bytes) -> str:
    """``X-Hub-Signature-256`` value: ``sha256=`` + hex HMAC-SHA256 of the raw body."""
    digest = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def graph_id_number(value: str | None) -> int | str:
    """Ids go out as JSON numbers like Meta's (big ints, exact); non-numeric test ids stay strings."""
    if value is None:
        return 0
    return int(value) if value.isdigit() else value


def build_payload(leads: Sequence[Lead], sent_at: int) -> bytes:
    """The ``object=page`` body: one ``entry`` per Page (first-seen order), one change per lead.

    Serialised with ``ensure_ascii`` so non-ASCII is ``\\uXXXX``-escaped, as Meta signs it.
    Organic leads carry ``ad_id``/``adgroup_id`` = 0.
    """
    entries: dict[str, list[dict[str, Any]]] = {}
    for lead in leads:
        value = {
            "leadgen_id": graph_id_number(lead.id),
            "page_id": graph_id_number(lead.page_id),
            "form_id": graph_id_number(lead.form_id),
            "adgroup_id": graph_id_number(lead.ad_id),
            "ad_id": graph_id_number(lead.ad_id),
            "created_time": lead.created_time,
        }
        entries.setdefault(lead.page_id, []).append({"field": "leadgen", "value": value})
    document = {
        "object": "page",
        "entry": [
            {"id": graph_id_number(page_id), "time": sent_at, "changes": changes}
            for page_id, changes in entries.items()
        ],
    }
    return json.dumps(document, separators=(",", ":")).encode("ascii")


def verify_callback(callback_url: str, verify_token: str, timeout: float) -> None:
    """Meta's verification GET; the exact challenge must come back as the body with HTTP 200."""
    challenge = str(secrets.randbelow(9 * 10**9) + 10**9)
    params = {"hub.mode": "subscribe", "hub.challenge": challenge, "hub.verify_token": verify_token}
    try:
        response = requests.get(callback_url, params=params, timeout=timeout, headers={"User-Agent": USER_AGENT})
    except requests.RequestException as exc:
        raise SubscriptionError(f"callback verification failed: {type(exc).__name__}") from exc
    if response.status_code != 200:
        raise SubscriptionError(f"callback verification failed: HTTP status code = {response.status_code}")
    if response.text != challenge:
        raise SubscriptionError("callback verification failed: the response body did not match the challenge")


@dataclass
class Delivery:
    """One webhook POST and its attempts."""

    id: str
    lead_ids: list[str]
    body: bytes
    callback_url: str
    attempts: list[dict[str, Any]] = field(default_factory=list)
    state: str = "pending"

    def describe(self) -> dict[str, Any]:
        """JSON view for ``GET /_sim/webhooks`` (no secrets, no callback token)."""
        return {
            "id": self.id,
            "lead_ids": list(self.lead_ids),
            "attempts": [dict(a) for a in self.attempts],
            "delivered": self.state == "delivered",
            "state": self.state,
        }


class WebhookDispatcher:
    """Sends signed deliveries in background threads and keeps their log."""

    def __init__(self, state: SimState) -> None:
        self._state = state
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._deliveries: list[Delivery] = []
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._idle = threading.Condition(self._lock)

    def ensure_ready(self, page_ids: Iterable[str]) -> Subscription:
        """The subscription leads of these Pages would go to; ``ValueError`` when Meta would not send."""
        subscription = self._state.subscription
        if subscription is None:
            raise ValueError("no webhook subscription: call subscribe() or POST /{app_id}/subscriptions first")
        if "leadgen" not in subscription.fields:
            raise ValueError("the app subscription does not include the leadgen field")
        if self._state.config.require_page_subscription:
            for page_id in page_ids:
                page = self._state.page(page_id)
                if page is None or "leadgen" not in page.subscribed_fields:
                    raise ValueError(f"page {page_id} has not installed the app for leadgen (subscribed_apps)")
        return subscription

    def send(self, leads: Sequence[Lead], copies: int = 1) -> list[str]:
        """Queue ``copies`` identical POSTs carrying ``leads``; ``ValueError`` when not deliverable."""
        subscription = self.ensure_ready(lead.page_id for lead in leads)
        body = build_payload(leads, self._state.clock.now())
        ids = []
        for _ in range(copies):
            with self._lock:
                delivery = Delivery(
                    id=f"d{next(self._ids)}",
                    lead_ids=[lead.id for lead in leads],
                    body=body,
                    callback_url=subscription.callback_url,
                )
                self._deliveries.append(delivery)
                thread = threading.Thread(
                    target=self._deliver, args=(delivery,), name=f"graphsim-{delivery.id}", daemon=True
                )
                self._threads = [t for t in self._threads if t.is_alive()]
                self._threads.append(thread)
            thread.start()
            ids.append(delivery.id)
        return ids

    def _deliver(self, delivery: Delivery) -> None:
        config = self._state.config
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: sign(config.app_secret, delivery.body),
        }
        outcome = "failed"
        for delay in config.webhook_retry_delays:
            if self._stopping.wait(delay):
                outcome = "cancelled"
                break
            attempt: dict[str, Any] = {}
            try:
                response = requests.post(
                    delivery.callback_url, data=delivery.body, headers=headers, timeout=config.webhook_timeout
                )
                attempt["status"] = response.status_code
            except requests.RequestException as exc:
                attempt["error"] = type(exc).__name__
            attempt["at"] = round(self._state.clock.time(), 3)
            with self._lock:
                delivery.attempts.append(attempt)
            if attempt.get("status") == 200:
                outcome = "delivered"
                break
        with self._lock:
            delivery.state = outcome
            self._idle.notify_all()

    def log(self) -> list[dict[str, Any]]:
        """Every delivery so far, oldest first."""
        with self._lock:
            return [d.describe() for d in self._deliveries]

    def wait_idle(self, timeout: float) -> bool:
        """Block until no delivery is pending (``True``) or the timeout passes (``False``)."""
        with self._lock:
            return self._idle.wait_for(lambda: all(d.state != "pending" for d in self._deliveries), timeout=timeout)

    def clear(self) -> None:
        """Forget finished deliveries (pending ones keep running and stay listed)."""
        with self._lock:
            self._deliveries = [d for d in self._deliveries if d.state == "pending"]

    def resume(self) -> None:
        """Allow deliveries again after :meth:`stop` (a restarted simulator)."""
        self._stopping.clear()

    def stop(self, timeout: float = 5.0) -> None:
        """Cancel pending retries and wait briefly for in-flight attempts."""
        self._stopping.set()
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout)

"""Authenticity checks for Meta's webhook calls (meta-api.md §2.2, §2.4).

The POST signature is an HMAC-SHA256 of the raw body bytes exactly as received, keyed with the app
secret. Re-serialising parsed JSON would break it for any non-ASCII text, so callers pass bytes.
Every comparison is constant-time, and a missing or malformed header fails closed.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

SIGNATURE_HEADER = "x-hub-signature-256"
_PREFIX = "sha256="


def signature_is_valid(raw_body: bytes, header_value: str | None, app_secret: str) -> bool:
    if not header_value or not app_secret:
        return False
    value = header_value.strip()
    if not value.lower().startswith(_PREFIX):
        return False
    received = value[len(_PREFIX) :].strip().lower()
    expected = hmac.new(app_secret.encode("utf-8"), raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(received.encode("ascii", "replace"), expected.encode("ascii"))


def answer_challenge(params: Mapping[str, str] | None, verify_token: str) -> str | None:
    """The text to echo for a valid subscription check, or None when it must be refused."""
    params = params or {}
    mode = params.get("hub.mode")
    token = params.get("hub.verify_token")
    challenge = params.get("hub.challenge")
    if mode != "subscribe" or token is None or challenge is None or not verify_token:
        return None
    if not hmac.compare_digest(token.encode("utf-8"), verify_token.encode("utf-8")):
        return None
    return challenge

"""Meta webhook verification (GET challenge, POST signature) and ``leadgen`` payload parsing."""

from leadloop.leads.models import LeadNotification
from leadloop.webhook.payload import MalformedPayload, ParsedNotifications, parse_leadgen_notifications
from leadloop.webhook.signature import answer_challenge, signature_is_valid

__all__ = [
    "LeadNotification",
    "MalformedPayload",
    "ParsedNotifications",
    "answer_challenge",
    "parse_leadgen_notifications",
    "signature_is_valid",
]

"""Ids of Meta's upload sessions (``session.session_id`` on ``/users`` and ``/usersreplace``)."""

from __future__ import annotations

import secrets

_MAX_SESSION_ID = 2**63 - 1


def random_session_id() -> int:
    """A random positive int63: unique within the ad account for all practical purposes."""
    return secrets.randbelow(_MAX_SESSION_ID) + 1

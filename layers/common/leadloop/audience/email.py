"""EMAIL: Meta's rule is "trim surrounding whitespace, lower-case everything" (meta-api.md §7.2).

Where Meta is silent we refuse what cannot be an address, because a hash of a non-address can never
match and only leaks a guess: exactly one ``@``, a local part of 1–64 characters, a domain of dot-
separated labels (letters, digits, hyphens; internationalized letters allowed and kept as typed)
whose last label is at least two characters and not all digits, no whitespace or ``,;<>()[]\\"``
anywhere, 254 characters at most. Unusual but valid addresses (``mary+ads@mail.example.co.uk``,
``o'neil@example.com``) pass unchanged apart from case. Unlike Meta's Python SDK we do not strip
dots at the ends (``.mary@example.com`` is not ``mary@example.com``); like the PHP SDK we don't
remove dots inside Gmail local parts either, since Meta hashes what it has as typed.
"""

from __future__ import annotations

import re

from leadloop.audience.reasons import MAX_INPUT_CHARS, Normalized, Reason, fail
from leadloop.audience.text import nfc

_LOCAL = r"[^\s@,;<>()\[\]\\\"]{1,64}"
_LABEL = r"(?:[^\W_](?:[\w-]{0,61}[^\W_])?)"
_DOMAIN = rf"(?:{_LABEL}\.)+(?=[^\W\d_]|\d+[^\W\d])[^\W_][\w-]{{0,61}}[^\W_]"
_EMAIL_RE = re.compile(rf"{_LOCAL}@{_DOMAIN}")
# The same pattern for the (usual) ASCII address: identical answers, a third faster.
_ASCII_EMAIL_RE = re.compile(_EMAIL_RE.pattern, re.ASCII)
# Its two halves, for the fast path.
_ASCII_LOCAL_RE = re.compile(_LOCAL, re.ASCII)
_ASCII_DOMAIN_RE = re.compile(_DOMAIN, re.ASCII)
_DOMAINS: dict[str, bool] = {}
_MAX_DOMAINS = 4096
INVALID = fail(Reason.INVALID_EMAIL)
_MAX_EMAIL = 254


def _valid(email: str, pattern: re.Pattern[str]) -> bool:
    if len(email) > _MAX_EMAIL or email.count("@") != 1 or "_" in email.rpartition("@")[2]:
        return False
    return pattern.fullmatch(email) is not None


def normalize_email(text: str, country: str | None = None) -> Normalized:
    email = text.lower()
    if email.isascii():
        return Normalized(email, None) if _valid(email, _ASCII_EMAIL_RE) else INVALID
    email = nfc(email)
    return Normalized(email, None) if _valid(email, _EMAIL_RE) else INVALID


def _ascii_domain_ok(domain: str) -> bool:
    """Whether an ASCII ``domain`` is one :data:`_EMAIL_RE` accepts after the ``@``; remembered per domain."""
    found = "_" not in domain and _ASCII_DOMAIN_RE.fullmatch(domain) is not None
    if len(_DOMAINS) >= _MAX_DOMAINS:
        _DOMAINS.clear()
    _DOMAINS[domain] = found
    return found


def fast_email(raw: str, country: str | None = None) -> str | None:
    """:func:`normalize_email`'s value for a raw printable-ASCII valid address; None means "take the full path".

    The local part cannot hold an ``@``, so with exactly one ``@`` the address pattern is the local
    part's pattern before it and the domain's after it. Domains repeat across a file (a few
    providers hold most people), so the domain's verdict is remembered.
    """
    if len(raw) > MAX_INPUT_CHARS or not (raw.isascii() and raw.isprintable()):
        return None
    email = raw.strip().lower()
    local, at, domain = email.partition("@")
    if not at or "@" in domain or len(email) > _MAX_EMAIL:
        return None
    # Letters, digits and dots (most local parts) cannot break the local pattern: no need to run it.
    if not (len(local) <= 64 and local.replace(".", "").isalnum()) and _ASCII_LOCAL_RE.fullmatch(local) is None:
        return None
    known = _DOMAINS.get(domain)
    return email if (known if known is not None else _ascii_domain_ok(domain)) else None

"""Which header column a name given by a person means: one rule for every CSV we read.

CRM exports name their columns every which way ("E-mail", "Phone Number", " Zip/Postal Code"), and
people type those names back into ``--map`` and into a replace source's ``mapping``. Both
``leadloop hash`` and the replace's S3 source resolve a given name the same way: the header name
exactly (trimmed, without a byte-order mark) when one column has it, else the one column whose
canonical form (case-folded, runs of other characters turned into ``_``) is the name's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["ColumnMatch", "canonical_name", "header_name", "match_column"]

_NON_WORD = re.compile(r"[^0-9a-z]+")


def header_name(name: str) -> str:
    """A header cell as people read it: no surrounding spaces, no byte-order mark."""
    return name.strip().lstrip("\ufeff")


def canonical_name(name: str) -> str:
    """``" E-Mail Address "`` → ``"e_mail_address"``: the form headers and aliases are compared in."""
    return _NON_WORD.sub("_", header_name(name).casefold()).strip("_")


@dataclass(frozen=True, slots=True)
class ColumnMatch:
    """The header positions a name matched, and whether it matched them exactly."""

    positions: tuple[int, ...]
    exact: bool

    @property
    def position(self) -> int | None:
        """The one column meant, or ``None`` when the name matched none or several."""
        return self.positions[0] if len(self.positions) == 1 else None


def match_column(header: Sequence[str], name: str) -> ColumnMatch:
    """The columns ``name`` means: exact header names win over names equal in canonical form."""
    exact = tuple(i for i, cell in enumerate(header) if header_name(cell) == header_name(name))
    if exact:
        return ColumnMatch(exact, exact=True)
    wanted = canonical_name(name)
    return ColumnMatch(tuple(i for i, cell in enumerate(header) if canonical_name(cell) == wanted), exact=False)

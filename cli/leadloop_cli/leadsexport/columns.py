"""A stored lead as export cells: Meta's lead-export columns, then one per question, then per disclaimer.

Column order. Meta's forms cannot be edited once published, and a stored lead keeps ``field_data``
in the order Meta returned it, which is the form's order; but a lead may skip a question (conditional
questions, test leads with partial answers). So the order is built from the leads themselves: a
question is placed where it first appears, right after the question it follows in that lead. That
is the form order whenever any lead shows it, and first-appearance order otherwise. Disclaimer
check boxes (``custom_disclaimer_responses``) come after every question, by first appearance.

Names. A question is headed by its ``field_data`` name and a check box by its ``checkbox_key``; a name
already taken (a question called ``id``, a check box keyed like a question) gets ``_2``, ``_3``...,
assigned in order of discovery, so a CSV header and a JSONL key never mean two things.

Values. A multi-select answer (several ``values``) is one CSV cell joined with ``;``, the separator
CRM imports (HubSpot, Salesforce) take for multi-select properties; JSONL keeps the list as Meta
gave it. ``created_time`` is ISO 8601 in UTC; ``is_organic`` is ``1``/``0`` in CSV as in Meta's
export, a boolean in JSONL; a missing id or answer is an empty cell (``null``/absent in JSONL).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from leadloop_cli.leadsexport.errors import ExportError

__all__ = [
    "FIXED_COLUMNS",
    "MULTI_VALUE_SEPARATOR",
    "NAME_ATTRIBUTES",
    "ColumnSet",
    "LeadRecord",
    "UnknownColumn",
    "column_names",
    "escape_cell",
    "iso_utc",
]

FIXED_COLUMNS = ("id", "created_time", "ad_id", "adset_id", "campaign_id", "form_id", "is_organic", "platform")
MULTI_VALUE_SEPARATOR = ";"
#: The item attributes :func:`column_names` reads (what the first pass of a CSV export asks for).
NAME_ATTRIBUTES = ("field_data", "custom_disclaimer_responses")
#: OWASP's CSV-injection triggers: a spreadsheet treats a cell starting with these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(text: str) -> str:
    """A cell a spreadsheet shows as text: a leading formula character gets a ``'`` before it (OWASP)."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def iso_utc(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def column_names(item: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """The lead's question names and check-box keys, in its order; the answers are not looked at."""
    try:
        names = [str(answer["name"]) for answer in item.get("field_data") or []]
        keys = [str(d["checkbox_key"]) for d in item.get("custom_disclaimer_responses") or []]
    except (KeyError, TypeError, AttributeError) as exc:
        lead_id = str(item.get("leadgen_id") or "?")
        raise ExportError(f"lead {lead_id} is not shaped like a stored lead ({type(exc).__name__})") from None
    return list(dict.fromkeys(names)), list(dict.fromkeys(keys))


class UnknownColumn(ExportError):
    """A lead has a question or check box the header was written without (the leads changed mid-export)."""


@dataclass(frozen=True)
class LeadRecord:
    """What the export needs of one stored lead; answers in the lead's own order."""

    id: str
    created_time: int
    form_id: str | None
    ad_id: str | None
    adset_id: str | None
    campaign_id: str | None
    is_organic: bool | None
    platform: str | None
    answers: tuple[tuple[str, tuple[str, ...]], ...]
    disclaimers: tuple[tuple[str, str], ...]

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> LeadRecord:
        """Read a LeadsTable item (as :class:`~leadloop.leads.store.LeadStore` writes it); never quotes a value."""
        lead_id = str(item.get("leadgen_id") or "")
        try:
            answers: dict[str, list[str]] = {}
            for answer in item.get("field_data") or []:
                # A name given twice (never seen from Meta) keeps one column: its values are appended.
                answers.setdefault(str(answer["name"]), []).extend(str(v) for v in answer.get("values") or [])
            disclaimers = {
                str(d["checkbox_key"]): str(d.get("is_checked") or "")
                for d in item.get("custom_disclaimer_responses") or []
            }
            organic = item.get("is_organic")
            return cls(
                id=lead_id,
                created_time=int(item["created_time"]),
                form_id=_text(item.get("form_id")),
                ad_id=_text(item.get("ad_id")),
                adset_id=_text(item.get("adset_id")),
                campaign_id=_text(item.get("campaign_id")),
                is_organic=None if organic is None else bool(organic),
                platform=_text(item.get("platform")),
                answers=tuple((k, tuple(v)) for k, v in answers.items()),
                disclaimers=tuple(disclaimers.items()),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ExportError(
                f"lead {lead_id or '?'} is not shaped like a stored lead ({type(exc).__name__})"
            ) from None

    def fixed_cells(self) -> list[str]:
        organic = "" if self.is_organic is None else ("1" if self.is_organic else "0")
        ids = (self.ad_id, self.adset_id, self.campaign_id, self.form_id)
        return [self.id, iso_utc(self.created_time), *(i or "" for i in ids), organic, self.platform or ""]

    def fixed_fields(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_time": iso_utc(self.created_time),
            "ad_id": self.ad_id,
            "adset_id": self.adset_id,
            "campaign_id": self.campaign_id,
            "form_id": self.form_id,
            "is_organic": self.is_organic,
            "platform": self.platform,
        }


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


class ColumnSet:
    """The question and check-box columns seen so far, in export order, with their unique headers."""

    def __init__(self) -> None:
        self._questions: list[str] = []
        self._disclaimers: list[str] = []
        self._question_header: dict[str, str] = {}
        self._disclaimer_header: dict[str, str] = {}
        self._taken: set[str] = set(FIXED_COLUMNS)

    def observe(self, questions: Sequence[str], checkboxes: Sequence[str]) -> None:
        """Add one lead's new questions (each after the question it follows there) and new check boxes."""
        if any(name not in self._question_header for name in questions):
            self._place_questions(questions)
        for key in checkboxes:
            if key not in self._disclaimer_header:
                self._disclaimers.append(key)
                self._disclaimer_header[key] = self._claim(key)

    def _place_questions(self, names: Iterable[str]) -> None:
        after = -1  # position of the last question of this lead already placed
        for name in names:
            if name in self._question_header:
                after = self._questions.index(name)
                continue
            after += 1
            self._questions.insert(after, name)
            self._question_header[name] = self._claim(name)

    def _claim(self, name: str) -> str:
        header, n = name, 1
        while header in self._taken:
            n += 1
            header = f"{name}_{n}"
        self._taken.add(header)
        return header

    @property
    def question_count(self) -> int:
        return len(self._questions)

    @property
    def disclaimer_count(self) -> int:
        return len(self._disclaimers)

    def header(self) -> list[str]:
        return [
            *FIXED_COLUMNS,
            *(self._question_header[q] for q in self._questions),
            *(self._disclaimer_header[d] for d in self._disclaimers),
        ]

    def csv_row(self, lead: LeadRecord) -> list[str]:
        """The lead's cells under :meth:`header` (not escaped); refuses a lead with an unseen column."""
        self._check_known(lead)
        answers = dict(lead.answers)
        checked = dict(lead.disclaimers)
        return [
            *lead.fixed_cells(),
            *(MULTI_VALUE_SEPARATOR.join(answers.get(q, ())) for q in self._questions),
            *(checked.get(d, "") for d in self._disclaimers),
        ]

    def json_object(self, lead: LeadRecord) -> dict[str, Any]:
        """The lead as one JSON object: fixed fields, then its answers and check boxes under their headers."""
        self.observe([name for name, _ in lead.answers], [key for key, _ in lead.disclaimers])
        document = lead.fixed_fields()
        document |= {self._question_header[name]: list(values) for name, values in lead.answers}
        document |= {self._disclaimer_header[key]: checked for key, checked in lead.disclaimers}
        return document

    def _check_known(self, lead: LeadRecord) -> None:
        unseen = sum(name not in self._question_header for name, _ in lead.answers) + sum(
            key not in self._disclaimer_header for key, _ in lead.disclaimers
        )
        if unseen:
            raise UnknownColumn(
                f"lead {lead.id} has {unseen} question(s) or check box(es) the first pass did not see "
                "(leads changed during the export); run it again"
            )

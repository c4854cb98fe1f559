"""The routing document as an operator edits it: parse, validate with located errors, store compactly.

Validation is the functions' own model (:class:`leadloop.routing.Routing`), so a document this
accepts is one LeadHasher, Backfill and the replace read without error. Each problem names the form
(its index and ``form_id``) or the audience (``audiences[<id>]``) and the field, so a 60-form file is
fixed without guessing. The stored
text is the operator's JSON with the whitespace removed (defaults are not spelled out), which keeps
it well inside SSM's size limits.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from leadloop.routing import Routing

__all__ = [
    "ADVANCED_LIMIT",
    "STANDARD_LIMIT",
    "RoutingDocument",
    "RoutingDocumentError",
    "compact",
    "parse",
]

#: SSM parameter value limits (bytes): the Standard tier holds 4 KB, the Advanced tier 8 KB.
STANDARD_LIMIT = 4096
ADVANCED_LIMIT = 8192


class RoutingDocumentError(ValueError):
    """The document is not valid routing; ``problems`` holds one located message each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s): " + "; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class RoutingDocument:
    routing: Routing
    #: The JSON text to store: the operator's document without whitespace.
    text: str

    @property
    def size(self) -> int:
        return len(self.text.encode("utf-8"))

    def summary(self) -> str:
        forms = self.routing.forms
        links = sum(len(f.audience_ids) for f in forms)
        audiences = len({a for f in forms for a in f.audience_ids})
        pages = len({f.page_id for f in forms})
        replaced = len(self.routing.replaced_audiences())
        nightly = f", {replaced} audience(s) replaced nightly" if replaced else ""
        return (
            f"{len(forms)} form(s) on {pages} Page(s), {audiences} audience(s) "
            f"({links} form-audience link(s)){nightly}, {self.size} bytes"
        )

    def notes(self) -> list[str]:
        """Valid but worth a look: forms that feed no audience, leads replaces that no form feeds."""
        notes = [
            f"{_where(i, f.form_id)}: no audience_ids (leads are stored but feed no audience)"
            for i, f in enumerate(self.routing.forms)
            if not f.audience_ids
        ]
        for audience_id, route in self.routing.replaced_audiences().items():
            source = route.replace.source if route.replace else None
            fed = any(audience_id in f.audience_ids for f in self.routing.forms)
            if source is not None and source.type == "leads" and not source.form_ids and not fed:
                notes.append(
                    f"audiences[{audience_id}]: replace from leads, but no form feeds it "
                    "(the replace would refuse the empty source; name form_ids or route a form to it)"
                )
        return notes


def compact(raw: Any) -> str:
    return json.dumps(raw, separators=(",", ":"), ensure_ascii=False)


def parse(text: str) -> RoutingDocument:
    """Validate ``text``; raise :class:`RoutingDocumentError` listing every problem found."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RoutingDocumentError([f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"]) from None
    if not isinstance(raw, dict):
        raise RoutingDocumentError(['the document must be a JSON object: {"version": 1, "forms": [...]}'])
    problems = _duplicate_forms(raw)
    try:
        routing = Routing.model_validate(raw)
    except ValidationError as exc:
        located = [p for err in exc.errors() if err["loc"] or not problems for p in _describe_all(err, raw)]
        raise RoutingDocumentError(problems + located) from None
    return RoutingDocument(routing, compact(raw))


def _duplicate_forms(raw: dict[str, Any]) -> list[str]:
    forms = raw.get("forms")
    if not isinstance(forms, list):
        return []
    ids = [str(f.get("form_id")) for f in forms if isinstance(f, dict) and f.get("form_id") is not None]
    repeated = {form_id for form_id, n in Counter(ids).items() if n > 1}
    problems = []
    for form_id in sorted(repeated):
        places = [i for i, f in enumerate(forms) if isinstance(f, dict) and str(f.get("form_id")) == form_id]
        problems.append(f"form_id {form_id} appears {len(places)} times: forms[{'], forms['.join(map(str, places))}]")
    return problems


def _describe_all(error: Any, raw: dict[str, Any]) -> list[str]:
    """One problem per located message: the document's own checks list several, joined by "; "."""
    if not error["loc"] and error["type"] == "value_error":
        message = str(error["msg"]).removeprefix("Value error, ")
        return [part for part in message.split("; ") if part]
    return [_describe(error, raw)]


def _describe(error: Any, raw: dict[str, Any]) -> str:
    loc = tuple(error["loc"])
    message = str(error["msg"])
    value = error.get("input")
    shown = f" (got {json.dumps(value)[:60]})" if isinstance(value, str | int | float | bool) and loc else ""
    if error["type"] == "missing":
        shown = ""
    if len(loc) >= 2 and loc[0] == "forms" and isinstance(loc[1], int):
        form = raw["forms"][loc[1]]
        form_id = form.get("form_id") if isinstance(form, dict) else None
        field = _path(loc[2:]) or "(the form)"
        return f"{_where(loc[1], form_id)}: {field}: {message}{shown}"
    if len(loc) >= 2 and loc[0] == "audiences":
        field = _path(_without_union_tags(loc[2:])) or "(the audience)"
        return f"audiences[{loc[1]}]: {field}: {message}{shown}"
    return f"{_path(loc) or '(document)'}: {message}{shown}"


def _without_union_tags(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """``replace.source.s3_csv.key`` reads ``replace.source.key``: the tag is the source's own ``type``."""
    return tuple(part for i, part in enumerate(loc) if not (i and loc[i - 1] == "source" and part in _SOURCE_TAGS))


_SOURCE_TAGS = frozenset({"leads", "s3_csv"})


def _where(index: int, form_id: Any) -> str:
    return f"forms[{index}]" + (f" (form_id {form_id})" if form_id not in (None, "") else "")


def _path(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text

"""A whole export on a fake lead source: two passes for CSV, one for JSONL; OUT untouched on failure."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from leadloop_cli.leadsexport.columns import FIXED_COLUMNS
from leadloop_cli.leadsexport.dates import Window
from leadloop_cli.leadsexport.errors import ExportError
from leadloop_cli.leadsexport.export import export_leads

SECRET = "=HYPERLINK(secret-answer)"


def lead(lead_id: str, created: int, answers: list[tuple[str, list[str]]], **extra: Any) -> dict[str, Any]:
    return {
        "leadgen_id": lead_id,
        "status": "FETCHED",
        "created_time": created,
        "form_id": extra.pop("form_id", "205"),
        "field_data": [{"name": n, "values": v} for n, v in answers],
        "custom_disclaimer_responses": extra.pop("boxes", []),
        **extra,
    }


class FakeSource:
    """Leads per form; ``fail_after`` raises after that many leads of a pass; ``passes`` counts reads."""

    def __init__(self, forms: dict[str, list[dict[str, Any]]]) -> None:
        self.forms = forms
        self.passes: list[tuple[str, tuple[str, ...] | None]] = []
        self.fail_after: int | None = None
        self.between_passes: dict[str, list[dict[str, Any]]] = {}

    def leads(
        self, form_id: str, window: Window, *, attributes: Sequence[str] | None = None
    ) -> Iterator[dict[str, Any]]:
        self.passes.append((form_id, tuple(attributes) if attributes is not None else None))
        if attributes is None:
            self.forms = {k: v + self.between_passes.get(k, []) for k, v in self.forms.items()}
        for n, item in enumerate(self.forms.get(form_id, [])):
            if self.fail_after is not None and n >= self.fail_after and attributes is None:
                raise ExportError("reading leads failed: InternalServerError")
            if attributes is not None:
                yield {k: v for k, v in item.items() if k in {"leadgen_id", "status", *attributes}}
            else:
                yield item


def run(source: FakeSource, out: str, fmt: str = "csv", forms: Sequence[str] = ("205",), **kwargs: Any):
    progress = io.StringIO()
    summary = export_leads(
        source,
        list(forms),
        Window(),
        fmt=fmt,  # type: ignore[arg-type]
        out=out,
        progress_stream=progress,
        show_progress=kwargs.get("show_progress", False),
    )
    return summary, progress.getvalue()


def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def test_a_csv_export_reads_names_first_then_writes_every_lead(tmp_path: Path):
    source = FakeSource(
        {
            "205": [
                lead("1", 1_793_500_000, [("full_name", ["Ann"]), ("phone_number", ["+1 650 555 0101"])]),
                lead(
                    "2",
                    1_793_500_060,
                    [("full_name", ["Bo"]), ("email", ["bo@x.io"]), ("phone_number", ["6505550102"])],
                    boxes=[{"checkbox_key": "terms", "is_checked": "1"}],
                    is_organic=True,
                ),
            ]
        }
    )
    out = tmp_path / "leads.csv"
    summary, _ = run(source, str(out))
    assert source.passes == [("205", ("field_data", "custom_disclaimer_responses")), ("205", None)]
    rows = read_csv(out)
    assert rows[0] == [
        "id",
        "created_time",
        "ad_id",
        "adset_id",
        "campaign_id",
        "form_id",
        "is_organic",
        "platform",
        "full_name",
        "email",
        "phone_number",
        "terms",
    ]
    assert rows[1] == ["1", "2026-11-01T02:26:40+00:00", "", "", "", "205", "", "", "Ann", "", "'+1 650 555 0101", ""]
    assert rows[2][6] == "1" and rows[2][8:] == ["Bo", "bo@x.io", "6505550102", "1"]
    assert (summary.leads, summary.forms, summary.questions, summary.checkboxes) == (2, 1, 3, 1)


def test_a_page_export_is_every_form_one_after_another_under_one_header(tmp_path: Path):
    source = FakeSource(
        {
            "205": [lead("1", 10, [("email", ["a@x.io"])])],
            "206": [lead("2", 5, [("email", ["b@x.io"]), ("budget", ["1k", "2k"])], form_id="206")],
        }
    )
    out = tmp_path / "page.csv"
    summary, _ = run(source, str(out), forms=["205", "206"])
    rows = read_csv(out)
    assert rows[0][8:] == ["email", "budget"]
    assert [r[0] for r in rows[1:]] == ["1", "2"]
    assert rows[2][5] == "206" and rows[2][8:] == ["b@x.io", "1k;2k"]
    assert summary.forms == 2 and summary.leads == 2


def test_a_header_cell_that_looks_like_a_formula_is_escaped_too(tmp_path: Path):
    source = FakeSource({"205": [lead("1", 10, [("=cmd|' /C calc'!A0", ["x"]), ("email", [SECRET])])]})
    out = tmp_path / "x.csv"
    run(source, str(out))
    rows = read_csv(out)
    assert rows[0][8] == "'=cmd|' /C calc'!A0"
    assert rows[1][9] == "'" + SECRET


def test_jsonl_is_one_pass_one_object_a_line_values_unescaped(tmp_path: Path):
    source = FakeSource({"205": [lead("1", 10, [("email", [SECRET]), ("pets", ["cat", "dog"])], is_organic=False)]})
    out = tmp_path / "x.jsonl"
    summary, _ = run(source, str(out), fmt="jsonl")
    assert source.passes == [("205", None)]
    [line] = out.read_text(encoding="utf-8").splitlines()
    document = json.loads(line)
    assert document["email"] == [SECRET] and document["pets"] == ["cat", "dog"]
    assert document["is_organic"] is False and document["created_time"] == "1970-01-01T00:00:10+00:00"
    assert summary.leads == 1


def test_a_failure_mid_export_leaves_out_as_it_was(tmp_path: Path):
    out = tmp_path / "leads.csv"
    out.write_text("last week's export\n")
    source = FakeSource({"205": [lead(str(n), n, [("email", [f"p{n}@x.io"])]) for n in range(50)]})
    source.fail_after = 30
    for fmt in ("csv", "jsonl"):
        with pytest.raises(ExportError, match="InternalServerError"):
            run(source, str(out), fmt=fmt)
        assert out.read_text() == "last week's export\n"
        assert [p.name for p in tmp_path.iterdir()] == ["leads.csv"]


def test_a_new_question_between_the_passes_fails_the_run_without_writing(tmp_path: Path):
    out = tmp_path / "leads.csv"
    source = FakeSource({"205": [lead("1", 10, [("email", ["a@x.io"])])]})
    source.between_passes = {"205": [lead("2", 11, [("email", ["b@x.io"]), ("late_q", [SECRET])])]}
    with pytest.raises(ExportError, match="lead 2 has 1 question") as caught:
        run(source, str(out))
    assert SECRET not in str(caught.value)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_lead_arriving_between_the_passes_with_known_questions_is_exported(tmp_path: Path):
    out = tmp_path / "leads.csv"
    source = FakeSource({"205": [lead("1", 10, [("email", ["a@x.io"])])]})
    source.between_passes = {"205": [lead("2", 11, [("email", ["b@x.io"])])]}
    summary, _ = run(source, str(out))
    assert [r[0] for r in read_csv(out)[1:]] == ["1", "2"]
    assert summary.leads == 2


def test_an_empty_export_is_a_header_only(tmp_path: Path):
    out = tmp_path / "leads.csv"
    summary, _ = run(FakeSource({"205": []}), str(out))
    assert read_csv(out) == [list(FIXED_COLUMNS)]
    assert summary.leads == 0


def test_progress_is_drawn_only_when_asked_and_never_shows_an_answer(tmp_path: Path):
    source = FakeSource({"205": [lead(str(n), n, [("email", [f"{SECRET}{n}"])]) for n in range(3000)]})
    _, quiet = run(source, str(tmp_path / "a.csv"))
    assert quiet == ""
    _, drawn = run(source, str(tmp_path / "b.csv"), show_progress=True)
    assert "leads export: reading the questions (pass 1 of 2)\n" in drawn
    assert "leads export: writing the leads (pass 2 of 2)\n" in drawn
    assert "3,000 rows" in drawn
    assert "HYPERLINK" not in drawn


def test_an_out_that_is_a_directory_is_refused_before_any_read(tmp_path: Path):
    source = FakeSource({"205": [lead("1", 10, [("email", ["a@x.io"])])]})
    with pytest.raises(ExportError, match="is a directory"):
        run(source, str(tmp_path))
    assert source.passes == []


def test_a_closed_pipe_is_one_line_reason(monkeypatch: pytest.MonkeyPatch):
    class Closed(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr("sys.stdout", Closed())
    source = FakeSource({"205": [lead("1", 10, [("email", ["a@x.io"])])]})
    with pytest.raises(ExportError, match="the output pipe closed before every lead was written"):
        run(source, "-")

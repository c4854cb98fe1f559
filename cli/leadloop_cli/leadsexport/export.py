"""One export run: the forms one after another, into OUT, with a progress bar on a terminal.

CSV needs its header before its first row, and the header names every question any exported lead
answered, which streaming cannot know in advance. So a CSV export reads the leads twice: the first
pass asks DynamoDB for the question names and check-box keys only (``ProjectionExpression``), builds
the columns (:class:`~leadloop_cli.leadsexport.columns.ColumnSet`, as big as the form, not the
export) and writes nothing; the second writes the rows. Both passes hold one page of leads at a
time, so memory stays flat; the price is reading the leads twice. A lead that shows up between the
passes is exported when its questions are already columns, and fails the run (OUT untouched) in
the one case it could not be written faithfully: a question no earlier lead had. JSONL needs no
header and is written in one pass.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TextIO

from leadloop_cli.hashfile.progress import Progress
from leadloop_cli.leadsexport.columns import NAME_ATTRIBUTES, ColumnSet, LeadRecord, column_names
from leadloop_cli.leadsexport.dates import Window
from leadloop_cli.leadsexport.errors import ExportError
from leadloop_cli.leadsexport.output import AtomicOutput, CsvSink, JsonlSink, check_target

__all__ = ["ExportFormat", "ExportSummary", "LeadSource", "export_leads"]

ExportFormat = Literal["csv", "jsonl"]


class LeadSource(Protocol):
    """What the export reads leads through (:class:`~leadloop_cli.leadsexport.pager.LeadPager`)."""

    def leads(
        self, form_id: str, window: Window, *, attributes: Sequence[str] | None = None
    ) -> Iterator[dict[str, Any]]: ...


@dataclass
class ExportSummary:
    forms: int = 0
    leads: int = 0
    questions: int = 0
    checkboxes: int = 0


class _Passes:
    """A labelled bar per pass on a terminal (``hashfile``'s bar), nothing anywhere else."""

    def __init__(self, stream: TextIO, *, show: bool) -> None:
        self._stream = stream
        self._show = show
        self._open = False

    def run(self, label: str, items: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        progress = Progress(self._stream, "bar" if self._show else "off")
        if self._show:
            self._stream.write(f"leads export: {label}\n")
        progress.start(None, lambda: None)
        self._open = self._show
        count = 0
        for item in items:
            yield item
            count += 1
            progress.tick(count)
        progress.finish(count)
        self._open = False

    def end_line(self) -> None:
        """After a failure: end a bar's line so the reason starts on a fresh one."""
        if self._open:
            self._stream.write("\n")
            self._open = False


def export_leads(
    pager: LeadSource,
    form_ids: Sequence[str],
    window: Window,
    *,
    fmt: ExportFormat,
    out: str,
    progress_stream: TextIO,
    show_progress: bool,
) -> ExportSummary:
    """Write the forms' stored leads to ``out`` (``-``: stdout); OUT changes only when every lead is written."""
    check_target(out)
    passes = _Passes(progress_stream, show=show_progress)
    columns = ColumnSet()
    summary = ExportSummary(forms=len(form_ids))

    def leads(attributes: Sequence[str] | None = None) -> Iterator[dict[str, Any]]:
        for form_id in form_ids:
            yield from pager.leads(form_id, window, attributes=attributes)

    try:
        if fmt == "csv":
            for item in passes.run("reading the questions (pass 1 of 2)", leads(NAME_ATTRIBUTES)):
                columns.observe(*column_names(item))
        with AtomicOutput(out) as output:
            current = "?"
            try:
                if fmt == "csv":
                    sink = CsvSink(output.stream)
                    sink.write_row(columns.header())
                    for item in passes.run("writing the leads (pass 2 of 2)", leads()):
                        lead = LeadRecord.from_item(item)
                        current = lead.id
                        sink.write_row(columns.csv_row(lead))
                        summary.leads += 1
                else:
                    jsonl = JsonlSink(output.stream)
                    for item in passes.run("writing the leads", leads()):
                        lead = LeadRecord.from_item(item)
                        current = lead.id
                        jsonl.write_object(columns.json_object(lead))
                        summary.leads += 1
            except UnicodeError:  # names the lead, never the text it choked on
                raise ExportError(f"lead {current} could not be written as UTF-8") from None
            except OSError as exc:
                raise output.write_error(exc) from None
            output.commit()
    finally:
        passes.end_line()
    summary.questions = columns.question_count
    summary.checkboxes = columns.disclaimer_count
    return summary

"""Where a replace's rows come from, read from a resumable cursor so staging can span invocations.

Both sources yield hashed payload rows (``HashedRow``) and can say, after any row, where the next
invocation must start (:meth:`cursor`). Cursors are small JSON documents that live in the
state machine's state; they hold keys and byte offsets, never row data.

* :class:`StoredLeadRows` scans LeadsTable for FETCHED leads of the chosen forms (and age), each hashed
  the way the LeadHasher hashes it for the audience (its form's route: field map, schema, LDU).
* :class:`S3CsvRows` streams a CSV object from S3 (UTF-8, header row required), maps the named
  columns to schema keys, and resumes at the byte offset where the last whole record ended. A quote
  that swallows the lines after it fails the replace as :class:`InvalidReplaceInput` (see the class).
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import BotoCoreError, ClientError

from leadloop.audience import HashedRow, hash_row
from leadloop.replace.errors import InvalidReplaceInput, StagingError
from leadloop.routing import FormRoute
from leadloop.rows.columns import match_column
from leadloop.rows.policy import lead_row, route_schema

_deserializer = TypeDeserializer()
_READ_BYTES = 1024 * 1024
_MAX_IN_VALUES = 100
_MAX_EXTRA_LINES = 3  # lines after its first a mapped value may span, as in `leadloop hash`
_WIDE_BOMS = (  # UTF-32 first: FF FE also starts the little-endian UTF-16 mark
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)
csv.field_size_limit(1024 * 1024)


class RowSource(Protocol):
    schema: list[str]

    def rows(self) -> Iterator[HashedRow]: ...

    def cursor(self) -> dict[str, Any]: ...


def common_schema(routes: Sequence[FormRoute], audience_id: str) -> list[str]:
    """The one schema every form feeding the audience uses (Meta locks an audience's format)."""
    schemas = {tuple(route_schema(r)) for r in routes}
    if len(schemas) != 1:
        raise InvalidReplaceInput(
            f"the forms feeding audience {audience_id} use different schemas; replace them one schema at a time"
        )
    return list(schemas.pop())


class StoredLeadRows:
    """FETCHED leads of ``routes``' forms created at or after ``since`` (a paginated scan).

    The cursor is the key of the last lead read, so the next invocation scans on right after it: a
    position within the page would shift, and cost an unread lead, when a lead read before it is
    forgotten, expires or falls outside ``since`` in between.
    """

    PAGE = 500
    KEY = "leadgen_id"  # LeadsTable's key: the scan resumes after the last item read

    def __init__(
        self,
        client: Any,
        table: str,
        routes: Sequence[FormRoute],
        *,
        audience_id: str,
        since: int | None,
        cursor: Mapping[str, Any] | None = None,
    ) -> None:
        if not routes:
            raise InvalidReplaceInput(f"no routed form feeds audience {audience_id}")
        self._ddb = client
        self._table = table
        self._routes = {r.form_id: r for r in routes}
        self._since = since
        self.schema = common_schema(routes, audience_id)
        position = dict(cursor or {})
        self._start_key: dict[str, Any] | None = position.get("start_key")
        self._skip = int(position.get("skip", 0))
        self._done = bool(position.get("done", False))

    def cursor(self) -> dict[str, Any]:
        return {"start_key": self._start_key, "skip": self._skip, "done": self._done}

    def rows(self) -> Iterator[HashedRow]:
        while not self._done:
            items, next_key = self._page()
            for index, item in enumerate(items):
                if index < self._skip:  # a cursor from before resume keys: a position in this page
                    continue
                self._start_key, self._skip = {self.KEY: item[self.KEY]}, 0
                lead = {k: _deserializer.deserialize(v) for k, v in item.items()}
                route = self._routes.get(str(lead.get("form_id", "")))
                if route is not None:
                    yield lead_row(lead.get("field_data"), route)
            self._start_key, self._skip = next_key, 0
            self._done = next_key is None

    def _page(self) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        forms = sorted(self._routes)
        values: dict[str, Any] = {":fetched": {"S": "FETCHED"}}
        condition = "#s = :fetched"
        if len(forms) <= _MAX_IN_VALUES:  # DynamoDB's IN takes 100 values; beyond, rows() filters
            values |= {f":f{i}": {"S": form} for i, form in enumerate(forms)}
            condition += f" AND form_id IN ({', '.join(f':f{i}' for i in range(len(forms)))})"
        if self._since is not None:
            condition += " AND created_time >= :since"
            values[":since"] = {"N": str(self._since)}
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "FilterExpression": condition,
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": values,
            "ProjectionExpression": f"{self.KEY}, form_id, field_data",
            "Limit": self.PAGE,
            "ConsistentRead": True,
        }
        if self._start_key:
            kwargs["ExclusiveStartKey"] = self._start_key
        try:
            answer = self._ddb.scan(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise StagingError(f"scanning leads failed: {type(exc).__name__}") from None
        return answer.get("Items", []), answer.get("LastEvaluatedKey")


class S3CsvRows:
    """A CSV object in S3, resumed at a byte offset; ``mapping`` is header → schema key.

    A stray quote turns the lines after it into one cell of one record, and a replace has no
    per-row report in which that could show: the people on those lines would silently leave the
    audience. So the object is refused (:class:`InvalidReplaceInput`, naming the record's byte
    offset and line count, never a value) when a record

    * is still inside a quote at the end of the object (``unterminated_quote``), or runs past the
      field limit (csv's error);
    * spans several lines with a field count other than the header's (single-line short rows are
      padded as before: nobody is lost there);
    * spans more than ``_MAX_EXTRA_LINES`` lines after its first with a line break in a mapped
      column. No Meta key (email, phone, names, city, zip, ids) holds line breaks, yet a CSV writer
      may put a short multi-line value there; a stray quote closed by a later quoted field with
      commas in it gives a record of the right width, and this is how it shows. Line breaks in
      unmapped columns (notes, addresses) are ordinary values.

    A UTF-16 or UTF-32 object (by its byte-order mark) is refused with the encoding named.
    """

    def __init__(
        self,
        client: Any,
        bucket: str,
        key: str,
        mapping: Mapping[str, str],
        *,
        default_country: str | None,
        cursor: Mapping[str, Any] | None = None,
    ) -> None:
        self._s3 = client
        self._bucket = bucket
        self._key = key
        self._mapping = dict(mapping)
        self._country = default_country
        self.schema = list(dict.fromkeys(self._mapping.values()))
        position = dict(cursor or {})
        self._offset = int(position.get("offset", 0))
        self._columns: list[int] | None = position.get("columns")
        self._width: int | None = position.get("width")  # header fields; absent from older cursors
        self._done = bool(position.get("done", False))
        self._lines_read = 0  # physical lines since this invocation's offset
        self._record_at = (self._offset, 0)  # byte offset and line count where the current record began
        self._eof = False
        self.records = 0

    def cursor(self) -> dict[str, Any]:
        return {"offset": self._offset, "columns": self._columns, "width": self._width, "done": self._done}

    def rows(self) -> Iterator[HashedRow]:
        try:
            yield from self._records()
        except csv.Error as exc:  # the file's fault (a field over the limit): retrying cannot help
            start, first = self._record_at
            raise InvalidReplaceInput(
                f"s3://{self._bucket}/{self._key} is not readable CSV: the record at byte {start:,} ran over "
                f"{self._lines_read - first:,} line(s): {exc}"
            ) from None

    def _records(self) -> Iterator[HashedRow]:
        if self._done:
            return
        reader = csv.reader(self._lines(), strict=False)
        if self._columns is None:
            header = next(reader, None)
            if header is None:
                self._done = True
                return
            self._columns = self._resolve(header)
            self._width = len(header)
        columns = self._columns
        schema = self.schema
        while True:
            self._record_at = (self._offset, self._lines_read)
            record = next(reader, None)
            if record is None:
                break
            width = len(record)
            values = {key: record[i] if i < width else "" for key, i in zip(schema, columns, strict=True)}
            self._check_lines(width, values)
            if not any(cell.strip() for cell in record):
                continue
            self.records += 1
            yield hash_row(values, schema, default_country=self._country)
        self._done = True

    def _check_lines(self, width: int, values: Mapping[str, str]) -> None:
        """Refuse the record just read if a quote swallowed the lines after it (see the class)."""
        start, first = self._record_at
        lines = self._lines_read - first
        where = f"s3://{self._bucket}/{self._key}: the record at byte {start:,}"
        if self._eof:  # csv hands back a record cut off by the end of the object only inside a quote
            raise InvalidReplaceInput(
                f"{where} runs over {lines:,} line(s) to the end of the object inside a quote "
                "(unterminated_quote); fix the quoting"
            )
        if lines <= 1:
            return
        if self._width is not None and width != self._width:
            raise InvalidReplaceInput(
                f"{where} spans {lines:,} line(s) and has {width} field(s) where the header has {self._width}: "
                "a quote that does not close where it should; fix the quoting"
            )
        if lines - 1 > _MAX_EXTRA_LINES and any("\n" in v or "\r" in v for v in values.values()):
            raise InvalidReplaceInput(
                f"{where} spans {lines:,} line(s) with line breaks in a mapped column (at most "
                f"{_MAX_EXTRA_LINES} extra allowed): a quote that does not close where it should; fix the quoting"
            )

    def _resolve(self, header: Sequence[str]) -> list[int]:
        """Column index for each schema key, each mapped name matched as ``leadloop hash --map`` does."""
        matches = {column: match_column(header, column) for column in self._mapping}
        missing = sorted(column for column, match in matches.items() if not match.positions)
        if missing:
            raise InvalidReplaceInput(
                f"s3://{self._bucket}/{self._key}: the header lacks {len(missing)} mapped column(s): "
                + ", ".join(missing)
            )
        ambiguous = sorted(column for column, match in matches.items() if match.position is None)
        if ambiguous:
            raise InvalidReplaceInput(
                f"s3://{self._bucket}/{self._key}: {len(ambiguous)} mapped column(s) match several header "
                "columns; map the exact header name: " + ", ".join(ambiguous)
            )
        by_key = {key: matches[column].positions[0] for column, key in self._mapping.items()}
        return [by_key[key] for key in self.schema]

    def _lines(self) -> Iterator[str]:
        """Decoded lines from ``offset``; ``offset`` moves past each line as csv consumes it."""
        try:
            kwargs: dict[str, Any] = {"Bucket": self._bucket, "Key": self._key}
            if self._offset:
                kwargs["Range"] = f"bytes={self._offset}-"
            body = self._s3.get_object(**kwargs)["Body"]
        except (ClientError, BotoCoreError) as exc:
            code = exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else ""
            if code in {"NoSuchKey", "NoSuchBucket", "AccessDenied", "403", "404"}:
                raise InvalidReplaceInput(f"s3://{self._bucket}/{self._key} cannot be read: {code}") from None
            if code == "InvalidRange":
                self._eof = True
                return
            raise StagingError(
                f"reading s3://{self._bucket}/{self._key} failed: {code or type(exc).__name__}"
            ) from None
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pending = b""
        first = sniffing = self._offset == 0
        while True:
            block = body.read(_READ_BYTES)
            pending += block
            if sniffing:
                if block and len(pending) < 4:
                    continue
                self._refuse_wide_bom(pending)
                sniffing = False
            if not block:
                break
            lines = pending.splitlines(keepends=True)
            pending = lines.pop() if not lines[-1].endswith((b"\n", b"\r")) else b""
            for raw in lines:
                text = decoder.decode(raw)
                if first:
                    text, first = text.removeprefix("\ufeff"), False
                self._offset += len(raw)
                self._lines_read += 1
                yield text
        if pending:
            self._offset += len(pending)
            self._lines_read += 1
            yield decoder.decode(pending, final=True).removeprefix("\ufeff" if first else "")
        self._eof = True

    def _refuse_wide_bom(self, start: bytes) -> None:
        """A UTF-16/32 export decoded as UTF-8 would only fail later as "the header lacks ..."."""
        for bom, name in _WIDE_BOMS:
            if start.startswith(bom):
                raise InvalidReplaceInput(
                    f"s3://{self._bucket}/{self._key} starts with a {name} byte-order mark; the replace reads "
                    f"UTF-8 CSV: save it as UTF-8 (or convert it, e.g. iconv -f {name} -t UTF-8)"
                )

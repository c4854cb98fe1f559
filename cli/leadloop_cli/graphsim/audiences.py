"""Customer-file Custom Audience rules: payload validation, membership, sessions, size bounds.

Everything here is pure logic over :class:`~leadloop_cli.graphsim.models.Audience` records;
callers hold the state lock while a function mutates an audience. The decisions (where Meta
is silent) are listed in the package docstring.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from leadloop_cli.graphsim.errors import GraphError, invalid_param
from leadloop_cli.graphsim.models import REPLACE_OP, UploadSession

if TYPE_CHECKING:
    from collections.abc import Sequence

    from leadloop_cli.graphsim.models import Audience

MAX_ROWS = 10_000
MAX_SAMPLES = 100
HASHED_KEYS = frozenset(
    {"EMAIL", "PHONE", "GEN", "DOBY", "DOBM", "DOBD", "LN", "FN", "FI", "CT", "ST", "ZIP", "COUNTRY"}
)
LDU_KEYS = frozenset({"DATA_PROCESSING_OPTIONS", "DATA_PROCESSING_OPTIONS_COUNTRY", "DATA_PROCESSING_OPTIONS_STATE"})
PLAIN_KEYS = frozenset({"MADID", "EXTERN_ID", "PAGEUID", "APPUID", "LOOKALIKE_VALUE"})
MULTI_KEYS = HASHED_KEYS | LDU_KEYS | PLAIN_KEYS
# Keys that identify one person on their own: a removal sharing one of them removes the member.
IDENTIFYING_KEYS = frozenset({"EMAIL", "PHONE", "MADID", "EXTERN_ID", "PAGEUID", "APPUID"})
# Single-key schema names → the multi-key column they fill.
SINGLE_KEYS = {"EMAIL_SHA256": "EMAIL", "PHONE_SHA256": "PHONE", "MOBILE_ADVERTISER_ID": "MADID", "UID": "APPUID"}
CUSTOMER_FILE_SOURCES = ("USER_PROVIDED_ONLY", "PARTNER_PROVIDED_ONLY", "BOTH_USER_AND_PARTNER_PROVIDED")
MULTI_HASHES = "MULTI_HASHES"
HASHES = "HASHES"
# How Meta's lock message names an incoming single-key upload.
_INCOMING_NAME = {MULTI_HASHES: "MULTI_HASHES", HASHES: "HASHES_OR_USER_IDS"}
FLAGGED = 471
EXPIRING = 100  # unused for 2 years; Meta deletes it at delete_time (meta-api.md §5.8)
_HEX = "0123456789abcdef"
# SHA-256 of the empty string: a hashed "nothing". Meta counts such a cell invalid; it never matches.
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
MAX_SESSION_ID = 2**63 - 1


@dataclass
class Payload:
    """A validated ``payload``: canonical schema keys and the rows that may be applied."""

    schema: tuple[str, ...]
    sub_type: str
    rows: list[list[Any]]
    received: int
    invalid: int = 0
    samples: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SessionIn:
    """A validated ``session`` parameter."""

    session_id: str
    batch_seq: int
    last_batch_flag: bool
    estimated_num_total: int | None = None


def _json_param(raw: object, name: str) -> object:
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise invalid_param(f"(#100) param {name} must be a JSON object") from exc
    return raw


def parse_schema(raw: object) -> tuple[tuple[str, ...], str]:
    """``schema`` → (canonical keys, data-source sub-type of this upload kind)."""
    if isinstance(raw, str):
        key = raw.strip().upper()
        canonical = SINGLE_KEYS.get(key, key)
        if canonical not in MULTI_KEYS:
            raise invalid_param(f"(#100) Unsupported schema key '{raw}'")
        return (canonical,), HASHES
    if isinstance(raw, list) and raw:
        keys: list[str] = []
        for item in raw:
            if not isinstance(item, str) or item.strip().upper() not in MULTI_KEYS:
                raise invalid_param(f"(#100) Unsupported schema key '{item}'")
            keys.append(item.strip().upper())
        if len(set(keys)) != len(keys):
            raise invalid_param("(#100) The schema lists a key twice")
        return tuple(keys), MULTI_HASHES
    raise invalid_param("(#100) param payload[schema] must be a key name or a non-empty array of key names")


def _cell_ok(key: str, cell: object) -> bool:
    """Whether the cell has a type Meta accepts for the key (values are checked separately)."""
    if isinstance(cell, str):
        return True
    if isinstance(cell, bool):
        return False
    if key == "DATA_PROCESSING_OPTIONS":
        return isinstance(cell, list) and all(isinstance(item, str) for item in cell)
    if key in ("DATA_PROCESSING_OPTIONS_COUNTRY", "DATA_PROCESSING_OPTIONS_STATE"):
        return isinstance(cell, int)
    if key == "LOOKALIKE_VALUE":
        return isinstance(cell, int | float)
    return False


def parse_payload(raw: object) -> Payload:
    """Validate ``payload`` like Meta: structure errors are code 100; malformed hashes are invalid entries.

    A row is invalid (counted, sampled, not applied) when a hashed key's non-empty cell is not
    64 lowercase hex characters, when any cell is the SHA-256 of the empty string, when a MADID
    is not lower case (Meta: "all lower-case"), or when it has no non-empty cell outside the LDU
    columns.
    """
    document = _json_param(raw, "payload")
    if document is None:
        raise invalid_param("(#100) The parameter payload is required")
    if not isinstance(document, dict):
        raise invalid_param("(#100) param payload must be a JSON object")
    schema, sub_type = parse_schema(document.get("schema"))
    data = document.get("data")
    if not isinstance(data, list):
        raise invalid_param("(#100) param payload[data] must be an array")
    if len(data) > MAX_ROWS:
        raise invalid_param(
            f"(#100) Too many records in payload[data]: {len(data)}. At most {MAX_ROWS} records may be sent per request"
        )
    if "PAGEUID" in schema:
        pages = document.get("page_ids")
        if not isinstance(pages, list) or not pages or not all(isinstance(p, str | int) for p in pages):
            raise invalid_param("(#100) payload[page_ids] is required when the schema contains PAGEUID")
    payload = Payload(schema=schema, sub_type=sub_type, rows=[], received=len(data))
    hashed = [i for i, key in enumerate(schema) if key in HASHED_KEYS]
    madids = [i for i, key in enumerate(schema) if key == "MADID"]
    for index, row in enumerate(data):
        cells: list[Any] = row if isinstance(row, list) else [row]
        if sub_type == MULTI_HASHES and not isinstance(row, list):
            raise invalid_param(f"(#100) payload[data][{index}] must be an array with one cell per schema key")
        if len(cells) != len(schema):
            raise invalid_param(
                f"(#100) payload[data][{index}] has {len(cells)} cells but the schema has {len(schema)} keys"
            )
        if not all(type(cell) is str for cell in cells):  # strings suit every key: the common case
            for key, cell in zip(schema, cells, strict=True):
                if not _cell_ok(key, cell):
                    raise invalid_param(f"(#100) payload[data][{index}] has a cell of the wrong type for {key}")
        _accept_row(payload, cells, hashed, madids)
    return payload


def _is_sha256(cell: str) -> bool:
    # str.strip runs in C: a 64-character cell made only of hex digits strips to nothing.
    return len(cell) == 64 and not cell.strip(_HEX)


def _bad_cells(
    schema: Sequence[str], cells: list[Any], hashed: Sequence[int], madids: Sequence[int]
) -> list[tuple[str, Any]]:
    """The (key, cell) pairs that make a row an invalid entry."""
    bad = [(schema[i], cells[i]) for i in hashed if cells[i] and not _is_sha256(cells[i])]
    bad += [(schema[i], cells[i]) for i in madids if cells[i] != cells[i].lower()]
    bad += [(key, cell) for key, cell in zip(schema, cells, strict=True) if cell == EMPTY_SHA256]
    return bad


def _accept_row(payload: Payload, cells: list[Any], hashed: Sequence[int], madids: Sequence[int]) -> None:
    bad = _bad_cells(payload.schema, cells, hashed, madids)
    if not bad and not any(cell for key, cell in zip(payload.schema, cells, strict=True) if key not in LDU_KEYS):
        payload.invalid += 1  # nothing to match on
        return
    if bad:
        payload.invalid += 1
        for key, cell in bad:
            if len(payload.samples) < MAX_SAMPLES:
                payload.samples.setdefault(str(cell), key)
        return
    payload.rows.append(list(cells))


def parse_session(raw: object) -> SessionIn | None:
    """``session`` (JSON string or object) → :class:`SessionIn`; ``None`` when absent."""
    if raw is None or raw == "":
        return None
    document = _json_param(raw, "session")
    if not isinstance(document, dict):
        raise invalid_param("(#100) param session must be a JSON object")
    session_id = document.get("session_id")
    if isinstance(session_id, str) and session_id.strip().isdigit():
        session_id = int(session_id.strip())
    if isinstance(session_id, bool) or not isinstance(session_id, int) or not 0 < session_id <= MAX_SESSION_ID:
        raise invalid_param("(#100) param session[session_id] must be a positive 64-bit integer")
    batch_seq = _int_field(document, "batch_seq", 1)
    if batch_seq < 1:
        raise invalid_param("(#100) param session[batch_seq] must be a positive integer")
    flag = document.get("last_batch_flag", False)
    if isinstance(flag, str) and flag.lower() in ("true", "false", "1", "0"):
        flag = flag.lower() in ("true", "1")
    if not isinstance(flag, bool):
        raise invalid_param("(#100) param session[last_batch_flag] must be a boolean")
    total = document.get("estimated_num_total")
    return SessionIn(
        session_id=str(session_id),
        batch_seq=batch_seq,
        last_batch_flag=flag,
        estimated_num_total=None if total is None else _int_field(document, "estimated_num_total", 0),
    )


def _int_field(document: dict[str, Any], name: str, default: int) -> int:
    value = document.get(name, default)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid_param(f"(#100) param session[{name}] must be an integer")
    return value


# -- checks -----------------------------------------------------------------------------------------


def ensure_editable(audience: Audience) -> None:
    """Flagged audiences (operation_status 471) refuse member edits: 100 / 1713230."""
    if audience.operation_status.get("code") == FLAGGED:
        raise GraphError(
            100,
            "(#100) Audience Upload Blocked: this audience was flagged for integrity reasons and its "
            "members cannot be changed",
            error_type="OAuthException",
            subcode=1713230,
            extra={"error_user_title": "Audience Upload Blocked"},
        )


def ensure_source(audience: Audience, sub_type: str) -> None:
    """The data-format lock: after the first add, only uploads of the same kind are accepted (2650)."""
    locked = audience.data_source_sub_type
    if locked is not None and locked != sub_type:
        raise GraphError(
            2650,
            f"(#2650) Failed to update the custom audience: This audience was created from data source "
            f"FILE_IMPORTED.{locked}, which does not support data source FILE_IMPORTED.{_INCOMING_NAME[sub_type]}",
        )


# -- membership ------------------------------------------------------------------------------------


def _row_key(row: Sequence[Any]) -> str:
    # Cells are strings, numbers or lists of strings: repr tells any two different rows apart.
    return repr(list(row))


def _align(audience: Audience, schema: Sequence[str]) -> list[int]:
    """Grow the audience schema with new keys (padding old rows) and map ``schema`` onto it."""
    new_keys = [key for key in schema if key not in audience.schema]
    if new_keys:
        audience.schema.extend(new_keys)
        padding = [""] * len(new_keys)
        for member in audience.members:
            member.extend(padding)
        audience.member_keys = {_row_key(member) for member in audience.members}
    return [audience.schema.index(key) for key in schema]


def add_members(audience: Audience, payload: Payload) -> int:
    """Insert each valid row (an identical member is not duplicated); returns how many were new."""
    if audience.data_source_sub_type is None:
        audience.data_source_sub_type = payload.sub_type
    if not payload.rows:
        return 0
    positions = _align(audience, payload.schema)
    width = len(audience.schema)
    added = 0
    for row in payload.rows:
        member: list[Any] = [""] * width
        for position, cell in zip(positions, row, strict=True):
            member[position] = cell
        key = _row_key(member)
        if key in audience.member_keys:
            continue
        audience.member_keys.add(key)
        audience.members.append(member)
        added += 1
    return added


def remove_members(audience: Audience, payload: Payload) -> int:
    """Delete every member matching a removal row; returns how many were removed.

    A member matches when it shares a non-empty cell of an identifying key (EMAIL, PHONE, MADID,
    EXTERN_ID, PAGEUID, APPUID) with the row, or, for a row without identifying cells, when each
    of the row's non-empty non-LDU cells equals the member's cell for that key.
    """
    if not payload.rows or not audience.members:
        return 0
    identifiers: dict[str, set[str]] = {}
    partial: list[list[tuple[str, Any]]] = []
    for row in payload.rows:
        cells = [(key, cell) for key, cell in zip(payload.schema, row, strict=True) if cell and key not in LDU_KEYS]
        ids = [(key, cell) for key, cell in cells if key in IDENTIFYING_KEYS]
        for key, cell in ids:
            identifiers.setdefault(key, set()).add(_row_key([cell]))
        if not ids:
            partial.append(cells)
    columns = {key: audience.schema.index(key) for key in MULTI_KEYS if key in audience.schema}

    def matches(member: list[Any]) -> bool:
        for key, values in identifiers.items():
            column = columns.get(key)
            if column is not None and member[column] and _row_key([member[column]]) in values:
                return True
        return any(
            cells and all(key in columns and member[columns[key]] == cell for key, cell in cells) for cells in partial
        )

    kept = [member for member in audience.members if not matches(member)]
    removed = len(audience.members) - len(kept)
    if removed:
        audience.members = kept
        audience.member_keys = {_row_key(member) for member in kept}
    return removed


# -- sessions --------------------------------------------------------------------------------------


def record_session(
    audience: Audience, session: SessionIn | None, payload: Payload, *, new_session_id: str, op: str, now: int
) -> UploadSession:
    """Count this call in its session (a call without ``session`` is a one-batch session)."""
    record = None
    if session is not None:
        # usersreplace sessions keep their own records (replace.py), even under the same id.
        record = next((s for s in audience.sessions if s.session_id == session.session_id and s.op != REPLACE_OP), None)
    if record is None:
        record = UploadSession(
            session_id=session.session_id if session is not None else new_session_id, op=op, start_time=now
        )
        audience.sessions.append(record)
    record.num_received += payload.received
    record.num_valid += len(payload.rows)
    record.num_invalid_entries += payload.invalid
    record.batches += 1
    if session is None or session.last_batch_flag:
        record.stage = "processed"
        record.end_time = now
    return record


# -- reading ---------------------------------------------------------------------------------------


def count_bounds(size: int) -> tuple[int, int]:
    """Approximate size range: exact below 100, else floored to 2 significant figures plus one step."""
    if size < 100:
        return size, size
    step = 10 ** (len(str(size)) - 2)
    lower = size // step * step
    return lower, lower + step


def approximate_size(audience: Audience) -> int:
    """The size Meta would report: the members, or the test hook's fake floor when larger."""
    return max(len(audience.members), audience.size_floor or 0)


def delivery_status(audience: Audience) -> dict[str, Any]:
    """200 when usable (approximate size ≥ 100), 300 when too small."""
    if approximate_size(audience) >= 100:
        return {"code": 200, "description": "This audience is ready for use."}
    return {"code": 300, "description": "This audience is too small to be used for ad delivery."}


def data_source(audience: Audience) -> dict[str, Any]:
    """``UNKNOWN``/``ANYTHING`` until the first add, then ``FILE_IMPORTED`` + the locked sub-type."""
    if audience.data_source_sub_type is None:
        return {"type": "UNKNOWN", "sub_type": "ANYTHING", "creation_params": "[]"}
    return {"type": "FILE_IMPORTED", "sub_type": audience.data_source_sub_type, "creation_params": "[]"}


def delete_time(audience: Audience) -> int:
    """When Meta deletes an expiring (100) audience; 0 for any other status."""
    return audience.delete_time if audience.operation_status.get("code") == EXPIRING else 0


def render_audience(audience: Audience) -> dict[str, Any]:
    """Every readable field of the audience node (callers select the requested ones)."""
    lower, upper = count_bounds(approximate_size(audience))
    values: dict[str, Any] = {
        "id": audience.id,
        "name": audience.name,
        "account_id": audience.account_id.removeprefix("act_"),
        "subtype": audience.subtype,
        "description": audience.description,
        "operation_status": dict(audience.operation_status),
        "delivery_status": delivery_status(audience),
        "approximate_count_lower_bound": lower,
        "approximate_count_upper_bound": upper,
        "data_source": data_source(audience),
        "time_created": audience.time_created,
        "time_updated": audience.time_updated,
        "time_content_updated": audience.time_updated,
        "retention_days": 0,
        "delete_time": delete_time(audience),
        "fields_violating_integrity_policy": ["name"] if audience.operation_status.get("code") == FLAGGED else [],
    }
    if audience.customer_file_source is not None:
        values["customer_file_source"] = audience.customer_file_source
    return values


AUDIENCE_FIELDS = (
    "id",
    "name",
    "account_id",
    "subtype",
    "description",
    "customer_file_source",
    "operation_status",
    "delivery_status",
    "approximate_count_lower_bound",
    "approximate_count_upper_bound",
    "data_source",
    "time_created",
    "time_updated",
    "time_content_updated",
    "retention_days",
    "delete_time",
    "fields_violating_integrity_policy",
)

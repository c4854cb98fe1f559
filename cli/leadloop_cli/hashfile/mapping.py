"""Which CSV column feeds which Meta schema key.

CRM exports name their columns every which way ("E-mail", "Phone Number", "Zip/Postal Code"), so a
header matches a key by a canonical form of its name (case-folded, runs of other characters turned
into ``_``) against the key itself and a table of common aliases; ``--map COLUMN=KEY`` overrides
or extends that. Everything is resolved from the header alone, before any data row is read, and
the error messages never print header names the user did not type: a file without a header row
would make its first row of personal data the "header".
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from leadloop.rows.columns import canonical_name, header_name, match_column
from leadloop_cli.hashfile.encoding import wide_hint
from leadloop_cli.hashfile.errors import HashFileError
from leadloop_cli.hashfile.reader import has_undecodable

__all__ = [
    "ALIASES",
    "COUNTRY",
    "ColumnMap",
    "canonical_name",
    "parse_key_list",
    "parse_map_argument",
    "parse_schema",
    "resolve_columns",
]

COUNTRY = "COUNTRY"

_KEY_ALIASES: dict[str, tuple[str, ...]] = {
    "EMAIL": ("email", "e_mail", "email_address", "e_mail_address", "mail"),
    "PHONE": (
        "phone",
        "phone_number",
        "phonenumber",
        "mobile",
        "mobile_phone",
        "mobile_number",
        "cell",
        "cell_phone",
        "telephone",
        "tel",
    ),
    "FN": ("first_name", "firstname", "given_name", "forename", "fname"),
    "LN": ("last_name", "lastname", "surname", "family_name", "lname"),
    "FI": ("first_initial", "initial"),
    "CT": ("city", "town"),
    "ST": ("state", "province", "state_province", "state_or_province", "region"),
    "ZIP": ("zip", "zip_code", "zipcode", "postal_code", "postalcode", "postcode", "post_code", "zip_postal_code"),
    "COUNTRY": ("country", "country_code"),
    "GEN": ("gender", "sex"),
    "DOBY": ("birth_year", "dob_year", "year_of_birth"),
    "DOBM": ("birth_month", "dob_month", "month_of_birth"),
    "DOBD": ("birth_day", "dob_day", "day_of_birth"),
    "MADID": ("maid", "idfa", "gaid", "advertising_id", "mobile_advertiser_id"),
    "EXTERN_ID": ("external_id",),
    "LOOKALIKE_VALUE": ("customer_value", "ltv", "lifetime_value"),
}

ALIASES: dict[str, str] = {alias: key for key, aliases in _KEY_ALIASES.items() for alias in aliases}
"""Canonical column name → schema key (besides the key's own name, which always matches)."""


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """For each schema key in payload order, the header position that feeds it.

    ``hint_index`` is a COUNTRY column used only as the per-row country hint for PHONE/ST/ZIP when
    COUNTRY itself is not in the schema: a CRM file's country column improves phone and postal
    normalization even when the audience does not send COUNTRY.
    """

    schema: tuple[str, ...]
    indexes: tuple[int, ...]
    columns: tuple[str, ...]
    hint_index: int | None = None
    hint_column: str | None = None

    def as_dict(self) -> dict[str, str]:
        """Schema key → column name (column names that matched a key or alias, or that the user gave)."""
        return dict(zip(self.schema, self.columns, strict=True))


def parse_schema(text: str, known_keys: Collection[str]) -> tuple[str, ...]:
    """``"email, phone"`` → ``("EMAIL", "PHONE")``; unknown or repeated keys are an error."""
    keys = parse_key_list(text, "--schema")
    if not keys:
        raise HashFileError("--schema is empty; give the payload keys, e.g. --schema EMAIL,PHONE")
    unknown = [key for key in keys if key not in known_keys]
    if unknown:
        raise HashFileError(
            f"--schema has unknown key(s) {', '.join(unknown)}; known keys: {', '.join(sorted(known_keys))}"
        )
    return keys


def parse_key_list(text: str, option: str) -> tuple[str, ...]:
    """A comma-separated list of keys, upper-cased, blanks dropped, repeats refused."""
    keys = tuple(part.strip().upper() for part in text.split(",") if part.strip())
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise HashFileError(f"{option} repeats key(s) {', '.join(repeated)}")
    return keys


def parse_map_argument(text: str) -> tuple[str, str]:
    """``"Mobile Phone=PHONE"`` → ``("Mobile Phone", "PHONE")`` (split at the last ``=``)."""
    column, sep, key = text.rpartition("=")
    if not sep or not column.strip() or not key.strip():
        raise HashFileError(f"--map expects COLUMN=KEY, got {text!r}")
    return column.strip(), key.strip().upper()


def resolve_columns(
    header: Sequence[str], schema: Sequence[str], overrides: Sequence[tuple[str, str]] = ()
) -> ColumnMap:
    """Pick the column for every schema key: ``--map`` first, then the key's name or an alias."""
    chosen: dict[str, int] = {}
    for column, key in overrides:
        if key not in schema and key != COUNTRY:
            raise HashFileError(f"--map {column}={key}: {key} is not in --schema")
        if key in chosen:
            raise HashFileError(f"--map gives more than one column for {key}")
        chosen[key] = _find_column(header, column)

    canon = [canonical_name(name) for name in header]
    missing: list[str] = []
    for key in schema:
        if key in chosen:
            continue
        matches = [i for i, name in enumerate(canon) if name == key.lower() or ALIASES.get(name) == key]
        if len(matches) > 1:
            listed = ", ".join(repr(header[i].strip()) for i in matches)
            raise HashFileError(f"{key} matches several columns ({listed}); pick one with --map COLUMN={key}")
        if matches:
            chosen[key] = matches[0]
        else:
            missing.append(key)
    if missing:
        raise HashFileError(_missing_message(header, missing))

    hint = _country_hint(canon, schema, chosen)
    names = [header_name(name) for name in header]
    indexes = tuple(chosen[key] for key in schema)
    return ColumnMap(
        tuple(schema),
        indexes,
        tuple(names[i] for i in indexes),
        hint_index=hint,
        hint_column=None if hint is None else names[hint],
    )


def _country_hint(canon: Sequence[str], schema: Sequence[str], chosen: dict[str, int]) -> int | None:
    """The COUNTRY column to use as a hint only, when COUNTRY is not sent (``--map`` or one unambiguous name)."""
    if COUNTRY in schema:
        return None
    if COUNTRY in chosen:
        return chosen[COUNTRY]
    matches = [i for i, name in enumerate(canon) if name == "country" or ALIASES.get(name) == COUNTRY]
    return matches[0] if len(matches) == 1 else None


def _find_column(header: Sequence[str], column: str) -> int:
    match = match_column(header, column)
    if match.position is not None:
        return match.position
    if match.exact:
        raise HashFileError(f"--map column {column!r} appears {len(match.positions)} times in the header")
    if match.positions:
        raise HashFileError(
            f"--map column {column!r} matches {len(match.positions)} header columns; use the exact name"
        )
    raise HashFileError(f"--map column {column!r} is not in the header")


def _missing_message(header: Sequence[str], missing: Sequence[str]) -> str:
    hint = ""
    wide = wide_hint(header)
    if wide is not None:
        hint = f"; the header holds NUL characters: is the file {wide} without a byte-order mark? try --encoding {wide}"
    elif len(header) == 1 and any(sep in header[0] for sep in ";\t|"):
        hint = "; the header has a single column: is the file delimited by something else (--delimiter)?"
    elif any(has_undecodable(name) for name in header):
        hint = "; the header has bytes the encoding could not decode: try --encoding (e.g. cp1252)"
    keys = ", ".join(missing)
    return (
        f"no column for schema key(s) {keys} among the header's {len(header)} column(s); "
        f"name them with --map COLUMN=KEY{hint}"
    )

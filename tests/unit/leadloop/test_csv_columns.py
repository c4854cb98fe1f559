"""One rule for a column name a person gives: exact header name first, then its canonical form."""

from __future__ import annotations

from leadloop.rows.columns import canonical_name, match_column


def test_canonical_name_folds_case_punctuation_spaces_and_a_bom() -> None:
    assert canonical_name("\ufeff E-Mail  Address ") == "e_mail_address"


def test_an_exact_name_matches_only_its_column() -> None:
    # Given a header with two spellings of one name
    header = ["E-mail", "e mail"]
    # When the exact spelling is asked for
    match = match_column(header, "e mail")
    # Then only that column matches, exactly
    assert (match.positions, match.exact, match.position) == ((1,), True, 1)


def test_a_loose_name_matches_every_canonical_twin_and_names_no_single_column() -> None:
    # Given a header with two spellings of one name
    header = ["E-mail", "e mail", "Phone"]
    # When a third spelling is asked for
    match = match_column(header, "E_MAIL")
    # Then both match loosely, so no single column is meant
    assert (match.positions, match.exact, match.position) == ((0, 1), False, None)


def test_a_repeated_exact_name_names_no_single_column() -> None:
    match = match_column(["Email", "Email"], "Email")
    assert (match.positions, match.exact, match.position) == ((0, 1), True, None)


def test_an_absent_name_matches_nothing() -> None:
    assert match_column(["Email"], "Phone").positions == ()

"""``leadloop hash`` end to end through ``main()`` with the real ``leadloop.audience`` library.

Expected cells are Meta's published and self-computed vectors (meta-api.md §7.3), not values
recomputed with the code under test.
"""

from __future__ import annotations

import json

import pytest

from leadloop_cli import main as cli

MARY_EMAIL = "f1904cf1a9d73a55fa5de0ac823c4403ded71afd4c3248d00bdcd0866552bb79"
PHONE_15559876543 = "1ef970831d7963307784fa8688e8fce101a15685d62aa765fed23f3a2c576a4e"
FN_MARY = "6915771be1c5aa0c886870b6951b03d7eafc121fea0e80a5ea83beb7c449f4ec"
LN_SMITH = "6627835f988e2c5e50533d491163072d3f4f41f5c8b04630150debb3722ca2dd"
CT_MENLOPARK = "0007a3d64c01e23d5075203c5977c14e4f7e01a3fc570686fcc50b5e1dd42685"
COUNTRY_US = "79adb2a2fce5c6ba215fe5f27f532d4e7edbac4b6a5e09e1ef3a08084a904621"
FN_JOSE = "d994e1d001886fe5b45b1267bd1fa2b752ac50742579bd3dad7b2a2aa0ed6866"

SCHEMA = "EMAIL,PHONE,FN,LN,CT,COUNTRY"
MIXED = (
    "\ufeffE-mail,Phone Number,First Name,Last Name,City,Country,Notes\r\n".encode()
    + b'"  Mary@Example.com ",+1 (555) 987-6543,Mary,Smith,Menlo Park,United States,vip\r\n'  # 2
    + b'not an email,(555) 987-6543,MARY,smith,"Menlo\r\nPark",,\r\n'  # 3 (quoted line break)
    + b"mary@example.com,5559876543,Mary,Smith,Menlo Park,US,x,extra\r\n"  # 4 ragged
    + b",,,,,,\r\n"  # 5 empty
    + b"mary@example.com,5559876543,Jos\xe9,Smith,Menlo Park,US,\r\n"  # 6 bad encoding
    + b"mary@example.com,12,Jos\xc3\xa9,,,usa,caf\xe9\r\n"  # 7 bad PHONE cell; bad byte in unmapped Notes
    + b"\r\n"  # 8 blank line
    + b"@,n/a,!!!,,,Atlantis,\r\n"  # 9 nothing usable: empty row, three rejected cells
)
VALUES = [
    "Mary",
    "mary",
    "Smith",
    "smith",
    "Menlo",
    "555",
    "987",
    "6543",
    "Jos",
    "example.com",
    "Atlantis",
    "vip",
    "caf",
]


@pytest.fixture(autouse=True)
def _hash_command(monkeypatch):
    modules = list(cli.COMMAND_MODULES)
    if "leadloop_cli.commands.hash" not in modules:
        modules.append("leadloop_cli.commands.hash")
    monkeypatch.setattr(cli, "COMMAND_MODULES", modules)


def _csv(tmp_path, data: bytes = MIXED):
    path = tmp_path / "crm.csv"
    path.write_bytes(data)
    return path


def test_mixed_quality_file_gives_exact_rows_and_report(tmp_path, capsys):
    source, out, report_path = _csv(tmp_path), tmp_path / "out.jsonl", tmp_path / "report.json"
    code = cli.main(
        [
            "hash", str(source), "--schema", SCHEMA, "--default-country", "US",
            "--out", str(out), "--report", str(report_path),
        ]
    )  # fmt: skip
    assert code == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows == [
        [MARY_EMAIL, PHONE_15559876543, FN_MARY, LN_SMITH, CT_MENLOPARK, COUNTRY_US],
        ["", PHONE_15559876543, FN_MARY, LN_SMITH, CT_MENLOPARK, ""],
        [MARY_EMAIL, "", FN_JOSE, "", "", COUNTRY_US],
    ]
    report = json.loads(report_path.read_text())
    assert report["rows_read"] == 8 and report["rows_written"] == 3 and report["output_written"] is True
    assert report["rows_rejected"] == {
        "bad_encoding": {"count": 1, "rows": [6]},
        "empty_row": {"count": 3, "rows": [5, 8, 9]},
        "ragged_row": {"count": 1, "rows": [4]},
    }
    assert report["cells_rejected"] == {
        "EMAIL": {"invalid_email": {"count": 2, "rows": [3, 9]}},
        "PHONE": {"invalid_phone": {"count": 1, "rows": [7]}},  # "n/a" is a placeholder: empty
        "FN": {"invalid_name": {"count": 1, "rows": [9]}},
        "COUNTRY": {"invalid_country": {"count": 1, "rows": [9]}},
    }
    assert report["columns"] == {
        "EMAIL": "E-mail", "PHONE": "Phone Number", "FN": "First Name",
        "LN": "Last Name", "CT": "City", "COUNTRY": "Country",
    }  # fmt: skip
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "8 row(s) read, 3 written, 5 rejected, 5 cell(s) rejected" in captured.err
    assert "ragged_row" in captured.err and "PHONE invalid_phone" in captured.err
    leaked = [v for v in VALUES if v in captured.err or v in report_path.read_text()]
    assert leaked == []


def test_stdout_output_and_quiet(tmp_path, capsys):
    source = _csv(tmp_path, b"email,phone\nmary@example.com,+15559876543\n")
    assert cli.main(["hash", str(source), "--schema", "EMAIL,PHONE", "--out", "-", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.out == f'["{MARY_EMAIL}","{PHONE_15559876543}"]\n'
    assert captured.err == ""


def test_map_prehashed_and_country_hint_column(tmp_path, capsys):
    source = _csv(tmp_path, f"Mail SHA,Handy,Land\n{MARY_EMAIL.upper()},(555) 987-6543,United States\n".encode())
    out = tmp_path / "out.jsonl"
    argv = [
        "hash",
        str(source),
        "--schema",
        "EMAIL,PHONE",
        "--map",
        "Mail SHA=EMAIL",
        "--map",
        "Handy=PHONE",
        "--map",
        "Land=COUNTRY",
    ]
    assert cli.main([*argv, "--prehashed", "EMAIL", "--out", str(out)]) == 0
    assert json.loads(out.read_text()) == [MARY_EMAIL, PHONE_15559876543]


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["--schema", "EMAIL,DOB"], "--schema has unknown key(s) DOB"),
        (["--schema", "EMAIL,ZIP"], "no column for schema key(s) ZIP"),
        (["--schema", "EMAIL", "--map", "Fax=EMAIL"], "--map column 'Fax' is not in the header"),
        (["--schema", "EMAIL", "--prehashed", "PHONE"], "--prehashed key(s) PHONE not in --schema"),
        (["--schema", "EMAIL", "--default-country", "XX"], "--default-country XX is not an ISO 3166-1 country"),
        (["--schema", "EMAIL", "--encoding", "nope"], "unknown --encoding 'nope'"),
    ],
)
def test_unusable_arguments_exit_1_and_leave_out_alone(tmp_path, capsys, argv, reason):
    out = tmp_path / "out.jsonl"
    out.write_text("previous\n")
    assert cli.main(["hash", str(_csv(tmp_path)), *argv, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("leadloop: hash: ") and reason in err and err.count("\n") == 1
    assert out.read_text() == "previous\n"


def test_missing_input_and_header_only(tmp_path, capsys):
    out = str(tmp_path / "out.jsonl")
    assert cli.main(["hash", str(tmp_path / "nope.csv"), "--schema", "EMAIL", "--out", out]) == 1
    assert "cannot read" in capsys.readouterr().err
    assert cli.main(["hash", str(_csv(tmp_path, b"email\n")), "--schema", "EMAIL", "--out", out]) == 1
    assert "no data rows" in capsys.readouterr().err


def test_every_row_rejected_exits_1_without_output(tmp_path, capsys):
    out = tmp_path / "out.jsonl"
    out.write_text("previous\n")
    source = _csv(tmp_path, b"email\nnot-an-email\n@\n")
    assert cli.main(["hash", str(source), "--schema", "EMAIL", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "EMAIL invalid_email" in err and "none of the 2 row(s) produced a payload row" in err
    assert "not-an-email" not in err
    assert out.read_text() == "previous\n"


def test_bad_argument_values_are_usage_errors(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["hash", str(_csv(tmp_path)), "--schema", "EMAIL", "--out", "-", "--default-country", "USA"])
    assert info.value.code == 2


def test_jobs_give_the_same_file_and_report_with_the_real_library(tmp_path, capsys):
    """Batches hashed on two processes come back in input order, with the report of one process."""
    data = MIXED + b"".join(
        b"p%d@Example.com,+1 (555) 987-%04d,Mary,Smith,Menlo Park,US,\r\n" % (n, n) for n in range(2_500)
    )
    source = _csv(tmp_path, data)
    outputs, reports = [], []
    for jobs in ("1", "2"):
        out, report_path = tmp_path / f"out{jobs}.jsonl", tmp_path / f"report{jobs}.json"
        argv = ["hash", str(source), "--schema", SCHEMA, "--out", str(out), "--report", str(report_path)]
        assert cli.main([*argv, "--jobs", jobs, "--quiet"]) == 0
        outputs.append(out.read_bytes())
        report = json.loads(report_path.read_text())
        reports.append({k: v for k, v in report.items() if k not in ("elapsed_seconds", "output")})
    assert outputs[0] == outputs[1] and outputs[0].count(b"\n") == 3 + 2_500
    assert json.loads(outputs[0].splitlines()[0]) == [
        MARY_EMAIL,
        PHONE_15559876543,
        FN_MARY,
        LN_SMITH,
        CT_MENLOPARK,
        COUNTRY_US,
    ]
    assert reports[0] == reports[1] and reports[0]["rows_read"] == 8 + 2_500


@pytest.mark.parametrize("jobs", ["0", "65", "two", "-1"])
def test_jobs_out_of_range_is_a_usage_error(tmp_path, capsys, jobs):
    with pytest.raises(SystemExit) as info:
        cli.main(["hash", str(_csv(tmp_path)), "--schema", "EMAIL", "--out", "-", "--jobs", jobs])
    assert info.value.code == 2 and "--jobs takes a whole number from 1 to 64" in capsys.readouterr().err

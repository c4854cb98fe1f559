"""The data `make build` deletes from the layer (infra/layer-trim.txt) is data normalization never reads."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.template import REPO_ROOT

PROBE = """
import sys
sys.path.insert(0, {root!r})
import phonenumbers, pycountry
assert phonenumbers.__file__.startswith({root!r}) and pycountry.__file__.startswith({root!r})
from leadloop.audience import hash_record, normalize
assert normalize("PHONE", "+44 (0)20 7946 0958") == "442079460958"
assert normalize("PHONE", "(650) 253-0001", country="US") == "16502530001"
assert normalize("COUNTRY", "Deutschland") == "de"
assert normalize("ST", "California", country="US") == "ca"
row = {{"EMAIL": "a@b.co", "PHONE": "650 253 0001", "COUNTRY": "United States"}}
assert all(hash_record(row, ["EMAIL", "PHONE", "COUNTRY"]))
"""


def trimmed_paths() -> list[str]:
    lines = (REPO_ROOT / "infra" / "layer-trim.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_normalization_works_on_the_trimmed_layer(tmp_path: Path):
    # Given copies of the packages with the trimmed folders removed
    for package in ("phonenumbers", "pycountry"):
        spec = importlib.util.find_spec(package)
        assert spec is not None and spec.origin is not None
        shutil.copytree(Path(spec.origin).parent, tmp_path / package)
    for path in trimmed_paths():
        assert (tmp_path / path).exists(), f"{path} no longer exists: update infra/layer-trim.txt"
        shutil.rmtree(tmp_path / path)
    # Then normalization gives the same answers in a fresh interpreter
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(root=str(tmp_path))], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]

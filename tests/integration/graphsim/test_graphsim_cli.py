"""``python -m leadloop_cli.graphsim`` starts, prints its URL and stops on SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import requests


def test_standalone_server_serves_and_stops():
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "leadloop_cli.graphsim",
            "--port",
            "0",
            "--app-id",
            "1",
            "--app-secret",
            "s",
            "--page",
            "10:tok",
            "--form",
            "20:10",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = json.loads(process.stdout.readline())["graph_url"]
        lead = requests.post(f"{url}/_sim/leads", json={"page_id": "10", "form_id": "20", "field_data": []}, timeout=5)
        assert lead.status_code == 200
        assert requests.get(f"{url}/_sim/clock", timeout=5).json()["now"] > 0
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0

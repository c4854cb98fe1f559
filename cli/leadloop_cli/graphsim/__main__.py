"""``python -m leadloop_cli.graphsim``: run the simulator on its own until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from typing import TYPE_CHECKING

from leadloop_cli.graphsim.simulator import GraphSimulator

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import FrameType


def _pair(text: str) -> tuple[str, str]:
    left, sep, right = text.partition(":")
    if not sep or not left or not right:
        raise argparse.ArgumentTypeError(f"expected A:B, got {text!r}")
    return left, right


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m leadloop_cli.graphsim", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--app-id", required=True)
    parser.add_argument("--app-secret", required=True)
    parser.add_argument("--page", action="append", type=_pair, default=[], metavar="PAGE_ID:TOKEN")
    parser.add_argument("--form", action="append", type=_pair, default=[], metavar="FORM_ID:PAGE_ID")
    parser.add_argument("--no-appsecret-proof", action="store_true", help="accept calls without appsecret_proof")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Start, print ``{"graph_url": ...}`` as one JSON line, serve until a signal arrives."""
    args = build_parser().parse_args(argv)
    sim = GraphSimulator(
        app_id=args.app_id, app_secret=args.app_secret, require_appsecret_proof=not args.no_appsecret_proof
    )
    try:
        for page_id, token in args.page:
            sim.add_page(page_id, token)
        for form_id, page_id in args.form:
            sim.add_form(form_id, page_id)
    except ValueError as exc:
        print(f"graphsim: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def _on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    url = sim.start(host=args.host, port=args.port)
    print(json.dumps({"graph_url": url}), flush=True)
    try:
        stop.wait()
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Run the emulator standalone: prints its URL on stdout line 1, serves until killed."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from .server import Emulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m awsenv.emulator", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    parser.add_argument(
        "--state-file", help="JSON file keeping registrations, tokens and keys across restarts"
    )
    parser.add_argument("--verbose", action="store_true", help="one line per call on stderr")
    args = parser.parse_args(argv)

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    emulator = Emulator(
        args.port, state_file=args.state_file, echo=sys.stderr if args.verbose else None
    )
    with emulator:
        print(emulator.url, flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())

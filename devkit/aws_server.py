"""The emulated AWS of the local endpoint: the moto server in a process of its own.

Its own process, so that it does not share an interpreter (and its lock) with the handler and the
callers; its DynamoDB item calls are atomic, as DynamoDB's are, and its FIFO topics drop a message
whose deduplication id they took in the last 5 minutes, as SNS's do (devkit.fifo).

    python -m devkit.aws_server --port 5000
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import threading


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    from moto.server import ThreadedMotoServer

    from devkit.atomic import atomic_dynamodb
    from devkit.fifo import topic_deduplication

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with atomic_dynamodb(), topic_deduplication():
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=args.port, verbose=False)
        server.start()
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
        server.stop()


if __name__ == "__main__":
    main()

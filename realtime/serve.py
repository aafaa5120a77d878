"""Run one QuizZone worker: daphne plus registration, heartbeat, drain on SIGTERM and rebalancing.

    python -m realtime.serve --port 8001 [--host 127.0.0.1] [--worker-id w1] [--public-url ws://…]

daphne's own SIGTERM handling cancels every consumer at once (django/daphne#177). Here SIGTERM/SIGINT
instead: /readyz turns 503, the worker tells the gateway it is draining, waits --drain-grace seconds for
the load balancer to notice, sends every client `reconnect` and closes it with 4012, then stops.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import socket

import daphne.server  # noqa: F401 - installs the asyncio reactor before anything imports twisted

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quizzone.settings.local")

log = logging.getLogger("realtime.serve")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--worker-id", default=os.environ.get("QUIZZONE_WORKER_ID", ""))
    parser.add_argument(
        "--public-url",
        default=os.environ.get("QUIZZONE_PUBLIC_URL", ""),
        help="base WebSocket URL clients reach this worker at, e.g. ws://10.0.0.5:8001",
    )
    parser.add_argument(
        "--drain-grace", type=float, default=float(os.environ.get("QUIZZONE_DRAIN_GRACE", "1"))
    )
    parser.add_argument(
        "--heartbeat-seconds",
        type=float,
        default=float(os.environ.get("QUIZZONE_HEARTBEAT_SECONDS", "2")),
        help="how often the worker publishes its figures (rebalancing paces itself by it)",
    )
    parser.add_argument(
        "--drain-spread-ms",
        type=int,
        default=3000,
        help="clients are told to come back after a random delay up to this",
    )
    opts = parser.parse_args()
    worker_id = opts.worker_id or f"{socket.gethostname()}-{opts.port}"
    os.environ["QUIZZONE_WORKER_ID"] = worker_id
    os.environ["QUIZZONE_HEARTBEAT_SECONDS"] = str(opts.heartbeat_seconds)
    public_url = opts.public_url or f"ws://{opts.host}:{opts.port}"

    from channels.routing import get_default_application  # the project's settings.ASGI_APPLICATION
    from daphne.server import Server
    from twisted.internet import reactor

    from realtime.workers import drain, heartbeat_loop

    application = get_default_application()

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    tasks: set[asyncio.Task] = set()

    def on_signal() -> None:
        if getattr(on_signal, "fired", False):
            return
        on_signal.fired = True  # type: ignore[attr-defined]
        task = asyncio.ensure_future(drain_then_stop())
        tasks.add(task)

    async def drain_then_stop() -> None:
        try:
            await drain(worker_id, public_url, opts.drain_grace, opts.drain_spread_ms)
        finally:
            reactor.stop()

    def started() -> None:
        loop = asyncio.get_event_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, on_signal)
        tasks.add(asyncio.ensure_future(heartbeat_loop(worker_id, public_url)))
        log.info("worker %s serving %s", worker_id, public_url)

    reactor.callWhenRunning(started)
    Server(
        application=application,
        endpoints=[f"tcp:port={opts.port}:interface={opts.host}"],
        signal_handlers=False,
        websocket_max_message_size=64 * 1024,
        websocket_max_frame_size=64 * 1024,
        application_close_timeout=5,
        verbosity=0,
    ).run()


if __name__ == "__main__":
    main()

"""Run one QuizZone worker: an ASGI server plus registration, heartbeat, drain on SIGTERM and rebalancing.

    python -m realtime.serve --port 8001 [--host 127.0.0.1] [--worker-id w1] [--public-url ws://…]
                             [--server uvicorn|daphne]

Serving every interface (--host 0.0.0.0, classroom mode) with QUIZZONE_PUBLIC_URL unset, the worker takes this
machine's LAN address as the site's public URL (join links, QR codes, the gateway: realtime/network.py).

The server is uvicorn (uvloop, httptools, websockets) unless `--server daphne` or QUIZZONE_SERVER says
otherwise; the application is the same (settings.ASGI_APPLICATION). See docs/decisions/0006-uvicorn.md.
Neither server's own SIGTERM handling drains (daphne cancels every consumer at once, django/daphne#177;
uvicorn closes every socket with 1012). Here SIGTERM/SIGINT instead: /readyz turns 503, the worker tells
the gateway it is draining, waits --drain-grace seconds for the load balancer to notice, sends every
client `reconnect` and closes it with 4012, then stops.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import resource
import signal
import socket
from collections.abc import Iterator

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quizzone.settings.local")

log = logging.getLogger("realtime.serve")


def open_files_raise() -> int:
    """A worker holds a file per socket: take the hard limit (20,000 here), not the soft one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def worker_url(host: str, port: int) -> str:
    """The WebSocket URL this worker registers, and the site URL the settings read (QUIZZONE_PUBLIC_URL):
    phones must reach both, so serving every interface means the LAN address, not 0.0.0.0."""
    from realtime import network

    site = network.site_url(host, port, os.environ.get("QUIZZONE_PUBLIC_URL", ""))
    if site:
        os.environ["QUIZZONE_PUBLIC_URL"] = site  # before Django reads its settings
        return network.ws_url(site)
    if network.is_wildcard(host):
        log.warning(
            "serving every interface, but no LAN address found: join links and QR codes name the address"
            " the host's browser used; set QUIZZONE_PUBLIC_URL=http://<this machine's address>:%s",
            port,
        )
        return f"ws://127.0.0.1:{port}"
    return f"ws://{host}:{port}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--worker-id", default=os.environ.get("QUIZZONE_WORKER_ID", ""))
    parser.add_argument(
        "--public-url",
        default="",
        help="base WebSocket URL clients reach this worker at, e.g. ws://10.0.0.5:8001"
        " (default: QUIZZONE_PUBLIC_URL, or the LAN address when --host is 0.0.0.0)",
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
    parser.add_argument("--backlog", type=int, default=int(os.environ.get("QUIZZONE_LISTEN_BACKLOG", "4096")))
    parser.add_argument(
        "--server", choices=("uvicorn", "daphne"), default=os.environ.get("QUIZZONE_SERVER", "uvicorn")
    )
    opts = parser.parse_args()
    worker_id = opts.worker_id or f"{socket.gethostname()}-{opts.port}"
    os.environ["QUIZZONE_WORKER_ID"] = worker_id
    os.environ["QUIZZONE_HEARTBEAT_SECONDS"] = str(opts.heartbeat_seconds)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    public_url = opts.public_url or worker_url(opts.host, opts.port)
    open_files = open_files_raise()
    log.info(
        "worker %s (%s) serving %s (open files up to %s)", worker_id, opts.server, public_url, open_files
    )
    if opts.server == "daphne":
        serve_daphne(opts, worker_id, public_url)
    else:
        serve_uvicorn(opts, worker_id, public_url)


def collector_prepare() -> None:
    """Once the application is loaded, its objects leave every later collection (realtime/collector.py)."""
    from realtime import collector, workers
    from realtime.periodic import every

    frozen = collector.startup_freeze()
    every(0.5, "gc-freeze", lambda: collector.survivors_freeze(len(workers.sockets)))
    log.info("%s objects of the start frozen out of garbage collection", frozen)


def resync_prepare() -> None:
    """Every half second, a probe through Redis pub/sub; after a break, this worker's sockets resync."""
    from realtime import workers
    from realtime.periodic import every

    every(0.5, "pubsub-probe", workers.pubsub_check)


def serve_uvicorn(opts: argparse.Namespace, worker_id: str, public_url: str) -> None:
    import uvicorn
    import uvloop
    from channels.routing import get_default_application  # the project's settings.ASGI_APPLICATION

    from realtime.periodic import jobs_start
    from realtime.workers import drain, heartbeat_loop

    class DrainingServer(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:  # SIGTERM drains first (below), then stops
            yield

    config = uvicorn.Config(
        get_default_application(),
        host=opts.host,
        port=opts.port,
        loop="none",
        http="httptools",
        ws="websockets-sansio",
        ws_max_size=64 * 1024,
        backlog=opts.backlog,
        lifespan="off",
        log_config=None,  # uvicorn's records go to the root handler of settings.LOGGING: one format, once
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    server = DrainingServer(config)
    collector_prepare()
    resync_prepare()

    async def run() -> None:
        loop = asyncio.get_running_loop()
        background: set[asyncio.Task] = set()

        async def drain_then_stop() -> None:
            try:
                await drain(worker_id, public_url, opts.drain_grace, opts.drain_spread_ms)
            finally:
                server.should_exit = True

        def on_signal() -> None:
            if server.should_exit or background:
                server.force_exit = server.should_exit  # a second signal after the drain: now
                return
            background.add(loop.create_task(drain_then_stop()))

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, on_signal)
        beat = loop.create_task(heartbeat_loop(worker_id, public_url))
        jobs = jobs_start()
        try:
            await server.serve()
        finally:
            for task in (beat, *jobs):
                task.cancel()

    uvloop.run(run())


def serve_daphne(opts: argparse.Namespace, worker_id: str, public_url: str) -> None:
    import daphne.server  # noqa: F401 - installs the asyncio reactor before anything imports twisted
    from channels.routing import get_default_application
    from daphne.server import Server
    from twisted.internet import reactor

    from realtime.periodic import jobs_start
    from realtime.workers import drain, heartbeat_loop

    application = get_default_application()
    collector_prepare()
    resync_prepare()
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
        tasks.update(jobs_start())

    reactor.callWhenRunning(started)
    Server(
        application=application,
        # Twisted listens with a backlog of 50: a burst of connects overflowed it (46,132 drops in one
        # 10,000-player run, each retried by the client after 1, 3, 7 ... s). Admission control
        # (realtime/admission.py) paces what follows the handshake.
        endpoints=[f"tcp:port={opts.port}:interface={opts.host}:backlog={opts.backlog}"],
        signal_handlers=False,
        websocket_max_message_size=64 * 1024,
        websocket_max_frame_size=64 * 1024,
        application_close_timeout=5,
        verbosity=0,
    ).run()


if __name__ == "__main__":
    main()

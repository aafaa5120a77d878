"""Prints an HAProxy configuration for N local QuizZone workers (ports PORT+1 … PORT+N)."""

from __future__ import annotations

import argparse

TEMPLATE = """\
global
    maxconn {maxconn}

defaults
    mode http
    option http-server-close
    # the client's address for the per-address limits (realtime/limits.py, QUIZZONE_TRUSTED_PROXIES)
    option forwardfor
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
    timeout client-fin 5s
    # a busy worker may answer /readyz slowly; only a worker that cannot answer at all is taken out
    timeout check 2s
    # A connect refused by a worker that just died is retried on another one at once, before the
    # health checks notice (about 1 s): clients of a killed worker come back without backing off.
    retries 3
    option redispatch 1

frontend quizzone
    bind {bind}:{port}
    default_backend workers

backend workers
    # No stickiness: any worker serves any player (state is in Redis).
    balance leastconn
    option httpchk GET /readyz
    http-check expect status 200
    # A draining worker (503) gets no new clients; its open sockets stay until it sends `reconnect`.
    default-server inter {interval} fall 2 rise 1
{servers}
"""


def render(
    port: int, worker_ports: list[int], bind: str = "127.0.0.1", interval: str = "500ms", maxconn: int = 9000
) -> str:
    servers = "\n".join(f"    server w{i} 127.0.0.1:{p} check" for i, p in enumerate(worker_ports, start=1))
    return TEMPLATE.format(port=port, bind=bind, interval=interval, maxconn=maxconn, servers=servers)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--bind", default="127.0.0.1", help="0.0.0.0: the local network too (classroom)")
    opts = parser.parse_args()
    print(render(opts.port, [opts.port + i for i in range(1, opts.workers + 1)], opts.bind))


if __name__ == "__main__":
    main()

"""Chat fan-out benchmark: N members in one game's chat, messages said by many authors.

    .venv/bin/python bench/chat_fanout.py --members 500

Starts a private stack with bench.harness.Stack: --servers workers (`python -m realtime.serve`, one daphne
process each) on 127.0.0.1, no Celery, no HAProxy (quizzone.settings.local, its own Redis key prefix, a
throwaway SQLite file); creates a one-question quiz and a game through the REST API with the stack's token,
joins the members as players over /ws/play/ and connects them to /ws/chat/ from a few client processes,
then measures two paths with the same members and the same schedule:

  say     members send `say` frames: consumer, text cleaning, flood-limit and append scripts, publish;
  raw     the baseline: this process publishes the same frames straight to the chat group with
          channel-layer group_send (realtime.broadcast.send_text, Django set up in this process on the
          stack's Redis prefix: stack.django_setup()), skipping the whole say path.

Each message carries its send time (CLOCK_MONOTONIC, shared by every process on the machine); every
member records send -> receive. Prints deliveries per second, p50/p99/max latency and the server's CPU
per delivery. Stops by itself; the Stack stops its workers and deletes its Redis keys (SCAN on its prefix)
and its temp directory.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import multiprocessing as mp
import sys
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.api import quiz_and_games  # noqa: E402
from bench.harness import Stack, cpu_seconds  # noqa: E402

ORIGIN = "http://127.0.0.1"
PATHS = {"say": "chat say (full path)", "raw": "raw group_send (baseline)"}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=500, help="chat members (players) in the game")
    parser.add_argument("--messages", type=int, default=100, help="messages per measured path")
    parser.add_argument("--rate", type=float, default=10.0, help="messages per second offered")
    parser.add_argument("--authors", type=int, default=0, help="distinct authors (default: 2 x rate)")
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--servers", type=int, default=1, help="workers (members spread over them)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for deliveries")
    parser.add_argument("--repeat", type=int, default=2, help="runs of both paths, order alternating")
    args = parser.parse_args()
    args.authors = min(args.members, args.authors or max(1, math.ceil(args.rate * 2)))
    if args.rate / args.authors > 1.0:
        parser.error("more than one message a second per author would trip the 5-in-5-s flood limit")
    return args


async def raw_publish(pin: str, tag: str, t0: int, messages: int, rate: float) -> None:
    """The baseline: the same frames published straight to the chat group, on the same schedule."""
    from realtime import broadcast

    group = broadcast.chat_group(pin)
    await broadcast.send_text(f"{group}.warmup", "{}")  # opens the Redis connection before the clock starts
    for i in range(messages):
        await _sleep_until(t0 + int(i * 1e9 / rate))
        frame = {
            "type": "message",
            "id": i + 1,
            "author": "bench",
            "role": "host",
            "player_id": None,
            "text": f"{tag} {i} {time.monotonic_ns()}",
            "ts": time.time_ns() // 1_000_000,
        }
        await broadcast.send_text(group, broadcast.encode(frame))


async def _sleep_until(at_ns: int) -> None:
    delay = (at_ns - time.monotonic_ns()) / 1e9
    if delay > 0:
        await asyncio.sleep(delay)


# --- the client processes ----------------------------------------------------------------------


@dataclass
class Received:
    expected: int
    count: int = 0
    last_ns: int = 0
    latencies_ns: list[int] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)


class Client:
    """One client process's share of the members: member idx belongs to client idx % clients."""

    def __init__(self, k: int, config: dict[str, Any]) -> None:
        self.k, self.config = k, config
        self.members = list(range(k, config["members"], config["clients"]))
        self.sockets: dict[int, Any] = {}
        self.received: dict[str, Received] = {}
        self.errors: list[str] = []
        self.readers: list[asyncio.Task] = []

    def port_for(self, idx: int) -> int:
        ports = self.config["ports"]
        return ports[idx % len(ports)]

    async def connect_all(self) -> None:
        gate = asyncio.Semaphore(50)

        async def one(idx: int) -> None:
            async with gate:
                self.sockets[idx] = await self.member_connect(idx)

        await asyncio.gather(*(one(idx) for idx in self.members))
        self.readers = [asyncio.get_running_loop().create_task(self.read(ws)) for ws in self.sockets.values()]

    async def member_connect(self, idx: int) -> Any:
        from websockets.asyncio.client import connect

        pin, port = self.config["pin"], self.port_for(idx)
        async with connect(f"ws://127.0.0.1:{port}/ws/play/{pin}/", origin=ORIGIN, compression=None) as play:
            await play.send(json.dumps({"type": "join", "nickname": f"m{idx}"}))
            while (frame := json.loads(await play.recv()))["type"] != "welcome":
                if frame["type"] == "error":
                    raise RuntimeError(f"member {idx} could not join: {frame}")
        ws = await connect(
            f"ws://127.0.0.1:{port}/ws/chat/{pin}/", origin=ORIGIN, compression=None, max_queue=None
        )
        await ws.send(json.dumps({"type": "hello", "token": frame["token"]}))
        while json.loads(await ws.recv())["type"] != "history":
            pass
        return ws

    async def read(self, ws: Any) -> None:
        marker = '"text":"'
        async for raw in ws:
            now = time.monotonic_ns()
            start = raw.find(marker)
            if start < 0:
                if '"type":"error"' in raw:
                    self.errors.append(json.loads(raw)["code"])
                continue
            tag, _, sent = raw[start + len(marker) : raw.index('"', start + len(marker))].split(" ")
            received = self.received.get(tag)
            if received is None:
                continue
            received.latencies_ns.append(now - int(sent))
            received.count += 1
            received.last_ns = now
            if received.count >= received.expected:
                received.done.set()

    async def run_phase(self, tag: str, t0: int, messages: int) -> dict[str, Any]:
        """One measured run; `tag` (say0, raw1, ...) names the path and marks its messages."""
        config = self.config
        received = self.received[tag] = Received(expected=len(self.members) * messages)
        errors_before = len(self.errors)
        if tag.startswith("say"):
            mine = [i for i in range(messages) if (i % config["authors"]) % config["clients"] == self.k]
            for i in mine:
                await _sleep_until(t0 + int(i * 1e9 / config["rate"]))
                text = f"{tag} {i} {time.monotonic_ns()}"
                await self.sockets[i % config["authors"]].send(json.dumps({"type": "say", "text": text}))
        deadline = t0 / 1e9 + messages / config["rate"] + config["timeout"]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(received.done.wait(), max(0.1, deadline - time.monotonic_ns() / 1e9))
        return {
            "count": received.count,
            "last_ns": received.last_ns,
            "errors": self.errors[errors_before:],
            "latencies_ns": received.latencies_ns,
        }


def client_main(k: int, config: dict[str, Any], conn: Connection) -> None:
    async def run() -> None:
        client = Client(k, config)
        await client.connect_all()
        loop = asyncio.get_running_loop()
        conn.send(("ready", len(client.sockets)))
        while True:
            command = await loop.run_in_executor(None, conn.recv)
            if command[0] == "stop":
                break
            _, tag, t0, messages = command
            conn.send(("result", await client.run_phase(tag, t0, messages)))
        await asyncio.gather(*(ws.close() for ws in client.sockets.values()), return_exceptions=True)

    try:
        asyncio.run(run())
    except Exception as exc:  # noqa: BLE001 - reported to the coordinator, which stops everything
        conn.send(("failed", repr(exc)))


# --- the coordinator ---------------------------------------------------------------------------


def percentile(sorted_values: list[int], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))] / 1e6


def expect(conn: Connection, kind: str, timeout: float) -> Any:
    if not conn.poll(timeout):
        raise RuntimeError(f"a client process sent no {kind!r} within {timeout:.0f} s")
    reply = conn.recv()
    if reply[0] != kind:
        raise RuntimeError(f"client process: {reply}")
    return reply[1]


def run_path(args: argparse.Namespace, pin: str, pipes: list[Connection], tag: str, messages: int) -> dict:
    t0 = time.monotonic_ns() + 500_000_000
    for conn in pipes:
        conn.send(("phase", tag, t0, messages))
    if tag.startswith("raw"):
        asyncio.run(raw_publish(pin, tag, t0, messages, args.rate))
    results = [expect(conn, "result", args.timeout + messages / args.rate + 30) for conn in pipes]
    return {
        "count": sum(r["count"] for r in results),
        "latencies": sorted(ns for r in results for ns in r["latencies_ns"]),
        "errors": [code for r in results for code in r["errors"]],
        "window": max(1, max(r["last_ns"] for r in results) - t0) / 1e9,  # first send to last delivery
    }


def measure(args: argparse.Namespace, pin: str, pipes: list[Connection], daphnes: list[int]) -> None:
    print(
        f"{args.members} members on {args.servers} daphne process(es), {args.clients} client processes; "
        f"{args.messages} messages per path at {args.rate:g}/s from {args.authors} authors"
    )
    run_path(args, pin, pipes, "rawwarm", min(args.messages, 40))  # not reported: first runs are slower
    time.sleep(2)
    print(
        f"{'path':<28}{'deliveries':>11}{'deliv/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
        f"{'server µs/deliv':>17}{'errors':>8}"
    )
    # Alternating the order (say, raw, raw, say, ...) keeps drift on a busy machine from favouring one path.
    runs = [path for n in range(args.repeat) for path in (("say", "raw") if n % 2 == 0 else ("raw", "say"))]
    for n, path in enumerate(runs):
        cpu_before = sum(cpu_seconds(pid) for pid in daphnes)
        result = run_path(args, pin, pipes, f"{path}{n}", args.messages)
        cpu = sum(cpu_seconds(pid) for pid in daphnes) - cpu_before
        count, latencies, errors = result["count"], result["latencies"], result["errors"]
        print(
            f"{PATHS[path]:<28}{count:>11}{count / result['window']:>10.0f}{percentile(latencies, 0.5):>9.1f}"
            f"{percentile(latencies, 0.99):>9.1f}{latencies[-1] / 1e6 if latencies else float('nan'):>9.1f}"
            f"{cpu * 1e6 / max(1, count):>17.0f}{len(errors):>8}"
        )
        if errors:
            print(f"  ! errors: {sorted(set(errors))}")
        if count < args.members * args.messages:
            print(f"  ! {args.members * args.messages - count} deliveries missing after {args.timeout:g} s")
        time.sleep(2)


def main() -> int:
    args = parse_args()
    stack = Stack(
        workers=args.servers, lb=False, celery=False, extra_env={"QUIZZONE_WS_FRAMES_PER_SECOND": "20"}
    )
    try:
        with stack:
            return run(args, stack)
    finally:
        print(f"cleanup: {stack.keys_deleted} Redis keys under {stack.prefix}: deleted")


def run(args: argparse.Namespace, stack: Stack) -> int:
    """The game, the members and both paths against a started stack; the client processes stop first."""
    clients: list[mp.process.BaseProcess] = []
    pipes: list[Connection] = []
    try:
        (pin,) = quiz_and_games(stack.base_url, stack.token, 1, 20, choices=2, title="Bench")
        stack.django_setup()  # realtime.broadcast in this process (the raw path), on the stack's prefix
        config = {**vars(args), "pin": pin, "ports": stack.worker_ports}
        ctx = mp.get_context("spawn")
        for k in range(args.clients):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=client_main, args=(k, config, child), daemon=True)
            proc.start()
            clients.append(proc)
            pipes.append(parent)
        started = time.monotonic()
        connected = sum(expect(conn, "ready", 120) for conn in pipes)
        print(f"game {pin}: {connected} members joined and in the chat in {time.monotonic() - started:.1f} s")
        measure(args, pin, pipes, stack.worker_pids)
        for conn in pipes:
            conn.send(("stop",))
        for proc in clients:
            proc.join(10)
        return 0
    finally:
        for proc in clients:
            if proc.is_alive():
                proc.terminate()


if __name__ == "__main__":
    sys.exit(main())

"""Game fan-out benchmark: `reveal` (one pre-encoded text for the whole room) against `result` (ONE table
message per round, which each process renders into a frame per local player).

    .venv/bin/python bench/game_fanout.py --players 1000 [--rounds 5] [--clients 3]

Starts a private stack with bench.harness.Stack: one worker (`python -m realtime.serve`, one daphne process)
and a Celery worker (threads pool, embedded beat) on 127.0.0.1, with its own Redis key prefix and a throwaway
SQLite file. Creates a quiz of single-choice questions and a game through the REST API with the stack's DRF
token, connects the host over /ws/host/<pin>/ (that token) and N players over /ws/play/<pin>/ (`join`) from
a few client processes, then plays R rounds:
the host sends `start`/`next`, the players answer (some right, some wrong), the host sends `skip`.
Per round it measures, from the moment the host sends `skip`:
  reveal   the last player receiving `reveal` (one text broadcast to the room: the baseline);
  result   the last player receiving its own `result` (the per-player table rendered per process).
Players answer at random within --answer-spread seconds (default 4; 0 sends every answer at the same
instant, which once exhausted redis-py's default pool and dropped sockets, fixed with a blocking pool in
quizzone/redisdb.py). One player never answers: if
everyone answered, the round would close by itself (`all_answered`) before the host's `skip`. That player
still receives both frames and is measured like the others.

After the game rounds the same two fan-outs are repeated without a round close: this process publishes a
copy of the `reveal` text and a `result` table of the same shape straight to the game's group
(realtime.broadcast, Django set up in this process on the stack's Redis prefix: stack.django_setup()), so the
server does the hub fan-out and nothing else.

Clock: time.time() in every process (one machine). Server CPU: utime+stime from /proc/<pid>/stat, sampled
every few ms by a thread here; a path's CPU is the difference over its window (skip or publish -> last
delivery of `reveal`; last `reveal` -> last `result`). Stops by itself (a watchdog ends the run); the Stack
deletes its Redis keys (SCAN on its prefix, never FLUSHALL), its processes and its temp directory, also on
failure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import random
import signal
import sys
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.api import RIGHT_TEXT, WRONG_TEXT, quiz_and_games  # noqa: E402
from bench.harness import Stack, cpu_seconds  # noqa: E402

ORIGIN = "http://127.0.0.1"
SILENT = 0  # the player index that never answers, so the host's `skip` is what closes each round
RIGHT, WRONG = RIGHT_TEXT, WRONG_TEXT
DIRECT_ROUND = 1000  # round numbers of the frames published straight to the group (no round close)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--players", type=int, default=1000, help="players in the game")
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds (questions in the quiz)")
    parser.add_argument("--clients", type=int, default=3, help="client processes (2-4 is sensible)")
    parser.add_argument("--time-limit", type=int, default=30, help="question time limit, seconds")
    parser.add_argument(
        "--answer-spread", type=float, default=4.0, help="players answer at random within this many s"
    )
    parser.add_argument("--join-concurrency", type=int, default=16, help="joins in flight per client")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds to wait for one fan-out")
    parser.add_argument("--budget", type=int, default=200, help="the whole run stops after this many s")
    args = parser.parse_args()
    if args.players < 2:
        parser.error("--players must be at least 2 (one of them never answers)")
    if not 5 <= args.time_limit <= 240:
        parser.error("--time-limit must be 5 to 240 seconds")
    return args


class CpuSampler(threading.Thread):
    """Samples (time, server CPU, clients' CPU) every `period` s until stopped."""

    def __init__(self, server: int, clients: list[int], period: float = 0.004) -> None:
        super().__init__(daemon=True)
        self.server, self.clients, self.period = server, clients, period
        self.samples: list[tuple[float, float, float]] = []
        self.halt = threading.Event()

    def sample(self) -> None:
        clients = sum(cpu_seconds(pid) for pid in self.clients)
        self.samples.append((time.time(), cpu_seconds(self.server), clients))

    def run(self) -> None:
        while not self.halt.is_set():
            self.sample()
            self.halt.wait(self.period)

    def stop(self) -> None:
        self.halt.set()
        self.join(2)
        self.sample()

    def at(self, t: float) -> tuple[float, float]:
        """CPU (server, clients) at the first sample taken at or after t."""
        for ts, server, clients in self.samples:
            if ts >= t:
                return server, clients
        return self.samples[-1][1], self.samples[-1][2]

    def between(self, t0: float, t1: float) -> tuple[float, float]:
        (s0, c0), (s1, c1) = self.at(t0), self.at(t1)
        return s1 - s0, c1 - c0


# --- the client processes ----------------------------------------------------------------------


class Client:
    """One client process's share of the players: player idx belongs to client idx % clients."""

    def __init__(self, k: int, config: dict[str, Any]) -> None:
        self.config = config
        self.players = list(range(k, config["players"], config["clients"]))
        self.answering = [idx for idx in self.players if idx != SILENT]
        self.sockets: dict[int, Any] = {}
        self.player_ids: dict[int, str] = {}
        self.times: dict[str, dict[int, dict[int, float]]] = {"reveal": {}, "result": {}, "question": {}}
        self.acks: dict[int, dict[int, tuple[bool, str | None]]] = {}
        self.errors: list[str] = []
        self.closed: set[int] = set()
        self.readers: list[asyncio.Task] = []
        self.pending: set[asyncio.Task] = set()

    async def join_all(self) -> dict[str, Any]:
        gate = asyncio.Semaphore(self.config["join_concurrency"])
        started, welcomed = time.time(), []

        async def one(idx: int) -> None:
            async with gate:
                self.sockets[idx] = await self.join(idx)
                welcomed.append(time.time())

        outcomes = await asyncio.gather(*(one(idx) for idx in self.players), return_exceptions=True)
        failures = [repr(o) for o in outcomes if isinstance(o, BaseException)]
        return {
            "joined": len(self.sockets),
            "started": started,
            "last_welcome": max(welcomed, default=started),
            "player_ids": list(self.player_ids.values()),
            "failures": failures[:5],
            "failed": len(failures),
        }

    async def join(self, idx: int) -> Any:
        from websockets.asyncio.client import connect

        url = f"ws://127.0.0.1:{self.config['port']}/ws/play/{self.config['pin']}/"
        ws = await connect(
            url, origin=ORIGIN, compression=None, max_queue=None, ping_interval=None, open_timeout=30
        )
        await ws.send(json.dumps({"type": "join", "nickname": f"p{idx}"}))
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if frame["type"] == "welcome":
                break
            if frame["type"] == "error":
                await ws.close()
                raise RuntimeError(f"player {idx} could not join: {frame}")
        self.player_ids[idx] = frame["player_id"]
        self.readers.append(asyncio.get_running_loop().create_task(self.read(idx, ws)))
        return ws

    async def read(self, idx: int, ws: Any) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for raw in ws:
                now = time.time()
                frame = json.loads(raw)
                kind = frame["type"]
                if kind in ("reveal", "result"):
                    self.times[kind].setdefault(frame["round"], {})[idx] = now
                elif kind == "question":
                    self.times["question"].setdefault(frame["round"], {})[idx] = now
                    if idx != SILENT:
                        task = asyncio.get_running_loop().create_task(self.answer_later(ws, idx, frame))
                        self.pending.add(task)
                        task.add_done_callback(self.pending.discard)
                elif kind == "answer_ack":
                    self.acks.setdefault(frame["round"], {})[idx] = (frame["accepted"], frame.get("reason"))
                elif kind == "error":
                    self.errors.append(str(frame.get("code")))
        except ConnectionClosed:
            pass
        self.closed.add(idx)

    async def answer_later(self, ws: Any, idx: int, question: dict[str, Any]) -> None:
        await asyncio.sleep(random.uniform(0, self.config["answer_spread"]))
        with contextlib.suppress(Exception):
            await ws.send(json.dumps(self.answer(idx, question)))

    @staticmethod
    def answer(idx: int, question: dict[str, Any]) -> dict[str, Any]:
        """Three players in four answer right; the rest pick a wrong choice."""
        wanted = RIGHT if idx % 4 else WRONG
        choice = next(ch for ch in question["choices"] if ch["text"].startswith(wanted))
        return {"type": "answer", "round": question["round"], "choice": choice["id"]}

    def complete(self, rnd: int, kinds: list[str]) -> bool:
        """Every open socket has what `kinds` asks for (a closed one is reported, not waited for)."""
        for kind in kinds:
            got = self.acks.get(rnd, {}) if kind == "ack" else self.times[kind].get(rnd, {})
            waiting = self.answering if kind == "ack" else self.sockets
            if any(idx not in got and idx not in self.closed for idx in waiting):
                return False
        return True

    async def wait(self, rnd: int, kinds: list[str], timeout: float) -> dict[str, Any]:
        end = time.time() + timeout
        while not self.complete(rnd, kinds) and time.time() < end:
            await asyncio.sleep(0.01)
        acks = self.acks.get(rnd, {}).values()
        errors, self.errors = self.errors, []
        return {
            "times": {kind: list(self.times[kind].get(rnd, {}).values()) for kind in kinds if kind != "ack"},
            "accepted": sum(1 for ok, _ in acks if ok),
            "refused": sorted({str(reason) for ok, reason in acks if not ok}),
            "expected": len(self.sockets),
            "errors": errors,
            "closed": len(self.closed),
        }


def client_main(k: int, config: dict[str, Any], conn: Connection) -> None:
    end = time.monotonic() + config["budget"]  # stops by itself, also if the coordinator vanished

    async def next_command() -> tuple:
        while not conn.poll(0):
            if time.monotonic() > end or os.getppid() != config["parent"]:
                return ("stop",)
            await asyncio.sleep(0.01)
        return conn.recv()

    async def run() -> None:
        client = Client(k, config)
        try:
            while (command := await next_command())[0] != "stop":
                if command[0] == "join":
                    conn.send(("joined", await client.join_all()))
                elif command[0] == "await":
                    _, rnd, kinds, timeout = command
                    conn.send(("awaited", await client.wait(rnd, kinds, timeout)))
        finally:
            closing = [ws.close() for ws in client.sockets.values()]
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.gather(*closing, return_exceptions=True), 10)

    try:
        asyncio.run(run())
    except (EOFError, BrokenPipeError):
        pass
    except Exception as exc:  # noqa: BLE001 - reported to the coordinator, which stops everything
        with contextlib.suppress(Exception):
            conn.send(("failed", repr(exc)))


# --- the coordinator: the host's socket, the clients' pipes, the measurements ---------------------


async def expect(conn: Connection, kind: str, timeout: float) -> Any:
    end = time.monotonic() + timeout
    while not conn.poll(0):
        if time.monotonic() > end:
            raise RuntimeError(f"a client process sent no {kind!r} within {timeout:.0f} s")
        await asyncio.sleep(0.005)
    reply = conn.recv()
    if reply[0] != kind:
        raise RuntimeError(f"client process: {reply}")
    return reply[1]


async def gather_clients(pipes: list[Connection], command: tuple, kind: str, timeout: float) -> list[Any]:
    for conn in pipes:
        conn.send(command)
    return list(await asyncio.gather(*(expect(conn, kind, timeout) for conn in pipes)))


class Host:
    """The game's host socket; records what it receives (lobby frames with their times, reveals...)."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.lobby: list[float] = []
        self.frames: dict[tuple[str, int], dict[str, Any]] = {}
        self.errors: list[dict[str, Any]] = []
        self.reader = asyncio.get_running_loop().create_task(self.read())

    async def read(self) -> None:
        with contextlib.suppress(Exception):
            async for raw in self.ws:
                now = time.time()
                frame = json.loads(raw)
                if frame["type"] == "lobby":
                    self.lobby.append(now)
                elif frame["type"] == "error":
                    self.errors.append(frame)
                elif "round" in frame:
                    self.frames[(frame["type"], frame["round"])] = {**frame, "_at": now}

    async def send(self, kind: str) -> float:
        sent = time.time()
        await self.ws.send(json.dumps({"type": kind}))
        return sent

    async def frame(self, kind: str, rnd: int, timeout: float = 30) -> dict[str, Any]:
        end = time.monotonic() + timeout
        while (kind, rnd) not in self.frames:
            if self.errors:
                raise RuntimeError(f"host got an error: {self.errors}")
            if time.monotonic() > end or self.reader.done():
                raise RuntimeError(f"host: no {kind} for round {rnd} within {timeout:.0f} s")
            await asyncio.sleep(0.005)
        return self.frames[(kind, rnd)]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


class Tally:
    """Per-path figures over several fan-outs."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.latencies: list[float] = []  # seconds, per delivery
        self.rooms: list[float] = []  # start -> last delivery, per fan-out
        self.spreads: list[float] = []  # first -> last delivery, per fan-out
        self.delivered = self.missing = 0
        self.server_cpu = self.client_cpu = 0.0

    def add(self, start: float, times: list[float], expected: int, cpu: tuple[float, float]) -> None:
        if times:
            self.latencies += [t - start for t in times]
            self.rooms.append(max(times) - start)
            self.spreads.append(max(times) - min(times))
        self.delivered += len(times)
        self.missing += expected - len(times)
        self.server_cpu += cpu[0]
        self.client_cpu += cpu[1]

    def row(self) -> str:
        ms = [x * 1000 for x in self.latencies]
        per = 1e6 / max(1, self.delivered)
        rate = self.delivered / max(1e-6, sum(self.spreads))
        return (
            f"{self.label:<34}{self.delivered:>7}{pct(ms, 0.5):>8.0f}{pct(ms, 0.99):>8.0f}"
            f"{max(ms, default=float('nan')):>8.0f}{pct(self.rooms, 0.5) * 1000:>9.0f}"
            f"{max(self.rooms, default=float('nan')) * 1000:>9.0f}{rate:>9.0f}"
            f"{self.server_cpu * per:>9.0f}{self.client_cpu * per:>9.0f}"
        )


HEADER = (
    f"{'path':<34}{'deliv':>7}{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}{'room p50':>9}{'room max':>9}"
    f"{'deliv/s':>9}{'srv µs':>9}{'cli µs':>9}"
)
LEGEND = (
    "  latency per delivery from the skip (game) or the publish (direct); room = to the last player of\n"
    "  the room; deliv/s = deliveries / (first -> last delivery); srv/cli µs = CPU per delivery of the\n"
    "  server process / all client processes over the path's window ('reveal' window starts at the skip,\n"
    "  so in the game it includes the round close: load, scoring, commit)"
)


def collect(replies: list[dict[str, Any]], kind: str) -> tuple[list[float], int]:
    return [t for r in replies for t in r["times"][kind]], sum(r["expected"] for r in replies)


def report_problems(replies: list[dict[str, Any]], what: str) -> None:
    errors = sorted({e for r in replies for e in r["errors"]})
    refused = sorted({e for r in replies for e in r["refused"]})
    closed = sum(r["closed"] for r in replies)
    if errors or refused or closed:
        print(f"  ! {what}: errors {errors}, refused answers {refused}, closed sockets {closed}")


async def coordinate(args: argparse.Namespace, pin: str, token: str, port: int, pipes, pids) -> None:
    from websockets.asyncio.client import connect

    server_pid, client_pids = pids
    ws = await connect(
        f"ws://127.0.0.1:{port}/ws/host/{pin}/",
        origin=ORIGIN,
        additional_headers={"Authorization": f"Token {token}"},
        compression=None,
        max_queue=None,
        ping_interval=None,
        open_timeout=30,
    )
    if json.loads(await asyncio.wait_for(ws.recv(), 30))["type"] != "host_welcome":
        raise RuntimeError("the host was not welcomed")
    host = Host(ws)

    # --- joins
    joined = await gather_clients(pipes, ("join",), "joined", 120)
    started = min(j["started"] for j in joined)
    finished = max(j["last_welcome"] for j in joined)
    count = sum(j["joined"] for j in joined)
    if count < args.players:
        failures = [f for j in joined for f in j["failures"]]
        raise RuntimeError(f"only {count} of {args.players} players joined: {failures[:3]}")
    player_ids = [pid for j in joined for pid in j["player_ids"]]
    await asyncio.sleep(1.5)  # the trailing (coalesced) lobby frame
    lobby = [t for t in host.lobby if t >= started]
    during = [t for t in lobby if t <= finished]
    gaps = [b - a for a, b in zip(lobby, lobby[1:], strict=False)]
    took = finished - started
    print(
        f"joins: {count} players in {took:.1f} s ({count / took:.0f}/s, {args.clients} client processes); "
        f"host got {len(lobby)} `lobby` frames from the first join to 1.5 s after the last "
        f"({len(during)} before the last welcome, {len(during) / took:.2f}/s); "
        f"smallest gap {min(gaps, default=float('nan')) * 1000:.0f} ms"
    )

    # --- game rounds
    reveal, result = Tally("reveal (one text; incl. round close)"), Tally("result (table, per player)")
    sampler = CpuSampler(server_pid, client_pids)
    sampler.start()
    print(
        f"{'round':>5}{'answers ok':>11}{'first reveal ms':>16}{'reveal room ms':>15}{'result room ms':>15}"
        f"{'reveal->result ms':>18}{'srv CPU ms':>11}  close reason"
    )
    last_reveal: dict[str, Any] = {}
    for rnd in range(1, args.rounds + 1):
        if rnd == 1:
            await host.send("start")
        else:
            await host.send("next")
            await host.frame("leaderboard", rnd - 1)
            await host.send("next")
        question = await host.frame("question", rnd)
        acked = await gather_clients(
            pipes, ("await", rnd, ["ack"], args.time_limit - 3), "awaited", args.time_limit
        )
        report_problems(acked, f"round {rnd} answers")
        left_ms = question["deadline"] - time.time() * 1000
        if left_ms < 1500:
            print(f"  ! round {rnd}: answering took until {left_ms:.0f} ms before the deadline")
        await asyncio.sleep(1.0)  # answer_count trailing frames settle; the server goes quiet
        skip = await host.send("skip")
        replies = await gather_clients(
            pipes, ("await", rnd, ["reveal", "result"], args.timeout), "awaited", args.timeout + 10
        )
        report_problems(replies, f"round {rnd} fan-out")
        reveals, expected = collect(replies, "reveal")
        results, _ = collect(replies, "result")
        end_reveal, end_result = max(reveals, default=skip), max(results, default=skip)
        reveal.add(skip, reveals, expected, sampler.between(skip, end_reveal))
        result.add(skip, results, expected, sampler.between(end_reveal, end_result))
        last_reveal = await host.frame("reveal", rnd)
        cpu = sampler.between(skip, end_result)[0]
        print(
            f"{rnd:>5}{sum(r['accepted'] for r in acked):>11}"
            f"{(min(reveals, default=skip) - skip) * 1000:>16.0f}{(end_reveal - skip) * 1000:>15.0f}"
            f"{(end_result - skip) * 1000:>15.0f}{(end_result - end_reveal) * 1000:>18.0f}"
            f"{cpu * 1000:>11.0f}  {last_reveal.get('reason')}"
        )
        if last_reveal.get("reason") != "skip" or last_reveal["_at"] < skip:
            print(f"  ! round {rnd} was not closed by the skip: {last_reveal.get('reason')}")

    # --- the same two fan-outs without a round close: published straight to the group from here
    from realtime import broadcast

    group = broadcast.game_group(pin)
    await broadcast.send_text(f"{group}.warmup", "{}")  # opens this process's layer connection
    direct_reveal = Tally("reveal text, direct publish")
    direct_result = Tally("result table, direct publish")
    fields = ["correct", "points", "score", "rank", "streak", "poll"]
    for n in range(args.rounds):
        rnd = DIRECT_ROUND + n
        for kind in ("reveal", "result") if n % 2 == 0 else ("result", "reveal"):
            await asyncio.sleep(0.5)
            if kind == "reveal":
                frame = {k: v for k, v in last_reveal.items() if k != "_at"}
                text = broadcast.encode({**frame, "round": rnd})
                start = time.time()
                await broadcast.send_text(group, text)
            else:
                rows = {pid: [i % 4 != 0, 900, 4000 + i, 1 + i, 3, False] for i, pid in enumerate(player_ids)}
                start = time.time()
                await broadcast.send_table(group, {"type": "result", "round": rnd}, fields, rows)
            replies = await gather_clients(
                pipes, ("await", rnd, [kind], args.timeout), "awaited", args.timeout + 10
            )
            report_problems(replies, f"direct {kind} {n}")
            times, expected = collect(replies, kind)
            tally = direct_reveal if kind == "reveal" else direct_result
            tally.add(start, times, expected, sampler.between(start, max(times, default=start)))
    sampler.stop()

    print()
    print(
        f"{args.players} players, one worker (realtime.serve), {args.clients} client processes; "
        f"{args.rounds} rounds closed by `skip`, then {args.rounds} direct publishes of each frame"
    )
    print(HEADER)
    for tally in (reveal, result, direct_reveal, direct_result):
        print(tally.row())
        if tally.missing:
            print(f"  ! {tally.missing} deliveries missing after {args.timeout:g} s")
    print(LEGEND)
    await ws.close()
    host.reader.cancel()


def log_excerpt(text: str) -> str:
    """The exception line after the first traceback in a log."""
    lines = text[text.index("Traceback") :].splitlines()
    return next((line for line in lines[1:] if not line.startswith(" ")), lines[-1])[:200]


def main() -> int:
    args = parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # progress shows as it happens, also into a file
    began = time.monotonic()

    def out_of_time(signum: int, frame: Any) -> None:
        raise TimeoutError(f"the run took longer than --budget {args.budget} s")

    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(args.budget)
    stack = Stack(workers=1, lb=False, celery=True)
    try:
        with stack:
            return run(args, stack)
    finally:
        signal.alarm(0)
        print(f"cleanup: {stack.keys_deleted} Redis keys under {stack.prefix}: deleted")
        print(f"run took {time.monotonic() - began:.0f} s")


def run(args: argparse.Namespace, stack: Stack) -> int:
    """The game and the direct publishes against a started stack; stops the client processes and reports
    the stack's logs (tracebacks; everything when the run failed) before the stack stops."""
    clients: list[mp.process.BaseProcess] = []
    pipes: list[Connection] = []
    failed = True
    try:
        (pin,) = quiz_and_games(
            stack.base_url, stack.token, args.rounds, args.time_limit, title="Bench fan-out"
        )
        stack.django_setup()  # realtime.broadcast in this process, on the stack's Redis prefix
        config = {**vars(args), "pin": pin, "port": stack.port, "parent": os.getpid()}
        ctx = mp.get_context("spawn")
        for k in range(args.clients):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=client_main, args=(k, config, child), daemon=True)
            proc.start()
            clients.append(proc)
            pipes.append(parent)
        pids = (stack.worker_pids[0], [p.pid for p in clients])
        asyncio.run(coordinate(args, pin, stack.token, stack.port, pipes, pids))
        failed = False
        return 0
    finally:
        signal.alarm(0)
        for conn in pipes:
            with contextlib.suppress(Exception):
                conn.send(("stop",))
        for proc in clients:
            proc.join(10)
            if proc.is_alive():
                proc.terminate()
                proc.join(5)
        for proc in stack.processes:
            text = proc.output()
            if text.count("Traceback"):
                print(f"! {proc.name}.log: {text.count('Traceback')} tracebacks, e.g. {log_excerpt(text)}")
        if failed:
            for proc in stack.processes:
                print(f"--- {proc.name}.log (last lines)\n{proc.output()[-1500:]}")


if __name__ == "__main__":
    sys.exit(main())

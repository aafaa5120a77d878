"""The coordinator: sets up a quiz and a game over the REST API, drives the host console, paces the
client processes through joins and rounds, and measures each phase from outside the server."""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing as mp
import sys
import time
import urllib.request
from collections import Counter
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from bench.loadgen import measure
from bench.loadgen.client import RIGHT_TEXT, client_main, now_ms, require_loopback
from bench.loadgen.targets import Target

POLL_S = 0.1
MAX_SOCKETS_PER_PROC = 5000


@dataclass
class RunConfig:
    players: int = 200
    questions: int = 3
    time_limit: int = 20
    answer_window: float = 3.0
    join_rate: float = 200.0
    procs: int = 2
    via: str = "lb"
    pause: float = 0.5
    phase_timeout: float = 30.0
    progress: bool = True


def http_json(method: str, url: str, body: Any = None, token: str = "", timeout: float = 30) -> Any:
    require_loopback(url)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback only
        return json.loads(response.read() or b"null")


def quiz_payload(questions: int, time_limit: int) -> dict[str, Any]:
    return {
        "title": f"Load test ({questions} questions)",
        "description": "",
        "questions": [
            {
                "text": f"Question {n}: which one is right?",
                "kind": "single",
                "time_limit": time_limit,
                "points": 1,
                "choices": [{"text": RIGHT_TEXT, "correct": True}]
                + [{"text": f"wrong {k}", "correct": False} for k in range(1, 4)],
            }
            for n in range(1, questions + 1)
        ],
    }


def create_game(target: Target, config: RunConfig) -> tuple[str, str]:
    """(host token, game pin) through POST /api/auth/token/, /api/quizzes/ and /api/games/."""
    base = target.base_url
    creds = {"username": target.username, "password": target.password}
    token = http_json("POST", f"{base}/api/auth/token/", creds)["token"]
    quiz = http_json("POST", f"{base}/api/quizzes/", quiz_payload(config.questions, config.time_limit), token)
    game = http_json("POST", f"{base}/api/games/", {"quiz": quiz["id"]}, token)
    return token, str(game["pin"])


class HostConsole:
    """The host's socket (websockets: one socket, its cost does not matter); keeps every frame it gets."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frames: list[tuple[float, dict[str, Any]]] = []
        self.reader = asyncio.get_running_loop().create_task(self.read())

    @classmethod
    async def open(cls, ws_base: str, pin: str, token: str, origin: str) -> HostConsole:
        url = f"{ws_base}/ws/host/{pin}/"
        require_loopback(url)
        ws = await connect(
            url,
            origin=origin,  # type: ignore[arg-type]
            additional_headers={"Authorization": f"Token {token}"},
            compression=None,
            max_queue=None,
            open_timeout=30,
        )
        return cls(ws)

    async def read(self) -> None:
        with contextlib.suppress(Exception):
            async for raw in self.ws:
                self.frames.append((now_ms(), json.loads(raw)))

    async def send(self, kind: str) -> float:
        sent = now_ms()
        await self.ws.send(json.dumps({"type": kind}))
        return sent

    async def frame(
        self, kind: str, rnd: int | None, timeout: float, after: float = 0
    ) -> dict[str, Any] | None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for at, frame in self.frames:
                if at >= after and frame.get("type") == kind and (rnd is None or frame.get("round") == rnd):
                    return frame
            await asyncio.sleep(0.02)
        return None

    def count(self) -> int:
        return len(self.frames)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close()
        self.reader.cancel()


class ClientPool:
    """P spawned client processes, each with every P-th player."""

    def __init__(self, players: int, procs: int, client_config: dict[str, Any]) -> None:
        ctx = mp.get_context("spawn")
        self.pipes: list[Connection] = []
        self.processes: list[mp.process.BaseProcess] = []
        self.shares = [list(range(k, players, procs)) for k in range(procs)]
        for share in self.shares:
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=client_main, args=(child, client_config, share), daemon=True)
            proc.start()
            self.pipes.append(parent)
            self.processes.append(proc)

    def ask_all(self, command: tuple[Any, ...], timeout: float = 30) -> list[Any]:
        for pipe in self.pipes:
            pipe.send(command)
        replies = []
        for pipe in self.pipes:
            if not pipe.poll(timeout):
                raise TimeoutError(f"a client process did not answer {command[0]!r} in {timeout:g} s")
            replies.append(pipe.recv())
        return replies

    async def progress(self) -> dict[str, Any]:
        replies = await asyncio.to_thread(self.ask_all, ("progress",))
        merged: dict[str, Any] = {
            "joined": 0,
            "connected": 0,
            "frames": 0,
            "reconnects": 0,
            "cpu_s": 0.0,
            "sys_s": 0.0,
        }
        counts: Counter[tuple[str, int]] = Counter()
        acks: Counter[int] = Counter()
        for reply in replies:
            for key in merged:
                merged[key] += reply[key]
            counts.update(reply["round_counts"])
            for (rnd, _accepted, _reason), n in reply["acks"].items():
                acks[rnd] += n
        merged["round_counts"], merged["acks"] = counts, acks
        return merged

    def join(self, start_at: float, rate: float) -> None:
        for pipe, share in zip(self.pipes, self.shares, strict=True):
            pipe.send(("join", start_at, rate, share))

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.ask_all(("stop",), timeout=10)
        for proc in self.processes:
            proc.join(5)
            if proc.is_alive():
                proc.terminate()
                proc.join(5)
            if proc.is_alive():
                proc.kill()
                proc.join(5)

    def pids(self) -> list[int]:
        return [p.pid for p in self.processes if p.pid is not None]


class Bar:
    """A one-line progress bar on stderr (tqdm when installed)."""

    def __init__(self, total: int, desc: str, enabled: bool) -> None:
        self.bar: Any = None
        if enabled:
            try:
                from tqdm import tqdm

                self.bar = tqdm(total=total, desc=desc, file=sys.stderr, dynamic_ncols=True, leave=False)
            except ImportError:
                self.bar = None

    def to(self, value: int, status: str = "") -> None:
        if self.bar is not None:
            self.bar.n = value
            if status:
                self.bar.set_postfix_str(status, refresh=False)
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class Game:
    """One measured game against one target."""

    def __init__(self, target: Target, config: RunConfig) -> None:
        self.target, self.config = target, config
        self.phases: list[dict[str, Any]] = []
        self.rounds: list[dict[str, Any]] = []
        self.joined = 0
        self.host: HostConsole | None = None
        self.pool: ClientPool | None = None

    async def snapshot(self) -> dict[str, Any]:
        assert self.pool is not None and self.host is not None
        progress = await self.pool.progress()
        return {
            "t": now_ms(),
            "cpu": measure.role_cpu(self.target.role_pids()),
            "frames": progress["frames"] + self.host.count(),
            "client_cpu_s": progress["cpu_s"],
            "client_sys_s": progress["sys_s"],
            "progress": progress,
        }

    def record_phase(
        self, name: str, rnd: int, before: dict[str, Any], after: dict[str, Any], ok: bool
    ) -> None:
        self.phases.append(
            {
                "phase": name,
                "round": rnd,
                "complete": ok,
                "seconds": round((after["t"] - before["t"]) / 1000, 3),
                "server_cpu_s": measure.cpu_delta(before["cpu"], after["cpu"]),
                "frames": after["frames"] - before["frames"],
                "client_cpu_s": round(after["client_cpu_s"] - before["client_cpu_s"], 3),
                "client_sys_s": round(after["client_sys_s"] - before["client_sys_s"], 3),
            }
        )

    async def wait_clients(self, done: Any, timeout: float, bar: Bar | None = None) -> bool:
        assert self.pool is not None
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            progress = await self.pool.progress()
            if bar is not None:
                bar.to(progress["joined"], f"connected {progress['connected']}")
            if done(progress):
                return True
            await asyncio.sleep(POLL_S)
        return False

    async def run(self) -> dict[str, Any]:
        config, target = self.config, self.target
        token, pin = create_game(target, config)
        ws_base = target.base_url.replace("http://", "ws://", 1)
        origin = target.base_url
        client_config = {
            "via": config.via,
            "play_url": f"{ws_base}/ws/play/{pin}/",
            "gateway_url": f"{target.base_url}/api/gateway/?pin={pin}",
            "origin": origin,
            "timeout_s": config.phase_timeout,
            "answer_window_s": config.answer_window,
        }
        self.host = await HostConsole.open(ws_base, pin, token, origin)
        self.pool = ClientPool(config.players, config.procs, client_config)
        try:
            return await self.play(pin)
        finally:
            await self.host.close()
            await asyncio.to_thread(self.pool.stop)

    async def play(self, pin: str) -> dict[str, Any]:
        config, target = self.config, self.target
        assert self.pool is not None and self.host is not None
        load_before = measure.load_average()
        rss_before = measure.total_rss(target.connection_pids())
        roles = target.role_pids()
        server_pids = sorted({pid for role, pids in roles.items() if role != "redis" for pid in pids})
        redis_marks = [measure.redis_command_calls(target.redis)]

        # --- joins, open loop at the offered rate
        before = await self.snapshot()
        start_at = time.time() + 0.5
        self.pool.join(start_at, config.join_rate)
        bar = Bar(config.players, f"{target.name} joins", config.progress)
        join_budget = config.players / config.join_rate + config.phase_timeout
        joined_all = await self.wait_clients(lambda p: p["joined"] >= config.players, join_budget, bar)
        bar.close()
        after = await self.snapshot()
        self.joined = after["progress"]["joined"]
        self.record_phase("join", 0, before, after, joined_all)
        await asyncio.sleep(1.0)  # the trailing coalesced lobby frame; sockets settle before RSS is read
        rss_after = measure.total_rss(target.connection_pids())
        redis_marks.append(measure.redis_command_calls(target.redis))

        bar = Bar(config.questions, f"{target.name} rounds", config.progress)
        for rnd in range(1, config.questions + 1):
            await self.play_round(rnd)
            redis_marks.append(measure.redis_command_calls(target.redis))
            bar.to(rnd, f"round {rnd}: {self.rounds[-1]['reason']}")
        bar.close()
        await self.finish()
        redis_marks.append(measure.redis_command_calls(target.redis))
        await asyncio.sleep(0.5)
        samples = await asyncio.to_thread(self.pool.ask_all, ("samples",))
        return {
            "target": target.name,
            "pin": pin,
            "config": asdict(config),
            "joined": self.joined,
            "load_average_before": load_before,
            "load_average_after": measure.load_average(),
            "rss_bytes": {"before_joins": rss_before, "after_joins": rss_after},
            "redis_marks": redis_marks,
            "phases": self.phases,
            "rounds": self.rounds,
            "host_frames": Counter(f.get("type") for _, f in self.host.frames),
            "samples": samples,
            "client_pids": self.pool.pids(),
            "server_pids": server_pids,
            "redis_pids": roles.get("redis", []),
            "tracebacks": target.tracebacks(),
        }

    async def play_round(self, rnd: int) -> None:
        config, host, joined = self.config, self.host, self.joined
        assert host is not None
        timeout = config.phase_timeout

        def have(kind: str) -> Any:
            return lambda p: p["round_counts"].get((kind, rnd), 0) >= joined

        before = await self.snapshot()
        opened = await host.send("start" if rnd == 1 else "next")
        ok = await self.wait_clients(have("question"), timeout)
        after = await self.snapshot()
        self.record_phase("question", rnd, before, after, ok)
        question = await host.frame("question", rnd, timeout, after=opened - 5)

        before = after

        def closed(p: dict[str, Any]) -> bool:
            return have("result")(p) and have("reveal")(p)

        ok = await self.wait_clients(closed, config.time_limit + timeout)
        # an answer lost with a closing socket is never acknowledged: wait for the acks only briefly
        await self.wait_clients(lambda p: p["acks"].get(rnd, 0) >= joined, 2.0)
        after = await self.snapshot()
        self.record_phase("answer+reveal+result", rnd, before, after, ok)
        reveal = await host.frame("reveal", rnd, timeout)
        self.rounds.append(
            {
                "round": rnd,
                "reason": (reveal or {}).get("reason"),
                "answered": (reveal or {}).get("answered"),
                "deadline": (question or {}).get("deadline"),
                "host_reveal_at": next(
                    (at for at, f in host.frames if f.get("type") == "reveal" and f.get("round") == rnd), None
                ),
            }
        )
        await asyncio.sleep(config.pause)

        before = await self.snapshot()
        await host.send("next")
        ok = await self.wait_clients(have("leaderboard"), timeout)
        after = await self.snapshot()
        self.record_phase("leaderboard", rnd, before, after, ok)
        await asyncio.sleep(config.pause)

    async def finish(self) -> None:
        assert self.host is not None
        joined = self.joined

        def over(p: dict[str, Any]) -> bool:
            counts = p["round_counts"]
            return counts.get(("final", 0), 0) >= joined and counts.get(("finished", 0), 0) >= joined

        before = await self.snapshot()
        await self.host.send("next")
        ok = await self.wait_clients(over, self.config.phase_timeout)
        after = await self.snapshot()
        self.record_phase("finish", 0, before, after, ok)


def validate(config: RunConfig) -> str | None:
    if config.players < 1 or config.questions < 1:
        return "--players and --questions must be at least 1"
    if config.players / config.procs > MAX_SOCKETS_PER_PROC:
        return f"at most {MAX_SOCKETS_PER_PROC} sockets per client process: raise --procs"
    if not 5 <= config.time_limit <= 240:
        return "--time-limit must be 5 to 240 seconds"
    if config.answer_window >= config.time_limit:
        return "--answer-window must be shorter than --time-limit"
    if config.via not in ("lb", "gateway"):
        return "--via is lb or gateway"
    return None

"""The coordinator: sets up a quiz and G games over the REST API, opens each game's host console, paces the
client processes through the joins, lets every host drive its game (bench/loadgen/driver.py), all games at
once, measures from outside the server and checks every game's results (bench/loadgen/correctness.py)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing as mp
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from bench.api import http_json, quiz_and_games, require_loopback
from bench.loadgen import measure
from bench.loadgen.client import client_main, now_ms
from bench.loadgen.driver import GameDriver, PhaseLog
from bench.loadgen.targets import Target

POLL_S = 0.1
MAX_SOCKETS_PER_PROC = 5000
HOSTS_OPENING_AT_ONCE = 8
RESULTS_WAIT_S, RESULTS_POLL_S = 20.0, 0.5


@dataclass
class RunConfig:
    games: int = 1
    players: int = 200  # per game
    questions: int = 3
    time_limit: int = 20
    answer_window: float = 3.0
    join_rate: float = 200.0
    procs: int = 2
    via: str = "lb"
    pause: float = 0.5
    phase_timeout: float = 30.0
    progress: bool = True

    @property
    def total_players(self) -> int:
        return self.games * self.players


def http_status_json(url: str, token: str, timeout: float = 120) -> tuple[int, Any]:
    """GET: (status, JSON body or None), a 4xx/5xx answer included instead of raised; 0 when no answer
    came within `timeout` (a 10,000-player game's results take a while to render)."""
    try:
        return 200, http_json("GET", url, token=token, timeout=timeout)
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except OSError:  # timed out, refused or reset: no answer
        return 0, None


def create_games(target: Target, config: RunConfig) -> tuple[str, list[str]]:
    """(host token, one pin per game) through POST /api/auth/token/, /api/quizzes/ (one quiz for all the
    games) and /api/games/ (G times)."""
    base = target.base_url
    creds = {"username": target.username, "password": target.password}
    token = http_json("POST", f"{base}/api/auth/token/", creds)["token"]
    return token, quiz_and_games(base, token, config.questions, config.time_limit, games=config.games)


class HostConsole:
    """The host's socket (websockets: one socket, its cost does not matter); keeps every frame it gets."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frames: list[tuple[float, dict[str, Any]]] = []
        self.by_kind: dict[tuple[str, int | None], list[tuple[float, dict[str, Any]]]] = {}
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
                self.keep(now_ms(), json.loads(raw))

    def keep(self, at: float, frame: dict[str, Any]) -> None:
        """Every frame, also indexed by (type, round) and (type, None): a wait looks up, never scans."""
        self.frames.append((at, frame))
        kind = frame.get("type", "")
        for key in {(kind, frame.get("round")), (kind, None)}:
            self.by_kind.setdefault(key, []).append((at, frame))

    async def send(self, kind: str) -> float:
        sent = now_ms()
        await self.ws.send(json.dumps({"type": kind}))
        return sent

    async def frame(
        self, kind: str, rnd: int | None, timeout: float, after: float = 0
    ) -> dict[str, Any] | None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            found = self.first(kind, rnd, after)
            if found is not None:
                return found[1]
            await asyncio.sleep(0.02)
        return None

    def first(self, kind: str, rnd: int | None, after: float = 0) -> tuple[float, dict[str, Any]] | None:
        """(receipt ms, frame): the first of this type (and round) received at or after `after`."""
        return next(((at, f) for at, f in self.by_kind.get((kind, rnd), []) if at >= after), None)

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
        self.lock = threading.Lock()  # one command at a time on the pipes, whichever thread asks
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
        with self.lock:
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
        counters = ("round_counts", "game_counts", "game_acks", "game_joined")
        merged.update({name: Counter() for name in counters})
        for reply in replies:
            for key in ("joined", "connected", "frames", "reconnects", "cpu_s", "sys_s"):
                merged[key] += reply[key]
            for name in counters:
                merged[name].update(reply[name])
        return merged

    def join(self, start_at: float, rate: float) -> None:
        """Player i (a global index; it plays game i mod G) joins at start_at + i / rate."""
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


class ProgressFeed:
    """The client processes' progress for every waiting game driver at once: a reading asked while one is
    in flight, or less than half a poll period old, is shared, so 100 waiting hosts cost one poll."""

    def __init__(self, pool: ClientPool) -> None:
        self.pool = pool
        self.pending: asyncio.Future[dict[str, Any]] | None = None
        self.latest: dict[str, Any] | None = None
        self.read_at = 0.0

    async def poll(self) -> dict[str, Any]:
        if self.latest is not None and time.monotonic() - self.read_at < POLL_S / 2:
            return self.latest
        if self.pending is None:
            self.pending = asyncio.ensure_future(self.read())
        return await asyncio.shield(self.pending)

    async def read(self) -> dict[str, Any]:
        try:
            self.latest = await self.pool.progress()
            self.read_at = time.monotonic()
            return self.latest
        finally:
            self.pending = None

    async def wait(
        self, done: Callable[[dict[str, Any]], bool], timeout: float, bar: Bar | None = None
    ) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            progress = await self.poll()
            if bar is not None:
                bar.to(progress["joined"], f"connected {progress['connected']}")
            if done(progress):
                return True
            await asyncio.sleep(POLL_S)
        return False


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


class LoadRun:
    """One measured run against one target: G games at once, each with its host and --players players."""

    def __init__(self, target: Target, config: RunConfig) -> None:
        self.target, self.config = target, config
        self.phases: list[dict[str, Any]] = []  # measured: join, then the one game's phases or "games"
        self.game_phases: list[dict[str, Any]] = []  # several games: each game's phases, timed only
        self.rounds: list[dict[str, Any]] = []
        self.joined = 0
        self.hosts: list[HostConsole] = []
        self.pool: ClientPool | None = None
        self.feed: ProgressFeed | None = None

    async def snapshot(self) -> dict[str, Any]:
        assert self.pool is not None
        progress = await self.pool.progress()
        return {
            "t": now_ms(),
            "cpu": measure.role_cpu(self.target.role_pids()),
            "frames": progress["frames"] + sum(host.count() for host in self.hosts),
            "client_cpu_s": progress["cpu_s"],
            "client_sys_s": progress["sys_s"],
            "progress": progress,
        }

    async def run(self) -> dict[str, Any]:
        config, target = self.config, self.target
        token, pins = create_games(target, config)
        ws_base = target.base_url.replace("http://", "ws://", 1)
        client_config = {
            "via": config.via,
            "play_urls": [f"{ws_base}/ws/play/{pin}/" for pin in pins],
            "gateway_urls": [f"{target.base_url}/api/gateway/?pin={pin}" for pin in pins],
            "origin": target.base_url,
            "timeout_s": config.phase_timeout,
            "answer_window_s": config.answer_window,
        }
        try:
            self.hosts = await open_hosts(ws_base, pins, token, target.base_url)
            self.pool = ClientPool(config.total_players, config.procs, client_config)
            self.feed = ProgressFeed(self.pool)
            return await self.play(token, pins)
        finally:
            for host in self.hosts:
                await host.close()
            if self.pool is not None:
                await asyncio.to_thread(self.pool.stop)

    async def play(self, token: str, pins: list[str]) -> dict[str, Any]:
        config, target = self.config, self.target
        assert self.pool is not None
        load_before = measure.load_average()
        rss_before = measure.total_rss(target.connection_pids())
        roles = target.role_pids()
        server_pids = sorted({pid for role, pids in roles.items() if role != "redis" for pid in pids})
        redis_marks = [measure.redis_command_calls(target.redis)]

        joined_by_game = await self.join_all()
        await asyncio.sleep(1.0)  # the trailing coalesced lobby frame; sockets settle before RSS is read
        rss_after = measure.total_rss(target.connection_pids())
        redis_marks.append(measure.redis_command_calls(target.redis))

        drivers = await self.play_games(pins, joined_by_game, redis_marks)
        redis_marks.append(measure.redis_command_calls(target.redis))
        await asyncio.sleep(0.5)
        samples = await asyncio.to_thread(self.pool.ask_all, ("samples",))
        stored = None
        if target.results_api:
            stored = await asyncio.to_thread(stored_results, target.base_url, token, pins)
        return {
            "target": target.name,
            "pin": pins[0],
            "pins": pins,
            "config": asdict(config),
            "joined": self.joined,
            "joined_by_game": joined_by_game,
            "load_average_before": load_before,
            "load_average_after": measure.load_average(),
            "rss_bytes": {"before_joins": rss_before, "after_joins": rss_after},
            "redis_marks": redis_marks,
            "phases": self.phases,
            "game_phases": self.game_phases,
            "rounds": [entry for driver in drivers for entry in driver.rounds],
            "host_frames": sum((Counter(f.get("type") for _, f in h.frames) for h in self.hosts), Counter()),
            "podiums": [driver.podium() for driver in drivers],
            "stored_results": stored,
            "scored": target.scored,
            "samples": samples,
            "client_pids": self.pool.pids(),
            "server_pids": server_pids,
            "redis_pids": roles.get("redis", []),
            "tracebacks": target.tracebacks(),
        }

    async def join_all(self) -> list[int]:
        """Every player of every game joins, open loop at the offered rate overall; players per game."""
        config, target = self.config, self.target
        assert self.pool is not None and self.feed is not None
        log = PhaseLog(self.phases, self.snapshot)
        before = await log.mark()
        start_at = time.time() + 0.5
        self.pool.join(start_at, config.join_rate)
        total = config.total_players
        bar = Bar(total, f"{target.name} joins", config.progress)
        join_budget = total / config.join_rate + config.phase_timeout
        joined_all = await self.feed.wait(lambda p: p["joined"] >= total, join_budget, bar)
        bar.close()
        after = await log.mark()
        self.joined = after["progress"]["joined"]
        log.record("join", 0, before, after, joined_all)
        by_game = after["progress"]["game_joined"]
        return [by_game.get(game, 0) for game in range(config.games)]

    async def play_games(
        self, pins: list[str], joined_by_game: list[int], redis_marks: list[dict[str, int]]
    ) -> list[GameDriver]:
        """One game: every phase measured (CPU, frames, Redis per round). Several: every host drives its
        game at once, each game's phases timed, CPU and frames measured over the whole span ("games")."""
        config, target = self.config, self.target
        bar = Bar(config.games * config.questions, f"{target.name} rounds", config.progress)
        rounds_done = 0

        def after_round(driver: GameDriver, rnd: int) -> None:
            nonlocal rounds_done
            rounds_done += 1
            if config.games == 1:
                redis_marks.append(measure.redis_command_calls(target.redis))
            bar.to(rounds_done, f"round {rnd}: {driver.rounds[-1]['reason']}")

        def driver(game: int, log: PhaseLog) -> GameDriver:
            assert self.feed is not None
            return GameDriver(
                game, pins[game], self.hosts[game], joined_by_game[game], self.feed, config, log
            )

        if config.games == 1:
            drivers = [driver(0, PhaseLog(self.phases, self.snapshot))]
            await drivers[0].play(after_round)
        else:
            drivers = [driver(g, PhaseLog(self.game_phases, game=g)) for g in range(config.games)]
            span = PhaseLog(self.phases, self.snapshot)
            before = await span.mark()
            await asyncio.gather(*(driver.play(after_round) for driver in drivers))
            played_all = all(p["complete"] for p in self.game_phases)
            span.record("games", 0, before, await span.mark(), played_all)
        bar.close()
        return drivers


async def open_hosts(ws_base: str, pins: list[str], token: str, origin: str) -> list[HostConsole]:
    """Every game's host console, a few handshakes at a time; all closed again when one fails."""
    gate = asyncio.Semaphore(HOSTS_OPENING_AT_ONCE)

    async def one(pin: str) -> HostConsole:
        async with gate:
            return await HostConsole.open(ws_base, pin, token, origin)

    opened = await asyncio.gather(*(one(pin) for pin in pins), return_exceptions=True)
    hosts = [h for h in opened if isinstance(h, HostConsole)]
    failed = [e for e in opened if isinstance(e, BaseException)]
    if failed:
        for host in hosts:
            await host.close()
        raise failed[0]
    return hosts


def stored_results(
    base_url: str, token: str, pins: list[str], wait_s: float = RESULTS_WAIT_S
) -> dict[str, Any]:
    """pin -> GET /api/games/<pin>/results/ (the host's token): its JSON, or a string saying why there is
    none. A Celery task writes the results after `finished`: a pin answering 409 is asked again every
    RESULTS_POLL_S for up to wait_s."""
    found: dict[str, Any] = {}
    pending = list(pins)
    end = time.monotonic() + wait_s
    while pending:
        for pin in list(pending):
            # the standings only: a 10,000-player game's answers are megabytes the check does not read
            status, body = http_status_json(f"{base_url}/api/games/{pin}/results/?answers=0", token)
            if status != 409:
                found[pin] = body if status == 200 else f"HTTP {status}"
                pending.remove(pin)
        if not pending or time.monotonic() >= end:
            break
        time.sleep(RESULTS_POLL_S)
    found.update({pin: f"still 409 (not finished) after {wait_s:g} s" for pin in pending})
    return found


def validate(config: RunConfig) -> str | None:
    if config.games < 1 or config.players < 1 or config.questions < 1:
        return "--games, --players and --questions must be at least 1"
    if config.total_players / config.procs > MAX_SOCKETS_PER_PROC:
        return f"at most {MAX_SOCKETS_PER_PROC} sockets per client process: raise --procs"
    if not 5 <= config.time_limit <= 240:
        return "--time-limit must be 5 to 240 seconds"
    if config.answer_window >= config.time_limit:
        return "--answer-window must be shorter than --time-limit"
    if config.via not in ("lb", "gateway"):
        return "--via is lb or gateway"
    return None

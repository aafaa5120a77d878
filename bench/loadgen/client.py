"""One load-generator process: its share of the players, each a picows socket on a uvloop loop.

Player i plays game i mod G (G = how many games run at once; the game's pin picks its URL) and joins at its
scheduled time (open loop: the offered rate does not wait for the server), answers
each question once at a uniformly random moment of the answer window after `opens_at`, and reconnects with
`resume` when its socket closes before the game is over (jittered exponential backoff; a `reconnect` frame's
`retry_after_ms` wins). The coordinator drives the process through a pipe: `join`, `progress`, `samples`,
`stop`. Every figure is kept per process (per game where a game's host waits on it) and shipped at the end,
with each player's `result` points and `final` for the correctness check. Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import resource
import time
from collections import Counter, defaultdict
from multiprocessing.connection import Connection
from typing import Any
from urllib.parse import urlsplit

from picows import WSCloseCode, WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

from bench.api import RIGHT_TEXT, require_loopback

ROUND_KINDS = ("question", "reveal", "result", "leaderboard")
GAME_END_KINDS = ("finished", "final")
CLOSE_RECONNECT = 4012
CLOSE_KICKED = 4003
CLOSE_UNKNOWN_PIN = 4004
BACKOFF_BASE_S, BACKOFF_CAP_S = 0.5, 8.0
MAX_RECONNECTS = 8
DELIVERY_BIN_MS = 100


def now_ms() -> float:
    return time.time() * 1000


async def http_get_json(url: str, timeout: float) -> dict[str, Any]:
    """A bare HTTP/1.0 GET (the gateway lookup): cheaper than a client library for one small request."""
    require_loopback(url)
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(parts.hostname, parts.port or 80), timeout
    )
    try:
        writer.write(
            f"GET {path} HTTP/1.0\r\nHost: {parts.netloc}\r\nAccept: application/json\r\n\r\n".encode()
        )
        raw = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if status != 200:
        raise RuntimeError(f"GET {url}: HTTP {status}")
    return json.loads(body)


class PlayerSocket(WSListener):
    """picows calls these from the loop; everything interesting is forwarded to the Player."""

    def __init__(self, player: Player) -> None:
        self.player = player

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        kind = frame.msg_type
        if kind is WSMsgType.TEXT:
            self.player.on_text(frame.get_payload_as_bytes())
        elif kind is WSMsgType.CLOSE:
            payload = frame.get_payload_as_bytes()
            self.player.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
            transport.send_close(WSCloseCode.OK)
            transport.disconnect()

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.player.on_disconnected()


class Player:
    __slots__ = (
        "fleet",
        "idx",
        "game",
        "position",
        "nickname",
        "player_id",
        "token",
        "transport",
        "close_code",
        "retry_after_ms",
        "reconnects",
        "connect_started",
        "answered",
        "answer_sent_at",
        "reveal_at",
        "seen",
        "done",
        "points",
        "final",
    )

    def __init__(self, fleet: Fleet, idx: int) -> None:
        self.fleet, self.idx = fleet, idx
        self.game, self.position = idx % fleet.games, idx // fleet.games  # position: its place in its game
        self.nickname = f"lt{idx}"
        self.player_id = ""
        self.token: str | None = None
        self.transport: WSTransport | None = None
        self.close_code: int | None = None
        self.retry_after_ms: int | None = None
        self.reconnects = 0
        self.connect_started = 0.0
        self.answered: set[int] = set()
        self.answer_sent_at: dict[int, float] = {}
        self.reveal_at: dict[int, float] = {}
        self.seen: set[tuple[str, int]] = set()  # (kind, round) frames received, live or replayed
        self.done = False  # got `final`: a close after this is the end of the game, not a fault
        self.points: dict[int, int] = {}  # round -> `points` of its `result` (live or replayed)
        self.final: dict[str, Any] | None = None  # the `final` frame (live or replayed)

    # --- connecting

    async def connect(self) -> None:
        fleet = self.fleet
        self.connect_started = now_ms()
        self.close_code, self.retry_after_ms = None, None
        try:
            url = fleet.play_urls[self.game]
            if fleet.via == "gateway":
                url = (await http_get_json(fleet.gateway_urls[self.game], fleet.timeout_s))["url"]
            require_loopback(url)
            transport, _ = await ws_connect(
                lambda: PlayerSocket(self),
                url,
                websocket_handshake_timeout=fleet.timeout_s,
                extra_headers={"Origin": fleet.origin},
                enable_auto_pong=True,
            )
        except Exception as exc:  # noqa: BLE001 - every failure of a connect is counted and retried
            fleet.errors[type(exc).__name__] += 1
            self.schedule_reconnect()
            return
        self.transport = transport
        if self.token is None:
            self.send({"type": "join", "nickname": self.nickname})
        else:
            self.send({"type": "resume", "token": self.token})

    def send(self, frame: dict[str, Any]) -> None:
        if self.transport is not None:
            self.transport.send(WSMsgType.TEXT, json.dumps(frame, separators=(",", ":")).encode())

    def on_disconnected(self) -> None:
        self.transport = None
        self.fleet.closes[str(self.close_code or 1006)] += 1
        if self.done or self.fleet.stopping or self.close_code in (CLOSE_KICKED, CLOSE_UNKNOWN_PIN):
            return
        self.schedule_reconnect()

    def schedule_reconnect(self) -> None:
        fleet = self.fleet
        if fleet.stopping:
            return
        if self.reconnects >= MAX_RECONNECTS:
            fleet.gave_up += 1
            return
        if self.retry_after_ms is not None:
            delay = self.retry_after_ms / 1000 + random.uniform(0, 0.1)
        else:
            delay = random.uniform(0.5, 1.0) * min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**self.reconnects)
        self.reconnects += 1
        fleet.reconnects += 1
        fleet.loop.call_later(delay, fleet.spawn, self.connect())

    # --- frames

    def on_text(self, payload: bytes) -> None:
        received = now_ms()
        fleet = self.fleet
        frame = json.loads(payload)
        kind = frame.get("type")
        fleet.frames[kind] += 1
        fleet.delivery_bins[int(received // DELIVERY_BIN_MS)] += 1
        rnd = frame.get("round", 0)
        if kind == "question":
            self.mark(kind, rnd)
            fleet.latency["question"].append(received - frame["server_time"])
            self.plan_answer(frame)
        elif kind == "answer_ack":
            sent = self.answer_sent_at.pop(rnd, None)
            if sent is not None:
                fleet.latency["answer_ack"].append(received - sent)
            fleet.acks[(rnd, bool(frame.get("accepted")), str(frame.get("reason")))] += 1
            fleet.game_acks[(self.game, rnd)] += 1
            last_ack = fleet.round_last_ack.get((self.game, rnd), 0.0)
            fleet.round_last_ack[(self.game, rnd)] = max(last_ack, received)
        elif kind == "reveal":
            self.mark(kind, rnd)
            self.reveal_at[rnd] = received
            fleet.round_times[(self.game, "reveal", rnd)].append(received)
        elif kind == "result":
            self.mark(kind, rnd)
            self.points.setdefault(rnd, frame.get("points"))
            fleet.round_times[(self.game, "result", rnd)].append(received)
            reveal_at = self.reveal_at.get(rnd)
            if reveal_at is not None:
                fleet.latency["result_after_reveal"].append(received - reveal_at)
        elif kind == "leaderboard":
            self.mark(kind, rnd)
        elif kind in GAME_END_KINDS:
            self.mark(kind, 0)
            if kind == "final":
                self.done, self.final = True, self.final or frame
        elif kind == "welcome":
            self.on_welcome(frame, received)
        elif kind == "reconnect":
            self.retry_after_ms = int(frame.get("retry_after_ms") or 0)
        elif kind == "error":
            fleet.errors[f"error:{frame.get('code')}"] += 1

    def mark(self, kind: str, rnd: int) -> None:
        key = (kind, rnd)
        if key in self.seen:
            self.fleet.duplicates[kind] += 1
        else:
            self.count_first(kind, rnd)

    def count_first(self, kind: str, rnd: int) -> None:
        self.seen.add((kind, rnd))
        self.fleet.round_counts[(kind, rnd)] += 1
        self.fleet.game_counts[(self.game, kind, rnd)] += 1

    def on_welcome(self, frame: dict[str, Any], received: float) -> None:
        fleet = self.fleet
        if self.token is None:
            fleet.latency["join"].append(received - self.connect_started)
            fleet.welcome_times.append(received)
        else:
            fleet.latency["resume"].append(received - self.connect_started)
            fleet.resumed += 1
        if not self.player_id:
            fleet.game_joined[self.game] += 1
        self.token, self.player_id = frame["token"], str(frame.get("player_id", ""))
        self.reconnects = 0
        game = frame.get("game") or {}
        # a resumed player is shown what it missed: count those frames as replayed, not lost
        for kind in (*ROUND_KINDS, *GAME_END_KINDS):
            replay = game.get(kind)
            if isinstance(replay, dict):
                rnd = 0 if kind in GAME_END_KINDS else replay.get("round", game.get("round", 0))
                if (kind, rnd) not in self.seen:
                    self.count_first(kind, rnd)
                    fleet.replayed[kind] += 1
                self.keep_replayed(kind, rnd, replay)
        question = game.get("question")
        if game.get("phase") == "question" and isinstance(question, dict) and not game.get("answered"):
            self.answered.discard(question["round"])  # one sent on the old socket may never have arrived
            self.plan_answer(question)

    def keep_replayed(self, kind: str, rnd: int, replay: dict[str, Any]) -> None:
        """A `result` or `final` the resumed `welcome` carries counts like the live frame it replaces."""
        if kind == "result" and "points" in replay:
            self.points.setdefault(rnd, replay["points"])
        elif kind == "final":
            self.done, self.final = True, self.final or replay

    def standing(self) -> dict[str, Any]:
        """What the correctness check needs of this player (`player_id` empty: never welcomed)."""
        return {
            "game": self.game,
            "nickname": self.nickname,
            "player_id": self.player_id,
            "points": self.points,
            "final": self.final,
        }

    def plan_answer(self, question: dict[str, Any]) -> None:
        rnd = question["round"]
        if rnd in self.answered:
            return
        self.answered.add(rnd)
        fleet = self.fleet
        at = question["opens_at"] + random.uniform(0, fleet.answer_window_ms)
        choices = question.get("choices") or []
        wanted = [c for c in choices if c["text"] == RIGHT_TEXT] if self.position % 4 else []
        pick = (wanted or [c for c in choices if c["text"] != RIGHT_TEXT] or choices)[0]
        answer = {"type": "answer", "round": rnd, "choice": pick["id"]}
        fleet.loop.call_later(max(0.0, (at - now_ms()) / 1000), self.send_answer, rnd, answer)

    def send_answer(self, rnd: int, answer: dict[str, Any]) -> None:
        if self.transport is None:
            self.fleet.answers_unsent += 1
            self.answered.discard(rnd)  # the resumed welcome will plan it again while the round is open
            return
        self.answer_sent_at[rnd] = now_ms()
        self.send(answer)
        self.fleet.answers_sent += 1


class Fleet:
    """All the players of one process, plus the counters the coordinator reads."""

    def __init__(self, config: dict[str, Any], indexes: list[int]) -> None:
        self.loop = asyncio.get_running_loop()
        self.via = config["via"]
        self.play_urls: list[str] = config["play_urls"]  # one per game
        self.gateway_urls: list[str] = config["gateway_urls"]
        self.games = len(self.play_urls)
        self.origin = config["origin"]
        self.timeout_s = config["timeout_s"]
        self.answer_window_ms = config["answer_window_s"] * 1000
        self.players = [Player(self, idx) for idx in indexes]
        self.tasks: set[asyncio.Task] = set()
        self.stopping = False
        self.frames: Counter[str] = Counter()
        self.round_counts: Counter[tuple[str, int]] = Counter()  # (kind, round): players, all games
        self.game_counts: Counter[tuple[int, str, int]] = Counter()  # (game, kind, round): players
        self.game_acks: Counter[tuple[int, int]] = Counter()  # (game, round): answer_acks
        self.game_joined: Counter[int] = Counter()  # game: players welcomed
        self.duplicates: Counter[str] = Counter()
        self.replayed: Counter[str] = Counter()
        self.acks: Counter[tuple[int, bool, str]] = Counter()
        self.errors: Counter[str] = Counter()
        self.closes: Counter[str] = Counter()
        self.delivery_bins: Counter[int] = Counter()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.round_times: dict[tuple[int, str, int], list[float]] = defaultdict(list)
        self.round_last_ack: dict[tuple[int, int], float] = {}
        self.welcome_times: list[float] = []
        self.reconnects = self.resumed = self.gave_up = 0
        self.answers_sent = self.answers_unsent = 0

    def spawn(self, coro: Any) -> None:
        task = self.loop.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def schedule_joins(self, start_at: float, rate: float, positions: list[int]) -> None:
        """Player k joins at start_at + position_k / rate (wall clock), whatever the server is doing."""
        for player, position in zip(self.players, positions, strict=True):
            delay = max(0.0, start_at + position / rate - time.time())
            self.loop.call_later(delay, self.spawn, player.connect())

    def progress(self) -> dict[str, Any]:
        return {
            "joined": len(self.welcome_times),
            "connected": sum(p.transport is not None for p in self.players),
            "frames": sum(self.frames.values()),
            "round_counts": dict(self.round_counts),
            "acks": dict(self.acks),
            "game_counts": dict(self.game_counts),
            "game_acks": dict(self.game_acks),
            "game_joined": dict(self.game_joined),
            "reconnects": self.reconnects,
            "cpu_s": sum(resource.getrusage(resource.RUSAGE_SELF)[:2]),
            "sys_s": resource.getrusage(resource.RUSAGE_SELF).ru_stime,
        }

    def samples(self) -> dict[str, Any]:
        return {
            **self.progress(),
            "players": len(self.players),
            "frames_by_kind": dict(self.frames),
            "duplicates": dict(self.duplicates),
            "replayed": dict(self.replayed),
            "errors": dict(self.errors),
            "closes": dict(self.closes),
            "delivery_bins": dict(self.delivery_bins),
            "latency": dict(self.latency),
            "round_times": {f"{g}:{k}:{r}": v for (g, k, r), v in self.round_times.items()},
            "round_last_ack": self.round_last_ack,
            "welcome_times": self.welcome_times,
            "resumed": self.resumed,
            "gave_up": self.gave_up,
            "answers_sent": self.answers_sent,
            "answers_unsent": self.answers_unsent,
            "standings": [player.standing() for player in self.players],
        }

    async def stop(self) -> None:
        self.stopping = True
        for player in self.players:
            if player.transport is not None:
                player.transport.send_close()
                player.transport.disconnect()
        await asyncio.sleep(0.2)


def raise_fd_limit() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def serve_coordinator(conn: Connection, config: dict[str, Any], indexes: list[int]) -> None:
    fleet = Fleet(config, indexes)
    finished = asyncio.Event()
    commands: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
    fleet.loop.add_reader(conn.fileno(), lambda: commands.put_nowait(conn.recv()))
    # uvloop makes a watched fd non-blocking; a large reply (the samples) would then fail with EAGAIN.
    os.set_blocking(conn.fileno(), True)
    while not finished.is_set():
        command = await commands.get()
        name = command[0]
        if name == "join":
            _, start_at, rate, positions = command
            fleet.schedule_joins(start_at, rate, positions)
        elif name == "progress":
            conn.send(fleet.progress())
        elif name == "samples":
            conn.send(fleet.samples())
        elif name == "stop":
            await fleet.stop()
            conn.send("stopped")
            finished.set()
    fleet.loop.remove_reader(conn.fileno())


def client_main(conn: Connection, config: dict[str, Any], indexes: list[int]) -> None:
    """Entry of a spawned client process."""
    raise_fd_limit()
    try:
        import uvloop

        uvloop.run(serve_coordinator(conn, config, indexes))
    except ImportError:
        asyncio.run(serve_coordinator(conn, config, indexes))
    os._exit(0)

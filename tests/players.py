"""Scripted players and a host for fault tests, over real sockets through the load balancer.

A `Player` joins once, keeps its `token`, answers every question it is shown (a plan says when and what),
and on any close or failed connect comes back on its own: after `reconnect.retry_after_ms` when the server
said so, else with jittered exponential backoff; then it sends `resume`. Every frame is kept with the time it
arrived, every lost socket with the time it was seen and the time the next `welcome` came.

A `Host` keeps the host socket open the same way; `Host.advance` sends a command until the game (read back
with `GET /api/games/<pin>/`) is where the command should take it, so a command lost with a socket is sent
again and one that arrived is never sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import random
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

ORIGIN = "http://127.0.0.1"
BACKOFF_FIRST_S = 0.1
BACKOFF_MAX_S = 2.0
ANSWER_RETRY_S = 0.5  # after an `unavailable` error (the server could not reach Redis)
ROOM_KINDS = ("question", "reveal", "result")

# question frame -> (seconds after `opens_at`, answer fields), or None to leave the question unanswered
AnswerPlan = Callable[[dict[str, Any]], tuple[float, dict[str, Any]] | None]


def now_ms() -> float:
    return time.time() * 1000


def backoff_s(attempt: int) -> float:
    """Exponential backoff with jitter: 0.1 s, 0.2 s, 0.4 s … up to 2 s, each scaled by 0.5-1."""
    return min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2**attempt) * random.uniform(0.5, 1.0)


@dataclass
class Received:
    at_ms: float
    frame: dict[str, Any]


@dataclass
class Drop:
    at_ms: float  # when the client saw its socket close
    code: int  # close code received; 1006 when the connection just ended (a killed worker)
    back_ms: float | None = None  # when the `welcome` after `resume` came


class Connection:
    """One logical client: connects through the load balancer again and again until told to stop."""

    def __init__(self, lb_port: int, path: str, name: str, headers: dict[str, str] | None = None) -> None:
        self.url = f"ws://127.0.0.1:{lb_port}{path}"
        self.name = name
        self.headers = headers or {}
        self.frames: list[Received] = []
        self.drops: list[Drop] = []
        self.conn: ClientConnection | None = None
        self.online = False  # identified on the current socket
        self.finished = asyncio.Event()
        self.retry_after_s: float | None = None

    async def run(self) -> None:
        attempt = 0
        while not self.finished.is_set():
            try:
                async with connect(
                    self.url, origin=ORIGIN, additional_headers=self.headers, max_size=2**22, open_timeout=10
                ) as conn:
                    await self._session(conn)
                    attempt = 0 if self.online else attempt
            except (OSError, InvalidHandshake, TimeoutError, ConnectionClosed):
                pass
            finally:
                self._lost()
            if self.finished.is_set():
                return
            delay, self.retry_after_s = self.retry_after_s or backoff_s(attempt), None
            attempt += 1
            await asyncio.sleep(delay)

    async def _session(self, conn: ClientConnection) -> None:
        self.conn = conn
        await self.identify(conn)
        with contextlib.suppress(ConnectionClosed):
            async for raw in conn:
                frame = json.loads(raw)
                self.frames.append(Received(now_ms(), frame))
                await self.on_frame(frame)
                if self.finished.is_set():
                    return

    def _lost(self) -> None:
        conn, self.conn = self.conn, None
        if self.online and not self.finished.is_set():
            code = conn.close_code if conn is not None and conn.close_code is not None else 1006
            self.drops.append(Drop(now_ms(), code))
        self.online = False

    def _back(self) -> None:
        self.online = True
        if self.drops and self.drops[-1].back_ms is None:
            self.drops[-1].back_ms = now_ms()

    async def send(self, frame: dict[str, Any]) -> bool:
        conn = self.conn
        if conn is None:
            return False
        try:
            await conn.send(json.dumps(frame))
            return True
        except ConnectionClosed:
            return False

    async def identify(self, conn: ClientConnection) -> None:
        """The first frame(s) of a session; the host sends none."""

    async def on_frame(self, frame: dict[str, Any]) -> None:
        if frame["type"] == "reconnect":
            self.retry_after_s = frame["retry_after_ms"] / 1000

    def summary(self) -> str:
        """For failure messages: the last frames and drops of this client."""
        kinds = [r.frame.get("code") or r.frame["type"] for r in self.frames[-6:]]
        return f"{self.name}: frames {kinds}, drops {[d.code for d in self.drops]}"

    def of_type(self, kind: str) -> list[Received]:
        return [r for r in self.frames if r.frame["type"] == kind]

    def errors(self) -> list[dict[str, Any]]:
        return [r.frame for r in self.of_type("error")]

    async def close(self) -> None:
        self.finished.set()
        if self.conn is not None:
            with contextlib.suppress(ConnectionClosed):
                await self.conn.close()


class Player(Connection):
    def __init__(self, lb_port: int, pin: str, nickname: str, plan: AnswerPlan) -> None:
        super().__init__(lb_port, f"/ws/play/{pin}/", nickname)
        self.plan = plan
        self.token: str | None = None
        self.player_id: str | None = None
        self.acks: dict[int, dict[str, Any]] = {}  # round -> the first answer_ack
        self.answering: dict[int, asyncio.Task] = {}
        self.unavailable = asyncio.Event()

    async def identify(self, conn: ClientConnection) -> None:
        if self.token:
            await conn.send(json.dumps({"type": "resume", "token": self.token}))
        else:
            await conn.send(json.dumps({"type": "join", "nickname": self.name}))

    async def on_frame(self, frame: dict[str, Any]) -> None:
        await super().on_frame(frame)
        kind = frame["type"]
        if kind == "welcome":
            self._welcomed(frame)
        elif kind == "question":
            self._answer_later(frame)
        elif kind == "answer_ack":
            self.acks.setdefault(frame["round"], frame)
        elif kind == "final":
            self.finished.set()
        elif kind == "error" and frame.get("code") == "unavailable":
            self.unavailable.set()

    def _welcomed(self, frame: dict[str, Any]) -> None:
        self.token, self.player_id = frame["token"], frame["player_id"]
        self._back()
        for task in self.answering.values():  # planned on a socket that is gone: the snapshot decides now
            task.cancel()
        self.answering.clear()
        game = frame["game"]
        if "final" in game:
            self.finished.set()
        elif game["phase"] == "question" and not game.get("answered") and "question" in game:
            self._answer_later(game["question"])

    def _answer_later(self, question: dict[str, Any]) -> None:
        round_no = question["round"]
        running = self.answering.get(round_no)
        if round_no in self.acks or (running is not None and not running.done()):
            return
        planned = self.plan(question)
        if planned is not None:
            self.answering[round_no] = asyncio.create_task(self._answer(question, *planned))

    async def _answer(self, question: dict[str, Any], after_s: float, fields: dict[str, Any]) -> None:
        """Sends the answer when planned, again after each `unavailable`, while this socket lives."""
        conn = self.conn
        await asyncio.sleep(max(0.0, question["opens_at"] / 1000 + after_s - time.time()))
        round_no = question["round"]
        while self.conn is conn and conn is not None and round_no not in self.acks:
            self.unavailable.clear()
            if not await self.send({"type": "answer", "round": round_no, **fields}):
                return
            while round_no not in self.acks and self.conn is conn and not self.unavailable.is_set():
                await asyncio.sleep(0.05)
            if self.unavailable.is_set():
                await asyncio.sleep(ANSWER_RETRY_S)

    # --- what this player saw -------------------------------------------------------------------

    def rounds_seen(self, kind: str) -> set[int]:
        """Rounds of `kind` frames received, counting those a resumed `welcome.game` carried."""
        seen = {r.frame["round"] for r in self.of_type(kind)}
        for r in self.of_type("welcome"):
            carried = r.frame["game"].get(kind)
            if isinstance(carried, dict) and "round" in carried:
                seen.add(carried["round"])
        return seen

    def points_by_round(self) -> dict[int, int]:
        results = [r.frame for r in self.of_type("result")]
        results += [r.frame["game"]["result"] for r in self.of_type("welcome") if "result" in r.frame["game"]]
        return {frame["round"]: frame["points"] for frame in results}

    def final_score(self) -> int | None:
        for r in reversed(self.frames):
            if r.frame["type"] == "final":
                return r.frame["score"]
            if r.frame["type"] == "welcome" and "final" in r.frame["game"]:
                return r.frame["game"]["final"]["score"]
        return None

    def accepted_rounds(self) -> set[int]:
        return {n for n, ack in self.acks.items() if ack["accepted"]}


class Host(Connection):
    def __init__(self, lb_port: int, pin: str, token: str) -> None:
        super().__init__(lb_port, f"/ws/host/{pin}/", "host", {"Authorization": f"Token {token}"})
        self.lb_port, self.pin = lb_port, pin

    async def on_frame(self, frame: dict[str, Any]) -> None:
        await super().on_frame(frame)
        if frame["type"] == "host_welcome":
            self._back()

    async def advance(self, command: str, target: Callable[[str, int], bool], timeout: float = 30) -> None:
        """Sends `command` until the game's (phase, round) satisfies `target`."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if target(*await game_position(self.lb_port, self.pin)):
                return
            if self.online and await self.send({"type": command}):
                for _ in range(30):  # the command was sent: give it 3 s before sending it again
                    await asyncio.sleep(0.1)
                    if target(*await game_position(self.lb_port, self.pin)):
                        return
            else:
                await asyncio.sleep(0.1)
        raise TimeoutError(f"host: {command!r} did not take the game there in {timeout} s")


def http_json(port: int, path: str, token: str | None = None, body: dict | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as failed:
        return failed.code, None
    except OSError:
        return 0, None


async def game_position(lb_port: int, pin: str) -> tuple[str, int]:
    """The live game's (phase, round) as the API reports it; ("", 0) while it cannot say."""
    status, body = await asyncio.to_thread(http_json, lb_port, f"/api/games/{pin}/")
    if status != 200 or not body:
        return "", 0
    return body.get("phase") or body.get("status", ""), body.get("round", 0)


async def wait_for(
    predicate: Callable[[], bool | Awaitable[bool]], timeout: float, step: float = 0.05
) -> bool:
    """Polls `predicate` (a function, or a coroutine function) until it holds; False after `timeout`."""
    end = time.monotonic() + timeout
    while True:
        held = predicate()
        if inspect.isawaitable(held):
            held = await held
        if held or time.monotonic() >= end:
            return bool(held)
        await asyncio.sleep(step)


async def everyone_saw(players: list[Player], kinds: Iterable[str], round_no: int, timeout: float) -> bool:
    """Waits until every player has seen round `round_no`'s frames of `kinds` (live or replayed)."""
    return await wait_for(
        lambda: all(round_no in p.rounds_seen(kind) for p in players for kind in kinds), timeout
    )

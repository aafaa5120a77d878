"""Baseline: the raw ceiling. A bare ASGI app (no Channels, no Redis, no Django) run by daphne like the
real workers:

    .venv/bin/daphne -b 127.0.0.1 -p 9001 bench.baselines.raw_asgi:application

It answers the REST calls the load tester makes with fixed answers, accepts /ws/host/<pin>/ and
/ws/play/<pin>/, answers `join` with a `welcome`, acknowledges answers, and on the host's `start`/`next`
broadcasts frames of the same shapes and sizes as QuizZone's from an in-process list of sockets, one JSON
encode per broadcast (the per-player `result` and `final` are encoded per player). A round closes when every
player answered or at its deadline. No scoring rules: the figures are the cost of the transport alone.
Several games at once: each `POST /api/games/` opens a room under its own pin (424242, 424243, ...) with the
questions of the quiz it names; rooms share nothing.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

Send = Callable[[dict[str, Any]], Awaitable[None]]
FIRST_PIN = 424242
RIGHT_CHOICE = 1
CLOSE_UNKNOWN_PIN = 4004


def now_ms() -> int:
    return int(time.time() * 1000)


def encode(frame: dict[str, Any]) -> str:
    return json.dumps(frame, separators=(",", ":"))


class Room:
    def __init__(self, pin: str, title: str, questions: list[dict[str, Any]]) -> None:
        self.pin, self.title, self.questions = pin, title, questions
        self.phase, self.round = "lobby", 0
        self.players: dict[str, Send] = {}  # player id -> the socket's send
        self.tokens: dict[str, str] = {}  # token -> player id
        self.hosts: list[Send] = []
        self.answered: set[str] = set()
        self.deadline = 0
        self.lobby_due = False

    async def broadcast(self, frame: dict[str, Any], hosts: bool = True) -> None:
        message = {"type": "websocket.send", "text": encode(frame)}
        for send in [*self.players.values(), *(self.hosts if hosts else [])]:
            await send(message)

    async def each_player(self, frame_of: Callable[[str], dict[str, Any]]) -> None:
        for pid, send in list(self.players.items()):
            await send({"type": "websocket.send", "text": encode(frame_of(pid))})

    def lobby_soon(self) -> None:
        if self.lobby_due:
            return
        self.lobby_due = True

        def fire() -> None:
            self.lobby_due = False
            names = [f"p{n}" for n in range(min(100, len(self.players)))]
            asyncio.ensure_future(
                self.broadcast({"type": "lobby", "players": len(self.players), "nicknames": names})
            )

        asyncio.get_running_loop().call_later(0.5, fire)

    async def open_round(self, rnd: int) -> None:
        q = self.questions[rnd - 1]
        self.phase, self.round, self.answered = "question", rnd, set()
        opens_at = now_ms()
        limit_ms = q["time_limit"] * 1000
        self.deadline = opens_at + limit_ms
        frame = {
            "type": "question",
            "round": rnd,
            "total_rounds": len(self.questions),
            "kind": "single",
            "text": q["text"],
            "choices": q["choices"],
            "min": None,
            "max": None,
            "time_limit_ms": limit_ms,
            "points": 1,
            "opens_at": opens_at,
            "deadline": self.deadline,
            "server_time": opens_at,
        }
        asyncio.get_running_loop().call_later(
            limit_ms / 1000, lambda: asyncio.ensure_future(self.close(rnd, "timeout"))
        )
        await self.broadcast(frame)

    async def close(self, rnd: int, reason: str) -> None:
        if self.phase != "question" or self.round != rnd:
            return
        self.phase = "reveal"
        n = len(self.players)
        reveal = {
            "type": "reveal",
            "round": rnd,
            "correct": [RIGHT_CHOICE],
            "distribution": {str(RIGHT_CHOICE): len(self.answered)},
            "answered": len(self.answered),
            "players": n,
            "reason": reason,
        }
        await self.broadcast(reveal)
        await self.each_player(
            lambda pid: {
                "type": "result",
                "round": rnd,
                "correct": True,
                "points": 950,
                "score": 950 * rnd,
                "rank": 1,
                "streak": rnd,
            }
        )

    async def next(self) -> None:
        n = len(self.players)
        top = [{"nickname": f"p{k}", "score": 950 * self.round, "rank": 1} for k in range(min(10, n))]
        if self.phase == "reveal":
            self.phase = "leaderboard"
            await self.broadcast({"type": "leaderboard", "round": self.round, "top": top, "players": n})
        elif self.phase == "leaderboard" and self.round < len(self.questions):
            await self.open_round(self.round + 1)
        elif self.phase == "leaderboard":
            self.phase = "finished"
            await self.broadcast({"type": "finished", "podium": top[:3], "players": n})
            await self.each_player(
                lambda pid: {"type": "final", "score": 950 * self.round, "rank": 1, "players": n}
            )


QUIZZES: dict[int, tuple[str, list[dict[str, Any]]]] = {}  # quiz id -> (title, questions)
ROOMS: dict[str, Room] = {}  # pin -> its room


def quiz_questions(quiz: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "text": q["text"],
            "time_limit": q.get("time_limit", 20),
            "choices": [
                {"id": RIGHT_CHOICE if c.get("correct") else 100 + k, "text": c["text"]}
                for k, c in enumerate(q["choices"])
            ],
        }
        for q in quiz["questions"]
    ]


def room_open(quiz_id: int) -> Room:
    pin = str(FIRST_PIN + len(ROOMS))
    title, questions = QUIZZES[quiz_id]
    ROOMS[pin] = Room(pin, title, questions)
    return ROOMS[pin]


def pin_in_path(path: str) -> str:
    """/ws/play/<pin>/, /ws/host/<pin>/ or /api/games/<pin>/ -> <pin>."""
    parts = [part for part in path.split("/") if part]
    return parts[2] if len(parts) > 2 else ""


async def http(scope: dict[str, Any], receive: Callable, send: Send) -> None:
    body = b""
    while True:
        event = await receive()
        body += event.get("body", b"")
        if not event.get("more_body"):
            break
    path, status, answer = scope["path"], 200, {}
    room = ROOMS.get(pin_in_path(path))
    if path == "/api/auth/token/":
        answer = {"token": "raw-token"}
    elif path == "/api/quizzes/":
        quiz = json.loads(body)
        quiz_id = len(QUIZZES) + 1
        QUIZZES[quiz_id] = (quiz["title"], quiz_questions(quiz))
        status, answer = 201, {"id": quiz_id, **quiz}
    elif path == "/api/games/":
        quiz_id = int(json.loads(body)["quiz"])
        status, answer = 201, {"pin": room_open(quiz_id).pin, "status": "lobby", "quiz": quiz_id}
    elif path == "/api/gateway/":
        host, port = scope["server"]
        pin = parse_qs(scope.get("query_string", b"").decode()).get("pin", [""])[0]
        answer = {"url": f"ws://{host}:{port}/ws/play/{pin}/", "worker": "raw"}
    elif path.startswith("/api/games/") and room is not None:
        answer = {
            "pin": room.pin,
            "status": room.phase,
            "quiz_title": room.title,
            "players": len(room.players),
        }
    elif path != "/healthz":
        status, answer = 404, {"detail": "not found"}
    await send(
        {"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]}
    )
    await send({"type": "http.response.body", "body": json.dumps(answer).encode()})


async def websocket(scope: dict[str, Any], receive: Callable, send: Send) -> None:
    is_host = scope["path"].startswith("/ws/host/")
    room = ROOMS.get(pin_in_path(scope["path"]))
    if room is None:
        if (await receive())["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": CLOSE_UNKNOWN_PIN})
        return
    player_id = ""
    while True:
        event = await receive()
        if event["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
            if is_host:
                room.hosts.append(send)
                await send(
                    {
                        "type": "websocket.send",
                        "text": encode({"type": "host_welcome", "game": {"phase": room.phase}}),
                    }
                )
        elif event["type"] == "websocket.disconnect":
            if is_host and send in room.hosts:
                room.hosts.remove(send)
            if room.players.get(player_id) is send:
                del room.players[player_id]
            return
        elif event["type"] == "websocket.receive":
            frame = json.loads(event.get("text") or "{}")
            kind = frame.get("type")
            if is_host:
                if kind == "start" and room.phase == "lobby":
                    await room.open_round(1)
                elif kind == "next":
                    await room.next()
            elif kind in ("join", "resume"):
                token = str(frame.get("token", ""))
                player_id = room.tokens.get(token, "")
                if not player_id:
                    player_id, token = secrets.token_hex(8), secrets.token_urlsafe(24)
                    room.tokens[token] = player_id
                room.players[player_id] = send
                game = {
                    "pin": room.pin,
                    "phase": room.phase,
                    "round": room.round,
                    "total_rounds": len(room.questions),
                }
                welcome = {
                    "type": "welcome",
                    "player_id": player_id,
                    "token": token,
                    "nickname": frame.get("nickname", ""),
                    "game": game,
                }
                await send({"type": "websocket.send", "text": encode(welcome)})
                room.lobby_soon()
            elif kind == "answer":
                accepted = (
                    room.phase == "question"
                    and frame.get("round") == room.round
                    and player_id not in room.answered
                )
                if accepted:
                    room.answered.add(player_id)
                ack = {
                    "type": "answer_ack",
                    "round": frame.get("round"),
                    "accepted": accepted,
                    "reason": None if accepted else "not_open",
                }
                await send({"type": "websocket.send", "text": encode(ack)})
                if accepted and len(room.answered) >= len(room.players):
                    await room.close(room.round, "all_answered")


async def application(scope: dict[str, Any], receive: Callable, send: Send) -> None:
    if scope["type"] == "http":
        await http(scope, receive, send)
    elif scope["type"] == "websocket":
        await websocket(scope, receive, send)
    elif scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            pass
        await send({"type": "lifespan.shutdown.complete"})

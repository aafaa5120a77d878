"""Baseline: "what a team would write instead". One aiohttp process, games in memory, same wire protocol.

    .venv/bin/python bench/baselines/inmemory.py --port 9000

Any number of games at once, each under its own pin (one dict of games; nothing is shared between them).
HTTP: the endpoints the load tester needs (token, create quiz, create game, game lookup, gateway, healthz).
WebSocket: /ws/host/<pin>/ (start, next, skip, end) and /ws/play/<pin>/ (join, resume, answer, ping), with a
coalesced `lobby` (2/s) and `answer_count` (10/s), question/reveal/result/leaderboard/finished/final,
scoring per docs/protocol.md and an asyncio timer per deadline. No Redis, no database, no authorization
beyond one host token: it is a yardstick, not a product.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

HOST_TOKEN = "baseline-host-token"
LOBBY_EVERY_S, COUNT_EVERY_S = 0.5, 0.1
CLOSE_UNKNOWN_PIN, CLOSE_NOT_AUTHENTICATED = 4004, 4001


def now_ms() -> int:
    return int(time.time() * 1000)


def encode(frame: dict[str, Any]) -> str:
    return json.dumps(frame, separators=(",", ":"))


@dataclass
class Player:
    id: str
    token: str
    nickname: str
    score: int = 0
    rank: int = 1
    streak: int = 0
    ws: web.WebSocketResponse | None = None


@dataclass
class Game:
    pin: str
    quiz: dict[str, Any]
    phase: str = "lobby"
    round: int = 0
    opens_at: int = 0
    deadline: int = 0
    players: dict[str, Player] = field(default_factory=dict)
    by_token: dict[str, Player] = field(default_factory=dict)
    nicknames: set[str] = field(default_factory=set)
    answers: dict[str, tuple[int, Any]] = field(default_factory=dict)  # player id -> (at, choice)
    hosts: set[web.WebSocketResponse] = field(default_factory=set)
    timer: asyncio.TimerHandle | None = None
    lobby_due: bool = False
    count_due: bool = False
    frames: dict[str, dict[str, Any]] = field(default_factory=dict)  # last room frames, replayed on resume
    results: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def questions(self) -> list[dict[str, Any]]:
        return self.quiz["questions"]

    def sockets(self) -> list[web.WebSocketResponse]:
        return [p.ws for p in self.players.values() if p.ws is not None and not p.ws.closed]


class Server:
    def __init__(self, port: int) -> None:
        self.port = port
        self.quizzes: dict[int, dict[str, Any]] = {}
        self.games: dict[str, Game] = {}
        self.tasks: set[asyncio.Task] = set()

    # --- HTTP

    async def token(self, request: web.Request) -> web.Response:
        return web.json_response({"token": HOST_TOKEN})

    async def create_quiz(self, request: web.Request) -> web.Response:
        quiz = await request.json()
        quiz["id"] = len(self.quizzes) + 1
        for qn, question in enumerate(quiz["questions"], start=1):
            question["id"] = qn
            question.setdefault("time_limit", 20)
            question.setdefault("points", 1)
            for cn, choice in enumerate(question.get("choices", []), start=1):
                choice["id"] = qn * 100 + cn
        self.quizzes[quiz["id"]] = quiz
        return web.json_response(quiz, status=201)

    async def create_game(self, request: web.Request) -> web.Response:
        body = await request.json()
        pin = self.new_pin()
        self.games[pin] = Game(pin, self.quizzes[int(body["quiz"])])
        base = f"ws://127.0.0.1:{self.port}"
        return web.json_response(
            {
                "pin": pin,
                "status": "lobby",
                "quiz": body["quiz"],
                "play_ws": f"{base}/ws/play/{pin}/",
                "host_ws": f"{base}/ws/host/{pin}/",
                "chat_ws": None,
                "join_url": f"http://127.0.0.1:{self.port}/play/{pin}/",
            },
            status=201,
        )

    def new_pin(self) -> str:
        """A random 6-digit pin no game of this process has (any number of games, one dict)."""
        for _ in range(1000):
            pin = f"{secrets.randbelow(900000) + 100000}"
            if pin not in self.games:
                return pin
        raise RuntimeError("no free pin in 1000 draws")

    async def game_lookup(self, request: web.Request) -> web.Response:
        game = self.games.get(request.match_info["pin"])
        if game is None:
            return web.json_response({"detail": "not found"}, status=404)
        body = {
            "pin": game.pin,
            "status": game.phase,
            "quiz_title": game.quiz["title"],
            "players": len(game.players),
        }
        return web.json_response(body)

    async def gateway(self, request: web.Request) -> web.Response:
        pin = request.query.get("pin", "")
        return web.json_response({"url": f"ws://127.0.0.1:{self.port}/ws/play/{pin}/", "worker": "inmemory"})

    async def healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    # --- WebSocket endpoints

    async def host_socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        game = self.games.get(request.match_info["pin"])
        if request.headers.get("Authorization") != f"Token {HOST_TOKEN}":
            await ws.close(code=CLOSE_NOT_AUTHENTICATED)
            return ws
        if game is None:
            await ws.close(code=CLOSE_UNKNOWN_PIN)
            return ws
        game.hosts.add(ws)
        await ws.send_str(encode({"type": "host_welcome", "game": self.snapshot(game, None), "players": []}))
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            kind = json.loads(msg.data).get("type")
            if kind == "start" and game.phase == "lobby":
                await self.open_round(game, 1)
            elif kind == "next":
                await self.next(game)
            elif kind in ("skip", "end") and game.phase == "question":
                await self.close_round(game, "skip")
        game.hosts.discard(ws)
        return ws

    async def play_socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        game = self.games.get(request.match_info["pin"])
        if game is None:
            await ws.send_str(encode({"type": "error", "code": "not_found", "message": "unknown PIN"}))
            await ws.close(code=CLOSE_UNKNOWN_PIN)
            return ws
        player: Player | None = None
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            try:
                frame = json.loads(msg.data)
            except ValueError:
                await ws.send_str(encode({"type": "error", "code": "bad_json", "message": "not JSON"}))
                continue
            kind = frame.get("type")
            if kind == "join" and player is None:
                player = await self.join(game, ws, frame)
            elif kind == "resume" and player is None:
                player = await self.resume(game, ws, frame)
            elif kind == "answer" and player is not None:
                await self.answer(game, player, ws, frame)
            elif kind == "ping":
                await ws.send_str(
                    encode({"type": "pong", "client_time": frame.get("client_time"), "server_time": now_ms()})
                )
            else:
                await ws.send_str(encode({"type": "error", "code": "unknown_type", "message": str(kind)}))
        if player is not None and player.ws is ws:
            player.ws = None
        return ws

    async def join(self, game: Game, ws: web.WebSocketResponse, frame: dict[str, Any]) -> Player | None:
        nickname = str(frame.get("nickname", "")).strip()
        error = None
        if not 1 <= len(nickname) <= 24:
            error = "invalid"
        elif game.phase != "lobby":
            error = "game_started"
        elif nickname.casefold() in game.nicknames:
            error = "nickname_taken"
        if error:
            await ws.send_str(encode({"type": "error", "code": error, "message": error}))
            return None
        player = Player(secrets.token_hex(8), secrets.token_urlsafe(24), nickname, ws=ws)
        game.players[player.id] = player
        game.by_token[player.token] = player
        game.nicknames.add(nickname.casefold())
        await self.welcome(game, player)
        self.later(game, "lobby_due", LOBBY_EVERY_S, self.send_lobby)
        return player

    async def resume(self, game: Game, ws: web.WebSocketResponse, frame: dict[str, Any]) -> Player | None:
        player = game.by_token.get(str(frame.get("token")))
        if player is None:
            await ws.send_str(encode({"type": "error", "code": "bad_token", "message": "unknown token"}))
            return None
        player.ws = ws
        await self.welcome(game, player)
        return player

    async def welcome(self, game: Game, player: Player) -> None:
        frame = {
            "type": "welcome",
            "player_id": player.id,
            "token": player.token,
            "nickname": player.nickname,
        }
        await player.ws.send_str(encode({**frame, "game": self.snapshot(game, player)}))  # type: ignore[union-attr]

    def snapshot(self, game: Game, player: Player | None) -> dict[str, Any]:
        snap: dict[str, Any] = {
            "pin": game.pin,
            "phase": game.phase,
            "round": game.round,
            "total_rounds": len(game.questions),
            "title": game.quiz["title"],
            **{kind: frame for kind, frame in game.frames.items()},
        }
        if player is not None:
            snap.update(score=player.score, rank=player.rank, streak=player.streak)
            if game.phase == "question":
                snap["answered"] = player.id in game.answers
            if player.id in game.results and game.phase != "question":
                snap["result" if game.phase != "finished" else "final"] = game.results[player.id]
        return snap

    def later(self, game: Game, flag: str, every: float, send: Any) -> None:
        """At most one `send` per `every` seconds; the last change is always sent."""
        if getattr(game, flag):
            return
        setattr(game, flag, True)

        def fire() -> None:
            setattr(game, flag, False)
            self.spawn(send(game))

        asyncio.get_running_loop().call_later(every, fire)

    async def send_lobby(self, game: Game) -> None:
        names = [p.nickname for p in list(game.players.values())[-100:]]
        await self.broadcast(game, {"type": "lobby", "players": len(game.players), "nicknames": names})

    async def send_count(self, game: Game) -> None:
        frame = {
            "type": "answer_count",
            "round": game.round,
            "answered": len(game.answers),
            "players": len(game.players),
        }
        text = encode(frame)
        for ws in list(game.hosts):
            await ws.send_str(text)

    async def broadcast(self, game: Game, frame: dict[str, Any], remember: bool = False) -> None:
        text = encode(frame)  # one encode per broadcast
        if remember:
            game.frames[frame["type"]] = frame
        for ws in [*game.sockets(), *game.hosts]:
            if not ws.closed:
                await ws.send_str(text)

    # --- the game

    async def open_round(self, game: Game, rnd: int) -> None:
        question = game.questions[rnd - 1]
        game.phase, game.round, game.answers, game.frames = "question", rnd, {}, {}
        game.opens_at = now_ms()
        limit_ms = int(question["time_limit"]) * 1000
        game.deadline = game.opens_at + limit_ms
        frame = {
            "type": "question",
            "round": rnd,
            "total_rounds": len(game.questions),
            "kind": question["kind"],
            "text": question["text"],
            "choices": [{"id": c["id"], "text": c["text"]} for c in question.get("choices", [])],
            "min": question.get("min"),
            "max": question.get("max"),
            "time_limit_ms": limit_ms,
            "points": question["points"],
            "opens_at": game.opens_at,
            "deadline": game.deadline,
            "server_time": game.opens_at,
        }
        game.timer = asyncio.get_running_loop().call_later(
            limit_ms / 1000, lambda: self.spawn(self.close_round(game, "timeout", rnd))
        )
        await self.broadcast(game, frame, remember=True)

    async def answer(
        self, game: Game, player: Player, ws: web.WebSocketResponse, frame: dict[str, Any]
    ) -> None:
        at, rnd = now_ms(), frame.get("round")
        reason = None
        if game.phase != "question" or rnd != game.round:
            reason = "not_open"
        elif at > game.deadline:
            reason = "late"
        elif player.id in game.answers:
            reason = "duplicate"
        if reason is None:
            game.answers[player.id] = (at, frame.get("choice"))
        await ws.send_str(
            encode({"type": "answer_ack", "round": rnd, "accepted": reason is None, "reason": reason})
        )
        if reason is None:
            self.later(game, "count_due", COUNT_EVERY_S, self.send_count)
            if len(game.answers) >= len(game.players):
                await self.close_round(game, "all_answered")

    async def close_round(self, game: Game, reason: str, rnd: int | None = None) -> None:
        if game.phase != "question" or (rnd is not None and rnd != game.round):
            return
        if game.timer is not None:
            game.timer.cancel()
        question = game.questions[game.round - 1]
        right = [c["id"] for c in question["choices"] if c.get("correct")]
        limit_ms, base = question["time_limit"] * 1000, 1000 * question["points"]
        distribution: dict[str, int] = {}
        points: dict[str, tuple[bool, int]] = {}
        for pid, player in game.players.items():
            at, choice = game.answers.get(pid, (0, None))
            if pid in game.answers:
                distribution[str(choice)] = distribution.get(str(choice), 0) + 1
            correct = choice in right
            if not correct:
                player.streak = 0
                points[pid] = (False, 0)
                continue
            player.streak += 1
            t = at - game.opens_at
            earned = base if t <= 500 else math.floor(base * (1 - (t / limit_ms) / 2) + 0.5)
            earned += min(500, 100 * (player.streak - 1)) if base else 0
            player.score += earned
            points[pid] = (True, earned)
        self.rank(game)
        game.phase = "reveal"
        reveal = {
            "type": "reveal",
            "round": game.round,
            "correct": right,
            "distribution": distribution,
            "answered": len(game.answers),
            "players": len(game.players),
            "reason": reason,
        }
        await self.broadcast(game, reveal, remember=True)
        for pid, player in game.players.items():
            correct, earned = points[pid]
            result = {"type": "result", "round": game.round, "correct": correct, "points": earned}
            game.results[pid] = {
                **result,
                "score": player.score,
                "rank": player.rank,
                "streak": player.streak,
            }
            if player.ws is not None and not player.ws.closed:
                await player.ws.send_str(encode(game.results[pid]))

    def rank(self, game: Game) -> None:
        scores = sorted((p.score for p in game.players.values()), reverse=True)
        first_at: dict[int, int] = {}
        for position, score in enumerate(scores, start=1):
            first_at.setdefault(score, position)
        for player in game.players.values():
            player.rank = first_at[player.score]

    def top(self, game: Game, size: int) -> list[dict[str, Any]]:
        ordered = sorted(game.players.values(), key=lambda p: (-p.score, p.nickname.casefold()))[:size]
        return [{"nickname": p.nickname, "score": p.score, "rank": p.rank} for p in ordered]

    async def next(self, game: Game) -> None:
        if game.phase == "reveal":
            game.phase = "leaderboard"
            frame = {
                "type": "leaderboard",
                "round": game.round,
                "top": self.top(game, 10),
                "players": len(game.players),
            }
            await self.broadcast(game, frame, remember=True)
        elif game.phase == "leaderboard" and game.round < len(game.questions):
            await self.open_round(game, game.round + 1)
        elif game.phase == "leaderboard":
            game.phase, game.frames = "finished", {}
            await self.broadcast(
                game, {"type": "finished", "podium": self.top(game, 3), "players": len(game.players)}, True
            )
            for pid, player in game.players.items():
                final = {
                    "type": "final",
                    "score": player.score,
                    "rank": player.rank,
                    "players": len(game.players),
                }
                game.results[pid] = final
                if player.ws is not None and not player.ws.closed:
                    await player.ws.send_str(encode(final))

    def spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/auth/token/", self.token)
        app.router.add_post("/api/quizzes/", self.create_quiz)
        app.router.add_post("/api/games/", self.create_game)
        app.router.add_get("/api/games/{pin}/", self.game_lookup)
        app.router.add_get("/api/gateway/", self.gateway)
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/ws/host/{pin}/", self.host_socket)
        app.router.add_get("/ws/play/{pin}/", self.play_socket)
        return app


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=9000)
    opts = parser.parse_args()
    web.run_app(Server(opts.port).app(), host="127.0.0.1", port=opts.port, backlog=4096, print=None)


if __name__ == "__main__":
    main()

"""Live game actions. Each loads the state it needs, lets the pure machine decide, commits the
decision atomically to Redis and emits the events. Consumers and Celery tasks only call these.

Every function returns the events meant for the caller (audience SENDER); everything else is
broadcast from here through quizzone.broadcast.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace

from channels.db import database_sync_to_async

from chat import services as chat_services
from quizzone import broadcast
from quizzone.hub import TO_HOSTS

from . import game_records, metrics, store
from .game import commands as c
from .game import events as e
from .game.machine import Transition, nickname_problem, snapshot, step
from .game.quiz import QuizSpec
from .game.state import FINISHED, LEADERBOARD, QUESTION, REVEAL, GameState

log = logging.getLogger(__name__)

LOBBY_INTERVAL_MS = 500  # `lobby` at most 2 a second per game
ANSWER_COUNT_INTERVAL_MS = 100  # `answer_count` at most 10 a second per game
COMMIT_ATTEMPTS = 10
CLOSE_KICKED = 4003

now_ms = game_records.now_ms


class GameGone(Exception):
    """The PIN names no live game."""


# --- quiz content, cached per process ------------------------------------------------------------

_quiz_cache: OrderedDict[str, QuizSpec] = OrderedDict()
QUIZ_CACHE_SIZE = 1024


async def quiz_for(pin: str) -> QuizSpec:
    quiz = _quiz_cache.get(pin)
    if quiz is None:
        raw = await store.quiz_raw(pin)
        if raw is None:
            raise GameGone(pin)
        quiz = _quiz_cache[pin] = store.quiz_load(raw)
        while len(_quiz_cache) > QUIZ_CACHE_SIZE:
            _quiz_cache.popitem(last=False)
    return quiz


async def game_exists(pin: str) -> dict[str, str] | None:
    meta = await store.meta_get(pin)
    return meta or None


def _sender(events: list[e.Event]) -> list[e.Event]:
    return [ev for ev in events if ev.audience == e.SENDER]


# --- players ---------------------------------------------------------------------------------


async def game_join(pin: str, nickname: object) -> list[e.Event]:
    quiz = await quiz_for(pin)
    key = nickname.strip().casefold() if isinstance(nickname, str) and not nickname_problem(nickname) else ""
    loaded = await store.load_for_join(pin, key)
    cmd = c.Join(player_id=secrets.token_hex(6), nickname=nickname, token=secrets.token_urlsafe(24))  # type: ignore[arg-type]
    t = step(loaded.state, cmd, now_ms(), quiz)
    if not t.changed:
        return t.events
    player = t.state.players[cmd.player_id]
    status, detail = await store.join_commit(pin, player, key)
    if status != "ok":
        return [e.Refused(str(detail), _JOIN_RACE_MESSAGES.get(str(detail), "cannot join"))]
    metrics.PLAYERS_JOINED.inc()
    await _lobby_changed(pin)
    return _sender(t.events)


_JOIN_RACE_MESSAGES = {
    "nickname_taken": "that nickname is taken",
    "game_started": "the game has already started",
    "game_locked": "the host has locked the game",
    "no_game": "no such game",
}


async def player_id_for_nickname(pin: str, nickname: str) -> str | None:
    return await store.player_id_for_nickname(pin, nickname.strip().casefold())


async def game_resume(pin: str, token: object) -> list[e.Event]:
    if not isinstance(token, str) or not token:
        return [e.Refused("bad_token", "unknown or expired token")]
    player_id = await store.player_id_for_token(pin, token)
    if player_id is None:
        return [e.Refused("bad_token", "unknown or expired token")]
    loaded = await store.load_player(pin, player_id)
    events = step(loaded.state, c.Resume(token), now_ms(), await quiz_for(pin)).events
    return [await _with_replay(pin, loaded, ev) if isinstance(ev, e.Welcome) else ev for ev in events]


async def _with_replay(pin: str, loaded: store.Loaded, welcome: e.Welcome) -> e.Welcome:
    """Adds to a resumed player's snapshot what the room last saw and the player's own last frame."""
    game = {**welcome.game, **await _room_replay(pin, loaded.state.phase)}
    player = loaded.state.players[welcome.player_id]
    if loaded.state.phase in (REVEAL, LEADERBOARD):
        row = await store.result_row(pin, loaded.state.round, player.id)
        if row is not None:
            correct, points, _ = row
            game["result"] = {
                "type": "result",
                "round": loaded.state.round,
                "correct": bool(correct),
                "points": points,
                "score": player.score,
                "rank": player.rank,
                "streak": player.streak,
                "poll": correct is None,
            }
    elif loaded.state.phase == FINISHED:
        game["final"] = {
            "type": "final",
            "score": player.score,
            "rank": player.rank,
            "players": loaded.active,
        }
    return replace(welcome, game=game)


async def _room_replay(pin: str, phase: str) -> dict:
    """The room frames a (re)connecting client needs to draw the current screen."""
    wanted = {REVEAL: ("reveal",), LEADERBOARD: ("reveal", "leaderboard"), FINISHED: ("finished",)}.get(
        phase, ()
    )
    if not wanted:
        return {}
    frames = await store.frames_get(pin)
    return {name: json.loads(frames[name]) for name in wanted if name in frames}


async def game_answer(pin: str, player_id: str, round_no: int, fields: dict) -> list[e.Event]:
    now = now_ms()
    quiz = await quiz_for(pin)
    loaded = await store.load_player(pin, player_id, round_no)
    t = step(loaded.state, c.SubmitAnswer(player_id, round_no, fields), now, quiz)
    ack = next(ev for ev in t.events if isinstance(ev, e.AnswerAcked | e.Refused))
    if not (isinstance(ack, e.AnswerAcked) and ack.accepted):
        metrics.ANSWERS.labels("refused").inc()
        return [ack]
    answer = t.state.answers[player_id]
    status, answered, active = await store.answer_commit(pin, answer)
    if status != "ok":
        metrics.ANSWERS.labels("refused").inc()
        return [e.AnswerAcked(round_no, False, str(answered))]
    metrics.ANSWERS.labels("accepted").inc()
    await _answer_count_changed(pin, round_no)
    if answered >= active:
        task = asyncio.get_running_loop().create_task(_close_quietly(pin, round_no, "all_answered"))
        _background.add(task)  # the loop keeps only a weak reference to a task
        task.add_done_callback(_background.discard)
    return [ack]


_background: set[asyncio.Task] = set()


async def _close_quietly(pin: str, round_no: int, reason: str) -> None:
    try:
        await round_close(pin, round_no, reason)
    except Exception:  # noqa: BLE001 - the timer and sweeper close the round anyway
        log.exception("closing %s round %s (%s) failed", pin, round_no, reason)


# --- host ------------------------------------------------------------------------------------


def SKIP(state: GameState) -> c.Command:  # noqa: N802 - a command built from the state it applies to
    """The host's `skip`: close whatever round is open now."""
    return c.Close(state.round, "skip")


async def game_host_command(pin: str, cmd: c.Command | Callable[[GameState], c.Command]) -> list[e.Event]:
    return _sender((await _transition(pin, cmd)).events)


async def round_close(pin: str, round_no: int, reason: str) -> str:
    """Closes round `round_no` once, whoever asks and however often. Returns 'closed' or why not."""
    t = await _transition(pin, c.Close(round_no, reason))
    refused = next((ev for ev in t.events if isinstance(ev, e.Refused)), None)
    return refused.code if refused else "closed"


async def _transition(pin: str, command: c.Command | Callable[[GameState], c.Command]) -> Transition:
    quiz = await quiz_for(pin)
    for _ in range(COMMIT_ATTEMPTS):
        loaded = await store.load_full(pin)
        cmd = command(loaded.state) if callable(command) else command
        t = step(loaded.state, cmd, now_ms(), quiz)
        if not t.changed:
            return t
        scored = next((ev for ev in t.events if isinstance(ev, e.RoundScored)), None)
        try:
            await store.transition_commit(
                pin,
                loaded,
                t.state,
                expect_answers=len(loaded.state.answers) if scored else -1,
                results=_results_rows(scored, loaded.state.opens_at) if scored else None,
            )
        except store.Conflict:
            metrics.COMMIT_CONFLICTS.inc()
            continue
        await _emit(pin, loaded, t, quiz)
        return t
    raise RuntimeError(f"game {pin}: gave up after {COMMIT_ATTEMPTS} conflicting commits")


def _results_rows(scored: e.RoundScored, opens_at: int) -> dict[str, str]:
    """Per player [correct, points, response_ms], kept in Redis until the game is written to the database."""
    return {
        pid: json.dumps([res.correct, res.points, res.answer.at_ms - opens_at if res.answer else 0])
        for pid, res in scored.results.items()
    }


# --- events ----------------------------------------------------------------------------------


async def _emit(pin: str, loaded: store.Loaded, t: Transition, quiz: QuizSpec) -> None:
    group = broadcast.game_group(pin)
    for ev in t.events:
        if isinstance(ev, e.QuestionOpened):
            await broadcast.send_frame(group, ev.frame())
            await _timer_schedule(pin, ev.round, ev.deadline)
            if loaded.state.phase == "lobby":
                await database_sync_to_async(game_records.game_status_set)(pin, "running")
        elif isinstance(ev, e.Revealed):
            await _send_and_keep(pin, "reveal", ev.frame())
            await store.deadline_remove(pin, ev.round)
            metrics.ROUND_CLOSE_LATENESS.observe(max(0, now_ms() - loaded.state.deadline) / 1000)
        elif isinstance(ev, e.RoundScored):
            rows = {
                pid: [bool(r.correct), r.points, r.score, r.rank, r.streak, r.correct is None]
                for pid, r in ev.results.items()
            }
            await broadcast.send_table(
                group,
                {"type": "result", "round": ev.round},
                ["correct", "points", "score", "rank", "streak", "poll"],
                rows,
            )
        elif isinstance(ev, e.FinalStandings):
            rows = {pid: [score, rank] for pid, (score, rank) in ev.standings.items()}
            await broadcast.send_table(
                group, {"type": "final", "players": ev.players}, ["score", "rank"], rows
            )
        elif isinstance(ev, e.GameFinished):
            await _send_and_keep(pin, "finished", ev.frame())
            if loaded.state.phase == QUESTION:
                await store.deadline_remove(pin, loaded.state.round)
            await game_results_persist(pin, t.state, quiz)
            try:
                await chat_services.chat_persist(pin)
            except Exception:  # noqa: BLE001 - the game's results are saved; players still get `final`
                log.exception("saving the chat of %s failed", pin)
        elif isinstance(ev, e.PlayerKicked):
            await broadcast.send_to_player(group, ev.player_id, ev.frame(), close=CLOSE_KICKED)
            await chat_services.chat_kick(pin, ev.player_id)
            await broadcast.send_frame(
                group, {"type": "player_kicked", "player_id": ev.player_id, "nickname": ev.nickname}, TO_HOSTS
            )
            await store.roster_remove(pin, ev.nickname)
            await _lobby_changed(pin)
        elif isinstance(ev, e.LeaderboardShown):
            await _send_and_keep(pin, "leaderboard", ev.frame())
        elif ev.audience == e.ROOM:
            await broadcast.send_frame(group, ev.frame())


async def _send_and_keep(pin: str, name: str, frame: dict) -> None:
    """Broadcasts a room frame and keeps its text, so a client that (re)connects later can draw it."""
    text = broadcast.encode(frame)
    await store.frame_keep(pin, name, text)
    await broadcast.send_text(broadcast.game_group(pin), text)


async def _lobby_changed(pin: str) -> None:
    async def build() -> dict:
        players, nicknames = await store.roster(pin)
        return {"type": "lobby", "players": players, "nicknames": nicknames}

    await broadcast.send_coalesced(broadcast.game_group(pin), "lobby", LOBBY_INTERVAL_MS, build)


async def _answer_count_changed(pin: str, round_no: int) -> None:
    async def build() -> dict:
        answered, players = await store.answer_count(pin, round_no)
        return {"type": "answer_count", "round": round_no, "answered": answered, "players": players}

    await broadcast.send_coalesced(
        broadcast.game_group(pin), "answers", ANSWER_COUNT_INTERVAL_MS, build, TO_HOSTS
    )


async def _timer_schedule(pin: str, round_no: int, deadline: int) -> None:
    from . import tasks

    await store.deadline_add(pin, round_no, deadline)
    countdown = max(0.0, (deadline - now_ms()) / 1000)
    await asyncio.to_thread(tasks.round_timer.apply_async, (pin, round_no), countdown=countdown)


async def game_results_persist(pin: str, state, quiz: QuizSpec) -> None:
    rounds = await store.answers_all(pin, quiz.total_rounds)
    await database_sync_to_async(game_records.game_results_save)(pin, quiz, state, rounds)


# --- reads -----------------------------------------------------------------------------------


async def host_snapshot(pin: str) -> dict:
    loaded = await store.load_full(pin)
    quiz = await quiz_for(pin)
    snap = {**snapshot(loaded.state, quiz, None), **await _room_replay(pin, loaded.state.phase)}
    players = sorted(loaded.state.players.values(), key=lambda p: p.joined_at)
    return {
        "type": "host_welcome",
        "game": snap,
        "players": [
            {"player_id": p.id, "nickname": p.nickname, "score": p.score, "rank": p.rank, "kicked": p.kicked}
            for p in players
        ],
        "answered": len(loaded.state.answers) if loaded.state.phase == QUESTION else 0,
    }

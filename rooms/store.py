"""Game state in Redis: load (whole or the part a command needs) and commit atomically.

The pure machine decides; these functions persist its decision with a script that re-checks the
facts it relied on (phase, round, sequence number, answer count), so concurrent processes never
double-apply. See docs/decisions/0002-game-state-in-redis.md.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass
from typing import Any

import orjson
from django.conf import settings

from realtime import keys as k
from realtime import limits, scripts
from realtime.redisdb import client, run_script, sync_client

from .game import events as e
from .game.quiz import ChoiceSpec, QuestionSpec, QuizSpec
from .game.state import Answer, GameState, Player


def ttl() -> int:
    return settings.GAME_TTL_SECONDS


@dataclass
class Loaded:
    state: GameState
    seq: str
    quiz_id: int
    host_id: int
    active: int
    game_key: str = ""  # unique to this game instance (a PIN is reused once a game has finished)


class GameNotFound(Exception):
    """The PIN names no live game (never created, or its keys expired)."""


class Conflict(Exception):
    """Someone else changed the game between load and commit: load again and retry."""


# --- encoding ----------------------------------------------------------------------------------


def _dump(obj: Any) -> str:
    return orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS).decode()


def player_dump(p: Player) -> str:
    return orjson.dumps(p).decode()  # a dataclass: orjson writes its fields as an object


def player_load(raw: str) -> Player:
    return Player(**orjson.loads(raw))


def answer_dump(a: Answer) -> str:
    return _dump({"at": a.at_ms, "a": a.answer})


def answer_load(pid: str, round_no: int, raw: str) -> Answer:
    data = orjson.loads(raw)
    return Answer(pid, round_no, data["at"], data["a"])


def quiz_dump(q: QuizSpec, game_key: str = "") -> str:
    return _dump({**asdict(q), "game_key": game_key})


def quiz_load(raw: str) -> QuizSpec:
    data = orjson.loads(raw)
    data.pop("game_key", None)
    questions = []
    for qd in data["questions"]:
        qd["choices"] = tuple(ChoiceSpec(**c) for c in qd["choices"])
        qd["accepted_answers"] = tuple(qd["accepted_answers"])
        questions.append(QuestionSpec(**qd))
    return QuizSpec(data["quiz_id"], data["title"], tuple(questions))


def _state_from(pin: str, meta: dict[str, str], **parts: Any) -> Loaded:
    if not meta:
        raise GameNotFound(pin)
    _quiz_check(pin, meta.get("game_key", ""))
    state = GameState(
        pin=pin,
        total_rounds=int(meta["total_rounds"]),
        phase=meta["phase"],
        round=int(meta["round"]),
        opens_at=int(meta["opens_at"]),
        deadline=int(meta["deadline"]),
        locked=meta.get("locked") == "1",
        late_join=meta.get("late_join") == "1",
        chat=meta.get("chat", "1") == "1",
        get_ready_ms=int(meta.get("get_ready_ms", 0)),
        auto_advance=meta.get("auto_advance") == "1",
        advance_ms=int(meta.get("advance_ms", 5000)),
        advance_at=int(meta.get("advance_at", 0)),
        **parts,
    )
    return Loaded(
        state,
        meta["seq"],
        int(meta["quiz_id"]),
        int(meta["host_id"]),
        int(meta.get("active", 0)),
        meta.get("game_key", ""),
    )


def meta_fields(state: GameState) -> dict[str, str]:
    return {
        "phase": state.phase,
        "round": str(state.round),
        "opens_at": str(state.opens_at),
        "deadline": str(state.deadline),
        "locked": "1" if state.locked else "0",
        "late_join": "1" if state.late_join else "0",
        "chat": "1" if state.chat else "0",
        "get_ready_ms": str(state.get_ready_ms),
        "auto_advance": "1" if state.auto_advance else "0",
        "advance_ms": str(state.advance_ms),
        "advance_at": str(state.advance_at),
    }


# --- create ------------------------------------------------------------------------------------


def game_init(pin: str, quiz: QuizSpec, host_id: int, now: int) -> None:
    """Writes a new game's meta and frozen quiz content (sync: called from the create API)."""
    state = GameState(pin=pin, total_rounds=quiz.total_rounds, get_ready_ms=settings.QUIZZONE_GET_READY_MS)
    meta = {
        **meta_fields(state),
        "active": "0",
        "total_rounds": str(quiz.total_rounds),
        "quiz_id": str(quiz.quiz_id),
        "host_id": str(host_id),
        "seq": "0",
        "created_at": str(now),
        "game_key": secrets.token_hex(8),
    }
    pipe = sync_client().pipeline()
    pipe.delete(*k.game_keys(pin, quiz.total_rounds))
    pipe.hset(k.meta_key(pin), mapping=meta)
    pipe.set(k.quiz_key(pin), quiz_dump(quiz, meta["game_key"]))
    pipe.expire(k.meta_key(pin), ttl())
    pipe.expire(k.quiz_key(pin), ttl())
    pipe.execute()


# --- loads -------------------------------------------------------------------------------------

# PIN -> (game_key, quiz). A PIN is unique only among live games, so an entry is checked against the
# game_key of every meta hash this process loads anyway (a socket's connect, every load_*): an entry
# left by a finished game whose PIN a new game took is dropped before the new game's quiz is needed.
_quiz_cache: OrderedDict[str, tuple[str, QuizSpec]] = OrderedDict()
QUIZ_CACHE_SIZE = 1024


async def quiz_cached(pin: str) -> QuizSpec:
    """The game's frozen quiz, from this process's cache (quiz content never changes during a game)."""
    return (await quiz_entry(pin))[1]


async def quiz_entry(pin: str) -> tuple[str, QuizSpec]:
    """(game_key, quiz) from this process's cache; the JOIN and ANSWER scripts check the game_key."""
    entry = _quiz_cache.get(pin)
    if entry is None:
        raw = await client().get(k.quiz_key(pin))
        if raw is None:
            raise GameNotFound(pin)
        entry = _quiz_cache[pin] = (orjson.loads(raw).get("game_key", ""), quiz_load(raw))
        while len(_quiz_cache) > QUIZ_CACHE_SIZE:
            _quiz_cache.popitem(last=False)
    return entry


def quiz_forget(pin: str) -> None:
    """A script found the cached quiz belongs to another game with this PIN."""
    _quiz_cache.pop(pin, None)
    _live_until.pop(pin, None)


class StaleQuiz(Exception):
    """The cached quiz was another game's; it is forgotten: decide again."""


def _stale_quiz_check(pin: str, reply: list) -> None:
    if reply[0] != "ok" and reply[1] == "stale_quiz":
        quiz_forget(pin)
        raise StaleQuiz(pin)


# PIN -> monotonic time until which this process takes the game for live without asking Redis: a join
# storm costs one meta read per second per PIN at connect, not one per socket.
_live_until: dict[str, float] = {}
LIVE_SECONDS = 1.0


async def game_live(pin: str) -> bool:
    """Whether a live game has this PIN (for a socket's connect)."""
    now = time.monotonic()
    if _live_until.get(pin, 0.0) > now:
        return True
    live = await meta_get(pin) is not None
    if live:
        if len(_live_until) > QUIZ_CACHE_SIZE:
            _live_until.clear()
        _live_until[pin] = now + LIVE_SECONDS
    return live


def _quiz_check(pin: str, game_key: str) -> None:
    """Drops the cached quiz of `pin` if it belongs to another game than the one whose meta was read."""
    entry = _quiz_cache.get(pin)
    if entry is not None and entry[0] != game_key:
        del _quiz_cache[pin]


@dataclass(frozen=True)
class GameMeta:
    """Where a live game stands, from its meta hash (the only place that hash is parsed)."""

    phase: str
    round: int
    total_rounds: int
    deadline: int
    locked: bool
    active: int
    host_id: int
    game_key: str = ""
    late_join: bool = False
    chat: bool = True


def _meta_parse(raw: dict[str, str]) -> GameMeta | None:
    if not raw:
        return None
    return GameMeta(
        phase=raw["phase"],
        round=int(raw["round"]),
        total_rounds=int(raw["total_rounds"]),
        deadline=int(raw["deadline"]),
        locked=raw.get("locked") == "1",
        active=int(raw.get("active", 0)),
        host_id=int(raw["host_id"]),
        game_key=raw.get("game_key", ""),
        late_join=raw.get("late_join") == "1",
        chat=raw.get("chat", "1") == "1",
    )


async def meta_get(pin: str) -> GameMeta | None:
    """The live game's meta; None for an unknown or expired PIN."""
    raw = await client().hgetall(k.meta_key(pin))
    if raw:
        _quiz_check(pin, raw.get("game_key", ""))
    return _meta_parse(raw)


def meta_get_sync(pin: str) -> GameMeta | None:
    return _meta_parse(sync_client().hgetall(k.meta_key(pin)))


def pins_held(pins: list[str]) -> set[str]:
    """Those of `pins` whose game state is still in Redis (sync: for the periodic expiry)."""
    pipe = sync_client().pipeline(transaction=False)
    for pin in pins:
        pipe.exists(k.meta_key(pin))
    return {pin for pin, held in zip(pins, pipe.execute(), strict=True) if held}


def pins_idle_seconds(pins: list[str]) -> dict[str, int]:
    """For those of `pins` whose game state is in Redis: seconds since it last changed (what its TTL has run
    down by; sync, for the periodic sweep)."""
    pipe = sync_client().pipeline(transaction=False)
    for pin in pins:
        pipe.ttl(k.meta_key(pin))
    left = zip(pins, pipe.execute(), strict=True)
    return {pin: max(0, ttl() - seconds) for pin, seconds in left if seconds > 0}


async def load_full(pin: str) -> Loaded:
    conn = client()
    async with conn.pipeline(transaction=True) as pipe:
        meta, players_raw, nicks = (
            await pipe.hgetall(k.meta_key(pin))
            .hgetall(k.players_key(pin))
            .hgetall(k.nicks_key(pin))
            .execute()
        )
    if not meta:
        raise GameNotFound(pin)
    round_no = int(meta["round"])
    answers_raw = await conn.hgetall(k.answers_key(pin, round_no)) if round_no else {}
    players = {pid: player_load(raw) for pid, raw in players_raw.items()}
    answers = {pid: answer_load(pid, round_no, raw) for pid, raw in answers_raw.items()}
    return _state_from(pin, meta, players=players, nicknames=nicks, answers=answers)


async def load_player(pin: str, player_id: str, round_no: int | None = None) -> Loaded:
    """Meta, one player and that player's answer to `round_no` (default: the current round)."""
    conn = client()
    async with conn.pipeline(transaction=False) as pipe:
        meta, raw = await pipe.hgetall(k.meta_key(pin)).hget(k.players_key(pin), player_id).execute()
    if not meta:
        raise GameNotFound(pin)
    if round_no is None:
        round_no = int(meta["round"])
    answer_raw = await conn.hget(k.answers_key(pin, round_no), player_id) if round_no else None
    players = {player_id: player_load(raw)} if raw else {}
    answers = {player_id: answer_load(player_id, round_no, answer_raw)} if answer_raw else {}
    return _state_from(pin, meta, players=players, answers=answers)


async def players_all(pin: str) -> list[Player]:
    """Every player who joined (kicked ones too), in join order."""
    raws = await client().hvals(k.players_key(pin))
    return sorted((player_load(raw) for raw in raws), key=lambda p: (p.joined_at, p.id))


async def player_id_for_token(pin: str, token: str) -> str | None:
    return await client().hget(k.tokens_key(pin), token)


async def player_id_for_nickname(pin: str, nickname_key: str) -> str | None:
    return await client().hget(k.nicks_key(pin), nickname_key)


async def roster(pin: str, limit: int = 100) -> tuple[int, list[str]]:
    """(active players, the newest `limit` nicknames, oldest first)."""
    conn = client()
    async with conn.pipeline(transaction=False) as pipe:
        meta_active, names = (
            await pipe.hget(k.meta_key(pin), "active").lrange(k.roster_key(pin), -limit, -1).execute()
        )
    return int(meta_active or 0), names


async def active_count(pin: str) -> int:
    return int(await client().hget(k.meta_key(pin), "active") or 0)


async def answer_count(pin: str, round_no: int) -> tuple[int, int] | None:
    """Answers to the round and players in the game; None once the game has moved past the round."""
    conn = client()
    async with conn.pipeline(transaction=False) as pipe:
        answered, (active, current) = (
            await pipe.hlen(k.answers_key(pin, round_no))
            .hmget(k.meta_key(pin), ["active", "round"])
            .execute()
        )
    if current is None or int(current) != round_no:
        return None
    return answered, int(active or 0)


async def answers_all(pin: str, total_rounds: int) -> dict[int, tuple[dict[str, str], dict[str, str]]]:
    """Every round's raw answers and results, for writing the game to the database."""
    conn = client()
    async with conn.pipeline(transaction=False) as pipe:
        for round_no in range(1, total_rounds + 1):
            pipe.hgetall(k.answers_key(pin, round_no))
            pipe.hgetall(k.results_key(pin, round_no))
        replies = await pipe.execute()
    return {n + 1: (replies[2 * n], replies[2 * n + 1]) for n in range(total_rounds)}


# --- commits -----------------------------------------------------------------------------------


async def join_commit(
    pin: str, player: Player, nickname_key: str, lobby_interval_ms: int, game_key: str, address: str
) -> tuple[str, Any, int, str]:
    """('ok', active, lobby_gate_wait_ms, phase) or ('err', reason, 0, ''): the JOIN script checks the game
    is in its lobby (or lets late players in), unlocked, and the nickname free, then adds the player and tries
    the `lobby` gate; the joins of `address` are counted first (`rate_limited`).
    Raises StaleQuiz when `game_key` (of the quiz the caller decided with) is not the game's."""
    joins = limits.rate("join")
    keys = [
        k.meta_key(pin),
        k.players_key(pin),
        k.nicks_key(pin),
        k.tokens_key(pin),
        k.roster_key(pin),
        k.gate_key(pin, "lobby"),
        limits.game_limit_key(pin, "join", address, joins),
    ]
    args = [
        nickname_key,
        player.id,
        player.token,
        player_dump(player),
        player.nickname,
        ttl(),
        lobby_interval_ms,
        game_key,
        joins.limit,
        joins.window_ms,
    ]
    reply = await run_script(scripts.JOIN, keys, args)
    _stale_quiz_check(pin, reply)
    if reply[0] != "ok":
        return "err", reply[1], 0, ""
    return "ok", int(reply[1]), int(reply[2]), str(reply[3])


@dataclass(frozen=True)
class AnswerStored:
    answered: int  # answers to this round so far
    active: int  # players not kicked
    count_gate_wait_ms: int  # 0: this caller sends `answer_count` now


async def answer_commit(
    pin: str, answer: Answer, count_interval_ms: int, game_key: str
) -> AnswerStored | str:
    """Stores the answer once, if the player may answer this round now; else the reason it may not:
    rate_limited, forbidden, not_open, duplicate or late. One script: also counts, and tries the
    `answers` gate. Raises StaleQuiz when `game_key` (of the quiz the answer was checked with) is not the
    game's."""
    attempts = limits.rate("answer")
    keys = [
        k.meta_key(pin),
        k.answers_key(pin, answer.round),
        k.players_key(pin),
        k.answers_gate_key(pin, answer.round),
        limits.game_limit_key(pin, "answer", answer.player_id, attempts),
    ]
    args = [
        answer.round,
        answer.player_id,
        answer_dump(answer),
        answer.at_ms,
        ttl(),
        count_interval_ms,
        game_key,
        attempts.limit,
        attempts.window_ms,
    ]
    reply = await run_script(scripts.ANSWER, keys, args)
    _stale_quiz_check(pin, reply)
    if reply[0] != "ok":
        return str(reply[1])
    return AnswerStored(int(reply[1]), int(reply[2]), int(reply[3]))


async def transition_commit(
    pin: str,
    loaded: Loaded,
    new: GameState,
    *,
    expect_answers: int = -1,
    results: dict[str, str] | None = None,
) -> int:
    """Writes what changed from loaded.state to new, if nobody changed the game meanwhile."""
    old = loaded.state
    keys = [k.meta_key(pin), k.answers_key(pin, old.round or 0), k.players_key(pin)]
    writes: list[list[Any]] = [[1, k, v] for k, v in meta_fields(new).items()]
    for pid, player in new.players.items():
        if old.players.get(pid) != player:
            writes.append([3, pid, player_dump(player)])
    if results:
        keys.append(k.results_key(pin, old.round))
        writes += [[4, pid, row] for pid, row in results.items()]
    # A player kicked during a question leaves the round's answers (the next round's open empties them in
    # the state only: earlier rounds' answers stay in Redis for the records).
    deletes: list[list[Any]] = [
        [2, pid]
        for pid in old.answers
        if new.round == old.round and pid not in new.answers and new.players[pid].kicked
    ]
    for pid, player in new.players.items():  # a reclaim gives the player a new token
        was = old.players.get(pid)
        if was is not None and was.token != player.token:
            keys.append(k.tokens_key(pin))
            deletes.append([len(keys), was.token])
            writes.append([len(keys), player.token, pid])
    # Joins change `active` without touching `seq`, so it moves by a delta, never by overwrite.
    active_delta = len(new.active_players()) - len(old.active_players())
    reply = await run_script(
        scripts.COMMIT, keys, [loaded.seq, expect_answers, ttl(), _dump(writes), active_delta, _dump(deletes)]
    )
    if reply[0] != "ok":
        raise Conflict(pin)
    return int(reply[1])


def results_rows(scored: e.RoundScored, opens_at: int) -> dict[str, str]:
    """Per player [correct, points, response_ms], kept in Redis until the game is written to the database."""
    return {
        pid: _dump([res.correct, res.points, res.answer.at_ms - opens_at if res.answer else 0])
        for pid, res in scored.results.items()
    }


async def saving_mark(pin: str, saving: bool) -> None:
    """Set while the results task has yet to write the game's records (tests wait on it)."""
    if saving:
        await client().set(k.saving_key(pin), "1", ex=ttl())
    else:
        await client().delete(k.saving_key(pin))


async def frame_keep(pin: str, name: str, text: str) -> None:
    conn = client()
    async with conn.pipeline(transaction=True) as pipe:
        await pipe.hset(k.frames_key(pin), name, text).expire(k.frames_key(pin), ttl()).execute()


async def frames_get(pin: str) -> dict[str, str]:
    return await client().hgetall(k.frames_key(pin))


async def result_row(pin: str, round_no: int, player_id: str) -> list | None:
    """[correct, points, response_ms] of a player's closed round, or None."""
    raw = await client().hget(k.results_key(pin, round_no), player_id)
    return orjson.loads(raw) if raw else None


async def roster_remove(pin: str, nickname: str) -> None:
    await client().lrem(k.roster_key(pin), 1, nickname)


async def roster_add(pin: str, nickname: str) -> None:
    await client().rpush(k.roster_key(pin), nickname)


def _reclaim_counters(pin: str, address: str, nickname_key: str) -> tuple[list[str], limits.Rate]:
    """The wrong-code counters of a reclaim: one per address, one per nickname (hashed: any text)."""
    wrong = limits.rate("reclaim")
    nick = hashlib.sha256(nickname_key.encode()).hexdigest()[:16]
    return [
        limits.game_limit_key(pin, "reclaim", f"a:{address}", wrong),
        limits.game_limit_key(pin, "reclaim", f"n:{nick}", wrong),
    ], wrong


async def reclaim_blocked(pin: str, address: str, nickname_key: str) -> bool:
    """Whether the address or the nickname has used up its wrong reclaim codes for now."""
    keys, wrong = _reclaim_counters(pin, address, nickname_key)
    if wrong.off:
        return False
    counts = await client().mget(keys)
    return any(int(n or 0) >= wrong.limit for n in counts)


async def reclaim_failed(pin: str, address: str, nickname_key: str) -> None:
    keys, wrong = _reclaim_counters(pin, address, nickname_key)
    if wrong.off:
        return
    async with client().pipeline(transaction=True) as pipe:
        for key in keys:
            pipe.incr(key).pexpire(key, wrong.window_ms)
        await pipe.execute()


# --- asking the host to get back in ---------------------------------------------------------------


async def reclaim_ask_add(pin: str, request_id: str, nickname: str, at_ms: int, most: int) -> bool:
    """Keeps a request for the hosts; False when `most` are already waiting."""
    key = k.reclaim_asks_key(pin)
    waiting = await run_script(
        scripts.HASH_ADD_CAPPED, [key], [request_id, f"{at_ms}:{nickname}", most, ttl()]
    )
    return bool(waiting)


async def reclaim_ask_take(pin: str, request_id: str) -> str | None:
    """The nickname of a waiting request, removed so it is settled once; None if it is not waiting."""
    async with client().pipeline(transaction=True) as pipe:
        value, removed = (
            await pipe.hget(k.reclaim_asks_key(pin), request_id)
            .hdel(k.reclaim_asks_key(pin), request_id)
            .execute()
        )
    return value.split(":", 1)[1] if removed and value else None


async def reclaim_ask_waiting(pin: str, request_id: str) -> bool:
    return bool(await client().hexists(k.reclaim_asks_key(pin), request_id))


async def reclaim_asks(pin: str, most: int) -> list[tuple[str, str]]:
    """The waiting requests, oldest first: (request id, nickname)."""
    raw = await client().hgetall(k.reclaim_asks_key(pin))
    asks = sorted((int(v.split(":", 1)[0]), rid, v.split(":", 1)[1]) for rid, v in raw.items())
    return [(rid, nickname) for _, rid, nickname in asks[:most]]


async def deadline_add(pin: str, round_no: int, deadline: int) -> None:
    await client().zadd(k.deadlines_key(), {f"{pin}:{round_no}": deadline})


async def deadline_remove(pin: str, round_no: int) -> None:
    await client().zrem(k.deadlines_key(), f"{pin}:{round_no}")


def _advance_member(pin: str, round_no: int, phase: str) -> str:
    return f"{pin}:{round_no}:{phase}"


async def advance_add(pin: str, round_no: int, phase: str, due: int) -> None:
    await client().zadd(k.advances_key(), {_advance_member(pin, round_no, phase): due})


async def advance_remove(pin: str, round_no: int, phase: str) -> None:
    await client().zrem(k.advances_key(), _advance_member(pin, round_no, phase))


async def advances_due(now: int) -> list[tuple[str, int, str]]:
    """(pin, round, phase) of every auto-advance due by `now`."""
    due = await client().zrangebyscore(k.advances_key(), "-inf", now)
    parsed = [member.rsplit(":", 2) for member in due]
    return [(pin, int(round_no), phase) for pin, round_no, phase in parsed]


async def deadlines_due(now: int) -> list[tuple[str, int]]:
    due = await client().zrangebyscore(k.deadlines_key(), "-inf", now)
    return [(member.rsplit(":", 1)[0], int(member.rsplit(":", 1)[1])) for member in due]

"""Live game actions: the only place game state changes. Each loads the state it needs, lets the pure
machine decide, commits the decision atomically to Redis and emits the frames. Consumers and Celery
tasks only call these; what must outlast the frames (timers, database records, chat) goes through
rooms.effects.

Every action returns the events meant for the caller (audience SENDER); everything else is
broadcast from here through realtime.broadcast.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import replace
from functools import partial

from django.conf import settings

from realtime import broadcast, frames, limits
from realtime import keys as k
from realtime.clock import now_ms
from realtime.collector import without_collection
from realtime.hub import TO_HOSTS, TO_PLAYERS

from . import effects, metrics, snapshots, store
from .game import commands as c
from .game import events as e
from .game.machine import RECLAIM_ALPHABET, RECLAIM_CODE_LENGTH, Transition, answer_accepted, step
from .game.quiz import QuizSpec
from .game.state import FINISHED, LOBBY, QUESTION, GameState

log = logging.getLogger(__name__)

LOBBY_INTERVAL_MS = 500  # `lobby` at most 2 a second per game
LOBBY_NAMES_TO_PLAYERS_MAX = 200  # above this many players, players get the lobby count without names
LOBBY_PLAYERS_MAX_INTERVAL_MS = 5000
ANSWER_COUNT_INTERVAL_MS = 100  # `answer_count` at most 10 a second per game
COMMIT_ATTEMPTS = 10
SWEEP_GRACE_MS = 500  # a sweeper leaves a round's own timer this long to fire first

_JOIN_RACE_MESSAGES = {
    "nickname_taken": "that nickname is taken",
    "game_started": "the game has already started",
    "game_locked": "the host has locked the game",
    "no_game": "no such game",
    "rate_limited": "too many joins from your network; wait a minute and try again",
}


def _sender(events: list[e.Event]) -> list[e.Event]:
    return [ev for ev in events if ev.audience == e.SENDER]


# --- players ---------------------------------------------------------------------------------


async def game_join(pin: str, nickname: object, address: str = "server") -> list[e.Event]:
    """The machine decides on the nickname in a lobby; the JOIN script re-checks the game's state (in its
    lobby, unlocked, nickname free) as it adds the player, and counts the joins of the client's
    `address`: one Redis round trip."""
    try:
        return await _join(pin, nickname, address)
    except store.StaleQuiz:  # this process held the quiz of an earlier game with this PIN
        return await _join(pin, nickname, address)


def reclaim_code_new() -> str:
    return "".join(secrets.choice(RECLAIM_ALPHABET) for _ in range(RECLAIM_CODE_LENGTH))


async def _join(pin: str, nickname: object, address: str) -> list[e.Event]:
    """The machine decides on a lobby (the common case: no state to load); the script admits a late player
    when the host allows it, who then gets the running game's snapshot."""
    game_key, quiz = await store.quiz_entry(pin)
    cmd = c.Join(
        player_id=secrets.token_hex(6),
        nickname=nickname,  # type: ignore[arg-type]
        token=secrets.token_urlsafe(24),
        reclaim_code=reclaim_code_new(),
    )
    t = step(GameState(pin=pin, total_rounds=quiz.total_rounds), cmd, now_ms(), quiz)
    if not t.changed:
        return t.events
    player = t.state.players[cmd.player_id]
    status, detail, lobby_gate_wait_ms, phase = await store.join_commit(
        pin, player, player.nickname.casefold(), LOBBY_INTERVAL_MS, game_key, address
    )
    if status != "ok":
        return [e.Refused(str(detail), _JOIN_RACE_MESSAGES.get(str(detail), "cannot join"))]
    metrics.PLAYERS_JOINED.inc()
    await _lobby_changed(pin, lobby_gate_wait_ms)
    if phase == LOBBY:
        return _sender(t.events)
    welcome = await _welcome_now(pin, player.id, player.token)
    if phase == QUESTION:  # the host's "answered" counts the newcomer
        await _answer_count_send(pin, welcome.game["round"])
    return [replace(welcome, reclaim_code=cmd.reclaim_code)]


async def _welcome_now(pin: str, player_id: str, token: str) -> e.Welcome:
    """The `welcome` a player resuming now would get: the game where it stands, with the room's replay."""
    loaded = await store.load_player(pin, player_id)
    events = step(loaded.state, c.Resume(token), now_ms(), await store.quiz_cached(pin)).events
    welcome = next(ev for ev in events if isinstance(ev, e.Welcome))
    return await snapshots.with_replay(pin, loaded, welcome)


async def game_resume(pin: str, token: object) -> list[e.Event]:
    if not isinstance(token, str) or not token:
        return [e.Refused("bad_token", "unknown or expired token")]
    player_id = await store.player_id_for_token(pin, token)
    if player_id is None:
        return [e.Refused("bad_token", "unknown or expired token")]
    loaded = await store.load_player(pin, player_id)
    events = step(loaded.state, c.Resume(token), now_ms(), await store.quiz_cached(pin)).events
    return [
        await snapshots.with_replay(pin, loaded, ev) if isinstance(ev, e.Welcome) else ev for ev in events
    ]


async def game_reclaim(pin: str, nickname: object, code: object, address: str = "server") -> list[e.Event]:
    """A player who lost their token takes their place back with nickname and code. Wrong codes count per
    address and per nickname; past the limit every attempt is refused, right code or not."""
    nickname_key = nickname.strip().casefold() if isinstance(nickname, str) else ""
    if await store.reclaim_blocked(pin, address, nickname_key):
        return [e.Refused("rate_limited", "too many wrong codes; ask the host or wait a few minutes")]
    cmd = c.Reclaim(nickname, code, secrets.token_urlsafe(24), reclaim_code_new())  # type: ignore[arg-type]
    t = await _transition(pin, cmd)
    welcome = next((ev for ev in t.events if isinstance(ev, e.Welcome)), None)
    if welcome is None:
        if any(isinstance(ev, e.Refused) and ev.code == "bad_code" for ev in t.events):
            await store.reclaim_failed(pin, address, nickname_key)
        return _sender(t.events)
    # A socket still open with the old token (the lost phone, or whoever had it) is told and closed.
    await broadcast.send_to_player(
        broadcast.game_group(pin),
        welcome.player_id,
        frames.error("bad_token", "this place was taken back with its code on another device"),
        close=frames.CLOSE_UNAUTHENTICATED,
        except_token=welcome.token,
    )
    return [replace(await _welcome_now(pin, welcome.player_id, welcome.token), reclaim_code=cmd.new_code)]


async def game_reclaim_ask(
    pin: str, nickname: object, address: str, listen: Callable[[str], Awaitable[None]]
) -> list[e.Event]:
    """A player without token or code asks the hosts to let them back in. `listen` subscribes the asking
    socket to its request's group before the hosts hear of it, so no answer can come first."""
    if not isinstance(nickname, str) or not nickname.strip():
        return [e.Refused("invalid", "reclaim_ask needs the nickname you played with")]
    if await limits.rate_take("reclaim_ask", f"{pin}:{address}", limits.rate("reclaim_ask")):
        return [e.Refused("rate_limited", "too many requests; wait a few minutes")]
    player_id = await store.player_id_for_nickname(pin, nickname.strip().casefold())
    loaded = await store.load_player(pin, player_id) if player_id else None
    if loaded is None or player_id not in loaded.state.players or loaded.state.phase == FINISHED:
        return [e.Refused("invalid", "no player with that nickname in this game")]
    player = loaded.state.players[player_id]
    if player.kicked:
        return [e.Refused("forbidden", "you were removed from this game", frames.CLOSE_FORBIDDEN)]
    request_id = secrets.token_urlsafe(9)
    if not await store.reclaim_ask_add(
        pin, request_id, player.nickname, now_ms(), snapshots.RECLAIM_ASKS_MOST
    ):
        return [e.Refused("rate_limited", "the host has too many requests waiting; try again soon")]
    await listen(broadcast.ask_group(pin, request_id))
    await broadcast.send_frame(
        broadcast.game_group(pin), frames.reclaim_ask(request_id, player.nickname), TO_HOSTS
    )
    return [e.ReclaimAsked(request_id, player.nickname)]


async def game_reclaim_answer(pin: str, request_id: object, approve: bool) -> list[e.Event]:
    """The host's yes or no (a no also when the asking socket went away). A yes gives the player a fresh
    reclaim code, sent to the asking socket alone (the pages then `reclaim` with it); every host console
    drops the request either way."""
    nickname = await store.reclaim_ask_take(pin, request_id) if isinstance(request_id, str) else None
    if nickname is None:
        return [e.Refused("invalid", "no such request waiting (answered already, or its player left)")]
    refused: list[e.Event] = []
    granted = None
    if approve:
        t = await _transition(pin, c.GrantReclaim(nickname, reclaim_code_new()))
        granted = next((ev for ev in t.events if isinstance(ev, e.ReclaimGranted)), None)
        refused = [ev for ev in t.events if isinstance(ev, e.Refused)]
    asker = broadcast.ask_group(pin, request_id)
    answer = granted.frame(request_id) if granted else frames.reclaim_denied(request_id)
    await broadcast.send_frame(asker, answer)
    settled = frames.reclaim_settled(request_id, nickname, granted is not None)
    await broadcast.send_frame(broadcast.game_group(pin), settled, TO_HOSTS)
    return refused


async def game_answer(pin: str, player_id: str, round_no: int, fields: dict) -> list[e.Event]:
    """The machine checks the answer against its question; the ANSWER script checks, in the machine's
    order, that the player may answer this round now, and stores it: one Redis round trip."""
    now = now_ms()
    try:
        return await _answer(pin, player_id, round_no, fields, now)
    except store.StaleQuiz:  # this process held the quiz of an earlier game with this PIN
        return await _answer(pin, player_id, round_no, fields, now)


async def _answer(pin: str, player_id: str, round_no: int, fields: dict, now: int) -> list[e.Event]:
    game_key, quiz = await store.quiz_entry(pin)
    answer = answer_accepted(quiz, round_no, player_id, fields, now)
    if answer is None:  # no such round, or not a valid answer to it (or a stale cached quiz says so)
        loaded = await store.load_player(pin, player_id, round_no)  # its meta read drops a stale quiz
        game_key, quiz = await store.quiz_entry(pin)
        answer = answer_accepted(quiz, round_no, player_id, fields, now)
        if answer is None:  # the machine says why, on the state
            t = step(loaded.state, c.SubmitAnswer(player_id, round_no, fields), now, quiz)
            metrics.ANSWERS.labels("refused").inc()
            return [next(ev for ev in t.events if isinstance(ev, e.AnswerAcked | e.Refused))]
    stored = await store.answer_commit(pin, answer, ANSWER_COUNT_INTERVAL_MS, game_key)
    if isinstance(stored, str):
        metrics.ANSWERS.labels("refused").inc()
        if stored == "forbidden":
            return [e.Refused("forbidden", "not a player of this game")]
        if stored == "rate_limited":
            return [e.Refused("rate_limited", "too many answers; slow down")]
        return [e.AnswerAcked(round_no, False, stored)]
    metrics.ANSWERS.labels("accepted").inc()
    await _answer_count_changed(pin, round_no, stored)
    if stored.answered >= stored.active:
        _background_close(pin, round_no)
    return [e.AnswerAcked(round_no, True)]


_background: set[asyncio.Task] = set()


def _background_close(pin: str, round_no: int) -> None:
    """Tries to close the round as all answered, without holding up the caller (the machine refuses it
    if someone still has to answer)."""
    task = asyncio.get_running_loop().create_task(_close_quietly(pin, round_no, "all_answered"))
    _background.add(task)  # the loop keeps only a weak reference to a task
    task.add_done_callback(_background.discard)


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


async def game_abandoned_end(pin: str) -> bool:
    """Ends a game nobody moves on any more as its host would, so its records are saved (the players see
    `finished` and `final`). False when it had ended already."""
    events = (await _transition(pin, c.End())).events
    ended = not any(isinstance(ev, e.Refused) for ev in events)
    if ended:
        log.info("game %s ended: nobody moved it on for %d s", pin, settings.GAME_ABANDON_SECONDS)
    return ended


async def round_close(pin: str, round_no: int, reason: str) -> str:
    """Closes round `round_no` once, whoever asks and however often. Returns 'closed' or why not."""
    t = await _transition(pin, c.Close(round_no, reason))
    refused = next((ev for ev in t.events if isinstance(ev, e.Refused)), None)
    return refused.code if refused else "closed"


async def rounds_overdue_close() -> int:
    """Closes every round whose deadline passed and whose timer was lost. Run by Celery beat and, every
    half second, by each web worker, so rounds close on time while Celery restarts. Returns how many."""
    closed = 0
    for pin, round_no in await store.deadlines_due(now_ms() - SWEEP_GRACE_MS):
        try:
            outcome = await round_close(pin, round_no, "timeout")
        except store.GameNotFound:
            outcome = "gone"
        if outcome == "closed":
            closed += 1
        elif outcome != "early":
            await store.deadline_remove(pin, round_no)
    return closed + await advances_overdue()


async def game_advance(pin: str, round_no: int, phase: str) -> str:
    """The auto-advance's `next`, if the game still waits at (round, phase) and it is due: a host's `next`
    or a pause meanwhile wins. Returns 'advanced' or why not ('stale', 'early')."""
    t = await _transition(pin, c.Advance(round_no, phase))
    refused = next((ev for ev in t.events if isinstance(ev, e.Refused)), None)
    if refused is None or refused.code != "early":
        await store.advance_remove(pin, round_no, phase)
    return refused.code if refused else "advanced"


async def advances_overdue() -> int:
    """Runs every auto-advance that is due and whose timer was lost (with the round sweeper)."""
    advanced = 0
    for pin, round_no, phase in await store.advances_due(now_ms() - SWEEP_GRACE_MS):
        try:
            outcome = await game_advance(pin, round_no, phase)
        except store.GameNotFound:
            await store.advance_remove(pin, round_no, phase)
            continue
        advanced += outcome == "advanced"
    return advanced


@without_collection  # the whole room is loaded: see realtime/collector.py
async def _transition(pin: str, command: c.Command | Callable[[GameState], c.Command]) -> Transition:
    for _ in range(COMMIT_ATTEMPTS):
        loaded = await store.load_full(pin)
        quiz = await store.quiz_cached(pin)  # after the load, which drops a quiz cached for an older game
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
                results=store.results_rows(scored, loaded.state.opens_at) if scored else None,
            )
        except store.Conflict:
            metrics.COMMIT_CONFLICTS.inc()
            continue
        await _emit(pin, loaded.state, t, quiz)
        return t
    raise RuntimeError(f"game {pin}: gave up after {COMMIT_ATTEMPTS} conflicting commits")


# --- frames out ------------------------------------------------------------------------------


async def _emit(pin: str, before: GameState, t: Transition, quiz: QuizSpec) -> None:
    """Sends the frames of a committed transition; what must last goes to rooms.effects."""
    group = broadcast.game_group(pin)
    for ev in t.events:
        if isinstance(ev, e.QuestionOpened):
            await broadcast.send_frame(group, ev.frame())
            await effects.round_opened(pin, ev.round, ev.deadline, first=before.phase == LOBBY)
        elif isinstance(ev, e.Revealed):
            await _send_and_keep(pin, "reveal", ev.frame())
            await effects.round_closed(pin, ev.round, before.deadline)
        elif isinstance(ev, e.RoundScored):
            rows = {pid: frames.result_row(*row) for pid, row in ev.table().items()}
            await broadcast.send_table(group, frames.result_head(ev.round), frames.RESULT_FIELDS, rows)
        elif isinstance(ev, e.FinalStandings):
            rows = {pid: frames.final_row(*row) for pid, row in ev.table().items()}
            await broadcast.send_table(group, frames.final_head(ev.players), frames.FINAL_FIELDS, rows)
        elif isinstance(ev, e.GameFinished):
            await _send_and_keep(pin, "finished", ev.frame())
            await effects.game_finished(pin, open_round=before.round if before.phase == QUESTION else 0)
        elif isinstance(ev, e.PlayerKicked):
            await broadcast.send_to_player(group, ev.player_id, ev.frame(), close=frames.CLOSE_FORBIDDEN)
            await broadcast.send_frame(group, frames.player_kicked(ev.player_id, ev.nickname), TO_HOSTS)
            await effects.player_kicked(pin, ev.player_id, ev.nickname)
            await _lobby_changed(pin)
            if t.state.phase == QUESTION:  # an answer that raced the kick may have been the last one
                _background_close(pin, t.state.round)
        elif isinstance(ev, e.PlayerUnkicked):
            await broadcast.send_frame(group, ev.frame(), TO_HOSTS)
            await effects.player_unkicked(pin, ev.nickname)
            await _lobby_changed(pin)
        elif isinstance(ev, e.LeaderboardShown):
            await _send_and_keep(pin, "leaderboard", ev.frame())
        elif isinstance(ev, e.ChatChanged):  # the game's sockets and the chat's (a chat-only client)
            await broadcast.send_frame(group, ev.frame())
            await broadcast.send_frame(broadcast.chat_group(pin), ev.frame())
        elif isinstance(ev, e.AutoAdvanceChanged):
            await broadcast.send_frame(group, ev.frame(), TO_HOSTS)
            if ev.advance_at:
                await effects.advance_scheduled(pin, ev.round, ev.phase, ev.advance_at)
        elif ev.audience == e.ROOM:
            await broadcast.send_frame(group, ev.frame())
        elif ev.audience == e.HOSTS:
            await broadcast.send_frame(group, ev.frame(), TO_HOSTS)


async def _send_and_keep(pin: str, name: str, frame: dict) -> None:
    """Broadcasts a room frame and keeps its text, so a client that (re)connects later can draw it."""
    text = frames.encode(frame)
    await store.frame_keep(pin, name, text)
    await broadcast.send_text(broadcast.game_group(pin), text)


def lobby_players_interval_ms(players: int) -> int:
    """How often players hear the lobby count: twice a second in a class, every 5 s at 10,000 players."""
    return min(LOBBY_PLAYERS_MAX_INTERVAL_MS, max(LOBBY_INTERVAL_MS, players // 2))


async def _lobby_changed(pin: str, gate_wait_ms: int | None = None) -> None:
    await broadcast.send_coalesced(
        k.gate_key(pin, "lobby"), LOBBY_INTERVAL_MS, partial(_lobby_send, pin), gate_wait_ms=gate_wait_ms
    )


async def _lobby_send(pin: str) -> None:
    """The roster to the room; in a large room the names go to the hosts only, and players hear the
    count alone, less often (docs/protocol.md: `lobby`)."""
    players, nicknames = await store.roster(pin)
    group = broadcast.game_group(pin)
    if players <= LOBBY_NAMES_TO_PLAYERS_MAX:
        await broadcast.send_frame(group, frames.lobby(players, nicknames))
        return
    await broadcast.send_frame(group, frames.lobby(players, nicknames), TO_HOSTS)
    await broadcast.send_coalesced(
        k.gate_key(pin, "lobby_players"),
        lobby_players_interval_ms(players),
        partial(_lobby_players_send, pin),
    )


async def _lobby_players_send(pin: str) -> None:
    players = await store.active_count(pin)
    await broadcast.send_frame(broadcast.game_group(pin), frames.lobby(players, []), TO_PLAYERS)


async def _answer_count_changed(pin: str, round_no: int, stored: store.AnswerStored) -> None:
    if stored.count_gate_wait_ms == 0:  # the script passed the gate: its own figures are the news
        frame = frames.answer_count(round_no, stored.answered, stored.active)
        await broadcast.send_frame(broadcast.game_group(pin), frame, TO_HOSTS)
        return
    await broadcast.send_coalesced(
        k.answers_gate_key(pin, round_no),
        ANSWER_COUNT_INTERVAL_MS,
        partial(_answer_count_send, pin, round_no),
        gate_wait_ms=stored.count_gate_wait_ms,
    )


async def _answer_count_send(pin: str, round_no: int) -> None:
    count = await store.answer_count(pin, round_no)
    if count is None:  # a send that came due after the next question: that round's counts are its own
        return
    answered, players = count
    await broadcast.send_frame(
        broadcast.game_group(pin), frames.answer_count(round_no, answered, players), TO_HOSTS
    )

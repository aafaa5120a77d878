"""The side effects of live-game actions that must outlast the frames: round timers and the sweeper's
work list, database records, and what other apps are told. Actions call these, and the one Celery task
a finished game enqueues here runs game_results_persist; nothing else does.
"""

from __future__ import annotations

import asyncio
import json
import logging

from celery import current_app
from channels.db import database_sync_to_async

from realtime.clock import now_ms
from results import services as records
from results.models import Game

from . import metrics, signals, store
from .game.state import FINISHED, GameState

log = logging.getLogger(__name__)

# By name: rooms.tasks calls the actions, which call these.
ROUND_TIMER_TASK = "rooms.tasks.round_timer"
AUTO_ADVANCE_TASK = "rooms.tasks.auto_advance"
GAME_RESULTS_TASK = "rooms.tasks.game_results_save"


async def round_opened(pin: str, round_no: int, deadline: int, *, first: bool) -> None:
    """A round opened: its timer runs and the sweeper knows its deadline; the first marks the game running."""
    await store.deadline_add(pin, round_no, deadline)
    countdown = max(0.0, (deadline - now_ms()) / 1000)
    await asyncio.to_thread(round_timer_start, pin, round_no, countdown)
    if first:
        await database_sync_to_async(records.game_status_set)(pin, Game.Status.RUNNING)


def round_timer_start(pin: str, round_no: int, countdown: float) -> None:
    current_app.send_task(ROUND_TIMER_TASK, (pin, round_no), countdown=countdown)


async def advance_scheduled(pin: str, round_no: int, phase: str, due: int) -> None:
    """An auto-advance is pending: its timer runs and the sweeper knows when it is due."""
    await store.advance_add(pin, round_no, phase, due)
    countdown = max(0.0, (due - now_ms()) / 1000)
    await asyncio.to_thread(
        current_app.send_task, AUTO_ADVANCE_TASK, (pin, round_no, phase), countdown=countdown
    )


async def round_closed(pin: str, round_no: int, deadline: int) -> None:
    await store.deadline_remove(pin, round_no)
    metrics.ROUND_CLOSE_LATENESS.observe(max(0, now_ms() - deadline) / 1000)


async def game_finished(pin: str, *, open_round: int) -> None:
    """Hands the game's records to a Celery task (retried, redelivered): never written on a socket's time."""
    if open_round:
        await store.deadline_remove(pin, open_round)
    meta = await store.meta_get(pin)
    game_key = meta.game_key if meta else ""
    await store.saving_mark(pin, True)
    await asyncio.to_thread(current_app.send_task, GAME_RESULTS_TASK, (pin, game_key))


async def player_kicked(pin: str, player_id: str, nickname: str) -> None:
    await store.roster_remove(pin, nickname)
    for receiver, outcome in await signals.player_kicked.asend_robust(
        sender=__name__, pin=pin, player_id=player_id
    ):
        if isinstance(outcome, Exception):
            log.error(
                "after kicking %s from %s, %s failed: %r", player_id, pin, receiver.__qualname__, outcome
            )


async def player_unkicked(pin: str, nickname: str) -> None:
    await store.roster_add(pin, nickname)


async def game_results_persist(pin: str, game_key: str) -> str:
    """Writes the final standings and every answer of a finished game from Redis to the database, then lets
    the other apps save what they keep (the chat). Idempotent: a repeat rewrites the same rows. Returns
    'saved', or 'stale' when the PIN no longer holds that finished game (a late redelivery)."""
    loaded = await store.load_full(pin)
    if loaded.game_key != game_key or loaded.state.phase != FINISHED:
        log.warning("results of %s (%s) not saved: the PIN holds another game now", pin, game_key)
        await store.saving_mark(pin, False)
        return "stale"
    players, answers = await _results_records(pin, loaded.state)
    await database_sync_to_async(records.game_results_save)(
        pin, players, answers, rounds_played=loaded.state.round
    )
    await signals.game_finished.asend(sender=__name__, pin=pin)  # a receiver's failure retries the task
    await store.saving_mark(pin, False)
    return "saved"


async def _results_records(
    pin: str, state: GameState
) -> tuple[list[records.PlayerRecord], list[records.AnswerRecord]]:
    rounds = await store.answers_all(pin, state.total_rounds)
    players = [
        records.PlayerRecord(p.id, p.nickname, p.score, p.rank, p.streak, p.kicked)
        for p in state.players.values()
    ]
    answers = []
    for round_no, (answers_raw, results_raw) in rounds.items():
        for pid, raw in answers_raw.items():
            answer = store.answer_load(pid, round_no, raw)
            # results rows are [correct, points, response_ms], written when the round closed
            correct, points, response_ms = (
                json.loads(results_raw[pid]) if pid in results_raw else (None, 0, 0)
            )
            answers.append(
                records.AnswerRecord(pid, round_no, answer.answer, answer.at_ms, response_ms, correct, points)
            )
    return players, answers

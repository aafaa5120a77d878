"""rooms/game/machine.py: the host's class controls (chat on/off, "get ready", auto-advance), by example."""

from __future__ import annotations

from game_builders import Game, of_type, one, refusal, right_answer

from rooms.game import commands as c
from rooms.game import events as e
from rooms.game import machine
from rooms.game.state import FINISHED, LEADERBOARD, QUESTION, REVEAL


def code(events: list[e.Event]) -> str | None:
    r = refusal(events)
    return r.code if r else None


# --- chat ----------------------------------------------------------------------------------------


def test_chat_off_and_on_is_broadcast_and_in_snapshots():
    g = Game()
    g.join("ann")
    assert g.state.chat is True
    changed = one(g.do(c.SetChat(False)), e.ChatChanged)
    assert changed.audience == e.ROOM and changed.frame() == {"type": "chat_state", "enabled": False}
    assert machine.snapshot(g.state, g.quiz, None)["chat"] is False
    g.do(c.Start())
    assert one(g.do(c.SetChat(True)), e.ChatChanged).enabled is True
    assert machine.snapshot(g.state, g.quiz, g.player("p1"))["chat"] is True


def test_chat_toggle_checks_its_value_and_the_game():
    g = Game()
    assert code(g.do(c.SetChat("no"))) == "invalid"  # type: ignore[arg-type]
    g.do(c.End())
    assert code(g.do(c.SetChat(False))) == "invalid"


# --- get ready -----------------------------------------------------------------------------------


def test_get_ready_opens_the_choices_later_and_moves_the_deadline():
    g = Game()
    pid = g.join("ann")
    g.do(c.SetGetReady(3000))
    start = g.now
    opened = one(g.do(c.Start()), e.QuestionOpened)
    q = g.current_question()
    assert (opened.opens_at, opened.deadline) == (start + 3000, start + 3000 + q.time_limit_ms)
    frame = opened.frame()
    assert frame["server_time"] == start and frame["opens_at"] == start + 3000
    assert "correct" not in str(frame["choices"])
    assert g.answer(pid, right_answer(q)).reason == "early"
    assert g.state.answers == {}
    g.tick(3000)
    assert g.answer(pid, right_answer(q)).accepted
    # Timed from opens_at: an answer the moment the choices open scores full points.
    g.close("all_answered")
    assert g.player(pid).score == 1000 * q.points


def test_get_ready_time_is_checked_and_off_by_default():
    g = Game()
    assert g.state.get_ready_ms == 0
    assert code(g.do(c.SetGetReady(-1))) == "invalid"
    assert code(g.do(c.SetGetReady(60_000))) == "invalid"
    assert one(g.do(c.SetGetReady(0)), e.GetReadyChanged).frame() == {"type": "get_ready", "get_ready_ms": 0}
    opened = one(g.do(c.Start()), e.QuestionOpened)
    assert opened.opens_at == g.now


def test_a_timeout_during_get_ready_is_early_but_skip_closes():
    g = Game()
    g.join("ann")
    g.do(c.SetGetReady(3000))
    g.do(c.Start())
    assert code(g.close("timeout")) == "early"
    assert of_type(g.close("skip"), e.Revealed)


# --- auto-advance --------------------------------------------------------------------------------


def test_auto_advance_schedules_each_step_between_rounds():
    g = Game()
    g.join("ann")
    changed = one(g.do(c.SetAutoAdvance(True, 2000)), e.AutoAdvanceChanged)
    assert changed.frame() == {"type": "auto_advance", "enabled": True, "delay_ms": 2000, "advance_at": 0}
    g.do(c.Start())
    assert g.state.advance_at == 0  # nothing pending while a question is open
    events = g.close("skip")
    scheduled = one(events, e.AutoAdvanceChanged)
    assert (scheduled.round, scheduled.phase, scheduled.advance_at) == (1, REVEAL, g.now + 2000)
    assert code(g.do(c.Advance(1, REVEAL))) == "early"
    g.tick(2000)
    events = g.do(c.Advance(1, REVEAL))
    assert of_type(events, e.LeaderboardShown) and g.state.phase == LEADERBOARD
    assert one(events, e.AutoAdvanceChanged).advance_at == g.now + 2000
    g.tick(2000)
    assert of_type(g.do(c.Advance(1, LEADERBOARD)), e.QuestionOpened)
    assert (g.state.phase, g.state.round, g.state.advance_at) == (QUESTION, 2, 0)


def test_a_manual_next_wins_over_a_pending_auto_advance():
    g = Game()
    g.join("ann")
    g.do(c.SetAutoAdvance(True, 2000))
    g.do(c.Start())
    g.close("skip")
    g.do(c.Next())  # the host was quicker
    g.tick(2000)
    assert code(g.do(c.Advance(1, REVEAL))) == "stale"
    assert g.state.phase == LEADERBOARD


def test_pause_drops_the_pending_step_and_resume_schedules_it_from_now():
    g = Game()
    g.join("ann")
    g.do(c.SetAutoAdvance(True, 2000))
    g.do(c.Start())
    g.close("skip")
    paused = one(g.do(c.SetAutoAdvance(False)), e.AutoAdvanceChanged)
    assert (paused.enabled, paused.advance_at, paused.delay_ms) == (False, 0, 2000)
    g.tick(5000)
    assert code(g.do(c.Advance(1, REVEAL))) == "stale"
    assert g.state.phase == REVEAL
    resumed = one(g.do(c.SetAutoAdvance(True)), e.AutoAdvanceChanged)
    assert resumed.advance_at == g.now + 2000
    g.tick(2000)
    assert of_type(g.do(c.Advance(1, REVEAL)), e.LeaderboardShown)


def test_auto_advance_after_the_last_round_finishes_the_game():
    g = Game()
    g.join("ann")
    g.do(c.SetAutoAdvance(True, 1000))
    g.do(c.Start())
    while g.state.phase != FINISHED:
        if g.state.phase == QUESTION:
            g.close("skip")
        g.tick(1000)
        assert refusal(g.do(c.Advance(g.state.round, g.state.phase))) is None
    assert g.state.advance_at == 0
    assert code(g.do(c.SetAutoAdvance(False))) == "invalid"


def test_auto_advance_delay_is_checked():
    g = Game()
    assert code(g.do(c.SetAutoAdvance(True, 10))) == "invalid"
    assert code(g.do(c.SetAutoAdvance(True, 10**9))) == "invalid"
    assert code(g.do(c.SetAutoAdvance("yes"))) == "invalid"  # type: ignore[arg-type]
    assert code(g.do(c.Advance(0, "lobby"))) == "stale"

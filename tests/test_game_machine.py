"""rooms/game/machine.py, example by example: joins, answers, rounds, reveal, results, standings."""

from __future__ import annotations

import pytest
from game_builders import (
    KINDS,
    MULTI_CORRECT,
    SINGLE_CORRECT,
    SINGLE_IDS,
    TF_FALSE,
    TF_TRUE,
    Game,
    all_kinds_quiz,
    frames_of,
    new_state,
    of_type,
    one,
    play,
    question,
    quiz_of,
    refusal,
    right_answer,
    secret_keys_in,
    wrong_answer,
)

from rooms.game import commands as c
from rooms.game import events as e
from rooms.game import machine
from rooms.game.quiz import MULTI, POLL, SINGLE, SLIDER, TEXT, TRUEFALSE
from rooms.game.state import FINISHED, LEADERBOARD, LOBBY, QUESTION, REVEAL

LIMIT = 20_000


def started(*nicknames: str, quiz=None) -> tuple[Game, list[str]]:
    g = Game(quiz=quiz) if quiz is not None else Game()
    pids = [g.join(n) for n in nicknames]
    g.do(c.Start())
    return g, pids


def game_at_round(round_no: int, *nicknames: str, quiz=None) -> tuple[Game, list[str]]:
    """Players joined, rounds before `round_no` skipped unanswered, round `round_no` open."""
    g, pids = started(*nicknames, quiz=quiz)
    while g.state.round < round_no:
        g.close("skip")
        g.do(c.Next())
        g.do(c.Next())
    assert g.state.phase == QUESTION and g.state.round == round_no
    return g, pids


def refused_code(events) -> str | None:
    r = refusal(events)
    return r.code if r else None


# --- join -------------------------------------------------------------------------------------


def test_join_welcomes_with_a_lobby_snapshot():
    g = Game()
    events = g.do(c.Join("p1", "Alice", "tok-1"))
    welcome = one(events, e.Welcome)
    assert welcome.frame() == {
        "type": "welcome",
        "player_id": "p1",
        "token": "tok-1",
        "nickname": "Alice",
        "game": welcome.game,
    }
    game = welcome.game
    assert game["phase"] == LOBBY
    assert game["round"] == 0
    assert game["total_rounds"] == 6
    assert game["score"] == 0
    assert game["rank"] == 1
    assert "question" not in game and "answered" not in game
    joined = one(events, e.PlayerJoined)
    assert (joined.player_id, joined.nickname) == ("p1", "Alice")
    assert joined.audience == e.LOBBY and welcome.audience == e.SENDER
    assert g.state.players["p1"].nickname == "Alice"
    assert g.state.players["p1"].joined_at == g.now


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("  Alice  ", "Alice"),
        ("\tBob\n", "Bob"),
        ("x", "x"),
        ("y" * 24, "y" * 24),
        ("   " + "z" * 24 + "   ", "z" * 24),
        ("Zoë", "Zoë"),
        ("李雷", "李雷"),
        ("O'Brien-2", "O'Brien-2"),
        ("Ana María", "Ana María"),
    ],
)
def test_join_accepts_and_trims_nicknames(raw, stored):
    g = Game()
    pid = g.join(raw)
    assert g.state.players[pid].nickname == stored


@pytest.mark.parametrize(
    "nickname",
    [
        "",
        "   ",
        "\t\n",
        "y" * 25,
        " " + "y" * 25 + " ",
        None,
        42,
        ["Alice"],
        "a\x00b",
        "a\x1bb",
        "a\tb",
        "a\x7fb",
        "\u200b",
        "a\u200bb",  # zero-width space
        "a\u200cb",  # zero-width non-joiner
        "a\u200db",  # zero-width joiner
        "a\u2060b",  # word joiner
        "a\ufeffb",  # zero-width no-break space
        "\u202eevil",  # right-to-left override
        "a\u00adb",  # soft hyphen
        "a\ue000b",  # private use
    ],
)
def test_join_refuses_bad_nicknames_as_invalid(nickname):
    g = Game()
    events = g.do(c.Join("p1", nickname, "tok-1"))
    assert refused_code(events) == "invalid"
    assert len(events) == 1
    assert g.state.players == {}


@pytest.mark.parametrize("second", ["Alice", "alice", "ALICE", "  aLiCe ", "\tAlice\n"])
def test_join_nicknames_are_unique_case_insensitively(second):
    g = Game()
    g.join("Alice")
    events = g.do(c.Join("p2", second, "tok-2"))
    assert refused_code(events) == "nickname_taken"
    assert list(g.state.players) == ["p1"]


def test_join_uniqueness_uses_casefold():
    g = Game()
    g.join("Straße")
    assert refused_code(g.do(c.Join("p2", "STRASSE", "tok-2"))) == "nickname_taken"
    g.join("Alicia")  # a different name is fine


def test_join_after_start_is_refused_as_game_started():
    g, _ = started("Alice")
    events = g.do(c.Join("p9", "Late", "tok-9"))
    assert refused_code(events) == "game_started"
    g.close("skip")
    assert refused_code(g.do(c.Join("p9", "Late", "tok-9"))) == "game_started"
    g.do(c.End())
    assert refused_code(g.do(c.Join("p9", "Late", "tok-9"))) == "game_started"


def test_join_when_locked_is_refused_then_allowed_after_unlock():
    g = Game()
    g.join("Alice")
    assert one(g.do(c.Lock()), e.LockChanged).frame() == {"type": "lock", "locked": True}
    assert g.state.locked is True
    assert refused_code(g.do(c.Join("p2", "Bob", "tok-2"))) == "game_locked"
    assert one(g.do(c.Unlock()), e.LockChanged).locked is False
    assert g.join("Bob") == "p2"


def test_resume_returns_the_same_player():
    g = Game()
    pid = g.join("Alice")
    welcome = one(g.do(c.Resume(f"tok-{pid}")), e.Welcome)
    assert (welcome.player_id, welcome.nickname, welcome.token) == (pid, "Alice", f"tok-{pid}")
    assert welcome.game["phase"] == LOBBY


def test_resume_works_when_locked_and_after_start():
    g = Game()
    pid = g.join("Alice")
    g.join("Bob")
    g.do(c.Lock())
    assert one(g.do(c.Resume(f"tok-{pid}")), e.Welcome).player_id == pid
    g.do(c.Start())
    snap = one(g.do(c.Resume(f"tok-{pid}")), e.Welcome).game
    assert snap["phase"] == QUESTION
    assert snap["round"] == 1
    assert snap["answered"] is False
    assert snap["question"]["round"] == 1
    assert snap["question"]["deadline"] == g.state.deadline
    g.answer(pid, right_answer(g.current_question()))
    assert one(g.do(c.Resume(f"tok-{pid}")), e.Welcome).game["answered"] is True
    assert one(g.do(c.Resume("tok-p2")), e.Welcome).game["answered"] is False


def test_resume_snapshot_shows_score_rank_and_streak():
    g, (a, b) = started("Alice", "Bob")
    g.answer(a, right_answer(g.current_question()))
    g.close("skip")
    snap = one(g.do(c.Resume(f"tok-{a}")), e.Welcome).game
    assert snap["phase"] == REVEAL
    assert (snap["score"], snap["rank"], snap["streak"]) == (1000, 1, 1)
    assert snap["question"]["round"] == 1 and "answered" not in snap  # the public frame, to label the reveal
    assert "correct" not in snap["question"]
    snap_b = one(g.do(c.Resume(f"tok-{b}")), e.Welcome).game
    assert (snap_b["score"], snap_b["rank"], snap_b["streak"]) == (0, 2, 0)


def test_resume_after_finish_shows_the_final_phase():
    g, (a,) = started("Alice")
    g.do(c.End())
    snap = one(g.do(c.Resume(f"tok-{a}")), e.Welcome).game
    assert snap["phase"] == FINISHED


@pytest.mark.parametrize("token", ["nope", "", None, 123])
def test_resume_with_a_bad_token_is_refused(token):
    g = Game()
    g.join("Alice")
    events = g.do(c.Resume(token))
    assert refused_code(events) == "bad_token"
    assert refusal(events).close_code is None


def test_resume_of_a_kicked_player_is_forbidden_with_close_4003():
    g = Game()
    pid = g.join("Alice")
    kicked = one(g.do(c.Kick(pid)), e.PlayerKicked)
    assert kicked.audience == e.PLAYER
    assert kicked.frame()["type"] == "kicked" and kicked.frame()["player_id"] == pid
    events = g.do(c.Resume(f"tok-{pid}"))
    refused = refusal(events)
    assert (refused.code, refused.close_code) == ("forbidden", 4003)
    assert refused.frame() == {"type": "error", "code": "forbidden", "message": refused.message}


def test_kick_of_an_unknown_or_already_kicked_player_is_invalid():
    g = Game()
    pid = g.join("Alice")
    assert refused_code(g.do(c.Kick("ghost"))) == "invalid"
    g.do(c.Kick(pid))
    assert refused_code(g.do(c.Kick(pid))) == "invalid"


def test_lock_and_unlock_refused_after_finish_and_finish_locks():
    g = Game()
    g.do(c.End())
    assert g.state.locked is True
    assert refused_code(g.do(c.Lock())) == "invalid"
    assert refused_code(g.do(c.Unlock())) == "invalid"


# --- answers ----------------------------------------------------------------------------------


def test_answer_is_acked_and_counted_for_the_host():
    g, (a, b, _) = started("Alice", "Bob", "Carol")
    events = g.do(c.SubmitAnswer(a, 1, {"choice": SINGLE_CORRECT}))
    assert one(events, e.AnswerAcked).frame() == {
        "type": "answer_ack",
        "round": 1,
        "accepted": True,
        "reason": None,
    }
    count = one(events, e.AnswerCounted)
    assert count.audience == e.HOSTS
    assert count.frame() == {"type": "answer_count", "round": 1, "answered": 1, "players": 3}
    events = g.do(c.SubmitAnswer(b, 1, {"choice": 11}))
    assert one(events, e.AnswerCounted).frame()["answered"] == 2
    assert set(g.state.answers) == {a, b}
    assert g.state.answers[a].at_ms == g.now


def test_answer_count_ignores_kicked_players():
    g, (a, b, c_) = started("Alice", "Bob", "Carol")
    g.answer(a, {"choice": 12})
    g.do(c.Kick(a))
    events = g.do(c.SubmitAnswer(b, 1, {"choice": 12}))
    assert one(events, e.AnswerCounted).frame() == {
        "type": "answer_count",
        "round": 1,
        "answered": 1,
        "players": 2,
    }


def test_duplicate_answer_is_refused_and_the_first_kept():
    g, (a,) = started("Alice")
    g.answer(a, {"choice": 11})
    first = g.state.answers[a]
    g.tick(100)
    for fields in ({"choice": 11}, {"choice": SINGLE_CORRECT}, {"choice": 999}):
        ack = g.answer(a, fields)
        assert (ack.accepted, ack.reason) == (False, "duplicate")
    assert g.state.answers[a] == first
    assert not of_type(g.log[-1][1], e.AnswerCounted)


def test_answer_exactly_at_deadline_accepted_one_ms_later_late():
    g, (a, b) = started("Alice", "Bob")
    g.tick(LIMIT)
    assert g.now == g.state.deadline
    assert g.answer(a, {"choice": 12}).accepted is True
    g.tick(1)
    ack = g.answer(b, {"choice": 12})
    assert (ack.accepted, ack.reason) == (False, "late")
    assert b not in g.state.answers


def test_late_answer_after_deadline_even_before_the_close():
    g, (a,) = started("Alice")
    g.tick(LIMIT + 5_000)
    ack = g.answer(a, {"choice": 12})
    assert (ack.round, ack.accepted, ack.reason) == (1, False, "late")


@pytest.mark.parametrize("round_no", [0, 2, 7, -1, 99])
def test_answer_for_another_round_is_not_open(round_no):
    g, (a,) = started("Alice")
    ack = g.answer(a, {"choice": 12}, round_no=round_no)
    assert (ack.round, ack.accepted, ack.reason) == (round_no, False, "not_open")
    assert g.state.answers == {}


def test_answer_outside_a_question_phase_is_not_open():
    g = Game()
    a = g.join("Alice")
    assert g.answer(a, {"choice": 12}, round_no=1).reason == "not_open"  # lobby
    g.do(c.Start())
    g.close("skip")
    assert g.answer(a, {"choice": 12}, round_no=1).reason == "not_open"  # reveal: the round is closed
    g.do(c.Next())
    assert g.answer(a, {"choice": 12}, round_no=1).reason == "not_open"  # leaderboard
    g.do(c.End())
    assert g.answer(a, {"choice": 12}, round_no=1).reason == "not_open"  # finished


@pytest.mark.parametrize("who", ["ghost", "kicked"])
def test_answer_from_an_unknown_or_kicked_player_is_forbidden(who):
    g, (a, _) = started("Alice", "Bob")
    if who == "kicked":
        g.do(c.Kick(a))
        pid = a
    else:
        pid = "ghost"
    events = g.do(c.SubmitAnswer(pid, 1, {"choice": 12}))
    assert refused_code(events) == "forbidden"
    assert g.state.answers == {}


INVALID_ANSWERS = {
    SINGLE: [
        {},
        {"choice": None},
        {"choice": "12"},
        {"choice": 12.0},
        {"choice": True},
        {"choice": 999},
        {"choice": 21},  # a choice of another question
        {"choice": [12]},
        {"choices": [12]},
    ],
    MULTI: [
        {},
        {"choices": []},
        {"choices": None},
        {"choices": 21},
        {"choices": "21"},
        {"choices": [21, 21]},
        {"choices": [21, 999]},
        {"choices": [21, "23"]},
        {"choices": [True]},
        {"choices": [21.0]},
        {"choices": {"21": True}},
        {"choice": 21},
    ],
    TRUEFALSE: [{}, {"choice": True}, {"choice": False}, {"choice": "true"}, {"choice": 12}, {"choice": 1}],
    TEXT: [
        {},
        {"text": ""},
        {"text": "   "},
        {"text": None},
        {"text": 42},
        {"text": ["pacific"]},
        {"text": "x" * 201},
    ],
    SLIDER: [
        {},
        {"value": None},
        {"value": "1969"},
        {"value": True},
        {"value": False},
        {"value": 1899},
        {"value": 2000.5},
        {"value": -1e9},
        {"value": float("nan")},
        {"value": float("inf")},
        {"value": [1969]},
    ],
    POLL: [{}, {"choice": True}, {"choice": "61"}, {"choice": 12}, {"choice": 64}],
}


@pytest.mark.parametrize(
    ("kind", "fields"), [(kind, f) for kind, cases in INVALID_ANSWERS.items() for f in cases]
)
def test_invalid_answers_are_refused_and_not_recorded(kind, fields):
    g, (a,) = game_at_round(KINDS.index(kind) + 1, "Alice")
    assert g.current_question().kind == kind
    ack = g.answer(a, fields)
    assert (ack.accepted, ack.reason) == (False, "invalid")
    assert g.state.answers == {}
    # An invalid answer does not use up the player's answer.
    assert g.answer(a, right_answer(g.current_question())).accepted is True


VALID_ANSWERS = {
    SINGLE: [({"choice": 11}, {"choice": 11})],
    MULTI: [({"choices": [23, 21]}, {"choices": [21, 23]}), ({"choices": [24]}, {"choices": [24]})],
    TRUEFALSE: [({"choice": TF_FALSE}, {"choice": TF_FALSE})],
    TEXT: [
        ({"text": "  Pacific \n", "extra": 1}, {"text": "Pacific"}),
        ({"text": "x" * 200}, {"text": "x" * 200}),
    ],
    SLIDER: [
        ({"value": 1900}, {"value": 1900}),
        ({"value": 2000}, {"value": 2000}),
        ({"value": 1969.5}, {"value": 1969.5}),
    ],
    POLL: [({"choice": 62, "choices": [1]}, {"choice": 62})],
}


@pytest.mark.parametrize(
    ("kind", "fields", "stored"),
    [(kind, f, s) for kind, cases in VALID_ANSWERS.items() for f, s in cases],
)
def test_valid_answers_are_stored_cleaned(kind, fields, stored):
    g, (a,) = game_at_round(KINDS.index(kind) + 1, "Alice")
    assert g.answer(a, fields).accepted is True
    assert g.state.answers[a].answer == stored
    assert g.state.answers[a].round == g.state.round


# --- start, close, next -----------------------------------------------------------------------


def test_start_opens_round_one_with_the_protocol_question_frame():
    g = Game()
    g.join("Alice")
    g.tick(123)
    opened = one(g.do(c.Start()), e.QuestionOpened)
    assert opened.audience == e.ROOM
    assert g.state.phase == QUESTION and g.state.round == 1
    assert g.state.opens_at == g.now and g.state.deadline == g.now + LIMIT
    assert opened.frame() == {
        "type": "question",
        "round": 1,
        "total_rounds": 6,
        "kind": SINGLE,
        "text": "Capital of France?",
        "choices": [
            {"id": 11, "text": "Lyon"},
            {"id": 12, "text": "Paris"},
            {"id": 13, "text": "Nice"},
            {"id": 14, "text": "Lille"},
        ],
        "min": None,
        "max": None,
        "time_limit_ms": LIMIT,
        "opens_at": g.now,
        "deadline": g.now + LIMIT,
        "server_time": g.now,
        "points": 1,
    }


def test_start_is_only_allowed_once_and_with_questions():
    g, _ = started("Alice")
    assert refused_code(g.do(c.Start())) == "invalid"
    empty = Game(quiz=quiz_of())
    assert refused_code(empty.do(c.Start())) == "invalid"
    assert empty.state.phase == LOBBY


def test_start_without_players_is_allowed():
    g = Game()
    g.do(c.Start())
    assert g.state.phase == QUESTION


def test_skip_closes_the_round_at_once():
    g, _ = started("Alice")
    g.tick(1)
    events = g.close("skip")
    reveal = one(events, e.Revealed)
    assert reveal.reason == "skip" and reveal.round == 1
    assert g.state.phase == REVEAL
    assert [type(ev) for ev in events] == [e.Revealed, e.RoundScored]


def test_timeout_before_the_deadline_is_early_and_at_the_deadline_closes():
    g, _ = started("Alice")
    g.tick(LIMIT - 1)
    assert refused_code(g.close("timeout")) == "early"
    assert g.state.phase == QUESTION
    g.tick(1)
    assert one(g.close("timeout"), e.Revealed).reason == "timeout"
    assert g.state.phase == REVEAL


@pytest.mark.parametrize("reason", ["timeout", "skip", "all_answered"])
def test_close_of_a_wrong_round_is_stale(reason):
    g, (a,) = started("Alice")
    g.answer(a, {"choice": 12})
    g.tick(LIMIT + 1)
    for round_no in (0, 2, 6, 7):
        assert refused_code(g.close(reason, round_no=round_no)) == "stale"
    assert g.state.phase == QUESTION


@pytest.mark.parametrize(
    ("first", "second"),
    [("timeout", "timeout"), ("skip", "timeout"), ("all_answered", "skip"), ("timeout", "all_answered")],
)
def test_a_duplicate_close_acts_once(first, second):
    g, (a,) = started("Alice")
    g.answer(a, {"choice": 12})
    g.tick(LIMIT)
    assert refusal(g.close(first, round_no=1)) is None
    score = g.player(a).score
    assert score == 1000
    events = g.close(second, round_no=1)
    assert refused_code(events) == "stale"
    assert g.player(a).score == score
    assert not of_type(events, e.RoundScored)


def test_close_in_lobby_and_after_finish_is_stale():
    g = Game()
    assert refused_code(g.close("skip", round_no=1)) == "stale"
    g.do(c.End())
    assert refused_code(g.close("skip", round_no=6)) == "stale"


def test_all_answered_needs_every_active_player():
    g, (a, b, c_) = started("Alice", "Bob", "Carol")
    assert refused_code(g.close("all_answered")) == "not_all_answered"
    g.answer(a, {"choice": 12})
    g.answer(b, {"choice": 11})
    assert machine.everyone_answered(g.state) is False
    assert refused_code(g.close("all_answered")) == "not_all_answered"
    events = g.do(c.Kick(c_))  # the one who had not answered leaves: the kick closes the round
    reveal = one(events, e.Revealed)
    assert reveal.reason == "all_answered"
    assert (reveal.answered, reveal.players) == (2, 2)
    assert g.state.phase == "reveal"
    assert refused_code(g.close("all_answered")) == "stale"


def test_all_answered_with_no_players_is_refused():
    g, _ = started()
    assert refused_code(g.close("all_answered")) == "not_all_answered"


@pytest.mark.parametrize("phase_setup", ["lobby", "question", "finished"])
def test_next_is_refused_in_lobby_question_and_finished(phase_setup):
    g = Game()
    g.join("Alice")
    if phase_setup != "lobby":
        g.do(c.Start())
    if phase_setup == "finished":
        g.do(c.End())
    before = g.state.phase
    assert refused_code(g.do(c.Next())) == "invalid"
    assert g.state.phase == before


def test_next_walks_reveal_leaderboard_question_and_finally_finished():
    g, (a,) = started("Alice")
    positions = [g.state.position()]
    for round_no in range(1, 7):
        assert (g.state.phase, g.state.round) == (QUESTION, round_no)
        g.close("skip")
        assert g.state.phase == REVEAL
        positions.append(g.state.position())
        assert one(g.do(c.Next()), e.LeaderboardShown).round == round_no
        assert g.state.phase == LEADERBOARD
        positions.append(g.state.position())
        g.tick(1000)
        events = g.do(c.Next())
        positions.append(g.state.position())
        if round_no < 6:
            opened = one(events, e.QuestionOpened)
            assert opened.round == round_no + 1 and opened.opens_at == g.now
            assert g.state.answers == {}
    assert g.state.phase == FINISHED
    assert [type(ev) for ev in g.log[-1][1]] == [e.GameFinished, e.FinalStandings]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)


# --- reveal -----------------------------------------------------------------------------------


def reveal_after(kind: str, answers: list[dict]) -> e.Revealed:
    nicknames = [f"n{i}" for i in range(max(len(answers), 1))]
    g, pids = game_at_round(KINDS.index(kind) + 1, *nicknames)
    for pid, fields in zip(pids, answers, strict=False):
        assert g.answer(pid, fields).accepted is True
    return one(g.close("skip"), e.Revealed)


def test_reveal_single():
    reveal = reveal_after(SINGLE, [{"choice": 12}, {"choice": 12}, {"choice": 11}, {"choice": 14}])
    assert reveal.frame() == {
        "type": "reveal",
        "round": 1,
        "correct": [SINGLE_CORRECT],
        "distribution": {"11": 1, "12": 2, "13": 0, "14": 1},
        "answered": 4,
        "players": 4,
        "reason": "skip",
    }


def test_reveal_multi_counts_every_chosen_id():
    reveal = reveal_after(MULTI, [{"choices": [21, 23]}, {"choices": [21]}, {"choices": [22, 23, 24]}])
    assert reveal.correct == list(MULTI_CORRECT)
    assert reveal.distribution == {"21": 2, "22": 1, "23": 2, "24": 1}
    assert (reveal.answered, reveal.players) == (3, 3)


def test_reveal_truefalse():
    reveal = reveal_after(TRUEFALSE, [{"choice": TF_TRUE}, {"choice": TF_FALSE}, {"choice": TF_FALSE}])
    assert reveal.correct == [TF_TRUE]
    assert reveal.distribution == {str(TF_TRUE): 1, str(TF_FALSE): 2}


def test_reveal_text_lists_accepted_answers_and_normalized_counts():
    reveal = reveal_after(TEXT, [{"text": "Pacific"}, {"text": " PACIFIC "}, {"text": "atlantic  ocean"}])
    assert reveal.correct == ["Pacific", "pacific  ocean"]
    assert reveal.distribution == {"pacific": 2, "atlantic ocean": 1}


def test_reveal_slider_buckets():
    values = [1900, 1909.99, 1910, 1969, 1969, 1995, 2000]
    reveal = reveal_after(SLIDER, [{"value": v} for v in values])
    assert reveal.correct == {"value": 1969, "tolerance": 2}
    assert reveal.buckets == [[1900 + 10 * i, 1910 + 10 * i] for i in range(10)]
    assert reveal.distribution == {
        "0": 2,
        "1": 1,
        "2": 0,
        "3": 0,
        "4": 0,
        "5": 0,
        "6": 2,
        "7": 0,
        "8": 0,
        "9": 2,
    }
    assert reveal.frame()["buckets"] == reveal.buckets
    assert sum(reveal.distribution.values()) == len(values)


def test_reveal_poll_has_no_correct_choice():
    reveal = reveal_after(POLL, [{"choice": 61}, {"choice": 63}, {"choice": 63}])
    assert reveal.correct == []
    assert reveal.distribution == {"61": 1, "62": 0, "63": 2}


def test_reveal_without_answers():
    reveal = reveal_after(SINGLE, [])
    assert reveal.distribution == {str(i): 0 for i in SINGLE_IDS}
    assert (reveal.answered, reveal.players) == (0, 1)
    assert "buckets" not in reveal.frame()


def test_reveal_leaves_out_kicked_players_answers():
    g, (a, b, c_) = started("Alice", "Bob", "Carol")
    g.answer(a, {"choice": 11})
    g.answer(b, {"choice": 12})
    g.do(c.Kick(a))
    events = g.close("skip")
    reveal = one(events, e.Revealed)
    assert reveal.distribution == {"11": 0, "12": 1, "13": 0, "14": 0}
    assert (reveal.answered, reveal.players) == (1, 2)
    assert set(one(events, e.RoundScored).results) == {b, c_}


# --- results ----------------------------------------------------------------------------------


def test_result_table_per_player():
    g, (a, b, c_, d) = started("Alice", "Bob", "Carol", "Dave")
    g.tick(200)
    g.answer(a, {"choice": 12})  # right, fast: 1000
    g.tick(9_800)
    g.answer(b, {"choice": 12})  # right at t = 10000: 750
    g.answer(c_, {"choice": 11})  # wrong
    events = g.close("skip")  # d never answers
    scored = one(events, e.RoundScored)
    assert scored.audience == e.EACH_PLAYER
    assert scored.table() == {
        a: [True, 1000, 1000, 1, 1],
        b: [True, 750, 750, 2, 1],
        c_: [False, 0, 0, 3, 0],
        d: [False, 0, 0, 3, 0],
    }
    assert scored.results[a].answer.answer == {"choice": 12}
    assert scored.results[d].answer is None
    assert e.RoundScored.player_frame(1, scored.table()[b]) == {
        "type": "result",
        "round": 1,
        "correct": True,
        "points": 750,
        "score": 750,
        "rank": 2,
        "streak": 1,
        "poll": False,
    }
    assert [(p.score, p.rank, p.streak) for p in g.state.players.values()] == [
        (1000, 1, 1),
        (750, 2, 1),
        (0, 3, 0),
        (0, 3, 0),
    ]


def test_scores_streaks_and_ranks_over_a_whole_game():
    g, (a, b) = started("Alice", "Bob")
    rows = {a: [], b: []}
    # Alice answers everything right at t=0; Bob right at t=10000 on rounds 1 and 2, then misses.
    for round_no in range(1, 7):
        q = g.current_question()
        g.answer(a, right_answer(q))
        g.tick(10_000)
        if round_no <= 2 or q.kind == POLL:
            g.answer(b, right_answer(q))
        elif round_no == 3:
            g.answer(b, wrong_answer(q))
        scored = one(g.close("skip"), e.RoundScored)
        for pid in (a, b):
            rows[pid].append(scored.table()[pid])
        g.do(c.Next())
        g.tick(5_000)
        g.do(c.Next())
    # Alice: 1000, 1100, 1200, 1300, 1400, poll 0 (streak stays 5)
    assert rows[a] == [
        [True, 1000, 1000, 1, 1],
        [True, 1100, 2100, 1, 2],
        [True, 1200, 3300, 1, 3],
        [True, 1300, 4600, 1, 4],
        [True, 1400, 6000, 1, 5],
        [None, 0, 6000, 1, 5],
    ]
    # Bob: 750, 850, then wrong (streak 0), missing, missing, poll
    assert rows[b] == [
        [True, 750, 750, 2, 1],
        [True, 850, 1600, 2, 2],
        [False, 0, 1600, 2, 0],
        [False, 0, 1600, 2, 0],
        [False, 0, 1600, 2, 0],
        [None, 0, 1600, 2, 0],
    ]
    assert e.RoundScored.player_frame(6, rows[a][-1])["poll"] is True
    assert e.RoundScored.player_frame(6, rows[a][-1])["correct"] is False
    assert g.state.phase == FINISHED
    final = one(g.log[-1][1], e.FinalStandings)
    assert final.table() == {a: [6000, 1], b: [1600, 2]}


def test_response_time_counts_from_opens_at_and_points_multiplier():
    quiz = quiz_of(question(SINGLE, points=2, time_limit_ms=10_000), question(SINGLE, points=0))
    g, (a, b) = started("Alice", "Bob", quiz=quiz)
    g.tick(500)
    g.answer(a, {"choice": 12})
    g.tick(4_510)  # t = 5010: 2000 * (1 - 0.2505) = 1499
    g.answer(b, {"choice": 12})
    assert one(g.close("skip"), e.RoundScored).table() == {
        a: [True, 2000, 2000, 1, 1],
        b: [True, 1499, 1499, 2, 1],
    }
    g.do(c.Next())
    g.do(c.Next())
    g.answer(a, {"choice": 12})
    g.answer(b, {"choice": 12})
    assert one(g.close("skip"), e.RoundScored).table() == {a: [True, 0, 2000, 1, 2], b: [True, 0, 1499, 2, 2]}


def test_equal_scores_share_a_rank():
    g, (a, b, c_) = started("Alice", "Bob", "Carol")
    g.answer(a, {"choice": 12})
    g.answer(b, {"choice": 12})
    table = one(g.close("skip"), e.RoundScored).table()
    assert [table[p][3] for p in (a, b, c_)] == [1, 1, 3]


# --- leaderboard, podium, final -----------------------------------------------------------------


def test_leaderboard_top_ten_sorted_by_score():
    names = [f"P{i:02d}" for i in range(12)]
    g, pids = started(*names)
    # Player i answers right at t = 1000 * i (i = 0 fastest); P10 and P11 do not answer.
    for i, pid in enumerate(pids[:10]):
        g.now = g.state.opens_at + 1000 * i
        g.answer(pid, {"choice": 12})
    g.close("skip")
    shown = one(g.do(c.Next()), e.LeaderboardShown)
    frame = shown.frame()
    assert frame["type"] == "leaderboard" and frame["round"] == 1 and frame["players"] == 12
    assert len(frame["top"]) == 10
    scores = [row["score"] for row in frame["top"]]
    assert scores == sorted(scores, reverse=True)
    assert [row["nickname"] for row in frame["top"]] == names[:10]
    assert frame["top"][0] == {"nickname": "P00", "score": 1000, "rank": 1}
    assert frame["top"][1] == {"nickname": "P01", "score": 975, "rank": 2}  # t = 1000: 1000 * (1 - 0.025)
    assert frame["top"][2] == {"nickname": "P02", "score": 950, "rank": 3}
    assert frame["top"][9] == {"nickname": "P09", "score": 775, "rank": 10}


def test_leaderboard_excludes_kicked_players_and_reranks():
    g, (a, b, c_) = started("Alice", "Bob", "Carol")
    g.answer(a, {"choice": 12})
    g.tick(10_000)
    g.answer(b, {"choice": 12})
    g.close("skip")
    g.do(c.Kick(a))
    shown = one(g.do(c.Next()), e.LeaderboardShown)
    assert shown.players == 2
    assert shown.top == [
        {"nickname": "Bob", "score": 750, "rank": 1},
        {"nickname": "Carol", "score": 0, "rank": 2},
    ]


def test_end_from_any_phase_finishes_with_podium_and_standings():
    for stop_after in ("lobby", "question", "reveal", "leaderboard"):
        g = Game()
        pids = [g.join(n) for n in ("Alice", "Bob", "Carol", "Dave", "Eve")]
        if stop_after != "lobby":
            g.do(c.Start())
            for i, pid in enumerate(pids[:4]):
                g.now = g.state.opens_at + 2_000 * i
                g.answer(pid, {"choice": 12})
            if stop_after != "question":
                g.close("skip")
            if stop_after == "leaderboard":
                g.do(c.Next())
        events = g.do(c.End())
        assert g.state.phase == FINISHED and g.state.locked is True, stop_after
        finished = one(events, e.GameFinished)
        final = one(events, e.FinalStandings)
        assert finished.players == 5 and final.players == 5
        assert len(finished.podium) == 3
        podium_scores = [row["score"] for row in finished.podium]
        assert podium_scores == sorted(podium_scores, reverse=True)
        for pid in pids:
            score, rank = final.standings[pid]
            assert score == g.player(pid).score
            assert rank == 1 + sum(1 for p in g.state.players.values() if p.score > score)
        if stop_after in ("reveal", "leaderboard"):
            assert [row["nickname"] for row in finished.podium] == ["Alice", "Bob", "Carol"]
            assert [row["rank"] for row in finished.podium] == [1, 2, 3]
            assert final.table()[pids[4]] == [0, 5]
        else:  # nothing was scored: everyone shares rank 1
            assert {rank for _, rank in final.standings.values()} == {1}
        assert e.FinalStandings.player_frame(5, final.table()[pids[0]])["type"] == "final"
        assert refused_code(g.do(c.End())) == "invalid"


def test_podium_with_fewer_than_three_players_and_kicks_excluded():
    g, (a, b, c_) = started("Alice", "Bob", "Carol")
    g.answer(c_, {"choice": 12})
    g.close("skip")
    g.do(c.Kick(c_))
    events = g.do(c.End())
    finished = one(events, e.GameFinished)
    assert finished.podium == [
        {"nickname": "Alice", "score": 0, "rank": 1},
        {"nickname": "Bob", "score": 0, "rank": 1},
    ]
    assert finished.frame() == {"type": "finished", "podium": finished.podium, "players": 2}
    assert set(one(events, e.FinalStandings).standings) == {a, b}


def test_kicked_player_is_left_out_of_results_and_ranks():
    g, (a, b, c_) = started("Alice", "Bob", "Carol")
    g.answer(a, {"choice": 12})
    g.answer(b, {"choice": 12})
    g.do(c.Kick(a))
    scored = one(g.close("skip"), e.RoundScored)
    assert set(scored.results) == {b, c_}
    assert scored.table()[b][3] == 1
    assert g.player(a).score == 0  # a kicked player's answer is not scored


def test_end_while_a_question_is_open_does_not_score_it():
    g, (a,) = started("Alice")
    g.answer(a, {"choice": 12})
    events = g.do(c.End())
    assert not of_type(events, e.Revealed) and not of_type(events, e.RoundScored)
    assert one(events, e.FinalStandings).table() == {a: [0, 1]}


# --- nothing before reveal tells the right answer ---------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_no_frame_before_reveal_carries_the_answer(kind):
    quiz = quiz_of(question(kind), question(kind, points=2))
    g = Game(quiz=quiz)
    a = g.join("Alice")
    g.join("Bob")
    g.do(c.Lock())
    g.do(c.Start())
    g.do(c.Resume(f"tok-{a}"))
    g.answer(a, right_answer(g.current_question()))
    g.do(c.Resume(f"tok-{a}"))
    g.do(c.Resume("tok-p2"))
    g.answer("p2", {"junk": True})
    host_snapshot = machine.snapshot(g.state, quiz, None)
    assert "question" in host_snapshot and not secret_keys_in(host_snapshot)
    welcomes = [ev for _, events in g.log for ev in events if isinstance(ev, e.Welcome)]
    assert len(welcomes) == 5
    assert any(w.game.get("question") for w in welcomes)
    for cmd, events in g.log:
        for ev in events:
            for frame in frames_of(ev):
                assert not secret_keys_in(frame), (cmd, frame)
    opened = one(next(events for cmd, events in g.log if isinstance(cmd, c.Start)), e.QuestionOpened)
    assert set(opened.frame()) == {
        "type",
        "round",
        "total_rounds",
        "kind",
        "text",
        "choices",
        "min",
        "max",
        "time_limit_ms",
        "opens_at",
        "deadline",
        "server_time",
        "points",
    }
    for choice in opened.frame()["choices"]:
        assert set(choice) == {"id", "text"}
    # After the close, the reveal does carry it, and the next question hides it again.
    assert "correct" in one(g.close("skip"), e.Revealed).frame()
    g.do(c.Next())
    opened2 = one(g.do(c.Next()), e.QuestionOpened)
    assert not secret_keys_in(opened2.frame())
    assert not secret_keys_in(one(g.do(c.Resume(f"tok-{a}")), e.Welcome).frame())


def test_text_and_slider_frames_do_not_contain_the_answer_values_anywhere():
    g, (a,) = game_at_round(4, "Alice")
    assert "pacific" not in repr(one(g.do(c.Resume(f"tok-{a}")), e.Welcome).frame()).casefold()
    g.close("skip")
    g.do(c.Next())
    opened = one(g.do(c.Next()), e.QuestionOpened)
    assert opened.question["kind"] == SLIDER
    assert "1969" not in repr(opened.frame())
    assert "1969" not in repr(one(g.do(c.Resume(f"tok-{a}")), e.Welcome).frame())


# --- purity -----------------------------------------------------------------------------------


def test_step_is_deterministic_and_does_not_touch_its_input():
    quiz = all_kinds_quiz()
    steps = [
        (0, c.Join("p1", "Alice", "t1")),
        (10, c.Join("p2", "Bob", "t2")),
        (20, c.Start()),
        (700, c.SubmitAnswer("p1", 1, {"choice": 12})),
        (900, c.SubmitAnswer("p2", 1, {"choice": 11})),
        (1000, c.Close(1, "all_answered")),
        (2000, c.Next()),
        (3000, c.Next()),
        (4000, c.End()),
    ]
    s1, t1 = play(quiz, steps)
    s2, t2 = play(quiz, steps)
    assert s1 == s2
    assert [t.events for t in t1] == [t.events for t in t2]
    assert all(t.changed for t in t1)
    assert s1.phase == FINISHED
    assert s1.players["p1"].score == 983  # t = 680: 1000 - 680 / 40 = 983
    fresh = new_state(quiz)
    machine.step(fresh, c.Join("p1", "Alice", "t1"), 0, quiz)
    assert fresh == new_state(quiz)


def test_transition_changed_is_false_only_for_refusals():
    g = Game()
    t = machine.step(g.state, c.Next(), 0, g.quiz)
    assert t.changed is False and t.state is g.state


def test_kick_is_refused_after_the_game_finished():
    g = Game()
    pid = g.join("Alice")
    g.do(c.End())
    assert refused_code(g.do(c.Kick(pid))) == "invalid"


def test_a_kick_recomputes_the_others_ranks():
    g, (a, b) = started("Alice", "Bob")
    g.answer(a, right_answer(g.current_question()))
    g.close("skip")
    assert g.state.players[b].rank == 2
    g.do(c.Kick(a))
    assert g.state.players[b].rank == 1  # a resume snapshot must not say "rank 2" to the only player left


@pytest.mark.parametrize("nickname", ["a\u2028b", "\u3164", "x\u3164", "\u2800"])
def test_nicknames_with_separators_or_blank_fillers_are_invalid(nickname):
    g = Game()
    events = g.do(c.Join("p1", nickname, "tok-p1"))
    assert refused_code(events) == "invalid"

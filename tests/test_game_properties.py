"""Property tests for the game machine: random command scripts, invariants checked after every step."""

from __future__ import annotations

import copy
import math
import unicodedata
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from game_builders import (
    ALL_CHOICE_IDS,
    KINDS,
    frames_of,
    new_state,
    question,
    quiz_of,
    right_answer,
    secret_keys_in,
    wrong_answer,
)
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from rooms.game import commands as c
from rooms.game import events as e
from rooms.game import machine
from rooms.game.quiz import MULTI, POLL, SLIDER, TEXT, QuestionSpec, QuizSpec
from rooms.game.state import FINISHED, LOBBY, QUESTION, GameState

MAX_PLAYERS = 8
GHOST = MAX_PLAYERS  # the player index that names nobody in the game
CURRENT, EITHER = "<current round>", "<either>"
RIGHT, MESSY, WRONG = "<right answer>", "<right answer, written differently>", "<wrong answer>"
# Shrinking several distinct failures of these long scripts, then "explaining" them, takes minutes
# (past pytest-timeout): shrink one bug at a time and skip the explain phase.
SETTINGS = settings(
    max_examples=200,
    deadline=None,
    report_multiple_bugs=False,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow],
)

# --- strategies -------------------------------------------------------------------------------

questions = st.builds(
    lambda kind, points, limit: question(kind, points=points, time_limit_ms=limit),
    st.sampled_from(KINDS),
    st.sampled_from([0, 1, 2]),
    st.sampled_from([5_000, 7_000, 20_000]),
)
quizzes = st.lists(questions, min_size=1, max_size=5).map(lambda qs: quiz_of(*qs))

FIRST_NAMES = ["Ann", "Ben", "Cat", "Dan", "Eve", "Fay"]
nicknames = st.one_of(
    st.sampled_from(["Alice", "alice", " ALICE ", "Bob", "bob\t", "Carol", "Zoë", "ZOË", "x" * 24, "y" * 25]),
    st.sampled_from(["", "   ", "a\u200bb", "a\x00b", "\u202eb", "Straße", "STRASSE"]),
    st.text(min_size=0, max_size=4),
)

# Anything, often invalid for the question at hand.
any_fields = st.one_of(
    st.builds(lambda x: {"choice": x}, st.sampled_from((*ALL_CHOICE_IDS, 999, True, "12", None))),
    st.builds(lambda xs: {"choices": xs}, st.lists(st.sampled_from((*ALL_CHOICE_IDS, True)), max_size=4)),
    st.builds(
        lambda t: {"text": t},
        st.one_of(
            st.sampled_from(["Pacific", " pacific  OCEAN ", "Atlantic", "", "x" * 201]),
            st.text(max_size=5),
        ),
    ),
    st.builds(
        lambda v: {"value": v},
        st.one_of(
            st.sampled_from([1969, 1967, 1971, 1971.5, 1900, 2000, 1899, True, math.nan, math.inf, "1969"]),
            st.floats(1890, 2010),
        ),
    ),
    st.just({}),
)


def weighted(weights: dict[Any, int]) -> st.SearchStrategy:
    """One of the keys, as often as its weight says (st.one_of would drop repeats and not weigh them)."""
    return st.sampled_from([key for key, weight in weights.items() for _ in range(weight)])


# Right answers, valid wrong ones and anything, in about equal parts.
@st.composite
def payloads(draw) -> Any:
    kind = draw(weighted({RIGHT: 1, MESSY: 1, WRONG: 2, "any": 2}))
    return draw(any_fields) if kind == "any" else kind


# Mostly the open round, sometimes any round number.
@st.composite
def rounds(draw) -> Any:
    return draw(st.integers(-1, 7)) if draw(weighted({True: 1, False: 4})) else CURRENT


# A player's index, now and then GHOST.
@st.composite
def player_index(draw) -> int:
    return GHOST if draw(weighted({True: 1, False: 9})) else draw(st.integers(0, MAX_PLAYERS - 1))


# Mostly short waits (answers land inside the time limit), sometimes one past any deadline.
@st.composite
def delays(draw) -> int:
    size = draw(weighted({"none": 2, "short": 7, "long": 1}))
    return 0 if size == "none" else draw(st.integers(0, 2_000 if size == "short" else 30_000))


OP_WEIGHTS = {
    "answer": 30,
    "close": 10,
    "next": 8,
    "start": 4,
    "join": 4,
    "resume": 2,
    "lock": 2,
    "reclaim": 2,
    "grant": 1,
    "kick": 1,
    "unkick": 1,
    "late_join": 1,
}


@st.composite
def ops(draw) -> tuple:
    name = draw(weighted(OP_WEIGHTS))
    if name == "join":
        return ("join", draw(nicknames))
    if name == "resume":  # with the token the player joined with, or the one they hold now
        return ("resume", draw(player_index()), draw(st.booleans()))
    if name in ("kick", "unkick"):
        return (name, draw(player_index()))
    if name == "reclaim":  # the player's current code (typed loosely) or a wrong one
        return ("reclaim", draw(player_index()), draw(weighted({"right": 3, "loose": 1, "wrong": 1})))
    if name == "grant":  # the host lets a player back in who lost their code
        return ("grant", draw(player_index()))
    if name == "late_join":
        return ("late_join", draw(st.booleans()))
    if name == "answer":
        return ("answer", draw(player_index()), draw(rounds()), draw(payloads()))
    if name == "close":
        return ("close", draw(rounds()), draw(weighted({"timeout": 1, "skip": 2, "all_answered": 1})))
    if name == "lock":
        return (draw(st.sampled_from(["lock", "unlock"])),)
    if name == "next":  # `end` is rare, or most scripts would finish before much happened
        return ("end",) if draw(weighted({True: 1, False: 29})) else ("next",)
    return (name,)


# Scripts open with a few joins (so later commands have players to act for), usually then `start`,
# then a few lists of commands (rather than one list with a min_size: as long, but they shrink to nothing).
@st.composite
def scripts(draw) -> list[tuple[int, tuple]]:
    joins = draw(st.lists(st.one_of(st.sampled_from(FIRST_NAMES), nicknames), min_size=1, max_size=6))
    script = [(0, ("join", name)) for name in joins]
    if draw(weighted({True: 3, False: 1})):
        script.append((0, ("start",)))
    for chunk in draw(st.lists(st.lists(st.tuples(delays(), ops()), max_size=12), max_size=8)):
        script += chunk
    return script


@st.composite
def full_games(draw) -> tuple[QuizSpec, list[tuple[int, Any]]]:
    """A game played to the end: joins, start, then per round answers, a close and two `next`s."""
    rounds_ = draw(st.one_of(st.integers(1, 4), st.integers(7, 9)))  # long games: streaks past the cap
    quiz = quiz_of(*draw(st.lists(questions, min_size=rounds_, max_size=rounds_)))
    players = draw(st.integers(1, MAX_PLAYERS))
    script: list[tuple[int, Any]] = [(0, ("join", f"P{i}")) for i in range(players)]
    script.append((draw(delays()), ("start",)))
    # Many answers inside the first 500 ms (the full base: equal scores, shared ranks), some on the edges.
    waits = st.one_of(st.just(0), st.sampled_from([499, 500, 501, 540, 1_285]), st.integers(0, 6_000))
    star = draw(weighted({True: 2, False: 1}))  # player 0 answers every question right, and stays
    for _ in range(quiz.total_rounds):
        for i in draw(st.permutations(range(players))):  # most players answer, in any order
            if star and i == 0:
                script.append((draw(waits), ("answer", 0, CURRENT, draw(st.sampled_from([RIGHT, MESSY])))))
            elif draw(st.integers(0, 4)):
                script.append((draw(waits), ("answer", i, CURRENT, draw(payloads()))))
        extra = draw(st.lists(st.tuples(waits, player_index(), payloads()), max_size=3))  # duplicates, ghosts
        script += [(dt, ("answer", pid, CURRENT, fields)) for dt, pid, fields in extra]
        victim = draw(player_index())
        if draw(st.integers(0, 3)) == 0 and not (star and victim % players == 0):
            script.append((draw(st.integers(0, 60_000)), ("kick", victim)))
        script.append(
            (draw(delays()), ("close", CURRENT, draw(st.sampled_from(["timeout", "skip", "all_answered"]))))
        )
        script.append((draw(delays()), ("close", CURRENT, "skip")))  # acts only if the first was refused
        victim = draw(player_index())
        if draw(st.integers(0, 3)) == 0 and not (star and victim % players == 0):
            script.append((0, ("kick", victim)))  # after the close: the leaderboard must rank without them
        script += [(draw(delays()), ("next",)), (draw(delays()), ("next",))]
    return quiz, script


# --- an independent model of the rules --------------------------------------------------------


def oracle_correct(q: QuestionSpec, answer: dict[str, Any] | None) -> bool | str | None:
    if q.kind == POLL:
        return None
    if answer is None:
        return False
    if q.kind == MULTI:
        return set(answer["choices"]) == {ch.id for ch in q.choices if ch.correct}
    if q.kind == TEXT:
        fold = lambda s: " ".join(s.split()).casefold()  # noqa: E731
        return fold(answer["text"]) in {fold(a) for a in q.accepted_answers}
    if q.kind == SLIDER:
        distance = abs(Fraction(answer["value"]) - Fraction(q.correct_value))
        if distance == Fraction(q.tolerance):
            return True  # tolerance is inclusive
        if abs(distance - Fraction(q.tolerance)) < Fraction(1, 10**6):
            return EITHER  # on the boundary, up to float rounding: inclusive, but do not judge the last bit
        return distance <= Fraction(q.tolerance)
    return answer["choice"] in {ch.id for ch in q.choices if ch.correct}


def messy_right_answer(q: QuestionSpec) -> dict[str, Any]:
    """A right answer as a player might write it: other case, spacing or order; on the tolerance's edge."""
    if q.kind == MULTI:
        return {"choices": sorted(q.correct_ids, reverse=True)}
    if q.kind == TEXT:
        return {"text": " " + q.accepted_answers[-1].upper().replace(" ", " \t ") + "\n"}
    if q.kind == SLIDER:
        return {"value": q.correct_value + q.tolerance}
    return right_answer(q)


def oracle_points(q: QuestionSpec, response_ms: int, streak: int) -> int:
    base = 1000 * q.points
    if response_ms <= 500:
        timed = base
    else:
        exact = base * (1 - Fraction(min(response_ms, q.time_limit_ms), q.time_limit_ms) / 2)
        timed = math.floor(exact + Fraction(1, 2))
    bonus = 0 if q.points == 0 else min(100 * (streak - 1), 500)
    return timed + bonus


def typed_code(code: str) -> str:
    """A reclaim code as typed, read as the server must: no spaces or dashes, any case."""
    return "".join(code.split()).replace("-", "").upper()


def rank_among_active(state: GameState, score: int) -> int:
    return 1 + sum(1 for p in state.active_players() if p.score > score)


@dataclass
class Checker:
    quiz: QuizSpec
    state: GameState
    now: int = 1_700_000_000_000
    joins: int = 0
    accepted: set[tuple[str, int]] = field(default_factory=set)
    # (player, round) -> (time, fields as submitted) of every accepted answer, kept apart from the state
    submitted: dict[tuple[str, int], tuple[int, dict[str, Any]]] = field(default_factory=dict)
    closed: set[int] = field(default_factory=set)
    points: dict[str, int] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)  # each player's reclaim code now
    reclaims: int = 0
    steps: int = 0

    # Commands ----------------------------------------------------------------------------------

    def command(self, op: tuple) -> c.Command:
        kind, *args = op
        state = self.state
        if kind == "join":
            pid = f"p{self.joins}"
            self.joins += 1
            return c.Join(pid, args[0], f"tok-{pid}", self.code(self.joins))
        if kind == "resume":
            pid = self.player(args[0])
            now_held = state.players[pid].token if args[1] and pid in state.players else None
            return c.Resume(now_held or f"tok-{pid}")
        if kind == "reclaim":
            pid, how = self.player(args[0]), args[1]
            nickname = state.players[pid].nickname if pid in state.players else "nobody"
            code = self.codes.get(pid, "")
            typed = {"right": code, "loose": f" {code[:3].lower()}-{code[3:]} ", "wrong": self.code(999)}[how]
            self.reclaims += 1
            new_token, new_code = f"tok-{pid}-r{self.reclaims}", self.code(100 + self.reclaims)
            return c.Reclaim(f" {nickname.upper()} ", typed, new_token, new_code)
        if kind == "grant":
            pid = self.player(args[0])
            nickname = state.players[pid].nickname if pid in state.players else "nobody"
            self.reclaims += 1
            return c.GrantReclaim(f" {nickname.upper()} ", self.code(100 + self.reclaims))
        if kind == "unkick":
            return c.Unkick(self.player(args[0]))
        if kind == "late_join":
            return c.LateJoin(args[0])
        if kind == "answer":
            pid, round_no, fields = args
            round_no = state.round if round_no == CURRENT else round_no
            if fields in (RIGHT, MESSY, WRONG):
                q = self.quiz.question(round_no) if 1 <= round_no <= self.quiz.total_rounds else None
                make = {RIGHT: right_answer, MESSY: messy_right_answer, WRONG: wrong_answer}[fields]
                fields = {} if q is None else make(q)
            return c.SubmitAnswer(self.player(pid), round_no, fields)
        if kind == "close":
            round_no, reason = args
            return c.Close(state.round if round_no == CURRENT else round_no, reason)
        if kind == "kick":
            return c.Kick(self.player(args[0]))
        simple = {"start": c.Start, "next": c.Next, "lock": c.Lock, "unlock": c.Unlock, "end": c.End}
        return simple[kind]()

    @staticmethod
    def code(n: int) -> str:
        """A reclaim code, different for each n."""
        alphabet = machine.RECLAIM_ALPHABET
        length = machine.RECLAIM_CODE_LENGTH
        return "".join(alphabet[(n * 7 + k * (n + 3)) % len(alphabet)] for k in range(length))

    def player(self, index: int) -> str:
        """A player of the game (kicked ones included) by index, or an id nobody has for GHOST."""
        ids = list(self.state.players)
        return ids[index % len(ids)] if ids and index != GHOST else "ghost"

    def run(self, script: list[tuple[int, tuple]]) -> None:
        for delay, op in script:
            self.now += delay
            self.apply(self.command(op))

    # One step and every invariant ----------------------------------------------------------------

    def apply(self, cmd: c.Command) -> None:
        before = self.state
        snapshot = copy.deepcopy(before)
        t = machine.step(before, cmd, self.now, self.quiz)
        after = t.state
        self.steps += 1
        assert before == snapshot, f"{cmd} mutated the state it was given"

        refused = [ev for ev in t.events if isinstance(ev, e.Refused)]
        if refused:
            assert t.events == refused[:1], "a refusal comes alone"
            assert after == snapshot, f"refused {cmd} changed the state"
            self.check_refusal(cmd, refused[0], before)
        rejected_acks = [ev for ev in t.events if isinstance(ev, e.AnswerAcked) and not ev.accepted]
        if rejected_acks:
            assert t.events == rejected_acks and after == snapshot

        old_pos, new_pos = before.position(), after.position()
        assert new_pos >= old_pos, f"{cmd} moved the game back: {old_pos} -> {new_pos}"
        if (after.phase, after.round) != (before.phase, before.round):
            assert new_pos > old_pos

        revealed_now: set[int] = set()
        seen = self.closing_state(cmd, before) if not refused else before
        for ev in t.events:
            self.check_event(ev, cmd, seen, after, revealed_now)

        self.check_state(after)
        self.state = after

    @staticmethod
    def closing_state(cmd: c.Command, before: GameState) -> GameState:
        """The state a kick closes the round from: the kicked player out, with their answer."""
        if not isinstance(cmd, c.Kick) or cmd.player_id not in before.players:
            return before
        gone = replace(before.players[cmd.player_id], kicked=True)
        answers = {pid: a for pid, a in before.answers.items() if pid != cmd.player_id}
        return replace(before, players={**before.players, gone.id: gone}, answers=answers)

    def check_refusal(self, cmd: c.Command, refused: e.Refused, before: GameState) -> None:
        if refused.code == "early":
            assert isinstance(cmd, c.Close) and cmd.reason == "timeout" and self.now < before.deadline
        if refused.code == "stale":
            assert isinstance(cmd, c.Close)
            assert before.phase != QUESTION or cmd.round != before.round
        if isinstance(cmd, c.Close) and before.phase == QUESTION and cmd.round == before.round:
            assert refused.code in ("early", "not_all_answered")
        if refused.close_code is not None:
            assert (refused.code, refused.close_code) == ("forbidden", 4003)
        if isinstance(cmd, c.Reclaim):
            player = self.reclaimed(cmd, before)
            if player is None or self.codes.get(player.id) != typed_code(cmd.code):
                assert (refused.code, refused.close_code) == ("bad_code", None)
            else:
                assert player.kicked and (refused.code, refused.close_code) == ("forbidden", 4003)
        if isinstance(cmd, c.GrantReclaim):
            player = self.reclaimed(cmd, before)
            assert refused.code == "invalid"
            assert before.phase == FINISHED or player is None or player.kicked
        if isinstance(cmd, c.Unkick):
            player = before.players.get(cmd.player_id)
            assert refused.code == "invalid"
            answered_open_round = before.phase == QUESTION and (cmd.player_id, before.round) in self.accepted
            assert before.phase == FINISHED or player is None or not player.kicked or answered_open_round
        if isinstance(cmd, c.Resume):
            player = before.player_by_token(cmd.token)
            kicked = player is not None and player.kicked
            assert (refused.code, refused.close_code) == (
                ("forbidden", 4003) if kicked else ("bad_token", None)
            )

    @staticmethod
    def reclaimed(cmd: c.Reclaim | c.GrantReclaim, state: GameState) -> Any:
        """The player a reclaim (or a host's grant) names by nickname (case and spaces aside), if any."""
        wanted = cmd.nickname.strip().casefold()
        return next((p for p in state.players.values() if p.nickname.casefold() == wanted), None)

    def check_event(
        self, ev: e.Event, cmd: c.Command, before: GameState, after: GameState, revealed_now: set[int]
    ) -> None:
        # Only a reveal, and the results that follow it in the same step, may tell what was right.
        if isinstance(ev, e.Revealed):
            revealed_now.add(ev.round)
        elif isinstance(ev, e.RoundScored):
            assert ev.round in revealed_now, "results before the reveal"
        else:
            for frame in frames_of(ev):
                assert not secret_keys_in(frame), (cmd, frame)

        if isinstance(ev, e.AnswerAcked) and ev.accepted:
            assert isinstance(cmd, c.SubmitAnswer)
            key = (cmd.player_id, cmd.round)
            assert key not in self.accepted, f"answer counted twice: {key}"
            assert cmd.round not in self.closed, "answer accepted after the round closed"
            assert before.phase == QUESTION and before.round == cmd.round
            assert self.now <= before.deadline, "answer accepted after the deadline"
            assert not before.players[cmd.player_id].kicked
            self.accepted.add(key)
            self.submitted[key] = (self.now, cmd.answer)

        elif isinstance(ev, e.AnswerCounted):
            active = {p.id for p in after.active_players()}
            assert ev.round == after.round
            assert ev.players == len(active)
            assert ev.answered == sum(1 for pid in after.answers if pid in active)

        elif isinstance(ev, e.Revealed):
            assert isinstance(cmd, c.Close | c.Kick) and before.phase == QUESTION and ev.round == before.round
            assert ev.round not in self.closed, "a round closed twice"
            if ev.reason == "timeout":
                assert self.now >= before.deadline
            if ev.reason == "all_answered":  # a kick closes the round when everyone left has answered
                assert machine.everyone_answered(before)
            assert isinstance(cmd, c.Close) or ev.reason == "all_answered"
            active = {p.id for p in before.active_players()}
            assert ev.players == len(active)
            assert ev.answered == sum(1 for pid in before.answers if pid in active)
            if isinstance(ev.distribution, dict) and self.quiz.question(ev.round).kind != TEXT:
                counted = [before.answers[pid].answer for pid in before.answers if pid in active]
                per_answer = [len(a["choices"]) if "choices" in a else 1 for a in counted]
                assert sum(ev.distribution.values()) == sum(per_answer)
            self.closed.add(ev.round)

        elif isinstance(ev, e.RoundScored):
            q = self.quiz.question(ev.round)
            assert set(ev.results) == {p.id for p in before.active_players()}
            for pid, row in ev.results.items():
                was = before.players[pid]
                answer = before.answers.get(pid)
                at_ms, fields = self.submitted.get((pid, ev.round), (None, None))
                assert (answer is None) == (fields is None), "the state lost or invented an answer"
                assert answer is None or answer.at_ms == at_ms
                assert row.answer == answer
                right = oracle_correct(q, fields)
                if right == EITHER:
                    assert row.correct in (True, False)
                    right = row.correct
                assert row.correct == right, (q.kind, answer, row)
                if right is None:
                    assert (row.points, row.streak) == (0, was.streak)
                elif right is False:
                    assert (row.points, row.streak) == (0, 0)
                else:
                    assert row.streak == was.streak + 1
                    assert row.points == oracle_points(q, at_ms - before.opens_at, row.streak)
                self.points[pid] = self.points.get(pid, 0) + row.points
                assert row.score == self.points[pid] == after.players[pid].score
                assert row.rank == rank_among_active(after, row.score)
                assert after.players[pid].rank == row.rank and after.players[pid].streak == row.streak

        elif isinstance(ev, e.LeaderboardShown):
            active = after.active_players()
            assert ev.players == len(active) and len(ev.top) == min(10, len(active))
            scores = [row["score"] for row in ev.top]
            assert scores == sorted(scores, reverse=True)
            assert scores == sorted((p.score for p in active), reverse=True)[: len(scores)]
            for row in ev.top:
                assert row["rank"] == rank_among_active(after, row["score"])

        elif isinstance(ev, e.GameFinished):
            active = after.active_players()
            assert before.phase != FINISHED, "the game finished twice"
            assert after.phase == FINISHED and ev.players == len(active)
            assert len(ev.podium) == min(3, len(active))
            assert [row["score"] for row in ev.podium] == sorted((p.score for p in active), reverse=True)[:3]
            for row in ev.podium:
                assert row["rank"] == rank_among_active(after, row["score"])

        elif isinstance(ev, e.FinalStandings):
            assert set(ev.standings) == {p.id for p in after.active_players()}
            for pid, (score, rank) in ev.standings.items():
                assert score == self.points.get(pid, 0)
                assert rank == rank_among_active(after, score) == after.players[pid].rank

        elif isinstance(ev, e.QuestionOpened):
            assert after.phase == QUESTION and ev.round == after.round and after.answers == {}
            assert ev.opens_at == self.now
            assert ev.deadline == self.now + self.quiz.question(ev.round).time_limit_ms

        elif isinstance(ev, e.ReclaimGranted):  # only the code changes; the player reclaims with it later
            player = self.reclaimed(cmd, before)  # type: ignore[arg-type]
            assert isinstance(cmd, c.GrantReclaim) and player is not None and ev.player_id == player.id
            assert before.phase != FINISHED and not player.kicked and ev.code == cmd.new_code
            fresh = replace(player, reclaim=machine.reclaim_hash(player.id, cmd.new_code))
            assert after.players == {**before.players, player.id: fresh}
            self.codes[player.id] = cmd.new_code
        elif isinstance(ev, e.Welcome):
            assert not secret_keys_in(ev.game)
            assert ev.game["phase"] == after.phase
            if isinstance(cmd, c.Join):  # a new player: in an open lobby (or late if allowed), a new name
                name = cmd.nickname.strip()
                admitted = before.phase == LOBBY or (before.late_join and before.phase != FINISHED)
                assert admitted and not before.locked
                assert 1 <= len(name) <= 24 and ev.nickname == name
                assert not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name)
                assert name.casefold() not in {p.nickname.casefold() for p in before.players.values()}
                assert after.players[ev.player_id].score == 0 and ev.reclaim_code == cmd.reclaim_code
                self.codes[ev.player_id] = cmd.reclaim_code
            elif isinstance(cmd, c.Reclaim):  # the right code of a player still in: new token and code
                player = self.reclaimed(cmd, before)
                assert player is not None and ev.player_id == player.id and not player.kicked
                assert self.codes[player.id] == typed_code(cmd.code)
                assert after.players[player.id] == replace(
                    before.players[player.id], token=cmd.token, reclaim=after.players[player.id].reclaim
                )
                assert after.player_by_token(player.token) is None or player.token == cmd.token
                assert ev.token == cmd.token and ev.reclaim_code == cmd.new_code
                self.codes[player.id] = cmd.new_code
            else:
                assert isinstance(cmd, c.Resume) and not before.players[ev.player_id].kicked

    def check_state(self, state: GameState) -> None:
        for pid, p in state.players.items():
            assert p.score == self.points.get(pid, 0), f"{pid}'s score is not the sum of their results"
        keys = [p.nickname.casefold() for p in state.players.values()]
        assert len(keys) == len(set(keys)), "two players share a nickname"
        if state.phase == QUESTION:
            for pid, a in state.answers.items():
                assert a.player_id == pid and a.round == state.round
                assert state.opens_at <= a.at_ms <= state.deadline
                assert (pid, state.round) in self.accepted


# --- properties -------------------------------------------------------------------------------


@SETTINGS
@given(quiz=quizzes, script=scripts())
def test_random_command_scripts_keep_every_invariant(quiz, script):
    checker = Checker(quiz, new_state(quiz))
    checker.run(script)


@settings(SETTINGS, max_examples=100)
@given(game=full_games())
def test_full_games_keep_every_invariant_and_finish(game):
    quiz, script = game
    checker = Checker(quiz, new_state(quiz))
    checker.run(script)
    assert checker.state.phase == FINISHED
    assert checker.closed == set(range(1, quiz.total_rounds + 1))

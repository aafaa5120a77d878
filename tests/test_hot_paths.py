"""The one-script join and answer paths: they decide with this process's cached quiz, and the scripts
refuse a quiz that belongs to an earlier game with the same PIN (the action then reloads it)."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync

from rooms import actions, store
from rooms.game import commands as c
from rooms.game.quiz import ChoiceSpec, QuestionSpec, QuizSpec
from rooms.services import game_create
from tests.factories import host_make, quiz_every_kind

pytestmark = pytest.mark.django_db(transaction=True)


def other_game_quiz(choice_id: int) -> QuizSpec:
    question = QuestionSpec("single", "?", 20_000, 1, (ChoiceSpec(choice_id, "a", True),))
    return QuizSpec(999, "another game's quiz", (question,))


OTHER_GAME_QUIZ = other_game_quiz(-5)


def test_join_and_answer_notice_a_quiz_cached_for_another_game_with_the_same_pin():
    host = host_make()
    game = game_create(quiz=quiz_every_kind(host), host=host)
    store._quiz_cache[game.pin] = ("an-earlier-game", OTHER_GAME_QUIZ)  # what a reused PIN leaves behind

    welcome = async_to_sync(actions.game_join)(game.pin, "ann")[0]
    assert welcome.type == "welcome" and welcome.game["title"] != OTHER_GAME_QUIZ.title
    assert welcome.game["total_rounds"] == 6

    bob = async_to_sync(actions.game_join)(game.pin, "bob")[0]
    async_to_sync(actions.game_host_command)(game.pin, c.Start())
    quiz = async_to_sync(store.quiz_cached)(game.pin)
    right = min(quiz.question(1).correct_ids)
    for player, stale in ((welcome, OTHER_GAME_QUIZ), (bob, other_game_quiz(right))):
        # the stale quiz finds the answer invalid (the meta read notices), or valid (the script does)
        store._quiz_cache[game.pin] = ("an-earlier-game", stale)
        ack = async_to_sync(actions.game_answer)(game.pin, player.player_id, 1, {"choice": right})[0]
        assert ack.type == "answer_ack" and ack.accepted is True
        again = async_to_sync(actions.game_answer)(game.pin, player.player_id, 1, {"choice": right})[0]
        assert again.reason in ("duplicate", "not_open")  # it was stored (the last one closes the round)


def test_refusals_keep_the_machines_order():
    host = host_make()
    game = game_create(quiz=quiz_every_kind(host), host=host)
    ann = async_to_sync(actions.game_join)(game.pin, "ann")[0]
    bob = async_to_sync(actions.game_join)(game.pin, "bob")[0]
    async_to_sync(actions.game_join)(game.pin, "cid")
    quiz = async_to_sync(store.quiz_cached)(game.pin)
    right = {"choice": min(quiz.question(1).correct_ids)}

    def answer(player_id: str, round_no: int, fields: dict) -> tuple[str, object]:
        event = async_to_sync(actions.game_answer)(game.pin, player_id, round_no, fields)[0]
        return (event.type, event.reason if event.type == "answer_ack" else event.code)

    assert answer(ann.player_id, 1, right) == ("answer_ack", "not_open")  # still in the lobby
    async_to_sync(actions.game_host_command)(game.pin, c.Start())
    assert answer(ann.player_id, 1, {"choice": -1}) == ("answer_ack", "invalid")
    assert answer(ann.player_id, 2, right) == ("answer_ack", "not_open")
    assert answer(ann.player_id, 1, right) == ("answer_ack", None)
    assert answer(ann.player_id, 1, right) == ("answer_ack", "duplicate")
    async_to_sync(actions.game_host_command)(game.pin, c.Kick(bob.player_id))
    assert answer(bob.player_id, 1, right) == ("error", "forbidden")
    assert answer("nobody", 1, right) == ("error", "forbidden")

"""A finished game for the reports tests, built through the ORM: every question kind, a Korean nickname,
a nickname and a typed answer that look like spreadsheet formulas, a kicked player, a player who never
answered, and a seventh question the game ended before asking."""

from __future__ import annotations

from django.contrib.auth.models import User

from quizzes.models import Question
from results.models import Game, GameAnswer, GamePlayer
from tests.factories import quiz_every_kind

KOREAN_NAME = "김철수"
FORMULA_NAME = "=1+1"
FORMULA_TEXT = "=cmd|' /C calc'!A0"


def report_game(host: User, pin: str = "515151", rounds_played: int | None = 6) -> Game:
    quiz = quiz_every_kind(host)
    Question.objects.create(quiz=quiz, order=7, kind="slider", text="Never asked", slider_min=0,
                            slider_max=10, correct_value=5, tolerance=0)  # fmt: skip
    game = Game.objects.create(
        pin=pin, quiz=quiz, host=host, status=Game.Status.FINISHED, rounds_played=rounds_played
    )

    def player(pid: str, nickname: str, score: int, rank: int, kicked: bool = False) -> GamePlayer:
        return GamePlayer.objects.create(
            game=game, player_id=pid, nickname=nickname, score=score, rank=rank, kicked=kicked
        )

    kim = player("p1", KOREAN_NAME, 4000, 1)
    formula = player("p2", FORMULA_NAME, 900, 2)
    bob = player("p3", "bob", 950, 0, kicked=True)
    player("p4", "dana", 0, 3)  # never answered
    q = {q.order: q for q in quiz.questions.all()}

    def choice(order: int, text: str) -> int:
        return q[order].choices.get(text=text).id

    answers = [
        (kim, 1, {"choice": choice(1, "Paris")}, True, 950),
        (formula, 1, {"choice": choice(1, "Lyon")}, False, 0),
        (bob, 1, {"choice": choice(1, "Paris")}, True, 950),
        (kim, 2, {"choices": sorted([choice(2, "5"), choice(2, "2")], reverse=True)}, True, 1900),
        (formula, 2, {"choices": [choice(2, "4")]}, False, 0),
        (kim, 3, {"choice": choice(3, "True")}, True, 900),
        (kim, 4, {"text": "pacific"}, True, 250),
        (formula, 4, {"text": FORMULA_TEXT + "\x07"}, False, 0),
        (kim, 5, {"value": 1969.0}, True, 0),
        (formula, 5, {"value": 1950.5}, False, 0),
        (kim, 6, {"choice": choice(6, "red")}, None, 0),
        (formula, 6, {"choice": choice(6, "blue")}, None, 0),
        (bob, 6, {"choice": choice(6, "red")}, None, 0),
    ]
    for at, (who, round_no, answer, correct, points) in enumerate(answers):
        GameAnswer.objects.create(
            game=game,
            player=who,
            round=round_no,
            question=q[round_no],
            answer=answer,
            answered_at_ms=1_000 + at,
            response_ms=1_500 + at,
            correct=correct,
            points=points,
        )
    return game

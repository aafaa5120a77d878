from django.apps import AppConfig


def quiz_in_play(quiz_id: int) -> bool:
    """Whether a game of the quiz is still in its lobby or running (it shows the pictures it started with)."""
    from .models import Game

    return Game.objects.filter(quiz_id=quiz_id, status__in=Game.LIVE).exists()


class ResultsConfig(AppConfig):
    name = "results"
    verbose_name = "Games and results"

    def ready(self) -> None:
        from quizzes.images import QUIZ_IN_PLAY

        if quiz_in_play not in QUIZ_IN_PLAY:
            QUIZ_IN_PLAY.append(quiz_in_play)

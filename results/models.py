from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from quizzes.models import Question, Quiz


class Game(models.Model):
    class Status(models.TextChoices):
        LOBBY = "lobby", _("Lobby")
        RUNNING = "running", _("Running")
        FINISHED = "finished", _("Finished")
        # Left unfinished until its state in Redis expired (GAME_TTL_SECONDS without a change): no results.
        EXPIRED = "expired", _("Expired")

    LIVE = (Status.LOBBY, Status.RUNNING)

    pin = models.CharField(max_length=6, db_index=True)
    quiz = models.ForeignKey(Quiz, on_delete=models.PROTECT, related_name="games")
    host = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hosted_games")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.LOBBY)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # How many questions were asked before the game ended (null: saved before this was recorded).
    rounds_played = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        db_table = "rooms_game"  # created by the rooms app before results became an app of its own
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["pin"],
                condition=models.Q(status__in=["lobby", "running"]),
                name="unique_pin_among_live_games",
            )
        ]

    def __str__(self) -> str:
        return f"{self.pin} · {self.quiz}"

    @property
    def live(self) -> bool:
        return self.status in self.LIVE


class GamePlayer(models.Model):
    """A player's final standing, written when the game finishes."""

    game = models.ForeignKey(Game, on_delete=models.CASCADE, related_name="players")
    player_id = models.CharField(max_length=32)
    nickname = models.CharField(max_length=24)
    score = models.IntegerField(default=0)
    rank = models.PositiveIntegerField(default=0)
    streak = models.PositiveIntegerField(default=0)
    kicked = models.BooleanField(default=False)

    class Meta:
        db_table = "rooms_gameplayer"
        ordering = ["rank", "nickname"]
        constraints = [models.UniqueConstraint(fields=["game", "player_id"], name="unique_player_per_game")]

    def __str__(self) -> str:
        return f"{self.nickname} ({self.score})"


class GameAnswer(models.Model):
    """One answer as the server accepted it: server time, correctness and points."""

    game = models.ForeignKey(Game, on_delete=models.CASCADE, related_name="answers")
    player = models.ForeignKey(GamePlayer, on_delete=models.CASCADE, related_name="answers")
    round = models.PositiveIntegerField()
    question = models.ForeignKey(Question, on_delete=models.SET_NULL, null=True, related_name="+")
    answer = models.JSONField()
    answered_at_ms = models.BigIntegerField()
    response_ms = models.IntegerField()
    correct = models.BooleanField(null=True)
    points = models.IntegerField(default=0)

    class Meta:
        db_table = "rooms_gameanswer"
        ordering = ["round", "answered_at_ms"]
        constraints = [models.UniqueConstraint(fields=["player", "round"], name="one_answer_per_round")]


class GameWorkbook(models.Model):
    """A finished game's .xlsx, built once by a Celery task (a 10,000-player game takes ~30 s), with its
    progress while it is being built."""

    class State(models.TextChoices):
        BUILDING = "building", _("Building")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    game = models.OneToOneField(Game, on_delete=models.CASCADE, related_name="workbook")
    state = models.CharField(max_length=10, choices=State.choices, default=State.BUILDING)
    language = models.CharField(max_length=10)  # the sheets' and labels' language (the host's)
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0)
    content = models.BinaryField(null=True, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    progressed_at = models.DateTimeField(default=timezone.now)  # the build's last sign of life
    built_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.game} · {self.state}"

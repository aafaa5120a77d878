from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from results.models import Game


class ChatMessage(models.Model):
    """One chat message of a finished game, written from Redis when the game ends."""

    class Role(models.TextChoices):
        PLAYER = "player", _("Player")
        HOST = "host", _("Host")

    game = models.ForeignKey(Game, on_delete=models.CASCADE, related_name="chat_messages")
    message_id = models.PositiveIntegerField(help_text=_("The id players saw; increasing within a game."))
    author = models.CharField(max_length=150)
    role = models.CharField(max_length=8, choices=Role.choices)
    player_id = models.CharField(max_length=32, blank=True, default="")
    text = models.TextField()
    ts = models.BigIntegerField(help_text=_("Server time in ms since the Unix epoch."))
    deleted = models.BooleanField(default=False, help_text=_("Removed by the host during the game."))

    class Meta:
        ordering = ["game_id", "message_id"]
        constraints = [models.UniqueConstraint(fields=["game", "message_id"], name="unique_chat_message_id")]

    def __str__(self) -> str:
        return f"{self.author}: {self.text[:60]}"

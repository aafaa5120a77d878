"""Admin: games and their results, read-only (the game engine writes them).

Hosts (staff in the "Hosts" group) see only their own games; superusers see all.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import Game, GameAnswer, GamePlayer, GameWorkbook


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def get_readonly_fields(self, request: HttpRequest, obj: Game | None = None) -> tuple[str, ...]:
        return tuple(self.fields or ())

    def has_add_permission(self, request: HttpRequest, obj: Game | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Game | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Game | None = None) -> bool:
        return False


class GamePlayerInline(ReadOnlyInline):
    model = GamePlayer
    fields = ("rank", "nickname", "score", "streak", "kicked")
    verbose_name_plural = _("final standings")


class GameAnswerInline(ReadOnlyInline):
    model = GameAnswer
    fields = ("round", "player", "question", "answer", "response_ms", "correct", "points")
    verbose_name_plural = _("answers")

    def get_queryset(self, request: HttpRequest) -> QuerySet[GameAnswer]:
        return super().get_queryset(request).select_related("player", "question")


class GameWorkbookInline(ReadOnlyInline):
    model = GameWorkbook
    fields = ("state", "language", "rows_done", "rows_total", "started_at", "progressed_at", "built_at")
    verbose_name_plural = _("Excel workbook (built by Celery for the results page)")


@admin.register(Game)
class GameAdmin(admin.ModelAdmin):
    list_display = ("pin", "quiz", "host", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("pin", "quiz__title")
    list_select_related = ("quiz", "host")
    fields = ("pin", "quiz", "host", "status", "created_at", "finished_at")
    readonly_fields = fields
    inlines = [GameWorkbookInline, GamePlayerInline, GameAnswerInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Game]:
        games = super().get_queryset(request)
        return games if request.user.is_superuser else games.filter(host=request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Game | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Game | None = None) -> bool:
        return False

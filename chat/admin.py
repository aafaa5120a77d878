"""Admin: saved chat, read-only. Hosts see the chat of the games they hosted; superusers see all."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from results.models import Game

from .models import ChatMessage
from .selectors import chat_message_list

RECENT_GAMES = 30


def _is_host(request: HttpRequest) -> bool:
    """Hosts hold the games' view permission (the Hosts group), even without chat permissions."""
    user = request.user
    return user.is_active and user.is_staff and user.has_perm("results.view_game")


class GameListFilter(admin.SimpleListFilter):
    """The user's own recent games only: a stock FK filter would list every host's games."""

    title = _("game")
    parameter_name = "game"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        games = Game.objects.select_related("quiz").order_by("-created_at")
        if not request.user.is_superuser:
            games = games.filter(host=request.user)
        return [(str(g.pk), str(g)) for g in games[:RECENT_GAMES]]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ChatMessage]) -> QuerySet[ChatMessage]:
        return queryset.filter(game_id=self.value()) if self.value() else queryset


@admin.register(ChatMessage)
class ChatMessageAdmin(admin.ModelAdmin):
    list_display = ("game", "message_id", "author", "role", "text", "ts", "deleted")
    list_filter = (GameListFilter, "role", "deleted")
    search_fields = ("game__pin", "author", "text")
    fields = ("game", "message_id", "author", "role", "player_id", "text", "ts", "deleted")
    readonly_fields = fields
    ordering = ("-game__created_at", "message_id")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ChatMessage]:
        return chat_message_list(user=request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) or _is_host(request)

    def has_view_permission(self, request: HttpRequest, obj: ChatMessage | None = None) -> bool:
        return super().has_view_permission(request, obj) or _is_host(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ChatMessage | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ChatMessage | None = None) -> bool:
        return False

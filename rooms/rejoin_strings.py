"""Page strings of coming back and coming late (reclaim codes, late joins, undoing a kick), merged into
rooms.pages.JS_STRINGS; their Korean is in rooms/locale."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

REJOIN_JS_STRINGS = {
    "nickname_invisible": gettext_lazy("A nickname may not contain invisible or control characters."),
    "bad_code": gettext_lazy("That nickname and code do not match."),
    "reclaim_rate_limited": gettext_lazy("Too many wrong codes. Ask the host, or wait a few minutes."),
    "your_code": gettext_lazy(
        "Your code: {code}. If you lose this page, your nickname and this code get you back in."
    ),
    "continue_as": gettext_lazy("Continue as {nickname}"),
    "kick_confirm": gettext_lazy("Remove {nickname}?"),
    "kick_yes": gettext_lazy("Yes, remove"),
    "cancel": gettext_lazy("Cancel"),
    "unkick": gettext_lazy("Undo kick"),
    "unkick_label": gettext_lazy("Let {nickname} back into the game"),
    "back_in": gettext_lazy("{nickname} is back in the game."),
    "ask_nickname": gettext_lazy("Type the nickname you played with, then ask the host."),
    "ask_waiting": gettext_lazy("Asked. Wait for the host to let you back in…"),
    "ask_denied": gettext_lazy("The host did not let you back in."),
    "ask_unknown": gettext_lazy("Nobody plays under that nickname in this game."),
    "ask_rate_limited": gettext_lazy("Too many requests. Wait a few minutes."),
    "ask_from": gettext_lazy("{nickname} lost their code and asks to get back in."),
    "ask_approve": gettext_lazy("Let in"),
    "ask_deny": gettext_lazy("Refuse"),
    "late_join_off": gettext_lazy("Allow late joins"),
    "late_join_on": gettext_lazy("Late joins allowed"),
}

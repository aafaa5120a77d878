"""Page strings of the host's class controls (chat on/off, "get ready", auto-advance) and the question kind
hints, merged into rooms.pages.JS_STRINGS; their Korean is in chat/locale."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

CONTROL_JS_STRINGS = {
    "chat_turn_off": gettext_lazy("Turn chat off"),
    "chat_turn_on": gettext_lazy("Turn chat on"),
    "chat_off": gettext_lazy("The host has turned the chat off."),
    "get_ready_on": gettext_lazy("Get ready: on"),
    "get_ready_off": gettext_lazy("Get ready: off"),
    "auto_start": gettext_lazy("Auto-advance ({n} s)"),
    "auto_pause": gettext_lazy("Pause auto-advance"),
    "auto_next_in": gettext_lazy("Next step in {n} s"),
    "answer_early": gettext_lazy("Wait for the answers to appear."),
    "ready_points": gettext_lazy("{points}× points"),
    "ready_no_points": gettext_lazy("No points"),
    "kind_single": gettext_lazy("Pick one answer"),
    "kind_multi": gettext_lazy("Select all that apply"),
    "kind_truefalse": gettext_lazy("True or false"),
    "kind_poll": gettext_lazy("Poll: no right answer"),
    "kind_text": gettext_lazy("Type your answer"),
    "kind_slider": gettext_lazy("Pick a number"),
}

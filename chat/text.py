"""Cleaning chat text. Text is data: nothing here escapes markup; clients must insert it as text."""

from __future__ import annotations

import unicodedata

TEXT_MAX = 500
# Cleaning costs CPU per character: raw text this long cannot be a real message, so it is refused
# as too_long before cleaning (a 64 KiB frame would otherwise cost ~8 ms).
RAW_TEXT_MAX = 4 * TEXT_MAX
# Cc: control characters (newlines and tabs included); Cf: zero-width and direction overrides
# (U+200B, U+200D, U+FEFF, U+202E, ...); Cs: lone surrogates, which cannot be encoded as UTF-8.
STRIPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})


class TextProblem(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def text_clean(text: object) -> str:
    """The text without stripped characters or surrounding spaces; TextProblem if empty or too long."""
    if not isinstance(text, str):
        raise TextProblem("invalid", "say needs a text string")
    if len(text) > RAW_TEXT_MAX:
        raise TextProblem("too_long", f"at most {TEXT_MAX} characters")
    if not text.isprintable():
        text = "".join(ch for ch in text if unicodedata.category(ch) not in STRIPPED_CATEGORIES)
    cleaned = text.strip()
    if not cleaned:
        raise TextProblem("invalid", "the message is empty")
    if len(cleaned) > TEXT_MAX:
        raise TextProblem("too_long", f"at most {TEXT_MAX} characters")
    return cleaned

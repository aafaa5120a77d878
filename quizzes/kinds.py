"""The question kinds: one definition for authoring (quizzes) and for the game's rules (rooms.game)."""

SINGLE, MULTI, TRUEFALSE, TEXT, SLIDER, POLL = "single", "multi", "truefalse", "text", "slider", "poll"
KINDS = (SINGLE, MULTI, TRUEFALSE, TEXT, SLIDER, POLL)
CHOICE_KINDS = (SINGLE, MULTI, TRUEFALSE, POLL)  # answered by picking choices
ONE_CHOICE_KINDS = (SINGLE, TRUEFALSE, POLL)  # answered by picking exactly one

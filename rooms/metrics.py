"""Prometheus metrics of live games in this process, served at /metrics."""

from prometheus_client import Counter, Histogram

PLAYERS_JOINED = Counter("quizzone_players_joined_total", "Players who joined a game")
ANSWERS = Counter("quizzone_answers_total", "Answers received", ["outcome"])
COMMIT_CONFLICTS = Counter(
    "quizzone_commit_conflicts_total", "Game commits retried after a concurrent change"
)
ROUND_CLOSE_LATENESS = Histogram(
    "quizzone_round_close_lateness_seconds",
    "From a round's deadline to its reveal being sent (0 for early closes)",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5),
)

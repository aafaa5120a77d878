"""Prometheus metrics of the realtime plumbing in this process, served at /metrics."""

from prometheus_client import Counter, Gauge, Histogram

CONNECTIONS = Gauge("quizzone_ws_connections", "Open WebSocket connections in this process", ["path"])
FRAMES_REFUSED = Counter("quizzone_frames_refused_total", "Client frames refused", ["code"])
ADMISSIONS_REFUSED = Counter(
    "quizzone_admissions_refused_total", "Sockets told to come back later (busy)", ["why"]
)
GC_PAUSE = Histogram(
    "quizzone_gc_pause_seconds",
    "Pauses of Python's cyclic garbage collector in this process",
    ["generation"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)
REDIS_LINK_FAILURES = Counter(
    "quizzone_redis_link_failures_total",
    "Pipelined Redis connections given up (lost, silent past the timeout, unreadable)",
    ["why"],
)

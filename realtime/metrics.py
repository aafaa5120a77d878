"""Prometheus metrics of the realtime plumbing in this process, served at /metrics."""

from prometheus_client import Counter, Gauge

CONNECTIONS = Gauge("quizzone_ws_connections", "Open WebSocket connections in this process", ["path"])
FRAMES_REFUSED = Counter("quizzone_frames_refused_total", "Client frames refused", ["code"])
ADMISSIONS_REFUSED = Counter(
    "quizzone_admissions_refused_total", "Sockets told to come back later (busy)", ["why"]
)

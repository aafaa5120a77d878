"""/healthz, /readyz and /metrics for the load balancer and operators."""

from __future__ import annotations

import functools
import logging
from dataclasses import asdict

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from .lifecycle import is_draining


class QuietProbes(logging.Filter):
    """Keeps the load balancer's expected 503s from /readyz out of the error log while draining."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        return getattr(request, "path", "") != "/readyz"


def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


@functools.lru_cache(maxsize=4)
def _probe_client(url: str) -> redis.Redis:
    """One client per URL for the probes: the load balancer asks every half second."""
    return redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)


def _redis_ok() -> bool:
    try:
        return bool(_probe_client(settings.REDIS_URL).ping())
    except redis.RedisError:
        return False


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:  # noqa: BLE001 - any driver error means not ready
        return False


def readyz(request: HttpRequest) -> HttpResponse:
    checks = {"draining": is_draining(), "redis": _redis_ok(), "database": _database_ok()}
    ready = not checks["draining"] and checks["redis"] and checks["database"]
    return JsonResponse({"ready": ready, **checks}, status=200 if ready else 503)


def metrics(request: HttpRequest) -> HttpResponse:
    return HttpResponse(generate_latest(), content_type=CONTENT_TYPE_LATEST)


def ops_status(request: HttpRequest) -> HttpResponse:
    """What runs where, for an operator: web workers (registry), Celery workers and beats (heartbeats).

    `missing` names each part of which none is alive; the round timers and the sweeper need both."""
    from .parts import parts_alive
    from .workers import workers_live

    try:
        web = [asdict(w) for w in workers_live()]
        alive = parts_alive()
    except redis.RedisError:
        return JsonResponse({"redis": False, "missing": ["redis"]}, status=503)
    missing = [part for part, names in alive.items() if not names]
    if len(web) < settings.EXPECTED_WEB_WORKERS:
        missing.append("web")
    body = {"redis": True, "web": web, **alive, "missing": missing, "draining": is_draining()}
    return JsonResponse(body, status=200 if not missing else 503)

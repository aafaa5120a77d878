"""/healthz, /readyz and /metrics for the load balancer and operators."""

from __future__ import annotations

import functools
import logging

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

"""/healthz, /readyz and /metrics as the protocol says."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from realtime.lifecycle import draining_set

pytestmark = pytest.mark.django_db


def test_healthz_answers_while_the_process_lives():
    assert Client().get("/healthz").status_code == 200


def test_readyz_is_503_while_draining():
    client = Client()
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {
        "ready": True,
        "draining": False,
        "redis": True,
        "database": True,
    }
    draining_set(True)
    try:
        draining = client.get("/readyz")
        assert draining.status_code == 503 and draining.json()["draining"] is True
    finally:
        draining_set(False)


def test_readyz_is_503_when_redis_does_not_answer(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = Client().get("/readyz")
    assert response.status_code == 503 and response.json()["redis"] is False


def test_metrics_are_prometheus_text():
    response = Client().get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    assert "# TYPE quizzone_answers_total counter" in body
    assert "quizzone_round_close_lateness_seconds_bucket" in body


def test_ops_status_names_the_parts_that_are_missing(settings):
    settings.REDIS_PREFIX = f"{settings.REDIS_PREFIX}-empty"  # a deployment where nothing runs yet
    settings.EXPECTED_WEB_WORKERS = 1
    status = Client().get("/ops/status")
    assert status.status_code == 503
    assert sorted(status.json()["missing"]) == ["beat", "celery", "web"]


def test_ops_status_sees_the_celery_worker_and_its_beat(celery_worker):
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        body = Client().get("/ops/status").json()
        if body["celery"] and body["beat"]:
            break
        time.sleep(0.2)
    assert body["celery"] and body["beat"] and body["missing"] == []

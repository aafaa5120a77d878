"""Production settings: `check --deploy` is clean, a missing or unsafe variable stops the process with a
message naming it, and a worker on production settings serves collected static files (hashed, cached for
ever, gzip) and question images after `collectstatic`, behind a TLS proxy's X-Forwarded-Proto."""

from __future__ import annotations

import gzip
import http.client
import io
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image

from tests.processes import ROOT, serve_start

pytestmark = pytest.mark.integration

HTTPS = {"X-Forwarded-Proto": "https"}  # what the proxy that ends TLS adds
HASHED_JS = re.compile(r"/static/js/join\.[0-9a-f]{12}\.js")


def production_env(tmp: Path, **overrides: str | None) -> dict[str, str]:
    """A production environment of the test's own (database file, static and media roots, Redis prefix)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "QUIZZONE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="quizzone.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=f"sqlite:///{tmp / 'production.sqlite3'}",
        REDIS_URL=settings.REDIS_URL,
        QUIZZONE_REDIS_PREFIX=f"{settings.REDIS_PREFIX}:production",  # cleaned up with the run's keys
        QUIZZONE_STATIC_ROOT=str(tmp / "static"),
        QUIZZONE_MEDIA_ROOT=str(tmp / "media"),
    )
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("preload", ["false", "true"])
def test_check_deploy_finds_nothing(tmp_path, preload):
    done = manage(
        production_env(tmp_path, DJANGO_SECURE_HSTS_PRELOAD=preload),
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout
    assert "WARNING" not in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"DJANGO_SECRET_KEY": None}, "DJANGO_SECRET_KEY is not set"),
        ({"DJANGO_SECRET_KEY": " "}, "DJANGO_SECRET_KEY is not set"),
        ({"DJANGO_SECRET_KEY": "dev-insecure-change-me"}, "DJANGO_SECRET_KEY is a placeholder"),
        ({"DJANGO_SECRET_KEY": "change-me"}, "DJANGO_SECRET_KEY is a placeholder"),
        ({"DJANGO_SECRET_KEY": "s3cret-but-short"}, "DJANGO_SECRET_KEY is too short or too simple"),
        ({"DJANGO_SECRET_KEY": "ab" * 40}, "DJANGO_SECRET_KEY is too short or too simple"),
        ({"DJANGO_ALLOWED_HOSTS": None}, "DJANGO_ALLOWED_HOSTS is not set"),
        ({"DJANGO_ALLOWED_HOSTS": "*"}, "DJANGO_ALLOWED_HOSTS may not be '*'"),
        ({"DATABASE_URL": None}, "DATABASE_URL is not set"),
        ({"REDIS_URL": None}, "REDIS_URL is not set"),
    ],
)
def test_a_missing_or_unsafe_variable_stops_the_process(tmp_path, overrides, message):
    done = manage(production_env(tmp_path, **overrides), "check")
    assert done.returncode != 0
    last_line = done.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: " + message), done.stderr
    assert "set it to" in last_line


# --- a worker on production settings after collectstatic ------------------------------------------------


@pytest.fixture(scope="module")
def production_worker(tmp_path_factory, process_logs):
    tmp = tmp_path_factory.mktemp("production")
    env = production_env(tmp)
    collected = manage(env, "collectstatic", "--noinput")
    assert collected.returncode == 0, collected.stdout + collected.stderr
    (tmp / "media" / "questions").mkdir(parents=True)
    Image.new("RGB", (4, 4), "red").save(tmp / "media" / "questions" / "red.png")
    (tmp / "media" / "questions" / "page.html").write_text("<script>alert(1)</script>")
    Image.new("RGB", (4, 4), "blue").save(tmp / "outside.png")
    proc, port = serve_start("production-worker", process_logs, drain_grace=0.1, **env)
    with proc:
        yield port


def get(port: int, path: str, **headers: str) -> tuple[http.client.HTTPResponse, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response, response.read()
    finally:
        conn.close()


def test_pages_name_hashed_static_files_served_compressed_and_cached_for_ever(production_worker):
    port = production_worker
    response, body = get(port, "/join/", **HTTPS)
    assert response.status == 200
    assert "max-age=31536000; includeSubDomains" in response.headers["Strict-Transport-Security"]
    script = HASHED_JS.search(body.decode())
    assert script, body.decode()[:2000]

    response, body = get(port, script.group(), **HTTPS, **{"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "immutable" in response.headers["Cache-Control"]
    assert int(re.search(r"max-age=(\d+)", response.headers["Cache-Control"])[1]) >= 365 * 24 * 3600
    source = gzip.decompress(body).decode()
    # the module's own imports point at hashed names too, and those are served
    imported = re.search(r'from "\./(ui\.[0-9a-f]{12}\.js)"', source)
    assert imported, source[:500]
    response, body = get(port, f"/static/js/{imported[1]}", **HTTPS)
    assert response.status == 200 and "Content-Encoding" not in response.headers
    assert b"export" in body

    # only the collected, hashed names exist
    for path in ("/static/js/join.js", "/static/js/join.0123456789ab.js", "/static/js/nope.js"):
        assert get(port, path, **HTTPS)[0].status == 404, path


def test_plain_http_is_redirected_except_the_probes(production_worker):
    port = production_worker
    response, _ = get(port, "/join/")
    assert response.status == 301
    assert response.headers["Location"] == f"https://127.0.0.1:{port}/join/"
    for probe in ("/healthz", "/readyz", "/metrics"):
        assert get(port, probe)[0].status == 200, probe


def test_question_images_are_served_and_nothing_else_from_media(production_worker):
    port = production_worker
    response, body = get(port, "/media/questions/red.png", **HTTPS)
    assert response.status == 200
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert Image.open(io.BytesIO(body)).size == (4, 4)
    for path in ("/media/questions/page.html", "/media/questions/missing.png", "/media/questions/"):
        assert get(port, path, **HTTPS)[0].status == 404, path
    for path in ("/media/questions/../../outside.png", "/media/..%2Foutside.png"):
        assert get(port, path, **HTTPS)[0].status in (400, 404), path

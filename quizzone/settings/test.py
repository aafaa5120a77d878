"""Test settings: a Redis key prefix of its own per run, so runs never touch each other's keys."""

import os
import uuid

os.environ.setdefault("QUIZZONE_REDIS_PREFIX", f"qzt{uuid.uuid4().hex[:10]}")

from .base import *  # noqa: E402, F403
from .base import BASE_DIR  # noqa: E402

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = BASE_DIR / ".test-media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Static files come from the finders (whitenoise), in the test client and in the servers tests start alike;
# nothing is collected (tests/test_production.py collects into a directory of its own).
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True

# Subprocesses started by tests (daphne, celery) must see the test database, so SQLite uses a file.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / ".test-db.sqlite3")}  # noqa: F405
else:
    # Each run gets its own PostgreSQL test database, so parallel runs never collide.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": f"test_{DATABASES['default']['NAME']}_{REDIS_PREFIX}"  # noqa: F405
    }

# Tests answer as soon as a question is shown; tests of "get ready" turn it on per game.
QUIZZONE_GET_READY_MS = int(os.environ.get("QUIZZONE_GET_READY_MS", "0"))

# The suite opens many sockets from 127.0.0.1 at once; tests of the limits start servers with their own.
TEST_RATES = {
    "ws_handshake": "1000/s",
    "join": "5000/min",
    "pin_miss": "1000/min",
    "token": "1000/min",
    "game_create": "1000/min",
}
WS_SOCKETS_PER_ADDRESS = int(os.environ.get("QUIZZONE_WS_SOCKETS_PER_ADDRESS", "5000"))
QUIZZONE_RATES = {  # noqa: F405
    **QUIZZONE_RATES,  # noqa: F405
    **{
        name: os.environ.get(f"QUIZZONE_RATE_{name.upper()}", default) for name, default in TEST_RATES.items()
    },
}

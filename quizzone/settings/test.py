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

"""Production: what differs per deployment comes from the environment, and a missing or unsafe value stops
the process at start-up with ImproperlyConfigured naming the variable (tests/test_production.py).

TLS ends at the proxy, which must set X-Forwarded-Proto (and overwrite one a client sent); see docs/deploy.md.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

# The dev default, deploy/systemd/env.example's placeholder, and what Django's check --deploy refuses.
SECRET_KEY_PLACEHOLDERS = {"dev-insecure-change-me", "change-me"}
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_HINT = (
    "set it to a random string of at least 50 characters, the same for every process of the deployment, "
    "e.g. the output of: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
)


def required(name: str, what: str) -> str:
    value = env.str(name, default="").strip()
    if not value:
        raise ImproperlyConfigured(
            f"{name} is not set (quizzone.settings.production needs it): set it to {what}"
        )
    return value


def secret_key() -> str:
    key = required("DJANGO_SECRET_KEY", SECRET_KEY_HINT.removeprefix("set it to "))
    if key in SECRET_KEY_PLACEHOLDERS or key.startswith("django-insecure-"):
        raise ImproperlyConfigured(f"DJANGO_SECRET_KEY is a placeholder: {SECRET_KEY_HINT}")
    if len(key) < SECRET_KEY_MIN_LENGTH or len(set(key)) < 5:
        raise ImproperlyConfigured(
            f"DJANGO_SECRET_KEY is too short or too simple ({len(key)} characters): {SECRET_KEY_HINT}"
        )
    return key


def allowed_hosts() -> list[str]:
    what = (
        "the site's host names, comma-separated, e.g. quiz.example.org (also the WebSocket Origin allow-list)"
    )
    hosts = [h.strip() for h in required("DJANGO_ALLOWED_HOSTS", what).split(",") if h.strip()]
    if not hosts or "*" in hosts:
        raise ImproperlyConfigured(f"DJANGO_ALLOWED_HOSTS may not be '*' or empty: set it to {what}")
    return hosts


SECRET_KEY = secret_key()
ALLOWED_HOSTS = allowed_hosts()
# base.py read both with a local default; every machine of a deployment must name the same servers.
required("DATABASE_URL", "the PostgreSQL database, e.g. postgres://quizzone:secret@db.internal:5432/quizzone")
required("REDIS_URL", "the Redis server every process shares, e.g. redis://redis.internal:6379/0")

DEBUG = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)  # noqa: F405

# --- HTTPS. The proxy terminates TLS and says so in X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# The load balancer's and Prometheus' probes reach the workers directly over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$", r"^ops/status$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
if not SECURE_HSTS_PRELOAD:
    # Preloading is a commitment for the whole domain, so it is opt-in; not making it is no warning.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)

# --- Static files: `manage.py collectstatic --noinput` into STATIC_ROOT at each release (make collectstatic);
# whitenoise serves them with hashed names, cached for ever (immutable), gzip when asked, nothing unhashed.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "quizzone.storage.HashedStaticStorage"},
}
WHITENOISE_KEEP_ONLY_HASHED_FILES = True

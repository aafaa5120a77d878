"""Settings shared by every environment. Everything that differs comes from the environment."""

import warnings
from pathlib import Path

import environ

from realtime import network

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-insecure-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# Where phones open the site (join URL, QR code, gateway): http(s)://host[:port]. realtime/serve.py sets it to
# the LAN address when serving every interface (classroom mode, README); its host and origin are admitted.
PUBLIC_URL = network.http_url(env("QUIZZONE_PUBLIC_URL", default=""))
ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS = network.admitted(PUBLIC_URL, ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc served from here: /api/docs/ works offline
    "nested_admin",
    "channels",
    "quizzes",
    "results",
    "rooms",
    "chat",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # static files (settings per environment: finders in local/test, hashed and compressed in production)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "quizzone.urls"
ASGI_APPLICATION = "quizzone.asgi.application"
WSGI_APPLICATION = "quizzone.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ko", "한국어")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("QUIZZONE_STATIC_ROOT", default=BASE_DIR / "staticfiles")  # `manage.py collectstatic`
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("QUIZZONE_MEDIA_ROOT", default=BASE_DIR / "media")

LOGIN_URL = "/admin/login/"

# --- Redis: game state, channel layer, Celery broker. One server, one key prefix per deployment/test run.
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
REDIS_PREFIX = env("QUIZZONE_REDIS_PREFIX", default="qz")
GAME_TTL_SECONDS = env.int("QUIZZONE_GAME_TTL", default=6 * 3600)
# A live game nobody has moved on (no join, no command, no round closed) for this long is ended and its
# records saved, before GAME_TTL_SECONDS would lose them (0: never).
GAME_ABANDON_SECONDS = env.int("QUIZZONE_GAME_ABANDON", default=2 * 3600)
# "Get ready" before each question's choices open, on new games (the host turns it off or on per game).
QUIZZONE_GET_READY_MS = env.int("QUIZZONE_GET_READY_MS", default=3000)
REDIS_MAX_CONNECTIONS = env.int("QUIZZONE_REDIS_MAX_CONNECTIONS", default=64)  # per worker process
REDIS_POOL_TIMEOUT = env.float("QUIZZONE_REDIS_POOL_TIMEOUT", default=10.0)  # seconds to wait for one
# Scripts (the answer, the join, the commits) go over one pipelined connection per process (ADR 10);
# off, they take a pooled connection each, as every other command does.
REDIS_PIPELINED = env.bool("QUIZZONE_REDIS_PIPELINED", default=True)

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": f"{REDIS_PREFIX}:layer:"},
    }
}

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": f"{REDIS_PREFIX}:celery:", "visibility_timeout": 3600}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 4
CELERY_TASK_DEFAULT_QUEUE = "quizzone"
CELERY_BEAT_SCHEDULE = {
    "sweep-rounds": {"task": "rooms.tasks.rounds_sweep", "schedule": 1.0},
    "expire-workbooks": {"task": "results.tasks.workbooks_expire", "schedule": 3600.0},
    "expire-games": {"task": "rooms.tasks.games_expire", "schedule": 600.0},
    "end-abandoned-games": {"task": "rooms.tasks.games_abandoned_end", "schedule": 600.0},
    "release-image-files": {"task": "quizzes.tasks.image_files_release_kept", "schedule": 600.0},
}
# Results workbooks (results/workbooks.py): kept this long after their build, and started again when a
# build has written nothing for this long (its Celery worker died).
QUIZZONE_WORKBOOK_KEEP_DAYS = env.int("QUIZZONE_WORKBOOK_KEEP_DAYS", default=7)
QUIZZONE_WORKBOOK_STALL_SECONDS = env.int("QUIZZONE_WORKBOOK_STALL_SECONDS", default=120)
# ?format=xlsx of a game with more players (and no kept workbook) starts the build off the request (202)
# instead of building it in the request (about 6 s at 2,000 players, 30 s at 10,000).
QUIZZONE_WORKBOOK_INLINE_PLAYERS = env.int("QUIZZONE_WORKBOOK_INLINE_PLAYERS", default=2000)

# --- Live game limits (protocol.md)
WS_MAX_MESSAGE_BYTES = 64 * 1024
WS_FRAMES_PER_SECOND = env.int("QUIZZONE_WS_FRAMES_PER_SECOND", default=20)
WORKER_ID = env("QUIZZONE_WORKER_ID", default="")
# Admission (realtime/admission.py): sockets per worker, and how many get into a game at once.
WS_MAX_CONNECTIONS = env.int("QUIZZONE_WS_MAX_CONNECTIONS", default=9000)
WS_ADMIT_CONCURRENCY = env.int("QUIZZONE_WS_ADMIT_CONCURRENCY", default=32)
WS_ADMIT_QUEUE = env.int("QUIZZONE_WS_ADMIT_QUEUE", default=5000)
WS_BUSY_RETRY_MS = env.int("QUIZZONE_WS_BUSY_RETRY_MS", default=2000)
# --- Abuse limits (realtime/limits.py, docs/security.md), shared by every worker through Redis.
# Proxies whose X-Forwarded-For names the client (HAProxy on the same machine by default).
TRUSTED_PROXIES = env.list("QUIZZONE_TRUSTED_PROXIES", default=["127.0.0.1/32", "::1/128"])
# Open WebSockets per client address over all workers (0: no cap). A school behind one NAT address
# opens two per pupil (game and chat).
WS_SOCKETS_PER_ADDRESS = env.int("QUIZZONE_WS_SOCKETS_PER_ADDRESS", default=400)
# "count/period" (period s, min or h, optionally with a number: 10s); "0/s" turns a limit off.
QUIZZONE_RATES = {
    name: env(f"QUIZZONE_RATE_{name.upper()}", default=default)
    for name, default in {
        "ws_handshake": "30/s",  # WebSocket handshakes per address
        "join": "120/min",  # `join` frames per address
        "answer": "10/10s",  # answer attempts per player, over all their sockets
        "token": "10/min",  # POST /api/auth/token/ per address
        "game_create": "30/min",  # POST /api/games/ per user
        "pin_miss": "20/min",  # lookups of a PIN that is no game, per address, before every lookup is refused
        "reclaim": "5/10min",  # wrong reclaim codes per address and per nickname in a game
        "reclaim_ask": "5/10min",  # requests to the host to get back in, per address in a game
    }.items()
}
# Broadcast frames queued for a socket whose client does not read, before it is given up on.
WS_OUTBOX_FRAMES = env.int("QUIZZONE_WS_OUTBOX_FRAMES", default=256)
# /ops/status reports "web" missing when fewer workers than this are registered (0: do not check).
EXPECTED_WEB_WORKERS = env.int("QUIZZONE_EXPECTED_WEB_WORKERS", default=0)
# Each worker publishes its figures this often (realtime/workers.py); rebalancing paces itself by it.
WORKER_HEARTBEAT_SECONDS = env.float("QUIZZONE_HEARTBEAT_SECONDS", default=2.0)

# Host API tokens expire this many days after they were issued; a login then hands out a new one (0: never).
QUIZZONE_API_TOKEN_TTL_DAYS = env.int("QUIZZONE_API_TOKEN_TTL_DAYS", default=30)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "realtime.tokens.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "QuizZone API",
    "DESCRIPTION": "Quiz authoring and live games. WebSocket frames are documented in docs/protocol.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # no badge from validator.swagger.io: no page of the site loads anything from another host
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

# whitenoise serves static files with a sync iterator, which Django's ASGI handler reads in a thread and warns
# about once per process; harmless for small files (static files are cached by browsers for a year anyway).
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous iterators")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"quiet_probes": {"()": "realtime.health.QuietProbes"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["quiet_probes"]}
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # Only the root writes. Django's defaults give "django" a console handler of its own (under DEBUG, as in
    # `make run`) and redis-py gives "push_response" one: both also propagate, so each record came out twice.
    "loggers": {
        "django": {"handlers": [], "level": "NOTSET", "propagate": True},
        "django.server": {"handlers": [], "level": "NOTSET", "propagate": True},
        "push_response": {"handlers": [], "propagate": True},
        "daphne": {"level": "WARNING"},
        "django.channels.server": {"level": "WARNING"},
    },
}

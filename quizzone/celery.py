import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quizzone.settings.local")

app = Celery("quizzone")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_ready.connect
def _worker_alive(sender, **kwargs) -> None:  # noqa: ANN001 - Celery's signal signature
    from realtime.parts import heartbeat_start

    heartbeat_start("celery", getattr(sender, "hostname", None))


@signals.beat_init.connect
def _beat_alive(sender, **kwargs) -> None:  # noqa: ANN001
    from realtime.parts import heartbeat_start

    heartbeat_start("beat")

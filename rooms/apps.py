from django.apps import AppConfig


class RoomsConfig(AppConfig):
    name = "rooms"
    verbose_name = "Quizzes and games"

    def ready(self) -> None:
        from . import metrics  # noqa: F401 - registers this process's Prometheus metrics for /metrics

from django.apps import AppConfig


class RoomsConfig(AppConfig):
    name = "rooms"
    verbose_name = "Live games"

    def ready(self) -> None:
        from realtime import metrics as realtime_metrics  # noqa: F401 - so /metrics always lists them

        from . import metrics  # noqa: F401

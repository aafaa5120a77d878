from django.apps import AppConfig


class RoomsConfig(AppConfig):
    name = "rooms"
    verbose_name = "Live games"

    def ready(self) -> None:
        from realtime import metrics as realtime_metrics  # noqa: F401 - so /metrics always lists them
        from realtime.periodic import every

        from . import actions, metrics  # noqa: F401

        every(0.5, "rounds_overdue_close", actions.rounds_overdue_close)

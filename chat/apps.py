from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = "Room chat"

    def ready(self) -> None:
        from rooms import signals

        from . import receivers

        signals.game_finished.connect(receivers.on_game_finished, dispatch_uid="chat.game_finished")
        signals.player_kicked.connect(receivers.on_player_kicked, dispatch_uid="chat.player_kicked")

"""What the live game tells other apps, without importing them (chat listens, see chat/apps.py)."""

from django.dispatch import Signal

game_finished = Signal()  # pin: the game's results are saved; its chat may be saved too
player_kicked = Signal()  # pin, player_id: the host removed this player

"""What the live game tells other apps, without importing them (chat listens, see chat/apps.py)."""

from django.dispatch import Signal

# pin: the game's results are saved; its chat may be saved too. Sent by the results task (Celery): a
# receiver that raises makes the task retry, so receivers must be idempotent.
game_finished = Signal()
player_kicked = Signal()  # pin, player_id: the host removed this player

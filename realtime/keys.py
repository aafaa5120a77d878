"""Every Redis key QuizZone uses.

Keys of one game share the hash tag `{pin}`, so a game's scripts touch a single cluster slot.
Every key lives under settings.REDIS_PREFIX: one deployment (or test run) never sees another's keys.
"""

from __future__ import annotations

from django.conf import settings


def _p() -> str:
    return settings.REDIS_PREFIX


def game_key(pin: str, part: str) -> str:
    return f"{_p()}:g:{{{pin}}}:{part}"


def meta_key(pin: str) -> str:
    return game_key(pin, "meta")


def quiz_key(pin: str) -> str:
    return game_key(pin, "quiz")


def players_key(pin: str) -> str:
    return game_key(pin, "players")


def nicks_key(pin: str) -> str:
    return game_key(pin, "nicks")


def tokens_key(pin: str) -> str:
    return game_key(pin, "tokens")


def roster_key(pin: str) -> str:
    return game_key(pin, "roster")


def answers_key(pin: str, round_no: int) -> str:
    return game_key(pin, f"ans:{round_no}")


def results_key(pin: str, round_no: int) -> str:
    return game_key(pin, f"res:{round_no}")


def frames_key(pin: str) -> str:
    """The last `reveal`, `leaderboard` and `finished` frames, for snapshots on (re)connect."""
    return game_key(pin, "frames")


def reclaim_asks_key(pin: str) -> str:
    """Players asking the host to get back in: request id -> "asked_ms:nickname"."""
    return game_key(pin, "reclaim_asks")


def gate_key(pin: str, name: str) -> str:
    """A cross-process rate gate for one coalesced frame of a game (`lobby`, `answers`)."""
    return game_key(pin, f"gate:{name}")


def answers_gate_key(pin: str, round_no: int) -> str:
    """The `answer_count` gate of one round: a send still due for the last round never stands in for
    (or holds back) this round's."""
    return gate_key(pin, f"answers:{round_no}")


def game_limit_key(pin: str, name: str, ident: str, window: int) -> str:
    """A fixed-window rate counter inside a game (joins per address, answers per player)."""
    return game_key(pin, f"lim:{name}:{ident}:{window}")


def saving_key(pin: str) -> str:
    """Set while a finished game's records are being written to the database."""
    return game_key(pin, "saving")


def chat_log_key(pin: str) -> str:
    return game_key(pin, "chat:log")


def chat_seq_key(pin: str) -> str:
    return game_key(pin, "chat:seq")


def chat_muted_key(pin: str) -> str:
    return game_key(pin, "chat:muted")


def chat_rate_key(pin: str, author: str) -> str:
    return game_key(pin, f"chat:rate:{author}")


def chat_deleted_key(pin: str) -> str:
    """Set of the ids of chat messages the host deleted (kept in the log, for the database)."""
    return game_key(pin, "chat:deleted")


def deadlines_key() -> str:
    """Sorted set of open rounds, `pin:round` scored by deadline (ms): the sweeper's work list."""
    return f"{_p()}:deadlines"


def advances_key() -> str:
    """Sorted set of pending auto-advances, `pin:round:phase` scored by when they are due (ms)."""
    return f"{_p()}:advances"


def workers_key() -> str:
    return f"{_p()}:workers"


def worker_key(worker_id: str) -> str:
    return f"{_p()}:worker:{worker_id}"


def game_keys(pin: str, total_rounds: int) -> list[str]:
    fixed = [meta_key(pin), quiz_key(pin), players_key(pin), nicks_key(pin), tokens_key(pin), roster_key(pin)]
    fixed += [frames_key(pin), reclaim_asks_key(pin)]
    fixed += [chat_log_key(pin), chat_seq_key(pin), chat_muted_key(pin), chat_deleted_key(pin)]
    rounds = [k for r in range(1, total_rounds + 1) for k in (answers_key(pin, r), results_key(pin, r))]
    return fixed + rounds


def part_key(part: str, name: str) -> str:
    """A live Celery worker or beat (`celery`, `beat`), refreshed by a heartbeat with a TTL."""
    return f"{_p()}:part:{part}:{name}"


def limit_key(name: str, ident: str, window: int) -> str:
    """A fixed-window rate counter (realtime/limits.py): `name` the limit, `ident` who, `window` which."""
    return f"{_p()}:lim:{name}:{ident}:{window}"


def address_sockets_key(process_id: str) -> str:
    """Hash `address -> open sockets` of one worker process, for the per-address cap."""
    return f"{_p()}:lim:sockets:{process_id}"

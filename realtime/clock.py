"""The server clock every frame and score uses: integer milliseconds since the Unix epoch."""

import time


def now_ms() -> int:
    return time.time_ns() // 1_000_000

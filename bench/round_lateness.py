"""How late does a round close? From a question's deadline to its `reveal` frame at the player.

Starts a private stack with bench.harness.Stack (one worker, `python -m realtime.serve`, and a Celery worker
with beat on 127.0.0.1, its own Redis key prefix and throwaway SQLite file), creates the quiz and the games
through the REST API with the stack's token, plays G games at once, and measures two ways of closing the
same kind of round:
  timer     - the Celery countdown task alone closes the round (production path);
  baseline  - the host sends `skip` at the deadline from the client's own timer (no Celery in the path).
The difference is what the Celery timer adds. Usage: .venv/bin/python bench/round_lateness.py [--games 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.api import quiz_and_games  # noqa: E402
from bench.harness import Stack  # noqa: E402

TIME_LIMIT = 5


def now_ms() -> float:
    return time.time() * 1000


async def play(port: int, pin: str, token: str, rounds: int, mode: str, samples: list[float]) -> None:
    from websockets.asyncio.client import connect

    origin = "http://127.0.0.1"
    host = await connect(
        f"ws://127.0.0.1:{port}/ws/host/{pin}/",
        origin=origin,
        additional_headers={"Authorization": f"Token {token}"},
    )
    players = [await connect(f"ws://127.0.0.1:{port}/ws/play/{pin}/", origin=origin) for _ in range(2)]
    for i, p in enumerate(players):
        await p.send(json.dumps({"type": "join", "nickname": f"p{i}"}))

    async def frame(ws, kind: str) -> dict:
        while True:
            f = json.loads(await ws.recv())
            if f["type"] == kind:
                return f

    for p in players:
        await frame(p, "welcome")
    await host.send(json.dumps({"type": "start"}))
    for _ in range(rounds):
        q = await frame(players[0], "question")
        await players[0].send(
            json.dumps({"type": "answer", "round": q["round"], "choice": q["choices"][0]["id"]})
        )
        if mode == "baseline":
            await asyncio.sleep(max(0, q["deadline"] - now_ms()) / 1000)
            await host.send(json.dumps({"type": "skip"}))
        await frame(players[1], "reveal")
        samples.append(now_ms() - q["deadline"])
        await host.send(json.dumps({"type": "next"}))
        await frame(players[1], "leaderboard")
        await host.send(json.dumps({"type": "next"}))
    for ws in [host, *players]:
        await ws.close()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--games", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    opts = parser.parse_args()
    with Stack(workers=1, lb=False, celery=True) as stack:
        pins = quiz_and_games(
            stack.base_url,
            stack.token,
            opts.rounds,
            TIME_LIMIT,
            games=opts.games * 2,
            choices=2,
            title="bench",
        )
        port, token = stack.port, stack.token
        results: dict[str, list[float]] = {}
        for mode, batch in (("timer", pins[: opts.games]), ("baseline", pins[opts.games :])):
            samples: list[float] = []

            async def run_all(
                batch: list[str] = batch, mode: str = mode, samples: list[float] = samples
            ) -> None:
                await asyncio.gather(*(play(port, pin, token, opts.rounds, mode, samples) for pin in batch))

            asyncio.run(run_all())
            results[mode] = samples
    print(
        f"round close lateness, deadline -> reveal at the player "
        f"({opts.games} games x {opts.rounds} rounds each)"
    )
    print(f"{'path':<10} {'n':>4} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'mean ms':>8}")
    for mode, s in results.items():
        print(
            f"{mode:<10} {len(s):>4} {pct(s, 50):>8.1f} {pct(s, 99):>8.1f} {max(s):>8.1f} "
            f"{statistics.mean(s):>8.1f}"
        )
    delta = pct(results["timer"], 50) - pct(results["baseline"], 50)
    print(f"Celery timer adds {delta:.1f} ms at the median over a client-side timer + skip")


if __name__ == "__main__":
    main()

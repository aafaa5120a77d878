"""One game's host: `start`, then per round question -> answers, reveal and results -> leaderboard, then
`finished`. Each phase ends when every player of this game has its frame, bounded by --phase-timeout; with
several games each host drives its own game at its own pace, all at once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from bench.loadgen import measure
from bench.loadgen.client import now_ms

if TYPE_CHECKING:
    from bench.loadgen.game import HostConsole, ProgressFeed, RunConfig

Snapshot = Callable[[], Awaitable[dict[str, Any]]]
Progress = dict[str, Any]


class PhaseLog:
    """Where phases go. With a `snapshot` (one game, or the run's own join and games spans) each phase
    carries the server's and the clients' CPU and the frames delivered, read at its boundaries; without
    (one of several overlapping games, whose CPU is not its own) its seconds and whether it completed."""

    def __init__(
        self, phases: list[dict[str, Any]], snapshot: Snapshot | None = None, game: int | None = None
    ):
        self.phases, self.snapshot, self.game = phases, snapshot, game

    async def mark(self) -> dict[str, Any]:
        return await self.snapshot() if self.snapshot is not None else {"t": now_ms()}

    def record(self, name: str, rnd: int, before: dict[str, Any], after: dict[str, Any], ok: bool) -> None:
        entry: dict[str, Any] = {} if self.game is None else {"game": self.game}
        entry.update(
            {
                "phase": name,
                "round": rnd,
                "complete": ok,
                "seconds": round((after["t"] - before["t"]) / 1000, 3),
            }
        )
        if self.snapshot is not None:
            entry.update(
                {
                    "server_cpu_s": measure.cpu_delta(before["cpu"], after["cpu"]),
                    "frames": after["frames"] - before["frames"],
                    "client_cpu_s": round(after["client_cpu_s"] - before["client_cpu_s"], 3),
                    "client_sys_s": round(after["client_sys_s"] - before["client_sys_s"], 3),
                }
            )
        self.phases.append(entry)


class GameDriver:
    """The host of game `index` (`pin`), waiting on the players of this game only."""

    def __init__(
        self,
        index: int,
        pin: str,
        host: HostConsole,
        joined: int,
        feed: ProgressFeed,
        config: RunConfig,
        log: PhaseLog,
    ) -> None:
        self.index, self.pin, self.host, self.joined = index, pin, host, joined
        self.feed, self.config, self.log = feed, config, log
        self.rounds: list[dict[str, Any]] = []

    def have(self, kind: str, rnd: int) -> Callable[[Progress], bool]:
        """True once every player of this game has its `kind` frame of round `rnd`."""
        key = (self.index, kind, rnd)
        return lambda p: p["game_counts"].get(key, 0) >= self.joined

    async def play(self, after_round: Callable[[GameDriver, int], None] | None = None) -> None:
        for rnd in range(1, self.config.questions + 1):
            await self.play_round(rnd)
            if after_round is not None:
                after_round(self, rnd)
        await self.finish()

    async def phase(
        self, name: str, rnd: int, command: str, done: Callable[[Progress], bool], timeout: float
    ) -> tuple[float, dict[str, Any]]:
        """Sends the host's `command`, waits for `done`; (when it was sent, the mark at the phase's end)."""
        before = await self.log.mark()
        sent = await self.host.send(command)
        ok = await self.feed.wait(done, timeout)
        after = await self.log.mark()
        self.log.record(name, rnd, before, after, ok)
        return sent, after

    async def play_round(self, rnd: int) -> None:
        config, host = self.config, self.host
        timeout = config.phase_timeout

        command = "start" if rnd == 1 else "next"
        opened, after = await self.phase("question", rnd, command, self.have("question", rnd), timeout)
        question = await host.frame("question", rnd, timeout, after=opened - 5)

        before = after
        revealed, resulted = self.have("reveal", rnd), self.have("result", rnd)
        ok = await self.feed.wait(lambda p: revealed(p) and resulted(p), config.time_limit + timeout)
        # an answer lost with a closing socket is never acknowledged: wait for the acks only briefly
        acked = (self.index, rnd)
        await self.feed.wait(lambda p: p["game_acks"].get(acked, 0) >= self.joined, 2.0)
        self.log.record("answer+reveal+result", rnd, before, await self.log.mark(), ok)
        reveal = await host.frame("reveal", rnd, timeout)
        self.rounds.append(self.round_entry(rnd, question, reveal))
        await asyncio.sleep(config.pause)

        await self.phase("leaderboard", rnd, "next", self.have("leaderboard", rnd), timeout)
        await asyncio.sleep(config.pause)

    def round_entry(
        self, rnd: int, question: dict[str, Any] | None, reveal: dict[str, Any] | None
    ) -> dict[str, Any]:
        seen = self.host.first("reveal", rnd)
        return {
            "round": rnd,
            "reason": (reveal or {}).get("reason"),
            "answered": (reveal or {}).get("answered"),
            "deadline": (question or {}).get("deadline"),
            "host_reveal_at": seen[0] if seen else None,
            "game": self.index,
            "pin": self.pin,
        }

    async def finish(self) -> None:
        final, finished = self.have("final", 0), self.have("finished", 0)
        await self.phase("finish", 0, "next", lambda p: final(p) and finished(p), self.config.phase_timeout)

    def podium(self) -> list[dict[str, Any]] | None:
        """The `finished` frame's podium as this game's host got it; None when the game never finished."""
        seen = self.host.first("finished", None)
        return list(seen[1].get("podium") or []) if seen else None

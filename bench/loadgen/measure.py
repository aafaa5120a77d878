"""Figures from outside the server: CPU and RSS from /proc, Redis command counts, percentiles."""

from __future__ import annotations

import math
import os

import redis

from bench.harness import cpu_seconds, rss_bytes


def percentiles(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "p50": None, "p95": None, "p99": None, "max": None, "mean": None}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)], 2)

    return {
        "n": len(ordered),
        "p50": at(0.50),
        "p95": at(0.95),
        "p99": at(0.99),
        "max": round(ordered[-1], 2),
        "mean": round(sum(ordered) / len(ordered), 2),
    }


def role_cpu(role_pids: dict[str, list[int]]) -> dict[str, float]:
    return {role: sum(cpu_seconds(pid) for pid in pids) for role, pids in role_pids.items()}


def cpu_delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {role: round(after.get(role, 0.0) - cpu, 3) for role, cpu in before.items()}


def total_rss(pids: list[int]) -> int:
    return sum(rss_bytes(pid) for pid in pids)


def redis_command_calls(client: redis.Redis | None) -> dict[str, int]:
    """INFO commandstats as {command: calls}; empty when the target has no Redis."""
    if client is None:
        return {}
    stats = client.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(entry["calls"]) for name, entry in stats.items()}


def calls_delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    delta = {name: calls - before.get(name, 0) for name, calls in after.items()}
    return {name: n for name, n in delta.items() if n > 0}


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]

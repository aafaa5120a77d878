"""What the load tester drives: a QuizZone stack (bench.harness), one of the baselines, or a --url."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from types import TracebackType
from typing import Any

import redis

from bench.harness import (
    BIN,
    LOOPBACK,
    ROOT,
    ManagedProcess,
    Stack,
    free_port,
    process_group_members,
    raise_fd_limit,
    wait_for_port,
)

BASELINE_PASSWORD = "baseline"


class Target:
    """A running server: its base URL, the host's credentials and the pids to account CPU to."""

    name = "target"
    base_url = ""
    username = ""
    password = ""
    redis: redis.Redis | None = None
    results_api = False  # GET /api/games/<pin>/results/ gives the stored standings (QuizZone only)
    scored = True  # plays by the scoring rules (the raw ASGI baseline sends fixed frames)

    def role_pids(self) -> dict[str, list[int]]:
        return {}

    def connection_pids(self) -> list[int]:
        """The processes holding the players' sockets (RSS per connection)."""
        return []

    def tracebacks(self) -> dict[str, int]:
        return {}

    def __enter__(self) -> Target:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None


class QuizZoneTarget(Target):
    name = "quizzone"
    results_api = True

    def __init__(self, log_dir: Path, **stack_options: Any) -> None:
        self.stack = Stack(log_dir=log_dir, **stack_options)

    def __enter__(self) -> QuizZoneTarget:
        self.stack.__enter__()
        self.base_url = self.stack.base_url
        self.username, self.password = self.stack.username, self.stack.password
        self.redis = self.stack.redis
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stack.__exit__(exc_type, exc, tb)

    def role_pids(self) -> dict[str, list[int]]:
        return self.stack.role_pids()

    def connection_pids(self) -> list[int]:
        return self.stack.worker_pids

    def tracebacks(self) -> dict[str, int]:
        return self.stack.logs_with_tracebacks()


class BaselineTarget(Target):
    """One baseline server process: `inmemory` (aiohttp) or `raw` (a bare ASGI app on daphne)."""

    def __init__(self, name: str, log_dir: Path) -> None:
        self.name, self.log_dir = name, log_dir
        self.scored = name != "raw"
        self.process: ManagedProcess | None = None
        self.username, self.password = "host", BASELINE_PASSWORD

    def __enter__(self) -> BaselineTarget:
        port = free_port()
        if self.name == "inmemory":
            args = [sys.executable, str(ROOT / "bench" / "baselines" / "inmemory.py"), "--port", str(port)]
        elif self.name == "raw":
            args = [
                str(BIN / "daphne"),
                "-b",
                LOOPBACK,
                "-p",
                str(port),
                "bench.baselines.raw_asgi:application",
            ]
        else:
            raise ValueError(f"unknown baseline {self.name!r}")
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)}
        self.process = ManagedProcess(f"baseline-{self.name}", args, env, self.log_dir, raise_fd_limit)
        try:
            wait_for_port(port, self.process)
        except BaseException:
            self.process.stop()
            raise
        self.base_url = f"http://{LOOPBACK}:{port}"
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.process is not None:
            self.process.stop()

    def role_pids(self) -> dict[str, list[int]]:
        return {"server": process_group_members({self.process.pid})} if self.process else {}

    def connection_pids(self) -> list[int]:
        return [self.process.pid] if self.process else []

    def tracebacks(self) -> dict[str, int]:
        count = self.process.output().count("Traceback") if self.process else 0
        return {self.process.name: count} if count and self.process else {}


class ExternalTarget(Target):
    """A server someone else started (--url): CPU and RSS only for the pids given with --server-pid."""

    name = "external"
    results_api = True

    def __init__(
        self, url: str, username: str, password: str, pids: list[int], redis_url: str | None
    ) -> None:
        self.base_url, self.username, self.password, self.pids = url.rstrip("/"), username, password, pids
        if redis_url:
            self.redis = redis.Redis.from_url(redis_url)

    def role_pids(self) -> dict[str, list[int]]:
        roles = {"server": list(self.pids)} if self.pids else {}
        if self.redis is not None:
            with contextlib.suppress(redis.RedisError):
                roles["redis"] = [int(self.redis.info("server")["process_id"])]
        return roles

    def connection_pids(self) -> list[int]:
        return list(self.pids)

"""One launcher for every benchmark: a private QuizZone stack on 127.0.0.1.

    with Stack(workers=2, lb=True, celery=True) as stack:
        stack.base_url, stack.token, stack.server_pids(), stack.redis_pid

It makes a private Redis key prefix (or starts its own redis-server with own_redis=True), a throwaway
SQLite database in a temp dir (or the database_url given), runs `manage.py migrate`, creates a host user and a
DRF token through manage.py commands, starts N workers (WORKER_MODULE), optionally HAProxy in front (its
config rendered by deploy/haproxy_config.py, run as a script) and a Celery worker with embedded beat. Every
child runs in its own process group and is stopped by pid (SIGTERM, then SIGKILL), also when set-up fails
half way; the Redis keys under the prefix are deleted by SCAN. Nothing here imports the app's packages;
stack.django_setup() sets Django up in the caller's process on the stack's settings, Redis and prefix.
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import redis

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# The app's entry points, named once. The lead renames the worker module to `realtime.serve`.
WORKER_MODULE = "realtime.serve"
CELERY_APP = "quizzone"
CELERY_QUEUE = "quizzone"
SETTINGS_MODULE = "quizzone.settings.local"
HAPROXY_CONFIG_SCRIPT = ROOT / "deploy" / "haproxy_config.py"
HOST_USERNAME = "benchhost"
LOOPBACK = "127.0.0.1"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def raise_fd_limit() -> None:
    """preexec_fn for children that hold many sockets: open files up to the hard limit."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def free_port_block(count: int, attempts: int = 50) -> int:
    """A base port P such that P .. P+count-1 are all free (haproxy_config.py puts workers at P+1..P+N)."""
    for _ in range(attempts):
        base = secrets.randbelow(20000) + 10000
        sockets: list[socket.socket] = []
        try:
            for port in range(base, base + count):
                s = socket.socket()
                sockets.append(s)
                s.bind((LOOPBACK, port))
            return base
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise RuntimeError(f"no block of {count} free ports found")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads) from /proc/<pid>/stat; 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def process_group_members(pgids: set[int]) -> list[int]:
    """Every live process whose process group is one of pgids (workers' and Celery's children too)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) in pgids:
                members.append(int(entry.name))
    return members


class ManagedProcess:
    """A child in its own process group, logging to a file; stop() signals the group by its pid."""

    def __init__(
        self,
        name: str,
        args: list[str],
        env: dict[str, str],
        log_dir: Path,
        preexec_fn: Callable[[], None] | None = None,
        role: str = "",
    ) -> None:
        self.name, self.role = name, role or name
        self.log_path = log_dir / f"{name}.log"
        with open(self.log_path, "wb") as log:  # the child keeps its own descriptor
            self.popen = subprocess.Popen(
                args,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=preexec_fn,
            )
        self.pid = self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 10.0) -> None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.pid, signal.SIGKILL)
                self.popen.wait(5)
        # children left behind in the group (Celery's embedded beat) go too
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)


def wait_for_port(port: int, proc: ManagedProcess, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited:\n{proc.output()[-3000:]}")
        with contextlib.suppress(OSError):
            socket.create_connection((LOOPBACK, port), timeout=0.2).close()
            return
        time.sleep(0.1)
    raise RuntimeError(f"{proc.name} did not listen on {port}:\n{proc.output()[-3000:]}")


def wait_for_log(proc: ManagedProcess, text: str, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited:\n{proc.output()[-3000:]}")
        if text in proc.output():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{proc.name} did not log {text!r} in {timeout:g} s:\n{proc.output()[-3000:]}")


def redis_delete_prefix(client: redis.Redis, prefix: str) -> int:
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    for start in range(0, len(keys), 500):
        client.delete(*keys[start : start + 500])
    return len(keys)


# The load generator plays thousands of devices from one address: no per-address limits.
NO_ADDRESS_LIMITS = {
    "QUIZZONE_WS_SOCKETS_PER_ADDRESS": "0",
    "QUIZZONE_RATE_WS_HANDSHAKE": "0/s",
    "QUIZZONE_RATE_JOIN": "0/s",
    "QUIZZONE_RATE_GAME_CREATE": "0/s",  # --games 100 creates them at once
}


class Stack:
    """A private QuizZone stack: workers (+ HAProxy) + Celery on a private Redis prefix and database."""

    def __init__(
        self,
        workers: int = 1,
        lb: bool = False,
        celery: bool = True,
        database_url: str | None = None,
        redis_url: str | None = None,
        own_redis: bool = False,
        log_dir: Path | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError("a stack needs at least one worker")
        self.worker_count, self.lb, self.celery = workers, lb, celery
        self.database_url = database_url  # None: a throwaway SQLite file (never the environment's database)
        self.redis_url = redis_url or os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)
        self.own_redis = own_redis
        self.prefix = f"qzlt{secrets.token_hex(5)}"
        self.tmp = Path(tempfile.mkdtemp(prefix="qzstack-"))
        self.log_dir = log_dir or self.tmp  # logs in tmp are deleted with it at stop()
        self.extra_env = extra_env or {}
        self.password = secrets.token_urlsafe(16)
        self.username = HOST_USERNAME
        self.token = ""
        self.processes: list[ManagedProcess] = []
        self.workers: list[ManagedProcess] = []
        self.worker_ports: list[int] = []
        self.port = 0
        self.redis_pid = 0
        self.keys_deleted = 0  # Redis keys under the prefix that stop() deleted
        self._redis: redis.Redis | None = None

    # --- what benchmarks read

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def worker_pids(self) -> list[int]:
        return [p.pid for p in self.workers]

    def server_pids(self) -> list[int]:
        """Every live server process this stack started (workers, Celery and its beat, HAProxy)."""
        return process_group_members({p.pid for p in self.processes})

    def role_pids(self) -> dict[str, list[int]]:
        """Server processes by role (workers, celery, haproxy, redis), for CPU accounting per role."""
        roles: dict[str, list[int]] = {}
        for proc in self.processes:
            if proc.role != "redis":
                roles.setdefault(proc.role, []).extend(process_group_members({proc.pid}))
        roles["redis"] = [self.redis_pid]
        return roles

    @property
    def redis(self) -> redis.Redis:
        if self._redis is None:
            self._redis = redis.Redis.from_url(self.redis_url)
        return self._redis

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE=SETTINGS_MODULE,
            DJANGO_DEBUG="0",
            QUIZZONE_REDIS_PREFIX=self.prefix,
            REDIS_URL=self.redis_url,
            DATABASE_URL=self.database_url or f"sqlite:///{self.tmp / 'stack.sqlite3'}",
            LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
            **NO_ADDRESS_LIMITS,
        )
        env.update(self.extra_env)
        return env

    def django_setup(self) -> None:
        """Django in THIS process on the stack's settings, Redis URL and prefix (a benchmark that publishes
        straight to the channel layer with realtime.broadcast): the environment first, then django.setup()."""
        env = self.env()
        for key in (
            "DJANGO_SETTINGS_MODULE",
            "DJANGO_DEBUG",
            "QUIZZONE_REDIS_PREFIX",
            "REDIS_URL",
            "DATABASE_URL",
            "LOG_LEVEL",
        ):
            os.environ[key] = env[key]
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))
        import django

        django.setup()

    # --- life cycle

    def __enter__(self) -> Stack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        if self.own_redis:
            self._start_redis()
        self.redis_pid = int(self.redis.info("server")["process_id"])
        self._prepare_database()
        base = free_port_block(self.worker_count + 1)
        self.worker_ports = [base + i for i in range(1, self.worker_count + 1)]
        for port in self.worker_ports:
            self._start_worker(port)
        if self.lb:
            self._start_haproxy(base)
            self.port = base
        else:
            self.port = self.worker_ports[0]
        if self.celery:
            self._start_celery()

    def stop(self) -> None:
        for proc in reversed(self.processes):
            proc.stop()
        if self._redis is not None and not self.own_redis:
            with contextlib.suppress(redis.RedisError):
                self.keys_deleted = redis_delete_prefix(self._redis, self.prefix)
        if self._redis is not None:
            self._redis.close()
        self.processes.clear()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def logs_with_tracebacks(self) -> dict[str, int]:
        found = {}
        for proc in self.processes:
            count = proc.output().count("Traceback")
            if count:
                found[proc.name] = count
        return found

    # --- the pieces

    def _spawn(
        self, name: str, args: list[str], role: str = "", preexec_fn: Callable[[], None] | None = None
    ) -> ManagedProcess:
        proc = ManagedProcess(name, args, self.env(), self.log_dir, preexec_fn=preexec_fn, role=role)
        self.processes.append(proc)
        return proc

    def _start_redis(self) -> None:
        port = free_port()
        args = ["redis-server", "--port", str(port), "--bind", LOOPBACK, "--save", "", "--appendonly", "no"]
        proc = self._spawn("redis", [*args, "--dir", str(self.tmp)], preexec_fn=raise_fd_limit)
        wait_for_port(port, proc)
        self.redis_url = f"redis://{LOOPBACK}:{port}/0"

    def _manage(self, *args: str, timeout: float = 120, env: dict[str, str] | None = None) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env or self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"manage.py {' '.join(args)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
            )
        return done.stdout

    def _prepare_database(self) -> None:
        self._manage("migrate", "--noinput", "-v", "0")
        env = {**self.env(), "DJANGO_SUPERUSER_PASSWORD": self.password}
        self._manage("createsuperuser", "--noinput", "--username", self.username, "--email", "", env=env)
        out = self._manage("drf_create_token", self.username)
        match = re.search(r"Generated token (\w+)", out)
        if not match:
            raise RuntimeError(f"drf_create_token printed no token: {out!r}")
        self.token = match.group(1)

    def _start_worker(self, port: int) -> None:
        worker_id = f"lt{len(self.workers) + 1}-{port}"
        args = [sys.executable, "-m", WORKER_MODULE, "--host", LOOPBACK, "--port", str(port)]
        args += ["--worker-id", worker_id, "--public-url", f"ws://{LOOPBACK}:{port}"]
        args += ["--drain-grace", "0", "--drain-spread-ms", "100"]
        proc = self._spawn(worker_id, args, role="workers", preexec_fn=raise_fd_limit)
        self.workers.append(proc)
        wait_for_port(port, proc)

    def _start_haproxy(self, port: int) -> None:
        if shutil.which("haproxy") is None:
            raise RuntimeError("haproxy is not installed (apt-get install haproxy)")
        rendered = subprocess.run(
            [
                sys.executable,
                str(HAPROXY_CONFIG_SCRIPT),
                "--port",
                str(port),
                "--workers",
                str(self.worker_count),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
        config = self.tmp / "haproxy.cfg"
        config.write_text(rendered)
        subprocess.run(["haproxy", "-c", "-q", "-f", str(config)], check=True, timeout=30)
        proc = self._spawn("haproxy", ["haproxy", "-db", "-f", str(config)], preexec_fn=raise_fd_limit)
        wait_for_port(port, proc)

    def _start_celery(self) -> None:
        args = [
            str(BIN / "celery"),
            "-A",
            CELERY_APP,
            "worker",
            "-B",
            "-Q",
            CELERY_QUEUE,
            "--pool",
            "threads",
        ]
        args += ["--concurrency", "4", "-l", "info", "--without-gossip", "--without-mingle"]
        proc = self._spawn("celery", [*args, "-s", str(self.tmp / "celerybeat-schedule")])
        wait_for_log(proc, "ready")

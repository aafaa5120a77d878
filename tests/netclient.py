"""A JSON WebSocket client over real sockets (the `websockets` library), for tests against daphne."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

ORIGIN = "http://127.0.0.1"


class Client:
    def __init__(self, conn: ClientConnection, name: str = "") -> None:
        self.conn, self.name = conn, name
        self.frames: list[dict[str, Any]] = []
        self.close_code: int | None = None

    @classmethod
    async def open(cls, port: int, path: str, name: str = "", token: str | None = None) -> Client:
        headers = {"Authorization": f"Token {token}"} if token else {}
        conn = await connect(
            f"ws://127.0.0.1:{port}{path}",
            origin=ORIGIN,
            additional_headers=headers,
            max_size=2**22,
            open_timeout=10,
        )
        return cls(conn, name)

    @classmethod
    async def open_retrying(
        cls, port: int, path: str, name: str = "", token: str | None = None, attempts: int = 8
    ) -> Client:
        """Like a real client behind a load balancer: a refused handshake (503) is retried with backoff."""
        delay = 0.1
        for attempt in range(attempts):
            try:
                return await cls.open(port, path, name, token)
            except InvalidStatus:
                if attempt == attempts - 1:
                    raise
                await asyncio.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    async def send(self, frame: dict[str, Any] | str) -> None:
        await self.conn.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def recv(self, timeout: float = 10) -> dict[str, Any]:
        try:
            raw = await asyncio.wait_for(self.conn.recv(), timeout)
        except ConnectionClosed as closed:
            self.close_code = closed.rcvd.code if closed.rcvd else 1006
            frame = {"type": "__closed__", "code": self.close_code}
            self.frames.append(frame)
            return frame
        frame = json.loads(raw)
        self.frames.append(frame)
        return frame

    async def expect(self, kind: str, timeout: float = 10) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            remaining = end - loop.time()
            if remaining <= 0:
                raise TimeoutError(
                    f"{self.name}: no {kind!r} frame; got {[f['type'] for f in self.frames[-8:]]}"
                )
            frame = await self.recv(remaining)
            if frame["type"] == kind:
                return frame
            if frame["type"] == "__closed__":
                raise AssertionError(f"{self.name}: closed {frame['code']} while waiting for {kind!r}")

    def types_since(self, start: int) -> list[str]:
        return [f["type"] for f in self.frames[start:]]

    async def close(self) -> None:
        await self.conn.close()

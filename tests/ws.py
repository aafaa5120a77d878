"""WebSocket helpers for tests: in-process communicators and real network clients."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from channels.testing import WebsocketCommunicator

ORIGIN = (b"origin", b"http://127.0.0.1")


class Socket:
    """A WebsocketCommunicator that speaks JSON frames and can wait for a frame type."""

    def __init__(self, path: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        from quizzone.asgi import application

        self.comm = WebsocketCommunicator(application, path, headers=[ORIGIN, *(headers or [])])
        self.frames: list[dict[str, Any]] = []

    async def connect(self) -> Socket:
        connected, _ = await self.comm.connect(timeout=5)
        assert connected
        return self

    async def send(self, frame: dict[str, Any] | str) -> None:
        await self.comm.send_to(text_data=frame if isinstance(frame, str) else json.dumps(frame))

    async def recv(self, timeout: float = 5) -> dict[str, Any]:
        message = await self.comm.receive_output(timeout)
        if message["type"] == "websocket.close":
            frame = {"type": "__closed__", "code": message.get("code")}
        else:
            frame = json.loads(message["text"])
        self.frames.append(frame)
        return frame

    async def expect(self, kind: str, timeout: float = 5) -> dict[str, Any]:
        """The next frame of type `kind`, skipping others (kept in self.frames)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            frame = await self.recv(max(0.01, end - loop.time()))
            if frame["type"] == kind:
                return frame

    async def closed_code(self, timeout: float = 5) -> int | None:
        return (await self.expect("__closed__", timeout))["code"]

    async def close(self) -> None:
        await self.comm.disconnect()

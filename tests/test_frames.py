"""realtime/frames.py is the one place frames are built: every frame type it knows is documented in
docs/protocol.md with every field, and the builders produce exactly the documented fields."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest

from realtime import frames

PROTOCOL = (Path(__file__).resolve().parent.parent / "docs" / "protocol.md").read_text()
CHAT = (Path(__file__).resolve().parent.parent / "docs" / "chat.md").read_text()


def _doc_blocks() -> list[str]:
    """The docs cut into bullets, table rows and paragraphs (a bullet's wrapped lines stay together)."""
    blocks: list[str] = []
    for line in (PROTOCOL + "\n" + CHAT).splitlines():
        starts_block = not line.strip() or line.lstrip().startswith(("- ", "* ", "|", "#"))
        if starts_block or not blocks:
            blocks.append(line)
        else:
            blocks[-1] += "\n" + line
    return blocks


def _doc_lines_about(frame_type: str) -> str:
    """Every bullet, row or paragraph of the protocol docs that names this frame type."""
    named = re.compile(rf'`{frame_type}`|"type":\s*"{frame_type}"')
    return "\n".join(block for block in _doc_blocks() if named.search(block))


@pytest.mark.parametrize("frame_type", sorted(frames.FRAME_TYPES))
def test_every_field_of_every_frame_is_documented(frame_type: str) -> None:
    shape = frames.FRAME_TYPES[frame_type]
    doc = _doc_lines_about(frame_type)
    assert doc, f"docs/protocol.md does not mention the `{frame_type}` frame"
    fields = set(typing.get_type_hints(shape)) - {"type"}
    undocumented = {f for f in fields if f'"{f}"' not in doc and f"`{f}`" not in doc}
    assert not undocumented, f"`{frame_type}` fields not in docs/protocol.md: {sorted(undocumented)}"


def test_builders_fill_exactly_their_typed_fields() -> None:
    built = [
        frames.error("invalid", "x"),
        frames.pong(1, 2),
        frames.reconnect("server restarting", 300),
        frames.kicked("p1", "ann"),
        frames.welcome("p1", "t", "ann", {}),
        frames.host_welcome({}, [frames.host_player("p1", "ann", 0, 1, False)], 0, total=2, kicked=1),
        frames.roster([frames.host_player("p1", "ann", 0, 1, False)], 0, 1),
        frames.answer_ack(1, True),
        frames.lobby(1, ["ann"]),
        frames.answer_count(1, 1, 2),
        frames.question(
            1,
            3,
            {
                "kind": "single",
                "text": "?",
                "choices": [],
                "min": None,
                "max": None,
                "time_limit_ms": 20000,
                "points": 1,
            },
            1000,
            21000,
        ),
        frames.reveal(1, [1], {"1": 1}, 1, 1, "timeout"),
        frames.leaderboard(1, [frames.ranked_name("ann", 10, 1)], 1),
        frames.finished([frames.ranked_name("ann", 10, 1)], 1),
        frames.lock(True),
        frames.player_kicked("p1", "ann"),
        frames.player_unkicked("p1", "ann"),
        frames.late_join(True),
        frames.error("invalid", "x", "nickname_invisible"),
        frames.welcome("p1", "t", "ann", {}, "K7P2QX"),
        frames.result(1, True, 900, 900, 1, 1),
        frames.final(900, 1, 2),
        frames.chat_message(1, "ann", "player", "p1", "hi", 5),
        frames.chat_history([]),
        frames.chat_deleted(1),
        frames.chat_muted("p1", True),
        frames.chat_state(False),
        frames.chat_history([], True),
        frames.get_ready(3000),
        frames.auto_advance(True, 5000, 0),
        frames.reclaim_ask("r1", "ann"),
        frames.reclaim_asked("r1", "ann"),
        frames.reclaim_approved("r1", "ann", "K7P2QX"),
        frames.reclaim_denied("r1"),
        frames.reclaim_settled("r1", "ann", True),
        frames.host_welcome(
            {}, [], 0, total=0, kicked=0, reclaim_asks=[frames.ReclaimAsk(request_id="r", nickname="a")]
        ),
    ]
    assert {f["type"] for f in built} == set(frames.FRAME_TYPES)
    for frame in built:
        hints = typing.get_type_hints(frames.FRAME_TYPES[frame["type"]])
        required = {k for k in hints if k in frames.FRAME_TYPES[frame["type"]].__required_keys__}
        assert required <= set(frame) <= set(hints), frame["type"]


def test_room_tables_render_the_same_frame_as_the_single_builders() -> None:
    head, row = frames.result_head(3), frames.result_row(None, 0, 1200, 2, 1)
    assert frames.table_row_frame(head, frames.RESULT_FIELDS, row) == frames.result(3, None, 0, 1200, 2, 1)
    assert frames.result(3, None, 0, 1200, 2, 1)["poll"] is True
    head, row = frames.final_head(40), frames.final_row(1200, 2)
    assert frames.table_row_frame(head, frames.FINAL_FIELDS, row) == frames.final(1200, 2, 40)


def test_a_frame_is_over_the_size_limit_by_its_utf8_bytes() -> None:
    assert not frames.over_size("x" * 100, 100)
    assert frames.over_size("x" * 101, 100)
    assert frames.over_size("한" * 34, 100)  # 34 characters, 102 bytes
    assert not frames.over_size("한" * 33, 100)

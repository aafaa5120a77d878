"""Issue 8's targets, checked against a run's figures and printed with the summary: met, or missed and by
how much. The 10,000-player targets apply to one game of 10,000 players, the 2,000-player ones to one game of
2,000 to 9,999; several games are held to "every game finishes with correct results"; the CPU ratios need the
baselines of the same run (`--baselines`)."""

from __future__ import annotations

from typing import Any

Check = tuple[str, float | None, str, float]  # (what, measured, "<=" or ">=", bound)


def _lat(report: dict[str, Any], kind: str, q: str) -> float | None:
    return (report["latency_ms"].get(kind) or {}).get(q)


def checks(reports: list[dict[str, Any]]) -> list[Check]:
    main = reports[0]
    players = main["joins"]["players"]
    found: list[Check] = []
    if main["games"]["games"] > 1:  # the many-games target is about results, not latency
        players = 0
    if players >= 10_000:
        joined_in = main["joins"]["seconds_first_to_last"]
        found += [
            ("players joined", main["joins"]["joined"], ">=", players),
            ("seconds from the first to the last join", joined_in, "<=", 30.0),
            ("frames lost", main["frames"]["lost"], "<=", 0),
            ("question p99 ms", _lat(main, "question", "p99"), "<=", 1000.0),
            ("answer_ack p99 ms", _lat(main, "answer_ack", "p99"), "<=", 250.0),
            ("result after close max ms", _lat(main, "result_after_close", "max"), "<=", 1500.0),
        ]
    elif players >= 2_000:
        found += [
            ("join p99 ms", _lat(main, "join", "p99"), "<=", 250.0),
            ("question p99 ms", _lat(main, "question", "p99"), "<=", 150.0),
            ("answer_ack p99 ms", _lat(main, "answer_ack", "p99"), "<=", 50.0),
        ]
    if main["games"]["games"] > 1:
        found.append(("games correct", main["games"]["correct"], ">=", main["games"]["games"]))
    cpu = {r["target"]: r["cpu"]["game"]["server_cpu_s_per_1000_frames"] for r in reports}
    if main["target"] == "quizzone" and "inmemory" in cpu and cpu["inmemory"]:
        found.append(("CPU per frame / in-memory baseline", cpu["quizzone"] / cpu["inmemory"], "<=", 1.5))
    if main["target"] == "quizzone" and "raw" in cpu and cpu["raw"]:
        found.append(("CPU per frame / raw ASGI ceiling", cpu["quizzone"] / cpu["raw"], "<=", 3.0))
    return found


def met(measured: float | None, op: str, bound: float) -> bool:
    if measured is None:
        return False
    return measured <= bound if op == "<=" else measured >= bound


def text(reports: list[dict[str, Any]]) -> str:
    rows = checks(reports)
    if not rows:
        return ""
    lines = ["targets (issue 8):"]
    for what, measured, op, bound in rows:
        shown = "-" if measured is None else f"{measured:,.2f}".rstrip("0").rstrip(".")
        verdict = "met" if met(measured, op, bound) else "MISSED"
        lines.append(f"  {verdict:<7} {what}: {shown} (target {op} {bound:g})")
    return "\n".join(lines)

"""Turns what the coordinator and the client processes recorded into the report and the summary table."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from bench.loadgen import correctness
from bench.loadgen.client import DELIVERY_BIN_MS, GAME_END_KINDS, ROUND_KINDS
from bench.loadgen.measure import calls_delta, percentiles

GAME_PHASES = ("question", "answer+reveal+result", "leaderboard", "finish")
GAMES_SPAN = "games"  # several games: one measured span from the hosts' `start` to the last `final`


def merge_samples(samples: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {"latency": defaultdict(list), "round_times": defaultdict(list)}
    counters = ("frames_by_kind", "duplicates", "replayed", "errors", "closes", "delivery_bins")
    for name in counters:
        merged[name] = Counter()
    merged["round_counts"], merged["round_last_ack"], merged["welcome_times"] = Counter(), {}, []
    merged["game_counts"], merged["standings"] = Counter(), []
    for key in ("reconnects", "resumed", "gave_up", "answers_sent", "answers_unsent", "cpu_s"):
        merged[key] = 0
    for sample in samples:
        for name in counters:
            merged[name].update(sample[name])
        merged["round_counts"].update(sample["round_counts"])
        merged["game_counts"].update(sample["game_counts"])
        merged["standings"].extend(sample["standings"])
        for kind, values in sample["latency"].items():
            merged["latency"][kind].extend(values)
        for key, values in sample["round_times"].items():
            merged["round_times"][key].extend(values)
        for rnd, at in sample["round_last_ack"].items():
            merged["round_last_ack"][rnd] = max(merged["round_last_ack"].get(rnd, 0.0), at)
        merged["welcome_times"].extend(sample["welcome_times"])
        for key in ("reconnects", "resumed", "gave_up", "answers_sent", "answers_unsent", "cpu_s"):
            merged[key] += sample[key]
    return merged


def frames_lost(merged: dict[str, Any], joined_by_game: list[int], rounds: int) -> dict[str, int]:
    """Expected minus received, per frame type, summed over games and their players (a replayed frame
    counts as received)."""
    counts = merged["game_counts"]

    def lost(kind: str, rnd: int) -> int:
        return sum(max(0, joined - counts.get((g, kind, rnd), 0)) for g, joined in enumerate(joined_by_game))

    by_kind = {kind: sum(lost(kind, r) for r in range(1, rounds + 1)) for kind in ROUND_KINDS}
    by_kind.update({kind: lost(kind, 0) for kind in GAME_END_KINDS})
    return by_kind


def close_latencies(merged: dict[str, Any], rounds: list[dict[str, Any]]) -> dict[str, list[float]]:
    """`reveal` and `result` receipt minus the round's close, per game: its deadline when the timer closed
    it, else the last `answer_ack` a player of that game received (the last answer closes an all-answered
    round)."""
    out: dict[str, list[float]] = {"reveal_after_close": [], "result_after_close": []}
    for entry in rounds:
        game, rnd = entry["game"], entry["round"]
        last_ack = merged["round_last_ack"].get((game, rnd))
        closed = entry["deadline"] if entry["reason"] == "timeout" else last_ack
        if closed is None:
            continue
        for kind in ("reveal", "result"):
            out[f"{kind}_after_close"].extend(
                at - closed for at in merged["round_times"].get(f"{game}:{kind}:{rnd}", [])
            )
    return out


def cpu_figures(phases: list[dict[str, Any]], names: tuple[str, ...]) -> dict[str, Any]:
    chosen = [p for p in phases if p["phase"] in names]
    by_role: Counter[str] = Counter()
    for phase in chosen:
        by_role.update(phase["server_cpu_s"])
    frames = sum(p["frames"] for p in chosen)
    server_s = sum(by_role.values())
    client_s = sum(p["client_cpu_s"] for p in chosen)
    return {
        "frames": frames,
        "server_cpu_s": round(server_s, 3),
        "server_cpu_s_by_role": {role: round(s, 3) for role, s in by_role.items()},
        "server_cpu_s_per_1000_frames": round(server_s / frames * 1000, 4) if frames else None,
        "client_cpu_us_per_frame": round(client_s / frames * 1e6, 1) if frames else None,
        "client_sys_share": round(sum(p["client_sys_s"] for p in chosen) / client_s, 2) if client_s else None,
        "seconds": round(sum(p["seconds"] for p in chosen), 3),
    }


def phase_seconds(game_phases: list[dict[str, Any]]) -> dict[str, Any]:
    """Several games: each phase's seconds over the games (and rounds), as percentiles."""
    by_name: dict[str, list[float]] = defaultdict(list)
    for phase in game_phases:
        by_name[phase["phase"]].append(phase["seconds"] * 1000)
    return {name: percentiles(values) for name, values in by_name.items()}


def games_block(raw: dict[str, Any], merged: dict[str, Any]) -> dict[str, Any]:
    block = correctness.check_games(
        raw["pins"],
        raw["podiums"],
        merged["standings"],
        raw["config"]["questions"],
        raw["stored_results"],
        raw["scored"],
    )
    block["players_per_game"] = raw["config"]["players"]
    block["joined_by_game"] = raw["joined_by_game"]
    if raw["game_phases"]:
        block["phase_ms_over_games"] = phase_seconds(raw["game_phases"])
    return block


def build(raw: dict[str, Any]) -> dict[str, Any]:
    config, joined = raw["config"], raw["joined"]
    games = config["games"]
    merged = merge_samples(raw["samples"])
    lost = frames_lost(merged, raw["joined_by_game"], config["questions"])
    latency = {kind: percentiles(values) for kind, values in merged["latency"].items()}
    latency.update({k: percentiles(v) for k, v in close_latencies(merged, raw["rounds"]).items()})
    welcomes = sorted(merged["welcome_times"])
    join_seconds = (welcomes[-1] - welcomes[0]) / 1000 if len(welcomes) > 1 else 0.0
    marks = raw["redis_marks"]
    redis_game = calls_delta(marks[1], marks[-1]) if marks and marks[0] else {}
    redis_joins = calls_delta(marks[0], marks[1]) if marks and marks[0] else {}
    per_round = [sum(calls_delta(a, b).values()) for a, b in zip(marks[1:-1], marks[2:-1], strict=False)]
    rss = raw["rss_bytes"]
    phase_names = {p["phase"] for p in raw["phases"]}
    questions_played = config["questions"] * games
    return {
        "target": raw["target"],
        "config": config,
        "games": games_block(raw, merged),
        "load_average_before": raw["load_average_before"],
        "load_average_after": raw["load_average_after"],
        "joins": {
            "offered_per_s": config["join_rate"],
            "players": config["players"] * games,
            "joined": joined,
            "seconds_first_to_last": round(join_seconds, 3),
            "achieved_per_s": round((len(welcomes) - 1) / join_seconds, 1) if join_seconds else None,
        },
        "latency_ms": latency,
        "frames": {
            "received_by_kind": dict(merged["frames_by_kind"]),
            "lost_by_kind": lost,
            "lost": sum(lost.values()),
            "duplicates": dict(merged["duplicates"]),
            "replayed_on_resume": dict(merged["replayed"]),
            "host_by_kind": dict(raw["host_frames"]),
        },
        "reconnects": merged["reconnects"],
        "resumed": merged["resumed"],
        "gave_up": merged["gave_up"],
        "errors": dict(merged["errors"]),
        "closes": dict(merged["closes"]),
        "answers": {"sent": merged["answers_sent"], "unsent": merged["answers_unsent"]},
        "cpu": {
            "join": cpu_figures(raw["phases"], ("join",)),
            "game": cpu_figures(raw["phases"], (*GAME_PHASES, GAMES_SPAN)),
            **{name: cpu_figures(raw["phases"], (name,)) for name in GAME_PHASES if name in phase_names},
        },
        "redis": {
            "commands_per_question": round(sum(redis_game.values()) / questions_played, 1)
            if marks[0]
            else None,
            "commands_per_round": per_round,
            "commands_per_join": round(sum(redis_joins.values()) / joined, 2)
            if marks[0] and joined
            else None,
            "top_commands_game": dict(Counter(redis_game).most_common(8)),
            "note": "shared Redis: other clients' commands are counted too unless --own-redis",
        },
        "rss": {
            "before_joins_mb": round(rss["before_joins"] / 2**20, 1),
            "after_joins_mb": round(rss["after_joins"] / 2**20, 1),
            "mb_per_1000_connections": round(
                (rss["after_joins"] - rss["before_joins"]) / 2**20 / joined * 1000, 2
            )
            if joined and rss["before_joins"]
            else None,
        },
        "rounds": raw["rounds"],
        "phases": raw["phases"],
        "all_complete": all(p["complete"] for p in raw["phases"] + raw["game_phases"]),
        "server_tracebacks": raw["tracebacks"],
        "pids": {"server": raw["server_pids"], "clients": raw["client_pids"], "redis": raw["redis_pids"]},
        "timeline": {
            "welcome_times_ms": welcomes,
            "delivery_bins": {
                str(k * DELIVERY_BIN_MS): v for k, v in sorted(merged["delivery_bins"].items())
            },
        },
        "latency_samples_ms": {kind: values for kind, values in merged["latency"].items()},
    }


# --- the summary table


def figures(report: dict[str, Any]) -> list[tuple[str, float | None]]:
    """The (name, value) pairs the summary prints and the baselines are compared on; lower is better
    except for the rates."""
    lat, cpu = report["latency_ms"], report["cpu"]
    games = report["games"]
    rows: list[tuple[str, float | None]] = [
        ("games", games["games"]),
        ("games finished", games["finished"]),
        ("games correct", games["correct"]),
        ("players joined", report["joins"]["joined"]),
        ("joins/s achieved", report["joins"]["achieved_per_s"]),
    ]
    for kind, label in (
        ("join", "join ms"),
        ("question", "question broadcast ms"),
        ("answer_ack", "answer_ack ms"),
        ("result_after_reveal", "result after reveal ms"),
        ("reveal_after_close", "reveal after close ms"),
        ("result_after_close", "result after close ms"),
    ):
        stats = lat.get(kind) or {}
        for q in ("p50", "p95", "p99", "max"):
            if q in ("p95",) and kind not in ("join", "question"):
                continue
            rows.append((f"{label} {q}", stats.get(q)))
    rows += [
        ("frames lost", report["frames"]["lost"]),
        ("reconnects", report["reconnects"]),
        ("server CPU-s / 1000 frames (game)", cpu["game"]["server_cpu_s_per_1000_frames"]),
        ("server CPU-s / 1000 frames (join phase)", cpu["join"]["server_cpu_s_per_1000_frames"]),
        (
            "server CPU ms / join",
            round(cpu["join"]["server_cpu_s"] / max(1, report["joins"]["joined"]) * 1000, 3),
        ),
        ("Redis commands / question", report["redis"]["commands_per_question"]),
        ("RSS MB / 1000 connections", report["rss"]["mb_per_1000_connections"]),
        ("client CPU us / frame (game)", cpu["game"]["client_cpu_us_per_frame"]),
        ("client CPU share in kernel (game)", cpu["game"]["client_sys_share"]),
    ]
    return rows


def ratios(reports: list[dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    """First target's figure divided by each other target's, for every figure."""
    first = dict(figures(reports[0]))
    out: dict[str, dict[str, float | None]] = {}
    for other in reports[1:]:
        theirs = dict(figures(other))
        out[f"{reports[0]['target']}/{other['target']}"] = {
            label: round(value / theirs[label], 3) if value is not None and theirs.get(label) else None
            for label, value in first.items()
        }
    return out


def fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"


def summary_table(reports: list[dict[str, Any]]) -> str:
    names = [r["target"] for r in reports]
    columns = [dict(figures(r)) for r in reports]
    ratio_names = [f"{names[0]}/{n}" for n in names[1:]]
    width = 42
    cell = max(14, *(len(n) + 2 for n in names + ratio_names))
    lines = [f"{'figure':<{width}}" + "".join(f"{n:>{cell}}" for n in names + ratio_names)]
    for label, _ in figures(reports[0]):
        cells = [fmt(col.get(label)) for col in columns]
        base = columns[0].get(label)
        for col in columns[1:]:
            other = col.get(label)
            cells.append(f"{base / other:.2f}x" if base is not None and other else "-")
        lines.append(f"{label:<{width}}" + "".join(f"{c:>{cell}}" for c in cells))
    return "\n".join(lines)

"""PNG plots of a run (matplotlib, Agg): latency CDFs and joins/deliveries over time, all targets overlaid."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - after choosing the backend

from bench.loadgen.client import DELIVERY_BIN_MS  # noqa: E402

CDF_KINDS = (
    ("join", "join (socket open -> welcome)"),
    ("question", "question (receipt - server_time)"),
    ("answer_ack", "answer -> answer_ack"),
    ("result_after_reveal", "reveal -> result"),
)


def latency_cdfs(reports: list[dict[str, Any]], path: Path) -> None:
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    for ax, (kind, title) in zip(axes.flat, CDF_KINDS, strict=True):
        for report in reports:
            values = sorted(report["latency_samples_ms"].get(kind, []))
            if values:
                ax.plot(values, [(i + 1) / len(values) for i in range(len(values))], label=report["target"])
        ax.set_title(title)
        ax.set_xlabel("ms")
        ax.set_ylabel("fraction of samples")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def timeline(reports: list[dict[str, Any]], path: Path) -> None:
    fig, (joins_ax, frames_ax) = plt.subplots(2, 1, figsize=(11, 8))
    for report in reports:
        welcomes = report["timeline"]["welcome_times_ms"]
        if welcomes:
            start = welcomes[0]
            joins_ax.plot(
                [(t - start) / 1000 for t in welcomes], range(1, len(welcomes) + 1), label=report["target"]
            )
        bins = {int(k): v for k, v in report["timeline"]["delivery_bins"].items()}
        if bins:
            start = min(bins)
            xs = range(start, max(bins) + DELIVERY_BIN_MS, DELIVERY_BIN_MS)  # empty bins are zeros, not gaps
            per_second = 1000 / DELIVERY_BIN_MS
            frames_ax.step(
                [(x - start) / 1000 for x in xs],
                [bins.get(x, 0) * per_second for x in xs],
                where="post",
                label=report["target"],
            )
    joins_ax.set_title("players welcomed (cumulative)")
    joins_ax.set_xlabel("s since the first welcome")
    frames_ax.set_title(f"frames delivered to players per second ({DELIVERY_BIN_MS} ms bins)")
    frames_ax.set_xlabel("s since the first delivery")
    for ax in (joins_ax, frames_ax):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write_all(reports: list[dict[str, Any]], directory: Path) -> list[Path]:
    paths = [directory / "latency_cdf.png", directory / "timeline.png"]
    latency_cdfs(reports, paths[0])
    timeline(reports, paths[1])
    return paths

"""The report as a PNG: the funnel, and suggestions by theme (matplotlib, an optional extra)."""

from __future__ import annotations

from pathlib import Path

from bot.report import SMALL, Report, Section, small


class ChartsUnavailable(RuntimeError):
    pass


def draw(report: Report, path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ChartsUnavailable(
            "a PNG report needs matplotlib: pip install 'repere[report]'"
        ) from exc
    charts = [s for s in report.sections if s.values and _first(s)][:4]
    fig, axes = plt.subplots(
        len(charts) or 1, 1, figsize=(9, 2.2 + 2.6 * len(charts)), squeeze=False
    )
    fig.suptitle(report.title, fontsize=12)
    for ax, section in zip(axes[:, 0], charts, strict=False):
        labels = [label for label, _ in section.values]
        counts = [ns[0] for _, ns in section.values]
        shown = [n if n >= SMALL else 0 for n in counts]  # small cells are not drawn
        bars = ax.barh(labels[::-1], shown[::-1], color="#c8102e")
        for bar, n in zip(bars, counts[::-1], strict=True):
            ax.text(
                bar.get_width(),
                bar.get_y() + bar.get_height() / 2,
                " " + small(n),
                va="center",
                fontsize=8,
            )
        ax.set_title(section.title, fontsize=9, loc="left")
        ax.tick_params(labelsize=8)
        ax.spines[["top", "right"]].set_visible(False)
    fig.text(0.01, 0.005, report.note, fontsize=7)
    fig.tight_layout(rect=(0, 0.02, 1, 0.97))
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _first(section: Section) -> bool:
    return any(ns and ns[0] for _, ns in section.values)

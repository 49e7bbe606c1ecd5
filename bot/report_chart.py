"""The report as PNG (matplotlib, an optional extra): an overview page, or one chart per table.

Charts are sized for an A4 page (21 cm wide, text 8 pt or more), titled, with labelled axes.
A count under 5 is not drawn: its bar is left out and "< 5" is written in its place.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from bot.report import SMALL, Grid, Report, Section, small
from bot.report_files import table_name

A4_WIDTH = 8.27  # inches
DPI = 150
COLOURS = ("#c8102e", "#1f4e79", "#7a9a01", "#e08e0b")
OVERVIEW = ("funnel-beneficiary", "unmet-demand", "suggested-theme", "suggested-department")


class ChartsUnavailable(RuntimeError):
    pass


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ChartsUnavailable(
            "a PNG report needs matplotlib: pip install 'repere[report]'"
        ) from exc
    return plt


def chartable(section: Section) -> bool:
    return bool(section.values)


def draw(report: Report, path: Path) -> Path:
    """One page: the main tables (or the empty period said in words)."""
    plt = _pyplot()
    by_slug = {s.slug: s for s in report.sections if chartable(s)}
    charts = [by_slug[slug] for slug in OVERVIEW if slug in by_slug]
    heights = [_height(s) for s in charts] or [1.5]
    fig, axes = plt.subplots(
        len(heights),
        1,
        figsize=(A4_WIDTH, sum(heights) + 1.2),
        squeeze=False,
        gridspec_kw={"height_ratios": heights},
    )
    fig.suptitle(report.title, fontsize=12, fontweight="bold")
    if not charts:
        _empty(axes[0, 0], report.empty or report.note)
    for ax, section in zip(axes[:, 0], charts, strict=False):
        _chart(ax, section)
    fig.text(0.01, 0.005, report.note, fontsize=8)
    fig.tight_layout(rect=(0, 0.02, 1, 0.97))
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def draw_tables(report: Report, folder: Path) -> list[Path]:
    """One PNG per table that has counts (and a page saying so when the period is empty)."""
    plt = _pyplot()
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    if report.empty:
        written.append(draw(report, folder / "00-empty.png"))
    for i, section in enumerate(report.sections, start=1):
        if not chartable(section):
            continue
        fig, ax = plt.subplots(figsize=(A4_WIDTH, _height(section) + 1.4))
        fig.suptitle(report.title, fontsize=9)
        _chart(ax, section)
        fig.text(0.01, 0.01, report.note, fontsize=8)
        fig.tight_layout(rect=(0, 0.03, 1, 0.97))
        path = folder / f"{table_name(i, section)}.png"
        fig.savefig(path, dpi=DPI)
        plt.close(fig)
        written.append(path)
    return written


def _height(section: Section) -> float:
    if section.grid is not None:
        return 2.0 + 0.4 * len(section.grid.rows)
    series = max(1, len(section.header) - 1)
    return 1.2 + 0.22 * len(section.values) * min(series, 3)


def _empty(ax: Any, text: str) -> None:
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=12)


def _chart(ax: Any, section: Section) -> None:
    if section.grid is not None:
        _grid(ax, section, section.grid)
    else:
        _bars(ax, section)


def _grid(ax: Any, section: Section, grid: Grid) -> None:
    """A cell per row × column, darker for more; a small count is a grey cell marked "< 5"."""
    shown = [[n if n >= SMALL else 0 for n in row] for row in grid.counts]
    top = max((n for row in shown for n in row), default=0) or 1
    ax.imshow(shown, cmap="Reds", vmin=0, vmax=top * 1.25, aspect="auto")
    for i, row in enumerate(grid.counts):
        for j, n in enumerate(row):
            if n < SMALL:
                ax.add_patch(_patch(j, i))
            ax.text(j, i, small(n), ha="center", va="center", fontsize=8)
    ax.set_xticks(range(len(grid.columns)), [_wrap(c, 14) for c in grid.columns], fontsize=8)
    ax.set_yticks(range(len(grid.rows)), grid.rows, fontsize=8)
    ax.xaxis.tick_top()
    ax.set_title(textwrap.fill(section.title, 70), fontsize=10, loc="left", pad=40)
    ax.set_xlabel(grid.column_axis, fontsize=9)
    ax.set_ylabel(grid.row_axis, fontsize=9)


def _patch(x: int, y: int) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle((x - 0.5, y - 0.5), 1, 1, color="#eeeeee")


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)[:3])


def _bars(ax: Any, section: Section) -> None:
    labels = [textwrap.shorten(label, 48, placeholder="…") for label, _ in section.values]
    heads = [h for h in section.header[1:] if h] or [section.axis]
    n = len(heads)
    width = 0.8 / n
    positions = range(len(labels))
    for k, head in enumerate(heads):
        counts = [ns[k] if k < len(ns) else 0 for _, ns in section.values]
        ys = [len(labels) - 1 - p + (n - 1 - k) * width - 0.4 + width / 2 for p in positions]
        shown = [c if c >= SMALL else 0 for c in counts]  # a small cell is never drawn
        ax.barh(ys, shown, height=width, color=COLOURS[k % len(COLOURS)], label=head)
        for y, count in zip(ys, counts, strict=True):
            if count >= SMALL or n == 1:  # several series: a hidden cell is a missing bar
                ax.text(
                    count if count >= SMALL else 0, y, " " + small(count), va="center", fontsize=8
                )
    ax.set_yticks([len(labels) - 1 - p for p in positions], labels, fontsize=8)
    ax.set_title(textwrap.fill(section.title, 70), fontsize=10, loc="left")
    ax.set_xlabel(section.axis, fontsize=9)
    ax.tick_params(axis="x", labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    if n > 1:
        ax.legend(fontsize=8, loc="lower right", frameon=False)
    ax.margins(x=0.12)

"""The report's tables as files: one CSV per table, cells as printed (small counts hidden)."""

from __future__ import annotations

import csv
from pathlib import Path

from bot.report import Report, Section


def table_name(index: int, section: Section) -> str:
    return f"{index:02d}-{section.slug or 'table'}"


def csv_tables(report: Report, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    if report.empty:
        path = folder / "00-empty.csv"
        path.write_text(f"{report.title}\n{report.empty}\n", encoding="utf-8")
        written.append(path)
    for i, section in enumerate(report.sections, start=1):
        path = folder / f"{table_name(i, section)}.csv"
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            heads = section.header[1:] if any(section.header[1:]) else ("nombre",)
            writer.writerow([section.title, *heads])
            writer.writerows(section.rows)
        written.append(path)
    return written

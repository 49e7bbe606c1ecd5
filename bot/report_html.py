"""The report as one HTML page a coordinator opens in a browser or prints (A4): every table,
cells as printed (small counts hidden), no script, no external file."""

from __future__ import annotations

from html import escape

from bot.report import Report, Section

STYLE = """
@page { size: A4; margin: 12mm; }
body { font: 10pt/1.35 system-ui, sans-serif; color: #222; max-width: 190mm; margin: auto; }
h1 { font-size: 15pt; margin: 0 0 4mm; }
h2 { font-size: 11pt; margin: 5mm 0 1.5mm; break-after: avoid; }
table { border-collapse: collapse; width: 100%; break-inside: avoid; }
th, td { border-bottom: 1px solid #ddd; padding: 1mm 2mm; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f3f3f3; font-weight: 600; }
p.note, p.empty { color: #555; }
p.empty { font-size: 12pt; }
"""


def as_html(report: Report) -> str:
    parts = [
        "<!doctype html>",
        '<html lang="fr"><head><meta charset="utf-8">',
        f"<title>{escape(report.title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(report.title)}</h1>",
    ]
    if report.empty:
        parts.append(f'<p class="empty">{escape(report.empty)}</p>')
    parts += [_table(s) for s in report.sections]
    parts.append(f'<p class="note">{escape(report.note)}</p></body></html>')
    return "\n".join(parts) + "\n"


def _table(section: Section) -> str:
    out = [f"<h2>{escape(section.title)}</h2>"]
    if not section.rows:
        return out[0] + "\n<p>—</p>"
    out.append("<table>")
    if any(section.header[1:]):
        cells = "".join(f"<th>{escape(h)}</th>" for h in section.header)
        out.append(f"<tr>{cells}</tr>")
    for row in section.rows:
        out.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>")
    out.append("</table>")
    return "\n".join(out)

"""A printable poster per centre (A4 or A5, PDF or PNG): the centre's name, a line in each
language of the bot, the QR code of its deep link, and the bot's @name.

Drawn with Pillow, which comes with the `report` extra (matplotlib needs it), in DejaVu Sans
(shipped with matplotlib): its glyphs cover French, Arabic, Persian and Ukrainian, and Pillow's
text layout joins and orders Arabic and Persian letters where its libraqm is present.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

DPI = 200
SIZES_MM = {"a4": (210, 297), "a5": (148, 210)}
RED, INK = (200, 16, 46), (20, 20, 20)


class PosterUnavailable(RuntimeError):
    pass


def _font_dir() -> Path:
    try:
        import matplotlib
    except ImportError as exc:
        raise PosterUnavailable(
            "a poster needs Pillow and its fonts: pip install 'repere[report]'"
        ) from exc
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def poster(
    link: str,
    centre: str,
    lines: list[tuple[str, bool]],  # (text, right to left)
    bot: str,
    out: Path,
    size: str = "a4",
) -> None:
    try:
        from PIL import Image, ImageDraw, ImageFont, features
    except ImportError as exc:
        raise PosterUnavailable("a poster needs Pillow: pip install 'repere[report]'") from exc
    import segno

    fonts = _font_dir()
    width_mm, height_mm = SIZES_MM[size]
    w, h = (round(mm / 25.4 * DPI) for mm in (width_mm, height_mm))
    scale = w / 1654  # sizes below are for A4 at 200 dpi
    page = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(page)
    layout = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC

    def font(bold: bool, points: float) -> Any:
        name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
        return ImageFont.truetype(str(fonts / name), round(points * scale), layout_engine=layout)

    margin = round(90 * scale)
    y = margin
    draw.rectangle((0, 0, w, round(28 * scale)), fill=RED)
    y += _centred(draw, centre, font(True, 64), w, y, margin, INK) + round(50 * scale)
    for text, rtl in lines:
        direction = "rtl" if rtl and layout == ImageFont.Layout.RAQM else None
        y += _centred(draw, text, font(False, 44), w, y, margin, INK, direction)
        y += round(22 * scale)
    code = segno.make(link, error="m", micro=False)
    side = min(w - 2 * margin, h - y - round(330 * scale))
    modules = int(code.symbol_size(scale=1, border=4)[0])
    box = max(1, side // modules)
    qr = Image.new("1", (modules, modules), 1)
    for row, bits in enumerate(code.matrix_iter(scale=1, border=4)):
        for col, dark in enumerate(bits):
            if dark:
                qr.putpixel((col, row), 0)
    qr = qr.resize((modules * box, modules * box), Image.Resampling.NEAREST)
    y += round(30 * scale)
    page.paste(qr, ((w - qr.width) // 2, y))
    y += qr.height + round(30 * scale)
    y += _centred(draw, f"@{bot}", font(True, 60), w, y, margin, RED) + round(12 * scale)
    _centred(draw, link.removeprefix("https://"), font(False, 32), w, y, margin, INK)
    draw.rectangle((0, h - round(28 * scale), w, h), fill=RED)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".pdf":
        page.save(out, "PDF", resolution=DPI)
    else:
        page.save(out, "PNG", dpi=(DPI, DPI))


def _centred(
    draw: Any,
    text: str,
    font: Any,
    width: int,
    y: int,
    margin: int,
    fill: Any,
    direction: str | None = None,
) -> int:
    """Draw `text` centred, shrunk to fit the width; returns the height it took."""
    size = font.size
    while True:
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font, direction=direction)
        if right - left <= width - 2 * margin or size <= 12:
            break
        size = int(size * 0.9)
        font = font.font_variant(size=size)
    draw.text(
        ((width - (right - left)) // 2 - left, y - top),
        text,
        font=font,
        fill=fill,
        direction=direction,
    )
    return int(bottom - top)

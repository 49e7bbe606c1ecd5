"""`repere qr`: the printed code must carry the centre's deep link (read back with zxing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main


def decode(path: Path) -> str:
    zxingcpp = pytest.importorskip("zxingcpp")
    image = pytest.importorskip("PIL.Image")
    with image.open(path) as picture:
        (found,) = zxingcpp.read_barcodes(picture.convert("L"))
    return str(found.text)


def test_a_centres_qr_code_encodes_its_deep_link(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "gueret.png"
    assert main(["qr", "gueret", "--bot", "RepereBot", "--out", str(out)]) == 0
    assert decode(out) == "https://t.me/RepereBot?start=gueret"
    assert "Guéret" in capsys.readouterr().out


def test_all_centres_and_the_volunteer_link(tmp_path: Path) -> None:
    folder = tmp_path / "qr"
    assert main(["qr", "--all", "--volunteer", "--bot", "@RepereBot", "--out", str(folder)]) == 0
    files = sorted(p.name for p in folder.iterdir())
    assert "limoges-benevole.png" in files and len(files) >= 6
    assert (
        decode(folder / "limoges-benevole.png") == "https://t.me/RepereBot?start=limoges-benevole"
    )


def test_svg_output(tmp_path: Path) -> None:
    out = tmp_path / "pau.svg"
    assert main(["qr", "pau", "--bot", "RepereBot", "--out", str(out)]) == 0
    assert out.read_text().lstrip().startswith("<?xml") and "<svg" in out.read_text()


def test_clear_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["qr", "gueret"]) == 2
    assert "--bot" in capsys.readouterr().err
    assert main(["qr", "atlantis", "--bot", "RepereBot"]) == 1
    assert "unknown centre 'atlantis'" in capsys.readouterr().err
    assert main(["qr", "--bot", "RepereBot"]) == 2
    assert main(["qr", "pau", "--bot", "RepereBot", "--out", str(tmp_path / "x.jpg")]) == 2


def test_a_poster_carries_the_centre_the_code_and_the_bot(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    image = pytest.importorskip("PIL.Image")
    out = tmp_path / "gueret.png"
    assert main(["qr", "gueret", "--bot", "RepereBot", "--poster", "--out", str(out)]) == 0
    assert decode(out) == "https://t.me/RepereBot?start=gueret"
    with image.open(out) as picture:
        assert picture.size == (1654, 2339)  # A4 at 200 dpi
        gray = picture.convert("L")
        top = gray.crop((0, 60, 1654, 520))  # the name and the five lines: ink above the code
        assert top.getextrema()[0] < 50
    small = tmp_path / "gueret-a5.png"
    args = ["qr", "gueret", "--bot", "RepereBot", "--poster", "--size", "a5", "--out", str(small)]
    assert main(args) == 0
    assert decode(small) == "https://t.me/RepereBot?start=gueret"


def test_posters_for_every_centre_as_pdf(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("matplotlib")
    folder = tmp_path / "posters"
    assert main(["qr", "--all", "--poster", "--bot", "RepereBot", "--out", str(folder)]) == 0
    files = sorted(folder.iterdir())
    assert len(files) >= 6 and all(p.name.endswith("-affiche-a4.pdf") for p in files)
    assert all(p.read_bytes().startswith(b"%PDF") for p in files)
    assert (
        main(["qr", "pau", "--bot", "RepereBot", "--poster", "--out", str(tmp_path / "p.svg")]) == 2
    )
    assert ".png or .pdf" in capsys.readouterr().err

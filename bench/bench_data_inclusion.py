"""data·inclusion import speed and memory on a synthetic export, beside a bare JSON parse.

    python -m bench.bench_data_inclusion [--services 100000] [--runs 5] [--quick]

Writes two synthetic services exports (JSON arrays, as the open data is published) whose
records are made by the `data-inclusion-schema` models themselves, and a structures file:
- the worst case: every record in Nouvelle-Aquitaine, so each goes through the whole mapping;
- a national mix, like the real export: records spread over France, the region holding its
  real share of them (about 9 %).
For each, runs as whole processes and interleaved (import, parse, import, parse…) the import
(`repere catalogue import-data-inclusion`) and a bare `json.load` of the same file. Reports
the median and the spread (fastest-slowest) of each in MB/s and records/s, and the peak RSS of
each (VmHWM; for the import, the largest of the main process and its workers: a large file is
mapped on every core). Targets (issue 14): import >= 20 MB/s, peak RSS <= 300 MB.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from data_inclusion.schema.v1 import Service, Structure

from bench.stats import machine_load
from bot.paths import CATALOGUE_DIR
from bot.resources import load_base

THEMATIQUES = [
    ["lecture-ecriture-calcul--maitriser-le-francais"],
    ["lecture-ecriture-calcul--maitriser-le-calcul"],
    ["numerique--maitriser-les-fondamentaux-du-numerique"],
    ["choisir-un-metier--identifier-ses-points-forts-et-ses-competences"],
    ["trouver-un-emploi--repondre-a-des-offres-demploi", "remobilisation--lien-social"],
    ["se-former--trouver-sa-formation"],
]
HOURS = ["Mo-Fr 08:30-12:00,13:30-17:00; PH off", "Tu,Th 14:00-16:30", "Mo-We 09:00-12:00", None]
PUBLICS = [["tous-publics"], ["personnes-exilees"], ["demandeurs-emploi", "jeunes"]]
SOURCES = ["dora", "france-travail", "mes-aides", "carif-oref", "soliguide"]
STRUCTURES = 5000
REGION_SHARE = 0.09  # Nouvelle-Aquitaine's share of data·inclusion's national export


def other_communes() -> list[tuple[str, str, str, str]]:
    """(insee, name, postal code, department) of France's communes outside the region."""
    path = CATALOGUE_DIR / "communes-other.tsv.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = csv.DictReader(f, delimiter="\t")
        return [(r["insee"], r["name"], r["postal_code"], r["department"]) for r in rows]


def write_synthetic(
    folder: Path, services: int, seed: int = 14, share: float = 1.0
) -> tuple[Path, Path, int]:
    """(services file, structures file, size of the services file in bytes); a `share` of the
    services in the region, the others anywhere else in France."""
    gazetteer, _ = load_base()
    rnd = random.Random(seed)
    communes = gazetteer.communes
    picks = rnd.choices(communes, weights=[c.population + 200 for c in communes], k=services)
    others = other_communes() if share < 1 else []
    structures_path = folder / "structures.json"
    with structures_path.open("w", encoding="utf-8") as f:
        f.write("[\n")
        for n in range(STRUCTURES):
            record: dict[str, Any] = {
                "source": "dora",
                "id": f"dora--s{n}",
                "nom": f"Structure synthétique {n}",
                "date_maj": "2026-09-01",
                "telephone": f"+33536{n % 1000000:06d}",
                "reseaux_porteurs": ["aci"] if n % 7 == 0 else [],
            }
            made = Structure.model_validate(record).model_dump(mode="json", exclude_none=True)
            f.write(("" if n == 0 else ",\n") + json.dumps(made, ensure_ascii=False))
        f.write("\n]\n")
    path = folder / "services.json"
    with path.open("w", encoding="utf-8") as f:
        f.write("[\n")
        for n, c in enumerate(picks):
            insee, name, postal, department = c.insee, c.name, c.postal_codes[0], c.department
            if rnd.random() >= share:
                insee, name, postal, department = rnd.choice(others)
            source = SOURCES[n % len(SOURCES)]
            record = {
                "source": source,
                "structure_id": f"dora--s{n % STRUCTURES}",
                "id": f"{source}--{n:07d}",
                "nom": f"Service synthétique {n} : ateliers et accompagnement",
                "description": (
                    "Un accompagnement en petit groupe pour apprendre, reprendre confiance et "
                    "préparer la suite de son parcours. Des ateliers chaque semaine, avec un "
                    "animateur. Venez avec vos questions."
                ),
                "date_maj": f"2026-{rnd.randint(1, 11):02d}-{rnd.randint(1, 28):02d}",
                "thematiques": rnd.choice(THEMATIQUES),
                "frais": rnd.choice(["gratuit", "gratuit", "payant"]),
                "publics": rnd.choice(PUBLICS),
                "commune": name,
                "code_postal": postal,
                "code_insee": insee,
                "adresse": f"{n % 90 + 1} rue de l'Exemple",
                "latitude": round(c.lat, 5),
                "longitude": round(c.lon, 5),
                "telephone": f"+33536{n % 1000000:06d}",
                "courriel": f"contact{n}@exemple.org",
                "modes_accueil": ["en-presentiel"] if n % 4 else ["en-presentiel", "a-distance"],
                "modes_mobilisation": ["telephoner", "se-presenter"],
                "mobilisable_par": ["usagers", "professionnels"],
                "lien_mobilisation": f"https://inscription.exemple.org/{n}",
                "horaires_accueil": HOURS[n % len(HOURS)],
                "volume_horaire_hebdomadaire": rnd.choice([3, 6, 20, None]),
                "zone_eligibilite": [department],
            }
            if n < 100:  # the first records prove the others' shape valid for the schema
                record = Service.model_validate(record).model_dump(mode="json", exclude_none=True)
            f.write(("" if n == 0 else ",\n") + json.dumps(record, ensure_ascii=False))
        f.write("\n]\n")
    return path, structures_path, path.stat().st_size


_MEASURE = (
    "import json, sys, time\n"
    "t = time.perf_counter()\n"
    "{work}\n"
    "elapsed = time.perf_counter() - t\n"
    "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
    "import resource\n"
    "kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
    "print(json.dumps([elapsed, max(int(hwm.split()[1]) / 1024, kids), {result}]))\n"
)


def _child(work: str, result: str) -> tuple[float, float, str]:
    code = _MEASURE.format(work=work, result=result)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = done.stdout.strip().splitlines()
    seconds, rss, outcome = json.loads(lines[-1])
    return float(seconds), float(rss), "\n".join([*lines[:-1], str(outcome)])


def import_in_child(services: Path, structures: Path, out: Path) -> tuple[float, float, str]:
    work = (
        "from bot.cli import main\n"
        f"rc = main(['catalogue', 'import-data-inclusion', {str(services)!r}, '--structures', "
        f"{str(structures)!r}, '--out', {str(out)!r}, '--today', '2026-12-01'])"
    )
    seconds, rss, text = _child(work, "rc")
    assert text.endswith("0"), text
    return seconds, rss, text.splitlines()[0]


def parse_in_child(services: Path) -> tuple[float, float]:
    work = f"data = json.load(open({str(services)!r}, 'rb'))"
    seconds, rss, _ = _child(work, "len(data)")
    return seconds, rss


def run(services: int, runs: int) -> str:
    out = []
    for label, share in (
        ("worst case: every record in the region", 1.0),
        (f"national mix: {REGION_SHARE:.0%} of the records in the region", REGION_SHARE),
    ):
        out.append(measure(label, services, runs, share))
    return "\n".join(out)


def measure(label: str, services: int, runs: int, share: float) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path, structures, size = write_synthetic(Path(tmp), services, share=share)
        imports: list[tuple[float, float]] = []
        parses: list[tuple[float, float]] = []
        summary = ""
        for n in range(runs):  # interleaved: a slower moment of the machine hits both
            seconds, rss, summary = import_in_child(path, structures, Path(tmp) / f"cat{n}")
            imports.append((seconds, rss))
            parses.append(parse_in_child(path))
    mb = size / 1e6

    def figures(what: str, timings: list[tuple[float, float]]) -> str:
        rates = sorted(mb / t for t, _ in timings)
        median = statistics.median(t for t, _ in timings)
        return (
            f"  {what}: median {mb / median:.1f} MB/s, {services / median:,.0f} records/s "
            f"(spread {rates[0]:.1f}-{rates[-1]:.1f} MB/s over {runs} runs) · "
            f"median {median:.2f} s · peak RSS {max(r for _, r in timings):.0f} MB"
        )

    return "\n".join(
        [
            f"{label} — {services} services, {mb:.1f} MB (JSON array) · {summary}",
            figures("import (targets >= 20 MB/s, <= 300 MB)", imports),
            figures("bare json.load of the same file", parses),
        ]
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--services", type=int, default=100_000)
    p.add_argument("--runs", type=int, default=5, help="interleaved runs of each")
    p.add_argument("--quick", action="store_true", help="1,000 services, one run")
    args = p.parse_args()
    print(f"before: {machine_load()}")
    print(run(1000 if args.quick else args.services, 1 if args.quick else args.runs))
    print(f"after: {machine_load()} (a shared machine: wall time waits for a core)")


if __name__ == "__main__":
    main()

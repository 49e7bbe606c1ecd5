"""LHEO import speed and memory on a synthetic file, against a DOM parse in the same run.

    python -m bench.bench_lheo [--actions 50000] [--runs 3] [--quick]

Writes a synthetic LHEO 2.3 file (one action per formation, 1-2 sessions, places spread over the
region's communes), imports it in a whole process timed from outside, interpreter and imports
included (peak RSS: the largest of that process and its workers, from VmHWM and ru_maxrss; CPU:
the process and its workers), then loads the imported catalogue and times `suggest` on it.
The baseline, a process run after each import, parses the same file into one DOM tree
(ElementTree.parse), the way one often starts; it uses one core where the import uses worker
processes, so the two are compared by CPU time, wall times shown beside.
Targets (issue 6): import >= 20 MB/s, peak RSS <= 300 MB; the imported catalogue
within the catalogue's targets.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from bench.stats import Spread, machine_load, percentile
from bot.catalogue.gazetteer import place_of
from bot.matching import Profile
from bot.resources import load_resources

TODAY = date(2026, 11, 26)
CODES = [
    "15235",
    "15040",
    "15041",
    "15043",
    "15050",
    "15061",
    "15062",
    "15084",
    "42752",
    "22454",
    "31812",
]
GOALS = ["5", "9", "8", "6"]


def write_synthetic(path: Path, actions: int, seed: int = 5) -> int:
    """An LHEO 2.3 file of `actions` actions; returns its size in bytes."""
    res = load_resources()
    rnd = random.Random(seed)
    communes = res.gazetteer.communes
    weights = [c.population + 200 for c in communes]
    picks = rnd.choices(communes, weights=weights, k=actions)
    with path.open("w", encoding="utf-8") as f:
        f.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<lheo xmlns="http://lheo.gouv.fr/2.3">'
            "\n<offres>\n"
        )
        for n, c in enumerate(picks):
            start = 20270101 + 100 * rnd.randint(0, 8) + rnd.randint(1, 27)
            sessions = "".join(
                f"<session numero='S{n}-{k}'><periode><debut>{start + k * 100}</debut>"
                f"<fin>{start + k * 100 + 300}</fin></periode><etat-recrutement>1"
                "</etat-recrutement></session>"
                for k in range(rnd.choice([1, 2]))
            )
            f.write(
                f'<formation numero="F{n:06d}" datemaj="20261001"><domaine-formation>'
                f"<code-FORMACODE>{rnd.choice(CODES)}</code-FORMACODE></domaine-formation>"
                f"<intitule-formation>Formation synthétique {n}</intitule-formation>"
                "<objectif-formation>Objectif de la formation : acquérir les savoirs de base "
                "utiles à la vie quotidienne et professionnelle.</objectif-formation>"
                "<contenu-formation>Lecture, écriture, calcul, numérique, découverte des "
                "métiers.</contenu-formation>"
                "<contact-formation><coordonnees><telfixe><numtel>01 99 00 "
                f"{n // 100 % 100:02d} {n % 100:02d}</numtel></telfixe><courriel>"
                f"contact{n}@of.example.org</courriel></coordonnees></contact-formation>"
                f"<objectif-general-formation>{rnd.choice(GOALS)}</objectif-general-formation>"
                f'<action numero="A{n:06d}"><code-public-vise>80006</code-public-vise>'
                "<code-public-vise>83056</code-public-vise>"
                "<modalites-enseignement>0</modalites-enseignement>"
                '<lieu-de-formation tag="principal"><coordonnees><adresse><ligne>'
                f"{n % 90 + 1} rue de l'Exemple</ligne><codepostal>{c.postal_codes[0]}"
                f"</codepostal><ville>{escape(c.name)}</ville><code-INSEE-commune>{c.insee}"
                "</code-INSEE-commune><geolocalisation><latitude>"
                f"{c.lat:.5f}</latitude><longitude>{c.lon:.5f}</longitude></geolocalisation>"
                "</adresse></coordonnees></lieu-de-formation>"
                f"<modalites-entrees-sorties>{rnd.choice('001')}</modalites-entrees-sorties>"
                f"{sessions}<nombre-heures-total>300</nombre-heures-total>"
                "<organisme-formateur><raison-sociale-formateur>Organisme synthétique "
                f"{n % 500}</raison-sociale-formateur></organisme-formateur>"
                "<organisme-financeur><code-financeur>2</code-financeur></organisme-financeur>"
                "</action></formation>\n"
            )
        f.write("</offres>\n</lheo>\n")
    return path.stat().st_size


def whole_process(code: str) -> tuple[float, float, list[str]]:
    """Wall time from outside (interpreter and imports included), CPU time of the process
    and of its workers, and its output lines."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu, done.stdout.strip().splitlines()


def import_in_child(xml: Path, out: Path) -> tuple[float, float, float, str]:
    """(wall s, CPU s, peak RSS MB, summary) of `repere catalogue import-lheo` as a process."""
    code = (
        "import json\n"
        "from bot.cli import main\n"
        f"rc = main(['catalogue', 'import-lheo', {str(xml)!r}, '--out', {str(out)!r},"
        " '--today', '2026-11-26'])\n"
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
        "import resource\n"
        "kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print(json.dumps([int(hwm.split()[1]) / 1024, rc, kids]))\n"
    )
    wall, cpu, lines = whole_process(code)
    rss, rc, workers = json.loads(lines[-1])
    assert rc == 0, lines
    return wall, cpu, max(float(rss), float(workers)), lines[0]


def dom_in_child(xml: Path) -> tuple[float, float]:
    """(wall s, CPU s) of a process parsing the file into one DOM tree (the baseline)."""
    wall, cpu, _lines = whole_process(
        f"import xml.etree.ElementTree as ET\nET.parse({str(xml)!r})\nprint('{{}}')"
    )
    return wall, cpu


def run(actions: int, queries: int, runs: int) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        xml = Path(tmp) / "feed.xml"
        size = write_synthetic(xml, actions)
        timings = []
        doms = []
        for n in range(runs):  # each into an empty catalogue, the baseline in between
            out = Path(tmp) / f"cat{n}"
            timings.append(import_in_child(xml, out))
            doms.append(dom_in_child(xml))
        seconds = Spread.of([t[0] for t in timings])
        cpu = Spread.of([t[1] for t in timings])
        rss = max(t[2] for t in timings)
        summary = timings[0][3]
        dom = Spread.of([d[0] for d in doms])
        dom_cpu = Spread.of([d[1] for d in doms])
        t = time.perf_counter()
        res = load_resources(Path(tmp) / "cat0", cache_dir=Path(tmp) / "cache")
        first_load = time.perf_counter() - t
        rnd = random.Random(1)
        times = []
        for commune in rnd.choices(res.gazetteer.communes, k=queries):
            profile = Profile(
                place_of(commune),
                res.lexicon.match(rnd.choice(["fle", "lire", "ordinateur", "métier"])).themes,
            )
            t = time.perf_counter()
            res.matcher.suggest(profile, TODAY)
            times.append((time.perf_counter() - t) * 1000)
        ordered = sorted(times)
    mb = size / 1e6
    return "\n".join(
        [
            f"file: {actions} actions, {mb:.1f} MB · {summary} · {machine_load()}",
            f"import, whole process (interpreter and imports included), median of {runs}: "
            f"{seconds.show('.2f', ' s')} · {mb / seconds.median:.1f} MB/s (target >= 20 MB/s) · "
            f"CPU of the process and its workers {cpu.show('.2f', ' s')} · "
            f"peak RSS {rss:.0f} MB, the largest process of the import (target <= 300 MB)",
            f"baseline, a process parsing the file into one DOM tree (ElementTree.parse, one "
            f"core), interleaved: {dom.show('.2f', ' s')} · {mb / dom.median:.1f} MB/s · CPU "
            f"{dom_cpu.show('.2f', ' s')} · the import costs {cpu.median / dom_cpu.median:.1f}x "
            "its CPU time",
            f"first load of the imported catalogue (validated, compiled, cached): "
            f"{first_load:.1f} s",
            f"suggest on the imported catalogue: p50 {statistics.median(ordered):.3f} ms · "
            f"p99 {percentile(ordered, 0.99):.3f} ms (targets 1 / 5 ms)",
        ]
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--actions", type=int, default=50_000)
    p.add_argument("--queries", type=int, default=1000)
    p.add_argument("--runs", type=int, default=3, help="imports timed (the median is shown)")
    p.add_argument("--quick", action="store_true", help="1,000 actions, one run")
    args = p.parse_args()
    quick = args.quick
    print(
        run(
            1000 if quick else args.actions,
            100 if quick else args.queries,
            1 if quick else args.runs,
        )
    )


if __name__ == "__main__":
    main()

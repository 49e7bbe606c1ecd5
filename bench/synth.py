"""A synthetic catalogue spread over the region's communes (weighted by population).

python -m bench.synth OUT_DIR [--offers 50000] [--seed 1] [--format lines|yaml]

`lines` (the default) writes each department's file as the importers write theirs (LHEO,
data·inclusion): one offer per line, in JSON, which is YAML. That is how a catalogue of
national size arrives. `yaml` writes the block YAML a coordinator writes by hand: the same
offers, parsed about seven times slower.
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import date, timedelta
from pathlib import Path

import yaml

from bot.catalogue.gazetteer import Gazetteer
from bot.catalogue.themes import Lexicon
from bot.paths import CATALOGUE_DIR

WORDS = [
    "Lire",
    "Écrire",
    "Compter",
    "Français",
    "Numérique",
    "Métier",
    "Cuisine",
    "Bâtiment",
    "Jardin",
    "Atelier",
    "Parcours",
    "Passerelle",
    "Accueil",
    "Logistique",
    "Projet",
]


# the bundled themes (a synthetic catalogue is written beside no themes file of its own)
THEMES = sorted(Lexicon.load(CATALOGUE_DIR / "themes.yaml").names)


def synth_offer(rnd: random.Random, n: int, insee: str, today: date) -> dict[str, object]:
    themes = rnd.sample(THEMES, rnd.choice([1, 1, 1, 2]))
    start = today + timedelta(days=rnd.randint(-60, 200))
    remote = rnd.random() < 0.03
    offer: dict[str, object] = {
        "id": f"syn-{n:06d}",
        "title": " ".join(rnd.sample(WORDS, 3)) + f" {n}",
        "summary": "Offre synthétique pour les mesures de vitesse.",
        "themes": themes,
        "organisation": {"name": f"Organisme synthétique {n % 997}"},
        "mode": "remote" if remote else "on_site",
        "contact": {"phone": f"01 99 00 {n // 100 % 100:02d} {n % 100:02d}"},
        "last_updated": today.isoformat(),
        "source": "example",
    }
    if not remote:
        offer["places"] = [{"address": f"{n % 90 + 1} rue de l'Exemple", "insee": insee}]
    if rnd.random() < 0.3:
        offer["permanent_entry"] = True
    else:
        offer["sessions"] = [
            {"start": start.isoformat(), "end": (start + timedelta(days=90)).isoformat()}
        ]
    if rnd.random() < 0.3:
        offer["eligibility"] = {
            "age_min": rnd.choice([16, 18, 26]),
            "jobseeker_required": rnd.random() < 0.5,
        }
    return offer


FORMATS = ("lines", "yaml")


def write_synthetic(
    out: Path,
    n_offers: int,
    seed: int = 1,
    today: date = date(2026, 11, 26),
    form: str = "lines",
) -> Path:
    """Write `n_offers` offers under out/offers/, one file per department."""
    gazetteer = Gazetteer.load(CATALOGUE_DIR)
    rnd = random.Random(seed)
    communes = gazetteer.communes
    weights = [c.population + 200 for c in communes]
    picks = rnd.choices(communes, weights=weights, k=n_offers)
    by_dep: dict[str, list[dict[str, object]]] = {}
    for n, commune in enumerate(picks):
        by_dep.setdefault(commune.department, []).append(synth_offer(rnd, n, commune.insee, today))
    (out / "offers").mkdir(parents=True, exist_ok=True)
    for dep, offers in sorted(by_dep.items()):
        if form == "yaml":
            text = yaml.dump(
                {"department": dep, "offers": offers},
                Dumper=yaml.CSafeDumper,
                allow_unicode=True,
                sort_keys=False,
            )
        else:
            lines = (f"- {json.dumps(o, ensure_ascii=False)}\n" for o in offers)
            text = f"department: '{dep}'\noffers:\n" + "".join(lines)
        (out / "offers" / f"{dep}.yaml").write_text(text, encoding="utf-8")
    return out


def ensure_synthetic(root: Path, n_offers: int, seed: int = 1, form: str = "lines") -> Path:
    """The catalogue root/synthetic-N (written once: a later bench reuses it)."""
    out = root / f"synthetic-{n_offers}-{seed}-{form}"
    done = out / "complete"
    if not done.exists():
        write_synthetic(out, n_offers, seed, form=form)
        done.write_text("written by bench.synth\n", encoding="utf-8")
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("out", type=Path)
    p.add_argument("--offers", type=int, default=50_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--format", choices=FORMATS, default="lines")
    args = p.parse_args()
    write_synthetic(args.out, args.offers, args.seed, form=args.format)
    print(f"{args.offers} offers written under {args.out}/offers")


if __name__ == "__main__":
    main()

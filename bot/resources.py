"""Everything the bot reads from disk, loaded once and handed around as one value."""

from __future__ import annotations

import gc
from dataclasses import dataclass
from pathlib import Path

from bot.cache import cached
from bot.catalogue.centres import Centres, load_centres
from bot.catalogue.gazetteer import Gazetteer
from bot.catalogue.load import Catalogue, load_catalogue
from bot.catalogue.themes import Lexicon
from bot.dialogue.flow import Flow, load_flows
from bot.matching import Matcher
from bot.messages import Messages
from bot.paths import CATALOGUE_DIR, FLOWS_DIR

GAZETTEER_FILES = ("communes.tsv", "departments.tsv", "communes-other.tsv.gz")


@dataclass(frozen=True)
class Resources:
    gazetteer: Gazetteer
    lexicon: Lexicon
    catalogue: Catalogue
    matcher: Matcher
    messages: Messages
    flows: dict[str, Flow]
    centres: Centres


def load_base(
    catalogue_dir: Path = CATALOGUE_DIR, cache_dir: Path | None = None
) -> tuple[Gazetteer, Lexicon]:
    """The map and the lexicon, from `catalogue_dir` or else the bundled catalogue folder."""
    base = catalogue_dir if (catalogue_dir / "communes.tsv").exists() else CATALOGUE_DIR
    files = [base / name for name in GAZETTEER_FILES if (base / name).exists()]

    def build() -> Gazetteer:
        gazetteer = Gazetteer.load(base)
        gazetteer.warm()
        return gazetteer

    gazetteer = cached(Gazetteer, "gazetteer", files, base, build, cache_dir)
    lexicon_path = catalogue_dir / "themes.yaml"
    lexicon = Lexicon.load(lexicon_path if lexicon_path.exists() else CATALOGUE_DIR / "themes.yaml")
    return gazetteer, lexicon


def load_resources(
    catalogue_dir: Path = CATALOGUE_DIR,
    flows_dir: Path = FLOWS_DIR,
    cache_dir: Path | None = None,
) -> Resources:
    """Load everything; raises yamlsrc.DataError naming `path:line` on a broken file."""
    gazetteer, lexicon = load_base(catalogue_dir, cache_dir)
    catalogue = load_catalogue(catalogue_dir, gazetteer, cache_dir)
    messages = Messages.load(flows_dir / "messages.yaml")
    flows = load_flows(flows_dir)
    centres_path = catalogue_dir / "centres.yaml"
    centres = load_centres(
        centres_path if centres_path.exists() else CATALOGUE_DIR / "centres.yaml"
    )
    return Resources(gazetteer, lexicon, catalogue, Matcher(catalogue), messages, flows, centres)


def settle() -> None:
    """Move what was loaded out of the garbage collector's way (it lives as long as the process).

    Long-lived data makes every full collection walk hundreds of thousands of objects, which
    shows as latency spikes on turns. Called by the long-running commands after (re)loading;
    `gc.unfreeze()` first, so that what a reload replaced can still be collected.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()

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
from bot.yamlsrc import DataError, Problem

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
    """Load everything; raises yamlsrc.DataError naming `path:line` on a broken file.

    Start-up and reload run every check of `repere flows check` and `repere catalogue
    check`: an error refuses the whole (the running version is kept), a warning does not.
    """
    gazetteer, lexicon = load_base(catalogue_dir, cache_dir)
    catalogue = load_catalogue(catalogue_dir, gazetteer, cache_dir)
    messages = Messages.load(flows_dir / "messages.yaml")
    check_flows_or_refuse(flows_dir, glossary_of(catalogue_dir), cache_dir)
    flows = load_flows(flows_dir)
    centres_path = catalogue_dir / "centres.yaml"
    centres = load_centres(
        centres_path if centres_path.exists() else CATALOGUE_DIR / "centres.yaml"
    )
    return Resources(gazetteer, lexicon, catalogue, Matcher(catalogue), messages, flows, centres)


def glossary_of(catalogue_dir: Path) -> Path:
    path = catalogue_dir / "glossary.yaml"
    return path if path.exists() else CATALOGUE_DIR / "glossary.yaml"


def check_flows_or_refuse(flows_dir: Path, glossary: Path, cache_dir: Path | None) -> None:
    """`repere flows check` on `flows_dir`; DataError with its errors, if any. A clean result
    is remembered beside the compiled catalogue, keyed by the files' bytes (no lint at the
    next start of the same files)."""

    def lint() -> list[Problem]:
        from bot.dialogue.lint import check_flows  # its models cost 50 ms to import

        problems = check_flows(flows_dir, glossary)
        if errors := [p for p in problems if not p.warning]:
            raise DataError(sorted(errors, key=lambda p: (p.path, p.line)))
        return problems

    files = [p.resolve() for p in sorted(flows_dir.glob("*.yaml"))]
    files += [glossary.resolve()] if glossary.exists() else []
    cached(list, "flow-lint", files, Path(files[0].anchor) if files else flows_dir, lint, cache_dir)


def settle() -> None:
    """Move what was loaded out of the garbage collector's way (it lives as long as the process).

    Long-lived data makes every full collection walk hundreds of thousands of objects, which
    shows as latency spikes on turns. Called by the long-running commands after (re)loading;
    `gc.unfreeze()` first, so that what a reload replaced can still be collected.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()

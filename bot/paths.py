"""Where the data that coordinators edit lives (flows/ and catalogue/ beside the package)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(os.environ.get("REPERE_HOME", Path(__file__).resolve().parent.parent))
CATALOGUE_DIR = ROOT / "catalogue"
FLOWS_DIR = ROOT / "flows"

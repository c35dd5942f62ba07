"""The demo starts from nothing: it deletes the home's warehouse, landing store and lineage. Ask first."""

from __future__ import annotations

import sys
from pathlib import Path

from northstar.settings import Settings


def existing_state(settings: Settings) -> list[Path]:
    """The home's folders that hold something from earlier runs (warehouse, landing, lineage)."""
    folders = (settings.warehouse_dir, settings.landing_dir, settings.lineage_dir)
    return [f for f in folders if f.is_dir() and any(p.is_file() and p.suffix != ".log" for p in f.rglob("*"))]


def confirm_reset(settings: Settings, assume_yes: bool) -> bool:
    """True when the demo may delete the home's state: none there, --yes, or a person typed y at the prompt.

    Without a terminal to ask on, it refuses and says how to agree (`make demo YES=1`, `python -m demo --yes`).
    """
    found = existing_state(settings)
    if not found or assume_yes:
        return True
    listing = ", ".join(str(f) for f in found)
    if not sys.stdin.isatty():
        print(f"demo: {settings.home} holds state from earlier runs ({listing}); the demo deletes it\n"
              "demo: to go ahead: `make demo YES=1` or `northstar demo --yes`", file=sys.stderr)  # fmt: skip
        return False
    answer = input(f"The demo deletes the state in {settings.home} ({listing}). Delete it? [y/N] ")
    return answer.strip().lower() in ("y", "yes")

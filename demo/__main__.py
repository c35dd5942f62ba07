"""`python -m demo` (what `make demo` runs): seed the local sources, run every flow, print the story."""

import sys

from cli.main import prefect_defaults
from northstar.settings import SettingsError, load_settings

try:
    settings = load_settings()
    prefect_defaults(settings.home)  # before anything imports Prefect, which reads them once
except SettingsError as exc:
    sys.exit("\n".join(f"demo: {problem}" for problem in exc.problems))

from demo.state import confirm_reset

if not confirm_reset(settings, assume_yes="--yes" in sys.argv[1:]):
    sys.exit(2)

from demo.run import run_demo

sys.exit(run_demo(sys.stdout))

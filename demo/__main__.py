"""`python -m demo` (what `make demo` runs): seed the local sources, run every flow, print the story."""

import sys

from cli.main import prefect_defaults
from demo.run import run_demo
from northstar.settings import SettingsError, load_settings

try:
    prefect_defaults(load_settings().home)
except SettingsError as exc:
    sys.exit("\n".join(f"demo: {problem}" for problem in exc.problems))
sys.exit(run_demo(sys.stdout))

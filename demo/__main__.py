"""`python -m demo` (what `make demo` runs): seed the local sources, run every flow, print the story."""

import sys

from cli.main import prefect_defaults
from demo.run import run_demo

prefect_defaults()
sys.exit(run_demo(sys.stdout))

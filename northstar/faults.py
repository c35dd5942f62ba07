"""A test-only fault hook: NORTHSTAR_FAULT_POINT names a step boundary at which the process kills itself.

The crash tests run a real `northstar run` subprocess with it set, then rerun without it and check that nothing
was lost or doubled. It is read at the engine's step boundaries only; unset (always, outside those tests), a
fault point does nothing.
"""

from __future__ import annotations

import os
import signal

FAULT_POINTS = (
    "after_lease",  # the lease is taken, nothing landed
    "after_extract",  # raw landed with its manifest
    "after_validate",  # load files written
    "publish_before_commit",  # inside the load transaction, every statement run, before COMMIT
    "after_commit",  # committed, lineage COMPLETE not yet emitted
)


def fault_point(name: str) -> None:
    """SIGKILL this process when NORTHSTAR_FAULT_POINT is name (no cleanup runs, as in a real crash)."""
    if os.environ.get("NORTHSTAR_FAULT_POINT") == name:
        os.kill(os.getpid(), signal.SIGKILL)

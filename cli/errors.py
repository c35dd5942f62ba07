"""What an expected failure means to the person at the terminal: one or two lines and an exit code.

`explain(exc, args)` maps the exceptions a command can meet in normal use (bad settings or arguments, a warehouse
or source that cannot be reached, a query the warehouse refuses) to lines `what failed ...; next step` and an
exit code: 2 for bad input or settings, 1 for a failure of a service or run. Anything else is a bug: it returns
None and the caller prints the traceback. Exception classes are matched by module and name, so explaining an
error never imports a package the command did not use.
"""

from __future__ import annotations

import argparse
from typing import Any

BAD_INPUT, FAILED = 2, 1
RESTART = "`northstar status` shows the local stack; `northstar down` then `northstar up` restarts it"
SHOW_TABLES = '`northstar query "SHOW TABLES"` lists the tables; names are schema-qualified (CORE.ORDERS)'


def explain(exc: BaseException, args: argparse.Namespace) -> tuple[list[str], int] | None:
    """The lines (without the `northstar: ` prefix) and exit code for an expected failure, or None."""
    for cause in _chain(exc):
        explained = _one(cause, args)
        if explained is not None:
            return explained
    return None


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and what caused it (a Prefect flow re-raises its task's error; a wrapper names a cause)."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _names(exc: BaseException) -> set[str]:
    return {f"{k.__module__}.{k.__name__}" for k in type(exc).__mro__}


def _one(exc: BaseException, args: argparse.Namespace) -> tuple[list[str], int] | None:
    names = _names(exc)
    text = str(exc).strip()
    if "northstar.settings.SettingsError" in names:
        return list(getattr(exc, "problems", [text])), BAD_INPUT  # each names its variable and what it must be
    if "northstar.readonly.NotReadOnlyError" in names:
        return [f"query refused: {text}", "give one SELECT, WITH, SHOW or DESCRIBE statement in quotes"], BAD_INPUT
    if "northstar.batches.WindowNotClosed" in names:
        return [text], BAD_INPUT
    if names & {"northstar.warehouse.WarehouseError", "northstar.warehouse_server.WarehouseServerError"}:
        lines = text.splitlines()[:2]
        return (lines if len(lines) == 2 else [*lines, RESTART]), FAILED
    if "cli.stack.StackError" in names:
        return [text, "`northstar down` then `northstar up` starts it again"], FAILED
    if "northstar.landing.LandingCorrupt" in names:
        return [text], FAILED
    if "cli.run.SourceUnreachable" in names:  # a service that is not available, like the warehouse above
        return text.splitlines()[:2], FAILED
    if "northstar.sources.orders.postgres.SourceUnavailableError" in names:
        return [_first(text), "check NORTHSTAR_SOURCE_PG_DSN and that PostgreSQL runs (`make pg`)"], FAILED
    if names & {"northstar.sources.wms.drop.sftp.DropFolderError"}:
        return [_first(text), "check the NORTHSTAR_SFTP_* settings and that the server is up"], FAILED
    if "snowflake.connector.errors.ProgrammingError" in names:
        return _refused(exc, args)
    if "snowflake.connector.errors.Error" in names:
        return [f"the warehouse failed: {_first(getattr(exc, 'raw_msg', None) or text)}",
                "`northstar status` shows the local stack; --debug shows the traceback"], FAILED  # fmt: skip
    if "northstar.loads.LeaseHeld" in names:
        return [_first(text), "another run holds the batch; wait for it or for its lease to expire"], FAILED
    if names & {"builtins.ValueError", "builtins.KeyError"}:
        message = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else text
        return message.splitlines()[:2] or ["bad input"], BAD_INPUT
    if "builtins.NotADirectoryError" in names or "builtins.FileExistsError" in names:
        path, why = getattr(exc, "filename", None) or text, getattr(exc, "strerror", None) or "not a folder"
        return [f"cannot create the folder {path}: {why} (under NORTHSTAR_HOME)",
                "set NORTHSTAR_HOME to a folder, or one that can be created (README, Settings)"], BAD_INPUT  # fmt: skip
    return None


def _refused(exc: Any, args: argparse.Namespace) -> tuple[list[str], int]:
    """The warehouse refused a statement: an unknown table or column, a syntax it does not know."""
    message = _first(getattr(exc, "raw_msg", None) or str(exc))
    if getattr(args, "sql", None):
        return [f"the warehouse refused the query: {message}",
                SHOW_TABLES], BAD_INPUT  # fmt: skip
    return [f"the warehouse refused a statement: {message}",
            "the warehouse may predate this version: `northstar down; northstar up`, or --debug"], FAILED  # fmt: skip


def _first(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "failed"
    return line if len(line) <= 300 else line[:297] + "..."

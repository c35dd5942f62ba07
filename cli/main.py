"""The `northstar` command: run flows, inspect batches and quarantine, query the warehouse.

Start-up stays small: this module imports only the standard library at the top; each command imports what it
uses (a read command never imports Prefect, boto3 or the flows). `--debug` anywhere on the line shows the
traceback of a failure; `--verbose` lets Prefect's own log lines through to the terminal.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from cli import reads, run, stack

GLOBAL_FLAGS = ("--debug", "--verbose")
LONG_COMMANDS = ("reconcile-source", "completeness")


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    """Entry point; the exit code is 0 on success, 1 on a failed or held run, 2 on bad input or bad settings.

    An expected failure (a bad setting or argument, a warehouse or source that cannot be reached, a query the
    warehouse refuses) is one or two lines on stderr, `northstar: what failed ... next step`, without a
    traceback; `--debug` adds the traceback. A closed pipe (`... --json | head -3`) ends the command quietly.
    """
    args_in = list(sys.argv[1:] if argv is None else argv)
    debug, verbose = ("--debug" in args_in), ("--verbose" in args_in)
    if argv is None and argv_name(args_in) in reads.LEAN_COMMANDS:  # before anything imports the connector
        reads.skip_unused_imports()
    args = _parser().parse_args([a for a in args_in if a not in GLOBAL_FLAGS])
    args.verbose = verbose
    try:
        from northstar.settings import load_settings

        prefect_defaults(load_settings().home, verbose)
        if getattr(args, "long", False):
            with run.progress(f"northstar {argv_name(args_in)}"):
                return int(args.handler(args, out))
        return int(args.handler(args, out))
    except BrokenPipeError:  # the reader went away: what it read is all it wanted
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush does not fail again
        return 0
    except KeyboardInterrupt:
        print("northstar: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        from cli.errors import explain

        explained = explain(exc, args)
        if explained is None or debug:
            import traceback

            traceback.print_exc()
        if explained is None:
            return 1
        lines, code = explained
        for line in lines:
            print(f"northstar: {line}", file=sys.stderr)
        return code


class _Parser(argparse.ArgumentParser):
    """argparse's parser, saying bad usage in two lines (the error, then where the command's help is) instead of the
    whole usage block; exit code 2 as argparse's. Every command's parser is one (subparsers take their parent's
    class)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n{self.prog}: the arguments: `{self.prog} --help`\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="northstar", description=__doc__, epilog="--debug shows a failure's traceback; --verbose Prefect's logs"
    )
    sub = parser.add_subparsers(required=True, metavar="COMMAND")
    run.add_commands(sub)
    stack.add_commands(sub)
    reads.add_commands(sub)
    from cli import warehouse_admin

    warehouse_admin.add_parser(sub)
    from cli.marts import add_marts_parser  # the marts' commands live in cli/marts.py

    add_marts_parser(sub)
    from cli.reconcile import add_commands  # reconcile-source and completeness

    add_commands(sub)
    from cli import trace

    trace.add_commands(sub)
    for name in LONG_COMMANDS:  # others' long commands get the spinner on a terminal too
        sub.choices[name].set_defaults(long=True)
    from cli import held

    held.add_commands(sub)
    from cli.audit_history import add_commands as add_audit_history  # audit-history

    add_audit_history(sub)
    from cli import alerts  # alerts, monitor, report

    alerts.add_commands(sub)
    from cli import corrections  # corrections and audit verify

    corrections.add_commands(sub)
    from cli import investigate  # investigate and incidents

    investigate.add_commands(sub)
    from cli import backfill, reprocess  # backfill, backfills; reprocess

    backfill.add_commands(sub)
    reprocess.add_commands(sub)
    return parser


def argv_name(argv: list[str]) -> str:
    """The command's name as typed (its first word that is not a flag)."""
    return next((a for a in argv if not a.startswith("-")), "")


def prefect_defaults(home: Path, verbose: bool = False) -> None:
    """Keep Prefect's local state beside ours, give its server time to start on 2 cores, and keep its console
    logs (INFO lines of every task) out of the command's output unless --verbose.

    These are Prefect's own variables, set for Prefect to read (the pipeline's settings are northstar.settings).
    """
    os.environ.setdefault("PREFECT_HOME", str(home / "prefect"))
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "600")  # seen at 135 s under load
    if not verbose:
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_FLOW_RUNS_LEVEL", "WARNING")
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_TASK_RUNS_LEVEL", "WARNING")


if __name__ == "__main__":
    raise SystemExit(main())

"""The ``crowdtut`` command: peerannot's command line over crowdtut's library.

``crowdtut simulate | aggregate | identify | train | aggregate-deep | datasets`` read and write
peerannot's dataset folder (``answers.json``, ``metadata.json``, ``ground_truth.npy``,
``labels/``, ``identification/``, ``results/``). Each sub-command lives in its own module and
imports numpy, pandas or torch only when it runs, so that ``crowdtut --help`` is instant.

Entry points: the ``crowdtut`` console script, ``python -m crowdtut`` and :func:`main` (which
returns the exit status instead of exiting, for use from Python and tests).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from . import aggregate, aggregate_deep, datasets, identify, simulate, train
from ._common import DATA, USAGE, CLIError, Formatter
from ._strategies import StrategyError

__all__ = ["main", "build_parser", "CLIError"]

_COMMANDS = (simulate, aggregate, identify, train, aggregate_deep, datasets)

_EPILOG = """\
A dataset folder (peerannot's layout):
  answers.json       {task: {worker: label}}, ids and labels are integers from 0
  metadata.json      name, n_classes, n_workers, n_tasks
  ground_truth.npy   true label per task (-1 = unknown), optional: enables AccTrain
  features/, images/ {train,valid,test}.npy inputs of train, aggregate-deep, AUM/WAUM
  labels/            written by aggregate and aggregate-deep
  identification/    written by identify
  results/           written by train and aggregate-deep

Exit status: 0 success, 1 bad input data or an existing output (use --overwrite),
2 bad command line (unknown option, strategy, bracket parameter or a flag value out of range).
Set CROWDTUT_DEBUG=1 to see the traceback behind an error message."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage block) that name the command's --help."""

    describe_later = None  # a callable giving the description, run when the help is shown

    def format_help(self) -> str:  # noqa: D102 - argparse API
        if self.describe_later is not None:  # the strategies' defaults are read from their
            self.description = self.describe_later()  # classes: import them only for --help
            self.describe_later = None
        return super().format_help()

    def error(self, message: str):  # noqa: D102 - argparse API
        error = CLIError(f"{message} (see '{self.prog} --help')", USAGE)
        error.prog = self.prog
        raise error


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``crowdtut`` with every sub-command."""
    from .. import __version__

    parser = _Parser(
        prog="crowdtut",
        description="Learning from crowdsourced labels on peerannot dataset folders: simulate "
        "crowds, aggregate their answers, identify ambiguous tasks and poor workers, train "
        "classifiers on the results, and install real datasets.",
        epilog=_EPILOG,
        formatter_class=Formatter,
    )
    parser.add_argument("--version", action="version", version=f"crowdtut {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in _COMMANDS:
        module.register(sub)
    parser.commands = sub.choices  # name -> sub-parser, to report unknown options there
    return parser


def _one_line(error: BaseException) -> str:
    if isinstance(error, KeyError) and len(error.args) == 1:
        text = str(error.args[0])
    elif isinstance(error, OSError) and error.filename and error.strerror:
        text = f"{error.filename}: {error.strerror}"
    else:
        text = str(error) or type(error).__name__
    return " ".join(text.split())


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``crowdtut`` with ``argv`` (default ``sys.argv[1:]``) and return the exit status.

    Errors the user can fix (bad options, a missing or corrupt folder, an existing output) print
    one line ``crowdtut <command>: error: ...`` on stderr and return 1 or 2, without traceback.
    """
    parser = build_parser()
    args = None
    try:
        args, extras = parser.parse_known_args(argv)
        if extras:
            where = parser.commands.get(args.command, parser)
            where.error(f"unrecognized arguments: {' '.join(extras)}")
        if args.command is None:
            parser.print_help()
            return USAGE
        return int(args.run(args) or 0)
    except SystemExit as exit_:  # --help and --version
        return exit_.code if isinstance(exit_.code, int) else 0
    except KeyboardInterrupt:
        print("crowdtut: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `crowdtut ... | head -1`: the reader left; the outputs are written
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):  # stdout replaced by an object without a descriptor
            pass
        return 0
    except (CLIError, ValueError, KeyError, OSError, ImportError, NotImplementedError) as error:
        if os.environ.get("CROWDTUT_DEBUG"):
            raise
        prog = getattr(error, "prog", None)
        if prog is None:
            prog = f"crowdtut {args.command}" if args is not None and args.command else "crowdtut"
        if isinstance(error, CLIError):
            code = error.code
        else:
            code = USAGE if isinstance(error, StrategyError) else DATA
        print(f"{prog}: error: {_one_line(error)}", file=sys.stderr)
        return code

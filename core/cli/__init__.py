"""The ``transferlab`` command.

``transferlab`` alone (or with a project folder) opens the desktop app; ``transferlab SUBCOMMAND``
runs the headless engine. Each subcommand lives in its own module in this package and exposes
``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import os
import sqlite3
import sys
import traceback

from core import __version__
from core.errors import TransferLabError

# Order here is the order in `transferlab --help`.
COMMAND_MODULES = [
    "core.cli.cmd_new",
    "core.cli.cmd_import",
    "core.cli.cmd_label",
    "core.cli.cmd_split",
    "core.cli.cmd_status",
    "core.cli.cmd_backbones",
    "core.cli.cmd_weights",
    "core.cli.cmd_train",
    "core.cli.cmd_eval",
    "core.cli.cmd_export",
    "core.cli.cmd_predict",
    "core.cli.cmd_detect",
    "core.cli.cmd_demo",
]


def _load_commands():
    return [importlib.import_module(name) for name in COMMAND_MODULES]


def build_parser(commands=None) -> argparse.ArgumentParser:
    commands = commands if commands is not None else _load_commands()
    parser = argparse.ArgumentParser(
        prog="transferlab",
        description=(
            "Local transfer learning for images, audio and text. Run without a subcommand to open the "
            "desktop app (optionally on PROJECT_DIR)."
        ),
        usage="transferlab [PROJECT_DIR] | transferlab SUBCOMMAND ...",
    )
    parser.add_argument("--version", action="version", version=f"TransferLab {__version__}")
    parser.add_argument("--self-test", action="store_true",
                        help="check offline that this installation works (sample project, train, export, predict)")
    # prog: argparse would otherwise build each subcommand's usage from the custom one above
    # ("usage: transferlab [PROJECT_DIR] | transferlab SUBCOMMAND ... train")
    sub = parser.add_subparsers(dest="command", metavar="SUBCOMMAND", title="subcommands", prog="transferlab")
    for module in commands:
        p = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def _deepest(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.ArgumentParser:
    """The (sub)command parser the words of ``argv`` lead to (``label set`` -> its own)."""
    for word in argv:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if subs and word in subs[0].choices:
            parser = subs[0].choices[word]
    return parser


def _intermixed(parser: argparse.ArgumentParser, argv: list[str], args, extras):
    """argparse takes a command's positionals only before its first option, so `import DIR --json
    FILE` or `predict MODEL --top 2 FILE` left FILE "unrecognized": parse the words after the
    (sub)command again with the command's own parser, positionals wherever they stand. Kept only
    where that leaves nothing unrecognized (an unknown option is still reported as before)."""
    leaf, start = parser, 0
    for k, word in enumerate(argv):
        subs = [a for a in leaf._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            break
        if word in subs[0].choices:
            leaf, start = subs[0].choices[word], k + 1
    if leaf is parser or any(isinstance(a, argparse._SubParsersAction) for a in leaf._actions):
        return args, extras
    try:
        with contextlib.redirect_stderr(io.StringIO()):  # its complaints: the first parse's error says it
            again, left = leaf.parse_known_intermixed_args(argv[start:])
    except (TypeError, SystemExit):  # a parser intermixed parsing cannot handle, or words it refuses
        return args, extras
    if left:
        return args, extras
    for key, value in vars(args).items():  # the top level's own (command, self_test, ...)
        if not hasattr(again, key):
            setattr(again, key, value)
    return again, []


def _wants_gui(argv: list[str], names: set[str]) -> bool:
    if not argv:
        return True
    first = argv[0]
    if len(argv) != 1 or first.startswith("-") or first in names:
        return False
    # A lone argument that is not a subcommand is a project folder; a typo of a subcommand
    # (no such folder, no path separator) goes to argparse, which names the valid choices.
    return os.path.isdir(first) or os.sep in first or first.endswith("project.toml")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = _load_commands()
    names = {m.NAME for m in commands}
    try:
        if _wants_gui(argv, names):
            return _run_gui(argv[0] if argv else None)
        parser = build_parser(commands)
        args, extras = parser.parse_known_args(argv)
        if extras:
            args, extras = _intermixed(parser, argv, args, extras)
        if extras:  # argparse would blame the top level ("usage: transferlab [PROJECT_DIR] | ...")
            _deepest(parser, argv).error(f"unrecognized arguments: {' '.join(extras)}")
        if args.self_test:
            from core.selftest import main as self_test  # rarely used: not loaded for the other commands

            return self_test()
        if args.command is None:
            parser.print_help()
            return 2
        return int(args._run(args) or 0)
    except TransferLabError as exc:
        print(f"transferlab: {exc.message}", file=sys.stderr)
        if exc.detail and os.environ.get("TRANSFERLAB_DEBUG"):
            print(exc.detail, file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("transferlab: interrupted", file=sys.stderr)
        return 130
    except sqlite3.DatabaseError as exc:
        # A project database damaged after it opened (opening itself says which file): a sentence.
        print(f"transferlab: a project database could not be read ({exc}); the project may be damaged.",
              file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (`transferlab backbones --json | head`): not an error of ours.
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0
    except Exception as exc:  # a bug: say so in a sentence, keep the traceback on demand
        print(
            f"transferlab: unexpected error ({type(exc).__name__}: {exc}). "
            "Set TRANSFERLAB_DEBUG=1 to see the details.",
            file=sys.stderr,
        )
        if os.environ.get("TRANSFERLAB_DEBUG"):
            traceback.print_exc()
        return 70


def _run_gui(project_dir: str | None) -> int:
    # Imported by name at run time only: core never depends on the desktop layer (the
    # import-linter contract checks static imports), the entry point just hands over.
    # Whether there is a screen at all is asked first, before Qt loads anything.
    problem = importlib.import_module("desktop.display").display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 3
    desktop_app = importlib.import_module("desktop.app")
    return int(desktop_app.run(project_dir) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

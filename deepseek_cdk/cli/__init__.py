"""`deepseek-cdk`: inspect a deployment before anyone deploys it.

    deepseek-cdk plan [FILE] [--json]     the resolved plan: instances, scaling, alarms, cost
    deepseek-cdk cost [FILE] [--json]     what each tier and version costs, per token and
                                          against hosted APIs
    deepseek-cdk preflight [FILE]         what would stop a deploy: quotas, bootstrap, weights
                                          (AWS calls with your credentials; boto3)
    deepseek-cdk simulate [FILE] --tier NAME (--trace CSV | --scenario NAME)
                 [--scale X] [--startup-seconds N] [--plot PNG] [--json]
                                          replay traffic through the tier's scaling rules
    deepseek-cdk simulate [FILE] --fleet NAME (--trace TIER=CSV ... | --scenario NAME)
                                          replay a shared fleet's members together, their
                                          copies competing for its instances
    deepseek-cdk invoke [FILE] --tier NAME "PROMPT" [--max-tokens N] [--wait SECONDS]
                 [--via endpoint|router]  one request to the tier (its endpoint, or the router
                                          API signed with SigV4): the answer streamed, or an
                                          async job polled (boto3)
    deepseek-cdk loadtest [FILE] --tier NAME [--concurrency 1,4,16] [--duration 60]
                 [--max-tokens N] [--yes] [--json]
                                          drive a real-time or inference-component tier at
                                          rising concurrency: TTFT, TPOT and tokens/s per
                                          level, and the max_rps and measured block of the
                                          highest level within the tier's objectives (boto3)
    deepseek-cdk prices refresh [--output JSON]
                                          read hosting prices and where each instance type
                                          is offered from the AWS Price List API (boto3)

Reads the spec and the planner only: it never imports aws_cdk, so it answers quickly and
runs without Node; `preflight`, `invoke`, `loadtest` and `prices refresh` alone call AWS (boto3). Exit
codes: 0 success, 1 a check, a request or AWS failed, 2 the spec, the plan, a trace or an
argument has a problem.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, cast

from deepseek_cdk import __version__
from deepseek_cdk.cli.common import DEFAULT_FILE, EXIT_SPEC_ERROR
from deepseek_cdk.planning import Plan, build_plan
from deepseek_cdk.spec import SpecError, load_deployment

__all__ = ["COMMANDS", "command_line", "main"]

# Each command is a module with add_arguments(parser) and run(plan, args) (`prices`:
# run(args)); only the chosen one is imported, so `plan` never loads the simulator or boto3.
COMMANDS = {
    "plan": ("deepseek_cdk.cli.plan", "print the resolved plan of a deployment"),
    "cost": (
        "deepseek_cdk.cli.cost",
        "print what each tier and version costs, per token and against hosted APIs",
    ),
    "preflight": ("deepseek_cdk.cli.preflight", "check quotas, bootstrap and weights before a deploy"),
    "simulate": (
        "deepseek_cdk.cli.simulate",
        "replay traffic through a tier's (or a shared fleet's) scaling rules and an oracle",
    ),
    "invoke": ("deepseek_cdk.cli.invoke", "send one request straight to a tier's endpoint"),
    "loadtest": (
        "deepseek_cdk.cli.loadtest",
        "drive a real-time or inference-component tier and measure what it sustains",
    ),
    "prices": ("deepseek_cdk.cli.prices", "the catalog's instance prices"),
}


class Command(Protocol):
    """A command's module (`prices` alone runs without a plan: run(args))."""

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, plan: Plan, args: argparse.Namespace) -> int: ...


def command_line() -> int:
    """`deepseek-cdk` in a process of its own: `main`, then what it built is left out of the
    collection Python runs at exit (gc.freeze): the process is ending and its memory goes back
    whole, while that collection would cost a `plan` about a tenth of its CPU. Output is
    flushed at exit either way, and every file is closed where it is written."""
    code = main()
    gc.freeze()
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; output cut short by a closed pipe (`| head`) ends quietly."""
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    except BrokenPipeError:
        # Python's documented recipe: point stdout at devnull so the exit flush cannot fail.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def _main(arguments: list[str]) -> int:
    command, args = _parse(arguments)
    if args.command == "prices":
        from deepseek_cdk.cli import prices

        return prices.run(args)
    # FILE is the user's: relative to the current directory, as every shell command reads it.
    source = args.file or DEFAULT_FILE
    if args.file is None and not Path(DEFAULT_FILE).is_file():
        print(
            f"deepseek-cdk: no {DEFAULT_FILE} in {Path.cwd()}: give the deployment FILE, or run where "
            "deployments/default.yaml is (a clone of deepseek-cdk has one)",
            file=sys.stderr,
        )
        return EXIT_SPEC_ERROR
    try:
        plan = build_plan(load_deployment(Path(source)))
    except SpecError as err:
        print(err.report(source), file=sys.stderr)
        return EXIT_SPEC_ERROR
    return command.run(plan, args)


def _parse(arguments: list[str]) -> tuple[Command, argparse.Namespace]:
    """The chosen command's module and its arguments; argparse exits on --help, --version and
    a mistake, naming what is allowed."""
    parser = argparse.ArgumentParser(prog="deepseek-cdk", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"deepseek-cdk {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True)
    parsers = {name: subparsers.add_parser(name, help=text) for name, (_, text) in COMMANDS.items()}
    name = arguments[0] if arguments and arguments[0] in COMMANDS else None
    if name is None:
        parser.parse_args(arguments)  # --help and --version exit 0, anything else exits 2
        parser.error(f"the command comes first: {', '.join(COMMANDS)}")
    command = cast(Command, importlib.import_module(COMMANDS[name][0]))
    command.add_arguments(parsers[name])
    if name == "invoke":  # FILE and PROMPT may sit on either side of the options
        return command, parsers[name].parse_intermixed_args(arguments[1:], argparse.Namespace(command=name))
    return command, parser.parse_args(arguments)

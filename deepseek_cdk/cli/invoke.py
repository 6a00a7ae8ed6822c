"""`deepseek-cdk invoke`: one request to a tier, straight to its endpoint or through the
router's API (boto3, with the caller's credentials)."""

from __future__ import annotations

import argparse
import sys

from deepseek_cdk.cli.common import EXIT_FAILED, EXIT_SPEC_ERROR, add_file, unknown_tier
from deepseek_cdk.planning import Plan


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_file(parser)
    parser.add_argument("--tier", required=True, help="the tier to ask")
    parser.add_argument("prompt", help="the user message")
    parser.add_argument("--max-tokens", type=int, default=512, help="the longest answer (default 512)")
    parser.add_argument("--wait", type=int, default=3600, help="async: seconds to wait for the result")
    parser.add_argument(
        "--via",
        choices=["endpoint", "router"],
        default="endpoint",
        help="straight to the endpoint (default), or through the router's API (SigV4)",
    )


def run(plan: Plan, args: argparse.Namespace) -> int:
    from deepseek_cdk.ops.aws import AwsProblem, Clients
    from deepseek_cdk.ops.invoke import (
        BadRequest,
        Output,
        chat_request,
        invoke,
        invoke_via_router,
        router_url,
        sigv4_send,
    )

    if problem := unknown_tier(plan, args.tier):
        print(f"deepseek-cdk: {problem}", file=sys.stderr)
        return EXIT_SPEC_ERROR
    tier = plan.tier(args.tier)
    try:
        request = chat_request(tier, args.prompt, args.max_tokens)
    except BadRequest as err:
        field = {"prompt": "prompt", "max_tokens": "--max-tokens"}.get(err.field, err.field)
        print(f"deepseek-cdk: {field}: {err}", file=sys.stderr)
        return EXIT_SPEC_ERROR
    try:
        clients = Clients(plan.region)
        if args.via == "router":
            if plan.router is None:
                print("deepseek-cdk: --via: the deployment has no router section", file=sys.stderr)
                return EXIT_SPEC_ERROR
            region = plan.region or clients("cloudformation").meta.region_name
            url = router_url(plan, clients)
            return invoke_via_router(
                plan, tier, request, url, sigv4_send(region), Output(), wait_seconds=args.wait
            )
        return invoke(plan, tier, request, clients, Output(), wait_seconds=args.wait)
    except AwsProblem as problem:
        print(f"deepseek-cdk: {problem}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("\ndeepseek-cdk: stopped; an async job already submitted goes on", file=sys.stderr)
        return EXIT_FAILED

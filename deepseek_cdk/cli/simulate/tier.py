"""`deepseek-cdk simulate --tier NAME`: replay traffic through a tier's scaling rules, an
oracle and, on request, the naive configuration, and report TTFT and TPOT, minutes out of the
objectives, capacity over time and cost (planning.simulate)."""

from __future__ import annotations

import sys
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from deepseek_cdk.money import money
from deepseek_cdk.planning import TierPlan
from deepseek_cdk.planning.simulate import (
    REACTION_S,
    SimResult,
    naive_policy,
    oracle,
    policy_of,
    simulate,
)
from deepseek_cdk.planning.traces import MONDAY, Lengths, Trace, TraceError, load_trace, scaled, scenario

PROGRESS_FROM = 200_000  # requests: a replay this long reports its progress on a terminal


def requests_for(
    tier: TierPlan,
    *,
    trace: str | None,
    scenario_name: str | None,
    scale: float,
    start: datetime | None = None,
) -> Trace:
    """The trace file's requests, or the scenario's one day at the tier's peak (its
    `traffic` peak, else what its max capacity serves at the scaling target), with lengths
    drawn around the tier's; `start` places the replay on the week instead of the trace's own
    first timestamp (a scenario's Monday 00:00 UTC)."""
    economics = tier.economics
    lengths = Lengths(economics.input_tokens, economics.output_tokens, tier.p90_output_tokens)
    if trace is not None:
        loaded = load_trace(trace, lengths=lengths, scale=scale)
    else:
        assert scenario_name is not None
        peak = tier.demand.peak_rps if tier.demand else tier.capacity.max * tier.rate_at_target
        loaded = scaled(scenario(scenario_name, peak_rps=peak, lengths=lengths), scale)
    if start is not None:
        loaded = Trace(loaded.arrivals, loaded.inputs, loaded.outputs, start)
    return loaded


def run_simulation(
    tier: TierPlan,
    requests: Trace,
    *,
    startup_s: int | None,
    billing: str = "request",
    compare_naive: bool = False,
) -> tuple[SimResult, SimResult, SimResult | None]:
    """The plan's rules, the oracle, and (with `compare_naive`) the naive configuration."""
    progress = _progress if len(requests) >= PROGRESS_FROM and sys.stderr.isatty() else None
    policy = policy_of(tier, startup_s=startup_s, billing=billing)
    replay = simulate(tier, requests, policy, progress=progress)
    naive = simulate(tier, requests, naive_policy(tier, policy)) if compare_naive else None
    return replay, oracle(tier, requests), naive


def simulation_report(
    tier: TierPlan,
    replay: SimResult,
    best: SimResult,
    source: str,
    naive: SimResult | None = None,
    start: datetime = MONDAY,
) -> dict[str, Any]:
    report = {
        "tier": tier.name,
        "traffic": source,
        "start": start.isoformat() + "Z",
        "minutes": len(replay.minutes),
        "reaction_s": REACTION_S,
        "plan": result_summary(replay, best),
        "oracle": result_summary(best, best),
        "cost_ratio_to_oracle": (replay.cost / best.cost) if replay.cost and best.cost else None,
        "per_minute": [asdict(m) for m in replay.minutes],
        "oracle_per_minute": [asdict(m) for m in best.minutes],
    }
    if naive is not None:
        report["naive"] = result_summary(naive, best)
    if tier.fleet is not None:
        report["fleet"] = {"name": tier.fleet, "replayed": "alone", "note": fleet_note(tier)}
    return report


def result_summary(result: SimResult, best: SimResult) -> dict[str, Any]:
    """A replay's totals, without its minutes, and its cost against the oracle's (`best`)."""
    data = asdict(result)
    data.pop("minutes")
    data["share_out_of_slo"] = result.share_out_of_slo
    data["cost_ratio_to_oracle"] = (result.cost / best.cost) if result.cost and best.cost else None
    return data


def fleet_note(tier: TierPlan) -> str:
    """What a fleet member's replay is, and where the fleet's joint replay is."""
    return (
        f"{tier.name} shares fleet {tier.fleet}: replayed alone, its copies priced at their GPU share of "
        f"{tier.instance_type}; no other member takes room, and the fleet's "
        f"{tier.capacity.instances_min}-{tier.capacity.instances_max} instances do not bind. Replay the "
        f"members together, their copies competing for the instances: --fleet {tier.fleet}"
    )


def render_simulation(report: dict[str, Any]) -> str:
    plan, best = report["plan"], report["oracle"]
    naive = report.get("naive")
    objectives = plan["objectives"]
    streamed = objectives["ttft_p90_s"] is not None
    judged = (
        f"p90 TTFT {objectives['ttft_p90_s']:g} s, TPOT {objectives['tpot_p90_ms']:g} ms"
        if streamed
        else f"p90 completion {objectives['completion_p90_s']:g} s"
    )
    columns = [("the plan", plan), ("oracle", best), *([("naive", naive)] if naive else [])]
    lines = [
        f"Tier {report['tier']}: {report['traffic']}, {report['minutes']} minutes from {report['start']}, "
        f"{plan['requests']:,} requests",
        f"  {'':<30}" + "".join(f"{name:>14}" for name, _ in columns),
    ]

    def row(label: str, cell: Any) -> str:
        return f"  {label:<30}" + "".join(f"{cell(result):>14}" for _, result in columns)

    lines += [
        row("p50 latency (s)", lambda r: number(r["p50_s"])),
        row("p90 latency (s)", lambda r: number(r["p90_s"])),
        row("p90 first token (s)", lambda r: number(r["ttft_p90_s"])),
        row("p90 time per token (ms)", lambda r: number(r["tpot_p90_ms"])),
        row(
            "minutes out of objectives", lambda r: f"{r['minutes_out_of_slo']} ({r['share_out_of_slo']:.1%})"
        ),
        row("minutes no capacity meets", lambda r: str(r["minutes_unmeetable"])),
        row("minutes at max, load above", lambda r: str(r["minutes_at_max_short"])),
        row("failed (no capacity)", lambda r: str(r["rejected"])),
        row("timed out waiting", lambda r: str(r["timed_out"])),
        row("refused (past the context)", lambda r: str(r["refused"])),
        row("instance-hours", lambda r: f"{r['instance_hours']:,.1f}"),
        row("cost", lambda r: money_or_unknown(r["cost"])),
        row(
            "cost / oracle",
            lambda r: "-" if r["cost_ratio_to_oracle"] is None else f"{r['cost_ratio_to_oracle']:.2f}",
        ),
    ]
    startup = "-" if plan["startup_s"] is None else f"{plan['startup_s']} s"
    lines += [
        f"  objectives: {judged}",
        f"  a new instance: {report['reaction_s']} s after its alarm, then serving after {startup}; billed "
        f"from the {'scale-out request' if plan['billing'] == 'request' else 'moment it is in service'}",
    ]
    if "fleet" in report:
        lines.append(f"  {report['fleet']['note']}")
    if plan["minutes_unmeetable"]:
        lines.append(
            f"  {plan['minutes_unmeetable']} minute(s) miss the objectives even on an idle instance: no "
            "scaling meets them (a faster instance, shorter answers, or other objectives would)"
        )
    first, first_key = ("p90 TTFT (max, s)", "ttft_p90_s") if streamed else ("p90 (max, s)", "p90_s")
    lines += ["", f"  hour  requests/min  in service  starting  queued (max)  {first}  p90 TPOT (max, ms)"]
    minutes = report["per_minute"]
    for start in range(0, len(minutes), 60):
        hour = minutes[start : start + 60]
        firsts = [m[first_key] for m in hour if m[first_key] is not None]
        tpots = [m["tpot_p90_ms"] for m in hour if m["tpot_p90_ms"] is not None]
        lines.append(
            f"  {start // 60:>4}  {sum(m['arrivals'] for m in hour) / len(hour):>12.1f}"
            f"  {sum(m['in_service'] for m in hour) / len(hour):>10.1f}"
            f"  {max(m['starting'] for m in hour):>8}  {max(m['queued'] for m in hour):>12}"
            f"  {number(max(firsts) if firsts else None):>{len(first)}}"
            f"  {number(max(tpots) if tpots else None):>18}"
        )
    lines.append("Estimates: the plan's throughput model and AWS's typical start-up (planning.startup).")
    return "\n".join(lines)


def plot(report: dict[str, Any], path: str) -> None:
    """Demand, capacity and p90 time to first token (async: completion time) over time, the
    plan against the oracle, with the objective's line."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise TraceError("--plot: needs matplotlib (pip install 'deepseek-cdk[plot]')") from None
    minutes = report["per_minute"]
    best = report["oracle_per_minute"]
    x = [m["minute"] / 60 for m in minutes]
    figure, (top, middle, bottom) = plt.subplots(3, 1, sharex=True, figsize=(10, 8))
    top.plot(x, [m["arrivals"] for m in minutes], label="requests a minute")
    top.set_ylabel("demand")
    middle.plot(x, [m["in_service"] for m in minutes], label="the plan: in service")
    middle.plot(
        x, [m["in_service"] + m["starting"] for m in minutes], label="the plan: billed", linestyle="--"
    )
    middle.plot(x, [m["in_service"] for m in best], label="oracle")
    middle.set_ylabel("instances")
    middle.legend()
    objectives = report["plan"]["objectives"]
    key, line, label = (
        ("ttft_p90_s", objectives["ttft_p90_s"], "p90 time to first token (s)")
        if objectives["ttft_p90_s"] is not None
        else ("p90_s", objectives["completion_p90_s"], "p90 completion (s)")
    )
    bottom.plot(x, [m[key] for m in minutes], label="the plan")
    bottom.plot(x, [m[key] for m in best], label="oracle")
    bottom.axhline(line, color="red", linestyle=":", label="objective")
    bottom.set_ylabel(label)
    bottom.set_xlabel("hours")
    bottom.legend()
    figure.suptitle(f"Tier {report['tier']}: {report['traffic']}")
    try:
        figure.savefig(Path(path))
    except OSError as err:
        raise TraceError(f"--plot: cannot write {path} ({err.strerror})") from None
    except ValueError:
        raise TraceError(f"--plot: matplotlib cannot write {path!r}; end it in .png, .svg or .pdf") from None
    finally:
        plt.close(figure)


def _progress(share: float) -> None:
    print(f"\rreplaying: {share:.0%}", end="" if share < 1 else "\n", file=sys.stderr, flush=True)


def number(value: float | None) -> str:
    """A figure for a report's table, "-" when there is none."""
    return "-" if value is None else f"{value:,.1f}"


def money_or_unknown(value: float | None) -> str:
    """Dollars and cents, "unknown" without a price."""
    return "unknown" if value is None else money(value, cents=True)

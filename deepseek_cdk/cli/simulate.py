"""`deepseek-cdk simulate`: replay traffic through a tier's scaling rules and an oracle, and
report latency, minutes out of SLO, capacity over time and cost (planning.simulate)."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from deepseek_cdk.cli.money import money
from deepseek_cdk.planning import TierPlan
from deepseek_cdk.planning.simulate import SimResult, oracle, policy_of, simulate
from deepseek_cdk.planning.traces import Request, TraceError, load_trace, scaled, scenario

PROGRESS_FROM = 200_000  # requests: a replay this long reports its progress on a terminal


def requests_for(
    tier: TierPlan, *, trace: str | None, scenario_name: str | None, scale: float
) -> list[Request]:
    """The trace file's requests, or the scenario's one day at the tier's peak (its
    `traffic` peak, else what its max capacity serves at the scaling target)."""
    economics = tier.economics
    lengths = {"input_tokens": economics.input_tokens, "output_tokens": economics.output_tokens}
    if trace is not None:
        return load_trace(trace, scale=scale, **lengths)
    assert scenario_name is not None
    peak = tier.demand.peak_rps if tier.demand else tier.capacity.max * tier.rate_at_target
    return scaled(scenario(scenario_name, peak_rps=peak, **lengths), scale)


def run_simulation(
    tier: TierPlan, requests: list[Request], *, startup_s: int | None
) -> tuple[SimResult, SimResult]:
    progress = _progress if len(requests) >= PROGRESS_FROM and sys.stderr.isatty() else None
    replay = simulate(tier, requests, policy_of(tier, startup_s=startup_s), progress=progress)
    return replay, oracle(tier, requests)


def simulation_report(tier: TierPlan, replay: SimResult, best: SimResult, source: str) -> dict[str, Any]:
    def summary(result: SimResult) -> dict[str, Any]:
        data = asdict(result)
        data.pop("minutes")
        data["share_out_of_slo"] = result.share_out_of_slo
        return data

    return {
        "tier": tier.name,
        "traffic": source,
        "minutes": len(replay.minutes),
        "plan": summary(replay),
        "oracle": summary(best),
        "cost_ratio_to_oracle": (replay.cost / best.cost) if replay.cost and best.cost else None,
        "per_minute": [asdict(m) for m in replay.minutes],
        "oracle_per_minute": [asdict(m) for m in best.minutes],
    }


def render_simulation(report: dict[str, Any]) -> str:
    plan, best = report["plan"], report["oracle"]
    objectives = plan["objectives"]
    streamed = objectives["ttft_p90_s"] is not None
    judged = (
        f"p90 TTFT {objectives['ttft_p90_s']:g} s, TPOT {objectives['tpot_p90_ms']:g} ms"
        if streamed
        else f"p90 completion {objectives['completion_p90_s']:g} s"
    )
    lines = [
        f"Tier {report['tier']}: {report['traffic']}, {report['minutes']} minutes, "
        f"{plan['requests']:,} requests",
        f"  {'':<26}{'the plan':>14}{'oracle':>14}",
    ]
    rows = [
        ("p50 latency (s)", _num(plan["p50_s"]), _num(best["p50_s"])),
        ("p90 latency (s)", _num(plan["p90_s"]), _num(best["p90_s"])),
        ("p90 first token (s)", _num(plan["ttft_p90_s"]), _num(best["ttft_p90_s"])),
        ("p90 time per token (ms)", _num(plan["tpot_p90_ms"]), _num(best["tpot_p90_ms"])),
        (
            "minutes out of objectives",
            f"{plan['minutes_out_of_slo']} ({plan['share_out_of_slo']:.1%})",
            f"{best['minutes_out_of_slo']} ({best['share_out_of_slo']:.1%})",
        ),
        ("rejected (no capacity)", str(plan["rejected"]), str(best["rejected"])),
        ("over the 60 s invoke timeout", str(plan["timed_out"]), str(best["timed_out"])),
        ("instance-hours", f"{plan['instance_hours']:,.1f}", f"{best['instance_hours']:,.1f}"),
        ("cost", _money(plan["cost"]), _money(best["cost"])),
    ]
    lines += [f"  {label:<26}{a:>14}{b:>14}" for label, a, b in rows]
    lines.append(f"  objectives: {judged}")
    ratio = report["cost_ratio_to_oracle"]
    if ratio is not None:
        lines.append(f"  the plan costs {ratio:.2f}x the oracle")
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
            f"  {_num(max(firsts) if firsts else None):>{len(first)}}"
            f"  {_num(max(tpots) if tpots else None):>18}"
        )
    lines.append(
        "Estimates: the plan's throughput model; start-up at the plan's cold-start allowance unless given."
    )
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


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def _money(value: float | None) -> str:
    return "unknown" if value is None else money(value, cents=True)

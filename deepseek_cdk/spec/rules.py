"""What spans fields of a valid Deployment: unique names, references between tiers, versions,
rollout and shadow, keys the tier never reads, schedules that can fire (spec.schedule_rules),
lengths; each problem one `path: what` line.
"""

from __future__ import annotations

from deepseek_cdk.catalog import MODELS
from deepseek_cdk.cron import parse_cron
from deepseek_cdk.kinds import EndpointKind
from deepseek_cdk.names import s3_prefix_problem
from deepseek_cdk.spec.fleet_rules import fleet_problems
from deepseek_cdk.spec.models import Deployment, Tier, TrafficProfile
from deepseek_cdk.spec.router import RuleCondition
from deepseek_cdk.spec.schedule_rules import never_fires
from deepseek_cdk.spec.wording import did_you_mean, field_path, shown


def semantic_problems(d: Deployment) -> list[str]:
    problems: list[str] = []
    tier_names = [t.name for t in d.tiers]
    seen: set[str] = set()
    for i, name in enumerate(tier_names):
        if name in seen:
            problems.append(f"tiers[{i}].name: tier name {name!r} is used twice; tier names must be unique")
        seen.add(name)
    for clash in _same_without_dashes(tier_names):
        problems.append(f"tiers: {clash} differ only by '-'; their resources would share a name")
    for i, tier in enumerate(d.tiers):
        problems += _tier_problems(f"tiers[{i}]", tier)
    problems += fleet_problems(d)
    if d.router is not None:
        if d.router.default_tier not in tier_names:
            problems.append(_unknown_tier("router.default_tier", d.router.default_tier, tier_names))
        for j, rule in enumerate(d.router.rules):
            if rule.tier not in tier_names:
                problems.append(_unknown_tier(f"router.rules[{j}].tier", rule.tier, tier_names))
            if rule.when == RuleCondition():
                problems.append(
                    f"router.rules[{j}].when: needs at least one of max_tokens_at_least, "
                    "prompt_chars_at_least, prompt_matches"
                )
                continue
            before = [k for k in range(j) if d.router.rules[k].when != RuleCondition()]
            earlier = next((k for k in before if d.router.rules[k].when.covers(rule.when)), None)
            if earlier is not None:
                problems.append(
                    f"router.rules[{j}].when: never matches: every request it matches, rules[{earlier}] "
                    "matches first (rules apply in order; put the narrower rule first)"
                )
    for key, traffic in d.traffic.items():
        if key not in tier_names:
            problems.append(_unknown_tier(field_path(("traffic", key)), key, tier_names))
        problems += _length_problems(field_path(("traffic", key)), traffic)
    keep = d.retention
    if keep.archive_after_days >= keep.expire_after_days:
        problems.append(
            f"retention.archive_after_days: must be before expire_after_days ({keep.expire_after_days}); "
            f"S3 cannot archive what it has expired (got {keep.archive_after_days})"
        )
    if "async_days" in keep.model_fields_set and not any(t.endpoint.queued for t in d.tiers):
        problems.append(
            f"retention.async_days: keeps {EndpointKind.ASYNC} tiers' prompts, results and failures, and "
            "this deployment has no async tier"
        )
    return problems


def _length_problems(at: str, traffic: TrafficProfile) -> list[str]:
    """A p90 output below the average output. Possible in principle: fewer than one answer in
    ten, long enough to lift the mean above the other nine (a bimodal mix). Refused all the
    same: the plan draws output lengths from a log-normal (planning.traces), whose p90 is
    below its mean only past sigma 2.56 (exp(1.28 s) < exp(s^2 / 2)), a p99 some 390 times the
    median that no measured LLM trace shows (Azure's: p90 about 2x the mean), so the
    simulation would flatten it to one length; and a swapped pair is the likelier cause. A
    mix that really looks so is two request classes: give each its tier."""
    p90, average = traffic.p90_output_tokens, traffic.avg_output_tokens
    if p90 is None or p90 >= average:
        return []
    given = "avg_output_tokens" in traffic.model_fields_set
    return [
        f"{at}.p90_output_tokens: below avg_output_tokens ({average}{'' if given else ', the default'}); "
        "the 90th-percentile answer is the longer one in every length distribution the plan models: "
        f"check that the two are not swapped (got {p90})"
    ]


def _unknown_tier(path: str, name: str, tier_names: list[str]) -> str:
    close = did_you_mean(name, tier_names)
    return f"{path}: no tier is named {shown(name)}; {close}tiers: {', '.join(tier_names)}"


def _tier_problems(at: str, tier: Tier) -> list[str]:
    problems: list[str] = []
    model = MODELS[tier.model]
    if tier.max_context_tokens is not None and tier.max_context_tokens > model.max_context:
        problems.append(
            f"{at}.max_context_tokens: {tier.model} supports at most {model.max_context} tokens "
            f"(got {tier.max_context_tokens})"
        )
    w = tier.weights
    if w.source == "s3" and w.uri is None:
        problems.append(f"{at}.weights.uri: source s3 needs an S3 prefix like s3://bucket/prefix/")
    elif w.source == "s3" and (problem := s3_prefix_problem(w.uri or "")):
        problems.append(f"{at}.weights.uri: {problem} (got {shown(w.uri)})")
    if w.source == "hub" and w.uri is not None:
        problems.append(f"{at}.weights.uri: only allowed with source: s3 (got {shown(w.uri)})")
    # Where an instance may run several copies, the planner holds the measurement to the
    # chosen layout's batches (planning.measured).
    if (
        tier.measured is not None
        and tier.measured.concurrency > tier.max_concurrency
        and not tier.may_run_copies
    ):
        problems.append(
            f"{at}.measured.concurrency: measured at {tier.measured.concurrency} concurrent requests, more "
            f"than the tier's max_concurrency ({tier.max_concurrency}) admits; measure within it"
        )
    measured = tier.measured
    for low, high in (("ttft_p50_seconds", "ttft_p90_seconds"), ("tpot_p50_ms", "tpot_p90_ms")):
        p50, p90 = (getattr(measured, k) if measured else None for k in (low, high))
        if p50 is not None and p90 is not None and p50 > p90:
            problems.append(f"{at}.measured.{low}: a median above the 90th percentile ({p50:g} > {p90:g})")
    problems += _slo_problems(f"{at}.slo", tier)
    problems += _scaling_problems(f"{at}.scaling", tier)
    problems += _unread_alarm_keys(f"{at}.alarms", tier)
    problems += _version_problems(at, tier)
    return problems


def _slo_problems(at: str, tier: Tier) -> list[str]:
    """Streamed tiers take TTFT and TPOT objectives, async tiers a completion objective."""
    if tier.slo is None:
        return []
    if tier.endpoint.queued:
        wrong = [k for k in ("ttft_p90_seconds", "tpot_p90_ms") if getattr(tier.slo, k) is not None]
        allowed = "completion_p90_seconds"
    else:
        wrong = ["completion_p90_seconds"] if tier.slo.completion_p90_seconds is not None else []
        allowed = "ttft_p90_seconds and tpot_p90_ms"
    return [f"{at}.{key}: not an objective of {tier.endpoint} tiers; they take {allowed}" for key in wrong]


def _scaling_problems(at: str, tier: Tier) -> list[str]:
    s = tier.scaling
    problems: list[str] = []
    if s.max is not None and s.min > s.max:
        problems.append(f"{at}.min: must be <= max ({s.max}) (got {s.min})")
    if s.min == 0 and not tier.endpoint.scales_to_zero:
        problems.append(f"{at}.min: {_no_zero(tier)} (got 0)")
    if s.backlog_per_instance is not None and not tier.endpoint.queued:
        problems.append(
            f"{at}.backlog_per_instance: only for endpoint: {EndpointKind.ASYNC} (tier is {tier.endpoint})"
        )
    # A tier that may run several copies per instance holds copies x max_concurrency: the
    # planner checks the target against the layout it chooses (planning.instance_choice).
    over = s.metric == "concurrency" and s.target != "auto" and s.target > tier.max_concurrency
    if over and not tier.may_run_copies:
        problems.append(
            f"{at}.target: {s.target:g} concurrent requests per instance exceeds the engine's batch limit "
            f"of {tier.max_concurrency} (max_concurrency); queued requests count too, so stay below it"
        )
    if s.metric == "invocations" and s.target == "auto" and s.max_rps is None:
        problems.append(
            f"{at}.max_rps: metric invocations needs the requests/s one instance sustains within the "
            "SLO, measured with a load test (SageMaker Inference Recommender, or any client at rising "
            "concurrency); an estimate can be far off and a target too high never scales out. "
            "Give max_rps, give target, or use metric: concurrency"
        )
    problems += _unread_scaling_keys(at, tier)
    names = [sched.name for sched in s.schedules]
    for k, sched in enumerate(s.schedules):
        where = f"{at}.schedules[{k}]"
        if names.count(sched.name) > 1 and names.index(sched.name) < k:
            problems.append(f"{where}.name: schedule name {shown(sched.name)} is used twice")
        if (sched.cron is None) == (sched.at is None):
            problems.append(f"{where}: give exactly one of cron or at")
        if sched.min is None and sched.max is None:
            problems.append(f"{where}: give min, max or both")
        if sched.min is not None and sched.max is not None and sched.min > sched.max:
            problems.append(f"{where}.min: must be <= the schedule's max ({sched.max}) (got {sched.min})")
        problems += never_fires(where, sched)
        dated = sched.at is not None or (sched.cron is not None and not parse_cron(sched.cron).weekly)
        if dated and sched.min is not None and sched.min > (sched.max or s.max_capacity):
            problems.append(
                f"{where}.max: a one-off or dated schedule whose min ({sched.min}) is above the tier's max "
                f"({s.max_capacity}) must set its own max, at least its min"
            )
        if sched.min == 0 and not tier.endpoint.scales_to_zero:
            problems.append(f"{where}.min: {_no_zero(tier)} (got 0)")
    return problems


# How far ahead a schedule's first firing may lie. A schedule sets capacity for a scenario
# someone knows of (a launch, a season); five years out, the plan's prices, instance types and
# model are not what will run, and a mistyped year (2199 for 2029, both valid to AWS) would
# otherwise pass as a schedule that never acts.
def _unread_scaling_keys(at: str, tier: Tier) -> list[str]:
    """`scaling` keys given where the tier's way of scaling never reads them (planning.scaling):
    refused, so that no key is accepted and ignored."""
    s = tier.scaling
    derived = "derives the target, and target is given"
    if tier.endpoint.queued:
        queue = (
            f"{EndpointKind.ASYNC} tiers scale on the requests waiting per instance; give "
            "backlog_per_instance (default: one full batch per model copy)"
        )
        unread = dict.fromkeys(("metric", "target", "target_utilization", "max_rps", "safety_factor"), queue)
    elif s.metric == "invocations":
        unread = dict.fromkeys(("max_rps", "safety_factor"), derived) if s.target != "auto" else {}
    else:
        other = f"only used with metric: invocations (metric is {s.metric})"
        unread = dict.fromkeys(("max_rps", "safety_factor"), other)
        if s.target != "auto":
            unread["target_utilization"] = derived
    return [f"{at}.{key}: {why}" for key, why in unread.items() if key in s.model_fields_set]


def _unread_alarm_keys(at: str, tier: Tier) -> list[str]:
    """`alarms` keys given for alarms the tier's kind does not have (constructs.monitoring):
    refused, so that no threshold is accepted and ignored."""
    queue_only = f"only for endpoint: {EndpointKind.ASYNC} (tier is {tier.endpoint})"
    if tier.endpoint.queued:
        why = (
            f"{EndpointKind.ASYNC} tiers alarm on their queue (oldest request, backlog, requests waiting "
            "with no instance) and on failed invocations, not on latency, error rates or disk"
        )
        unread = dict.fromkeys(
            ("latency_p90_seconds", "error_5xx_percent", "error_4xx_percent", "disk_percent"), why
        )
    else:
        unread = dict.fromkeys(("oldest_request_minutes", "backlog_size"), queue_only)
        if tier.endpoint.per_component:
            unread["disk_percent"] = (
                f"{tier.endpoint} tiers alarm per component on latency and error rates; they have no "
                "disk alarm"
            )
    return [f"{at}.{key}: {why}" for key, why in unread.items() if key in tier.alarms.model_fields_set]


def _no_zero(tier: Tier) -> str:
    can = " and ".join(k.value for k in EndpointKind if k.scales_to_zero)
    return f"a {tier.endpoint} endpoint cannot scale to 0 instances; only {can} tiers can"


def _same_without_dashes(names: list[str]) -> list[str]:
    """Names that differ only by '-' (v1-2 and v12): their resources would share an id."""
    seen: dict[str, str] = {}
    clashes = []
    for name in names:
        key = name.replace("-", "")
        if key in seen and seen[key] != name:
            clashes.append(f"{seen[key]} and {name}")
        seen.setdefault(key, name)
    return clashes


def _version_problems(at: str, tier: Tier) -> list[str]:
    problems: list[str] = []
    names = [v.name for v in tier.versions]
    if len(set(names)) != len(names):
        problems.append(f"{at}.versions: version names must be unique (got {', '.join(names)})")
    for clash in _same_without_dashes(names):
        problems.append(f"{at}.versions: {clash} differ only by '-'; their resources would share a name")
    if tier.versions:
        total = sum(v.weight for v in tier.versions)
        if abs(total - 100) > 1e-6:
            problems.append(f"{at}.versions: weights must sum to 100 (got {total:g})")
    if len(tier.versions) > tier.endpoint.versions_at_once:
        problems.append(
            f"{at}.versions: {tier.endpoint.label} tiers serve at most {tier.endpoint.versions_at_once} "
            f"version(s) at a time (got {len(names)})"
        )
    problems += _shadow_problems(at, tier)
    for j, version in enumerate(tier.versions):
        serving = version.weight > 0 or (tier.shadow is not None and tier.shadow.version == version.name)
        if serving and version.approval != "approved":
            problems.append(
                f"{at}.versions[{j}].approval: a {version.approval} version cannot take traffic; approve it "
                "(approval: approved) or give it weight 0 to stage it"
            )
        if version.revision is not None and tier.weights.source != "hub":
            problems.append(f"{at}.versions[{j}].revision: only for weights from the Hub; give uri instead")
        if version.uri is not None and tier.weights.source != "s3":
            problems.append(f"{at}.versions[{j}].uri: only with weights.source: s3; give revision instead")
        elif version.uri is not None and (problem := s3_prefix_problem(version.uri)):
            problems.append(
                f"{at}.versions[{j}].uri: {problem}, e.g. s3://bucket/models/<tier>/<version>/ "
                f"(got {shown(version.uri)})"
            )
    problems += _rollout_problems(f"{at}.rollout", tier)
    if tier.data_capture is not None and tier.endpoint is not EndpointKind.REALTIME:
        problems.append(
            f"{at}.data_capture: deepseek-cdk captures {EndpointKind.REALTIME.label} tiers only "
            f"(tier is {tier.endpoint.label}); remove the key"
        )
    return problems


def _rollout_problems(at: str, tier: Tier) -> list[str]:
    """Every rollout key must act: refuse the ones the strategy or the endpoint kind ignores."""
    rollout = tier.rollout
    if rollout is None:
        return []
    problems = []
    if tier.endpoint.per_component and rollout.strategy != "linear":
        problems.append(
            f"{at}.strategy: inference components update in equal batches of at most half their "
            f"copies (a rolling update); use strategy: linear (got {rollout.strategy})"
        )
    if rollout.canary_percent is not None and rollout.strategy != "canary":
        problems.append(f"{at}.canary_percent: only with strategy: canary (strategy is {rollout.strategy})")
    if rollout.linear_step_percent is not None and rollout.strategy != "linear":
        problems.append(
            f"{at}.linear_step_percent: only with strategy: linear (strategy is {rollout.strategy})"
        )
    if rollout.termination_wait_minutes is not None and tier.endpoint.per_component:
        problems.append(
            f"{at}.termination_wait_minutes: inference components roll back copy by copy; there is no "
            "old fleet to keep (tier is inference-components)"
        )
    return problems


def _shadow_problems(at: str, tier: Tier) -> list[str]:
    shadow = tier.shadow
    if shadow is None:
        return []
    if not tier.endpoint.shadows:
        return [
            f"{at}.shadow: SageMaker runs shadow variants on {EndpointKind.REALTIME.label} endpoints only "
            f"(tier is {tier.endpoint.label})"
        ]
    names = [v.name for v in tier.versions]
    if shadow.version not in names:
        return [
            f"{at}.shadow.version: no version is named {shown(shadow.version)}; "
            f"versions: {', '.join(names) or 'none'}"
        ]
    live = [v.name for v in tier.versions if v.weight > 0]
    if len(live) != 1:
        return [
            f"{at}.shadow: SageMaker runs a shadow beside exactly one production variant; give one version "
            f"a weight above 0 (live: {', '.join(live)})"
        ]
    version = tier.versions[names.index(shadow.version)]
    if version.weight > 0:
        return [
            f"{at}.shadow.version: {shadow.version} has weight {version.weight:g}; a shadow answers nobody, "
            "so give it weight 0"
        ]
    return []

"""Replay requests through a tier's scaling rules, the way SageMaker and Application Auto
Scaling apply them, and against an oracle that provisions perfectly.

The service (estimates, from planning.throughput):
- each instance (or copy) runs at most `max_concurrency` requests at once; a request takes
  its prefill and a step to its first token, then one step per output token at the step
  time of the batch it joins; requests beyond the batch wait at the instance (real-time:
  SageMaker sends each request to the instance with the fewest outstanding) or in SageMaker's
  queue (async), where a free slot takes the oldest;
- a request longer than the tier's context is refused, as the router refuses it; an
  inference-component tier with no copy fails requests (NoCapacityInvocationFailures);
- a real-time request still waiting for a slot after FIRST_TOKEN_WAIT_S is given up by the
  router and counted as timed out; an async request waiting longer than ASYNC_REQUEST_TTL_S
  expires.

Scaling (the constants in .policy and .replay, with their sources in docs/simulation.md):
- target tracking on the plan's metric: requests in flight per instance (copy) sampled every
  10 s, as 10-second datapoints (predefined high-resolution) or their one-minute average,
  invocations per instance a minute, or async backlog per instance a minute; the scale-out
  alarm fires after `SCALE_OUT_DATAPOINTS` datapoints above the target, the scale-in alarm
  after `SCALE_IN_SECONDS` of datapoints below `SCALE_IN_MARGIN` x the target; the new
  capacity is in-service capacity x metric / target, rounded up; scale-in waits for its
  cooldown, and capacity already starting counts towards a scale-out;
- each scaling activity an alarm starts reaches SageMaker `reaction_s` after the alarm (a
  scheduled action acts at its time), then a new instance serves after `startup_s`; it bills
  from the request (or from InService: `billing`);
- the weekly schedules set min and max (the capacity calendar), on the week of the trace's own
  first timestamp; a tier at zero adds one instance (copy) on the from-zero alarm, then waits
  a cold start; an inference-component copy's instance bills IC_INSTANCE_LINGER_S after the
  copy is gone, unless a new copy takes it first.

A minute is out of the objectives when the p90 time to first token or time per output token
of the requests finished in it misses the tier's objectives (async: the p90 completion time),
when a request still waits longer than the TTFT (completion) objective, or when a request
failed or timed out for lack of capacity. A minute whose requests would miss even alone on an
idle instance is counted apart: no capacity meets it.

The oracle takes, each minute, the least capacity that meets the objectives: enough
instances for the requests' busy time that minute, each request at the fullest batch whose
p90 request still meets them, and, for random arrivals, enough slots pooled over all the
instances (the best any routing does) that the p90 wait for one keeps the TTFT objective;
no start-up; at least the tier's scheduled min (an availability choice); its max does not
bind. A lower bound on the cost of any capacity that meets the objectives.

A shared fleet's members replay together (.joint): each its own replay, stepped to every tick
together, its copies placed on the fleet's instances (.fleet), which the fleet bills; each
member pays its copies' GPU share.

The event loop keeps arrivals in their arrays and only finishes, ticks and starting
instances in its heap, and routes a request to the least-loaded instance through per-load
buckets: time grows with the number of requests, not with requests x instances.
"""

from __future__ import annotations

from deepseek_cdk.planning.simulate.fleet import IDLE_RELEASE_S, INSTANCE_LAUNCH_S, FleetPool
from deepseek_cdk.planning.simulate.joint import (
    FleetMinute,
    FleetResult,
    aligned,
    fleet_lower_bound,
    simulate_fleet,
)
from deepseek_cdk.planning.simulate.oracle import fullest_batch, oracle
from deepseek_cdk.planning.simulate.policy import (
    BILLING,
    FROM_ZERO_DATAPOINTS,
    FROM_ZERO_PERIOD_S,
    NAIVE_TARGET,
    REACTION_S,
    SCALE_IN_MARGIN,
    SCALE_IN_SECONDS,
    SCALE_OUT_DATAPOINTS,
    TICK_S,
    Policy,
    naive_policy,
    policy_of,
)
from deepseek_cdk.planning.simulate.replay import FIRST_TOKEN_WAIT_S, IC_INSTANCE_LINGER_S, simulate
from deepseek_cdk.planning.simulate.results import MinuteStats, SimResult
from deepseek_cdk.planning.simulate.service import Service

__all__ = [
    "BILLING",
    "FIRST_TOKEN_WAIT_S",
    "FROM_ZERO_DATAPOINTS",
    "FROM_ZERO_PERIOD_S",
    "IC_INSTANCE_LINGER_S",
    "IDLE_RELEASE_S",
    "INSTANCE_LAUNCH_S",
    "NAIVE_TARGET",
    "REACTION_S",
    "SCALE_IN_MARGIN",
    "SCALE_IN_SECONDS",
    "SCALE_OUT_DATAPOINTS",
    "TICK_S",
    "FleetMinute",
    "FleetPool",
    "FleetResult",
    "MinuteStats",
    "Policy",
    "Service",
    "SimResult",
    "aligned",
    "fleet_lower_bound",
    "fullest_batch",
    "naive_policy",
    "oracle",
    "policy_of",
    "simulate",
    "simulate_fleet",
]

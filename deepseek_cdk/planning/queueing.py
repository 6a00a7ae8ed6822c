"""The wait for one of an engine's slots, as an M/M/k queue: k slots, requests arriving at
random (Poisson) and each holding its slot for an exponential service time. Erlang C gives
the probability of waiting and its exponential tail the wait's quantiles (planning.service_levels
bounds a tier's TTFT with them, planning.simulate.oracle sizes capacity with them)."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

WAIT_QUANTILE = 0.9  # the share of arrivals whose wait the TTFT objective bounds


def erlang_c(servers: int, load: float) -> float:
    """The probability that an arrival waits in an M/M/k queue of `servers` with offered
    load `load` (arrival rate x service time); 1 at or beyond saturation."""
    if load >= servers:
        return 1.0
    if load <= 0:
        return 0.0
    blocking = 1.0  # Erlang B, by its recurrence over the number of servers
    for k in range(1, servers + 1):
        blocking = load * blocking / (k + load * blocking)
    return servers * blocking / (servers - load * (1 - blocking))


@functools.lru_cache(maxsize=4096)  # the plan asks the same few dozen questions many times
def offered_load(servers: int, in_system: float) -> float:
    """The offered load at which an M/M/k queue holds `in_system` requests on average, served
    and waiting: L = a + C(k, a) x a / (k - a), solved for a by bisection."""
    low, high = 0.0, float(servers)
    for _ in range(60):
        load = (low + high) / 2
        waiting = erlang_c(servers, load) * load / (servers - load) if load < servers else math.inf
        low, high = (load, high) if load + waiting < in_system else (low, load)
    return low


def slot_wait_s(servers: int, load: float, service_s: float, quantile: float) -> float:
    """The `quantile` of the wait for a slot: P(wait > t) = C x exp(-(k - a) t / S)."""
    waits = erlang_c(servers, load)
    if waits <= 1 - quantile:
        return 0.0
    if load >= servers:
        return math.inf
    return math.log(waits / (1 - quantile)) * service_s / (servers - load)


def largest_within(limit: float, value_at: Callable[[float], float], most: int, step: float = 1) -> float:
    """The largest multiple of `step` up to `most` with value_at(it) <= limit (0 when `step`
    itself misses); value_at grows with its argument."""
    low, high = 0, round(most / step)
    while low < high:
        middle = (low + high + 1) // 2
        if value_at(middle * step) <= limit:
            low = middle
        else:
            high = middle - 1
    return round(low * step, 6)

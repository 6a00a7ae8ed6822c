"""Which instance type a shared fleet runs, and where each member's copy sits on it.

A member's copy takes the fewest of the instance's GPUs on which it holds its workload
(planning.sizing, tensor parallel over those GPUs) and meets its objectives
(planning.service_levels): a fleet wants its copies small, so that more share an instance.
Its host memory is planning.packing's copy_memory_mb, its price the GPU share of the
instance's: `gpus` of the instance's GPUs, at the instance's price.

An explicit instance type must hold a copy of every member within its objectives. `auto`
takes, among the catalog instances that do (and that SageMaker hosting offers in the region,
when the price file knows), the lowest cost per million output tokens across the members:
every member at its most copies, packed (planning.packing), the instances that takes at the
instance's whole price (idle GPUs included: a fleet pays for whole instances), over the output
tokens those copies write at their scaling targets. Unpriced types come after every priced
one, so an unpriced type is chosen only when no priced one holds every member.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from deepseek_cdk.catalog import INSTANCES, InstanceSpec
from deepseek_cdk.catalog.prices import Price, PriceTable
from deepseek_cdk.planning.copy_request import CopyRequest
from deepseek_cdk.planning.errors import PlanError
from deepseek_cdk.planning.instance_choice import Alternative, Candidate, judge_copy
from deepseek_cdk.planning.packing import CopyShape, Host, copy_memory_mb, pack
from deepseek_cdk.planning.sizing import memory_fit, tensor_parallel_problem

ALTERNATIVES_SHOWN = 3


@dataclass(frozen=True)
class Seat:
    """A member's copy on a fleet's instance type: the GPUs it takes (the instance cut to them
    is what its estimates run on), its host memory, and its GPU share of the price."""

    host: InstanceSpec  # the fleet's instance type
    instance: InstanceSpec  # the same, cut to the copy's GPUs
    candidate: Candidate  # the copy's memory fit and service levels there
    memory_mb: int
    price: Price  # the copy's GPU share of the instance's price

    @property
    def gpus(self) -> int:
        return self.instance.gpu_count

    def shape(self, tier: str) -> CopyShape:
        return CopyShape(tier, self.gpus, self.memory_mb)


@dataclass(frozen=True)
class FleetChoice:
    """A shared fleet's instance type, each member's seat on it, and the types it beat."""

    instance_type: str
    seats: Mapping[str, Seat]  # per member tier
    usd_per_million_tokens: float | None  # every member at its most copies
    alternatives: tuple[Alternative, ...]


class FleetChoiceError(PlanError):
    """No instance type holds every member as the spec asks."""


def gpu_share(price: Price, gpus: int, host: InstanceSpec) -> Price:
    """`gpus` of `host`'s GPUs at `host`'s price: what a copy on them costs an hour."""
    usd = None if price.usd_per_hour is None else price.usd_per_hour * gpus / host.gpu_count
    whole = "no price" if price.usd_per_hour is None else f"${price.usd_per_hour:,.3f}/h"
    return replace(
        price, usd_per_hour=usd, share=f"{gpus} of {host.gpu_count} GPUs of {host.name} at {whole}"
    )


def seat(request: CopyRequest, host: InstanceSpec, price: Price) -> Seat | str:
    """The member's copy on the fewest of `host`'s GPUs that hold it and meet its objectives;
    else why not, as a phrase."""
    why = f"no GPU count of {host.name} is a tensor-parallel degree {request.model.key} allows"
    for gpus in range(1, host.gpu_count + 1):
        if tensor_parallel_problem(request.model, gpus) is not None:
            continue
        cut = replace(host, gpu_count=gpus)
        fit = memory_fit(request.model, cut, request.workload)
        if not fit.fits:
            why = f"a copy on {gpus} GPU(s) {fit.problem}"
            continue
        share = gpu_share(price, gpus, host)
        candidate = judge_copy(request, cut, fit, usd_per_hour=share.usd_per_hour)
        if candidate.misses:
            why = f"a copy on {gpus} GPU(s) misses {' and '.join(candidate.misses)} even with one request"
            continue
        memory = copy_memory_mb(fit.weights_gb)
        if memory > Host.of(host).memory_mb:
            return (
                f"a copy needs {memory / 1024:,.0f} GiB of host memory, more than an instance offers copies"
            )
        return Seat(host, cut, candidate, memory, share)
    return why


def choose_fleet_instance(
    at: str,
    instance_type: str,
    requests: Sequence[CopyRequest],
    *,
    region: str | None,
    prices: PriceTable,
    member_paths: Mapping[str, str],
) -> FleetChoice:
    """The fleet's instance type (the module's docstring); FleetChoiceError names the field."""
    if instance_type != "auto":
        if prices.offered(region, instance_type) is False:
            raise FleetChoiceError(
                [f"{at}.instance_type: SageMaker hosting does not offer {instance_type} in {region}"]
            )
        host = INSTANCES[instance_type]
        price = prices.price(region, host.name)
        seats = {r.tier: seat(r, host, price) for r in requests}
        problems = [
            f"{member_paths[r.tier]}: a copy of {r.model.key} does not fit {instance_type} "
            f"({at}.instance_type): {why}"
            for r in requests
            if isinstance(why := seats[r.tier], str)
        ]
        if problems:
            raise FleetChoiceError(problems)
        held = {tier: s for tier, s in seats.items() if isinstance(s, Seat)}
        return FleetChoice(instance_type, held, usd_per_million(host, price, held, requests), ())
    fits: list[tuple[str, dict[str, Seat], float | None]] = []
    seated: Counter[str] = Counter()  # per member, how many instance types hold its copy
    for host in INSTANCES.values():
        if prices.offered(region, host.name) is False:
            continue
        price = prices.price(region, host.name)
        found = {r.tier: seat(r, host, price) for r in requests}
        held = {tier: s for tier, s in found.items() if isinstance(s, Seat)}
        seated.update(list(held))
        if len(held) == len(found):
            fits.append((host.name, held, usd_per_million(host, price, held, requests)))
    if not fits:
        nowhere = [member_paths[r.tier] for r in requests if not seated[r.tier]]
        raise FleetChoiceError(
            [
                f"{at}.instance_type: no catalog instance holds a copy of every member within its objectives"
                + (f" ({', '.join(nowhere)}: on no instance at all)" if nowhere else "")
                + "; split the members over two fleets, or lower their max_context_tokens or max_concurrency"
            ]
        )
    fits.sort(key=lambda f: (f[2] is None, f[2] or 0.0, INSTANCES[f[0]].driver_memory_gb, f[0]))
    name, chosen, best = fits[0]
    alternatives = tuple(
        Alternative(other, usd, _lost_on_price(usd, best))
        for other, _, usd in fits[1 : 1 + ALTERNATIVES_SHOWN]
    )
    return FleetChoice(name, chosen, best, alternatives)


def usd_per_million(
    host: InstanceSpec, price: Price, seats: Mapping[str, Seat], requests: Sequence[CopyRequest]
) -> float | None:
    """Every member at its most copies, each at its scaling target: the instances their copies
    pack onto, at the whole instance's price, over the output tokens the copies write."""
    if price.usd_per_hour is None:
        return None
    copies = [(seats[r.tier].shape(r.tier), r.most_copies) for r in requests]
    instances = pack(copies, Host.of(host)).count
    tokens = sum(seats[r.tier].candidate.levels.tokens_per_second * r.most_copies for r in requests)
    return instances * price.usd_per_hour / (tokens * 3600) * 1e6 if tokens > 0 else None


def _lost_on_price(usd: float | None, best: float | None) -> str:
    if usd is None:
        return "no price in the catalog"
    if best is None:
        return "priced, while the chosen is not"
    return f"{usd / best:.2f}x the chosen's cost per token, every member at its max"

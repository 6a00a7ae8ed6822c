"""Packing inference-component copies onto a fleet's instances by GPUs and host memory.

A copy takes whole GPUs and a share of the host's memory, the two numbers SageMaker places it
by (InferenceComponentComputeResourceRequirements: NumberOfAcceleratorDevicesRequired,
"Minimum value of 1", and MinMemoryRequiredInMb, "Minimum value of 128", required; SageMaker
API Reference, read 2026-12-07). An instance offers its GPUs and its host memory less what the
instance keeps for itself (the OS and SageMaker's agents, INSTANCE_RESERVE_GB): no copy
shares a GPU, and the copies on an instance never reserve more memory than it offers.

Placement: copies are placed first-fit decreasing: the largest (GPUs, then memory; ties in
the order given) first, each on the first instance with room for both, a new instance when
none has room. That finds close to the fewest instances. The fleet's components ask SageMaker
for the same aim (InferenceComponentSchedulingConfig PlacementStrategy BINPACK, "Packs copies
onto fewer instances to optimize resource utilization"; SageMaker API Reference, read
2026-12-07). SageMaker places copies as scaling adds them, one at a time, in an order it does
not document (NOT RETRIEVED), so a live endpoint may need an instance more than the plan's
packing at the same copies. No limit on copies per instance beyond GPUs and memory is
documented (NOT RETRIEVED, searched 2026-12-07).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from deepseek_cdk.catalog import InstanceSpec
from deepseek_cdk.planning.sizing import GB, HOST_RESERVE_GB

MIB = 2**20
# Of sizing's HOST_RESERVE_GB: what the instance keeps once, whatever it hosts (the OS,
# SageMaker's agents), and what each copy's container needs beside its weights. Estimates.
INSTANCE_RESERVE_GB = 4.0
COPY_RESERVE_GB = HOST_RESERVE_GB - INSTANCE_RESERVE_GB


def copy_memory_mb(weights_gb: float) -> int:
    """A copy's MinMemoryRequiredInMb: its weights on their way through the host to the GPUs,
    and its container's reserve. One copy alone on an instance so needs what planning.sizing
    asks of a single-model instance."""
    return math.ceil((weights_gb + COPY_RESERVE_GB) * GB / MIB)


@dataclass(frozen=True)
class CopyShape:
    """What one copy of a member tier takes on an instance."""

    tier: str
    gpus: int  # NumberOfAcceleratorDevicesRequired
    memory_mb: int  # MinMemoryRequiredInMb


@dataclass(frozen=True)
class Host:
    """What one fleet instance offers copies: its GPUs, and its host memory less its own reserve."""

    gpus: int
    memory_mb: int

    @classmethod
    def of(cls, instance: InstanceSpec) -> Host:
        return cls(instance.gpu_count, int(instance.host_memory_gib * 1024 - INSTANCE_RESERVE_GB * GB / MIB))

    def holds(self, shape: CopyShape) -> bool:
        return shape.gpus <= self.gpus and shape.memory_mb <= self.memory_mb


@dataclass(frozen=True)
class Packing:
    """Copies placed on instances: what each instance holds, and per tier the copies that found
    no room (past the instance limit, or larger than any instance)."""

    host: Host
    instances: tuple[tuple[CopyShape, ...], ...]
    unplaced: Mapping[str, int]

    @property
    def count(self) -> int:
        return len(self.instances)

    def free(self, index: int) -> tuple[int, int]:
        """GPUs and memory (MiB) instance `index` has left."""
        held = self.instances[index]
        return (
            self.host.gpus - sum(c.gpus for c in held),
            self.host.memory_mb - sum(c.memory_mb for c in held),
        )

    def placed(self, tier: str) -> int:
        return sum(1 for held in self.instances for c in held if c.tier == tier)

    @property
    def gpus_used(self) -> int:
        return sum(c.gpus for held in self.instances for c in held)

    def describe(self) -> list[str]:
        """One line per instance: its copies by tier, and what is left free."""
        lines = []
        for i, held in enumerate(self.instances):
            counts = Counter(c.tier for c in held)
            gpus, memory = self.free(i)
            copies = ", ".join(
                f"{tier} x{n} ({next(c.gpus for c in held if c.tier == tier)} GPU each)"
                for tier, n in counts.items()
            )
            lines.append(
                f"instance {i + 1}: {copies}; free {gpus} of {self.host.gpus} GPUs, "
                f"{memory / 1024:,.0f} of {self.host.memory_mb / 1024:,.0f} GiB"
            )
        return lines


def pack(
    copies: Sequence[tuple[CopyShape, int]],
    host: Host,
    *,
    limit: int | None = None,
    onto: Packing | None = None,
) -> Packing:
    """Place `copies` (each shape with its count) on instances of `host`, first-fit decreasing
    (the module's docstring), after the copies `onto` already holds (they stay where they are).
    A copy no instance can hold, or one that would need an instance past `limit`, is left
    unplaced."""
    order = {shape.tier: i for i, (shape, _) in enumerate(copies)}
    queue = sorted(
        (shape for shape, count in copies for _ in range(count)),
        key=lambda s: (-s.gpus, -s.memory_mb, order[s.tier]),
    )
    instances = [list(held) for held in onto.instances] if onto else []
    room = [list(onto.free(i)) for i in range(onto.count)] if onto else []  # free GPUs, memory
    unplaced: Counter[str] = Counter(onto.unplaced if onto else {})
    for shape in queue:
        spot = next((i for i, (g, m) in enumerate(room) if shape.gpus <= g and shape.memory_mb <= m), None)
        if spot is None and host.holds(shape) and (limit is None or len(instances) < limit):
            instances.append([])
            room.append([host.gpus, host.memory_mb])
            spot = len(instances) - 1
        if spot is None:
            unplaced[shape.tier] += 1
            continue
        instances[spot].append(shape)
        room[spot][0] -= shape.gpus
        room[spot][1] -= shape.memory_mb
    return Packing(host, tuple(tuple(held) for held in instances), dict(unplaced))

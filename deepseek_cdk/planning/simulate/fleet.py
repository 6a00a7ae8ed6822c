"""A shared fleet's instances in a joint replay of its members: where their copies go, when
an instance is added or released, and what the instances bill.

Placement: a copy a member's scaling adds goes on the first instance, in the order they were
launched, with enough free GPUs and host memory for the member's copy (its CopyShape): first
fit, as planning.packing packs. When no instance has room, managed instance scaling requests a
new one with the copy, below the fleet's max; the copy serves after the instance's launch
(INSTANCE_LAUNCH_S) and then its own start-up. A fixed fleet (no managed instance scaling)
never adds one. A copy with no room, at the max or on a fixed fleet, is not placed: it is
counted as a copy that found no room, and its member's scaling asks again at its next
datapoint above the target (each ask counts).

Release: with managed instance scaling the fleet's scale-in policy is IDLE_RELEASE, "Releases
instances that have no hosted inference component copies" (SageMaker API Reference, read
2026-12-07). An instance left without copies is released IDLE_RELEASE_S after its last copy
went, unless a copy takes it first, and never below the fleet's min. A fixed fleet keeps
every instance.

Billing: each instance from its request (or from the moment it serves: `billing`) until it is
released or the replay ends, times the instance's price; each member pays its copies' GPU
share, as the plan prices it.
"""

from __future__ import annotations

from collections import Counter

from deepseek_cdk.planning.packing import CopyShape, Host
from deepseek_cdk.planning.simulate.policy import check_billing
from deepseek_cdk.planning.simulate.replay import IC_INSTANCE_LINGER_S
from deepseek_cdk.planning.startup import PROVISIONING_S, TYPICAL_IMAGE_PULL_S

# An assumption: a new instance is ready for a copy after planning.startup's provisioning
# estimate (a GPU instance and the serving image) less the image pull that the copy's own
# typical start-up already counts. AWS publishes no figure for an instance alone.
INSTANCE_LAUNCH_S = PROVISIONING_S - TYPICAL_IMAGE_PULL_S
# An instance without copies goes "about 10 more minutes" after its last copy (observed in AWS's
# scale-to-zero sample, as the single-tier replay bills an inference component's instance).
# The scale-in policy's CooldownInMinutes (default 20) is not modelled: what it times is NOT
# RETRIEVED.
IDLE_RELEASE_S = IC_INSTANCE_LINGER_S


class _Instance:
    """One fleet instance: what it has left, its copies, and its times."""

    __slots__ = ("billed_from", "copies", "empty_since", "gpus", "memory_mb", "ready_at", "requested")

    def __init__(self, host: Host, requested: float, ready_at: float, billed_from: float) -> None:
        self.gpus, self.memory_mb = host.gpus, host.memory_mb
        self.copies = 0
        self.requested, self.ready_at, self.billed_from = requested, ready_at, billed_from
        self.empty_since: float | None = requested


Seat = tuple[_Instance, CopyShape]


class FleetPool:
    """The fleet's instances as its members' copies come and go (the module's docstring)."""

    def __init__(
        self,
        host: Host,
        *,
        instances: int,
        low: int,
        high: int,
        managed: bool,
        billing: str,
        duration_s: float,
        launch_s: float = INSTANCE_LAUNCH_S,
        release_s: float = IDLE_RELEASE_S,
    ) -> None:
        check_billing(billing)
        self.host, self.low, self.high, self.managed = host, low, high, managed
        self.billing, self.duration = billing, duration_s
        self.launch_s, self.release_s = launch_s, release_s
        self.deploying = True  # before the replay starts: instances serve at once
        self.instances = [_Instance(host, 0.0, 0.0, 0.0) for _ in range(instances)]
        self.billed_s = 0.0
        self.no_room: Counter[str] = Counter()
        self.snapshots: list[tuple[int, int]] = []  # per minute: instances in service, launching

    def seats(self, shape: CopyShape) -> MemberSeats:
        """Where the member of copies `shape` places them."""
        return MemberSeats(self, shape)

    def deployed(self) -> None:
        """The replay starts: from now on a new instance launches."""
        self.deploying = False

    def seat(self, shape: CopyShape, requested: float, startup_s: float) -> tuple[Seat, float] | None:
        """The first instance with room for a copy of `shape` (a new one when none has room and
        the fleet may grow), and when the copy serves; None when it finds no room."""
        spot = next(
            (i for i in self.instances if shape.gpus <= i.gpus and shape.memory_mb <= i.memory_mb), None
        )
        if spot is None:
            if not (self.managed and len(self.instances) < self.high and self.host.holds(shape)):
                self.no_room[shape.tier] += 1
                return None
            ready_at = requested if self.deploying else requested + self.launch_s
            billed_from = 0.0 if self.deploying else requested if self.billing == "request" else ready_at
            spot = _Instance(self.host, requested, ready_at, billed_from)
            self.instances.append(spot)
        spot.gpus -= shape.gpus
        spot.memory_mb -= shape.memory_mb
        spot.copies += 1
        spot.empty_since = None
        return (spot, shape), max(requested, spot.ready_at) + startup_s

    def vacate(self, seat: Seat, now: float) -> None:
        """A copy is gone: its room is free, and an instance left empty starts its idle time."""
        instance, shape = seat
        instance.gpus += shape.gpus
        instance.memory_mb += shape.memory_mb
        instance.copies -= 1
        if not instance.copies:
            instance.empty_since = now

    def tick(self, now: float) -> None:
        """Release the instances idle long enough (managed instance scaling, above the min);
        at a minute's end, count the instances in service and those requested, launching (an
        instance a copy holds room on before its scaling activity is not counted yet)."""
        if self.managed:
            for instance in list(self.instances):
                since = instance.empty_since
                if since is not None and now - since >= self.release_s and len(self.instances) > self.low:
                    self.instances.remove(instance)
                    self._bill(instance, since + self.release_s)
        if int(now) % 60 == 0:
            ready = sum(1 for i in self.instances if i.ready_at <= now)
            requested = sum(1 for i in self.instances if i.requested <= now)
            self.snapshots.append((ready, requested - ready))

    def close(self) -> None:
        """The end of the replay: the instances still running bill to its end."""
        for instance in self.instances:
            self._bill(instance, self.duration)

    def _bill(self, instance: _Instance, until: float) -> None:
        duration = self.duration
        self.billed_s += max(0.0, min(until, duration) - min(instance.billed_from, duration))


class MemberSeats:
    """One member's view of the pool: its copies' shape bound (replay.Seats)."""

    def __init__(self, pool: FleetPool, shape: CopyShape) -> None:
        self.pool, self.shape = pool, shape

    def seat(self, requested: float, startup_s: float) -> tuple[object, float] | None:
        return self.pool.seat(self.shape, requested, startup_s)

    def vacate(self, seat: object, now: float) -> None:
        self.pool.vacate(seat, now)  # type: ignore[arg-type]

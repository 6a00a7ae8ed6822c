"""Packing copies onto a fleet's instances, on cases worked by hand: a 4-GPU instance that
offers copies 300 GiB (307,200 MiB) of host memory."""

import pytest

from deepseek_cdk.catalog import INSTANCES
from deepseek_cdk.planning.packing import (
    COPY_RESERVE_GB,
    INSTANCE_RESERVE_GB,
    CopyShape,
    Host,
    copy_memory_mb,
    pack,
)
from deepseek_cdk.planning.sizing import HOST_RESERVE_GB

HOST = Host(gpus=4, memory_mb=300 * 1024)
REASONING = CopyShape("reasoning", gpus=2, memory_mb=100 * 1024)
CHAT = CopyShape("chat", gpus=1, memory_mb=50 * 1024)


def test_copies_that_fill_an_instance_exactly_take_one_instance() -> None:
    # 2 + 1 + 1 = 4 GPUs; 100 + 50 + 50 = 200 GiB of 300.
    packing = pack([(REASONING, 1), (CHAT, 2)], HOST)
    assert packing.count == 1
    assert packing.free(0) == (0, 100 * 1024)
    assert packing.unplaced == {}
    assert packing.describe() == [
        "instance 1: reasoning x1 (2 GPU each), chat x2 (1 GPU each); free 0 of 4 GPUs, 100 of 300 GiB"
    ]


def test_one_gpu_short_opens_a_second_instance_for_the_last_copy() -> None:
    # 2 + 1 + 1 + 1 = 5 GPUs: the fourth chat copy finds no GPU on the first instance.
    packing = pack([(REASONING, 1), (CHAT, 3)], HOST)
    assert packing.count == 2
    assert [len(held) for held in packing.instances] == [3, 1]
    assert packing.free(1) == (3, 250 * 1024)
    assert (packing.placed("chat"), packing.placed("reasoning")) == (3, 1)


def test_memory_bound_copies_leave_gpus_free() -> None:
    # Each copy 1 GPU and 140 GiB: two fill 280 of the 300 GiB, a third does not fit, so each
    # instance holds two copies and keeps two GPUs idle.
    heavy = CopyShape("coder", gpus=1, memory_mb=140 * 1024)
    packing = pack([(heavy, 4)], HOST)
    assert packing.count == 2
    assert [packing.free(i) for i in range(2)] == [(2, 20 * 1024), (2, 20 * 1024)]


def test_gpu_count_bound_copies_fill_every_gpu_with_memory_to_spare() -> None:
    # Four 2-GPU copies of 10 GiB: two per instance by GPUs, memory nowhere near its limit.
    light = CopyShape("chat", gpus=2, memory_mb=10 * 1024)
    packing = pack([(light, 4)], HOST)
    assert packing.count == 2
    assert [packing.free(i) for i in range(2)] == [(0, 280 * 1024), (0, 280 * 1024)]
    assert packing.gpus_used == 8


def test_a_copy_larger_than_any_instance_is_left_unplaced() -> None:
    wide = CopyShape("big", gpus=8, memory_mb=10 * 1024)
    packing = pack([(wide, 1), (CHAT, 1)], HOST)
    assert packing.unplaced == {"big": 1}
    assert packing.count == 1 and packing.placed("chat") == 1


def test_largest_copies_go_first_so_small_ones_fill_the_gaps() -> None:
    # In the given order first-fit puts both chat copies on instance 1 (2 GPUs left), then
    # each 3-GPU copy on an instance of its own: 3 instances. Decreasing order packs 3 + 1 twice.
    three = CopyShape("coder", gpus=3, memory_mb=50 * 1024)
    packing = pack([(CHAT, 2), (three, 2)], HOST)
    assert packing.count == 2
    assert [sorted(c.tier for c in held) for held in packing.instances] == [["chat", "coder"]] * 2


def test_copies_past_the_instance_limit_are_counted_per_tier() -> None:
    packing = pack([(REASONING, 3), (CHAT, 2)], HOST, limit=1)
    assert packing.count == 1
    assert packing.unplaced == {"reasoning": 1, "chat": 2}


def test_an_instance_offers_copies_its_host_memory_less_its_own_reserve() -> None:
    host = Host.of(INSTANCES["ml.g6e.12xlarge"])  # 4 x L40S, 384 GiB
    assert host.gpus == 4
    assert host.memory_mb == pytest.approx(384 * 1024 - INSTANCE_RESERVE_GB * 1e9 / 2**20, abs=1)
    # One copy alone on an instance reserves what sizing asks of a single-model instance.
    assert INSTANCE_RESERVE_GB + COPY_RESERVE_GB == HOST_RESERVE_GB
    assert copy_memory_mb(15.232) == pytest.approx((15.232 + COPY_RESERVE_GB) * 1e9 / 2**20, abs=1)


def test_copies_added_onto_a_packing_leave_the_running_ones_where_they_are() -> None:
    running = pack([(CHAT, 2)], HOST)  # instance 1: 2 GPUs left
    packing = pack([(REASONING, 2)], HOST, limit=2, onto=running)
    assert [sorted(c.tier for c in held) for held in packing.instances] == [
        ["chat", "chat", "reasoning"],
        ["reasoning"],
    ]
    assert pack([(REASONING, 3)], HOST, limit=1, onto=running).unplaced == {"reasoning": 2}

"""The longest answer each router route carries, from the tier's throughput."""

import math

from deepseek_cdk.planning.answers import answer_limits
from deepseek_cdk.planning.throughput import Throughput

THROUGHPUT = Throughput(tokens_per_second=480.0, requests_per_second=0.5, basis="test")


def test_a_sequence_gets_its_share_of_the_decode_rate_for_half_of_each_window() -> None:
    limits = answer_limits(THROUGHPUT, max_concurrency=16, context_tokens=32768)
    assert limits.tokens_per_second_per_sequence == 30
    assert limits.buffered_max_tokens == math.floor(30 * 25 * 0.5) == 375
    assert limits.stream_max_tokens == math.floor(30 * 900 * 0.5) == 13500


def test_no_answer_is_longer_than_the_context_leaves() -> None:
    limits = answer_limits(THROUGHPUT, max_concurrency=1, context_tokens=4096)
    assert limits.buffered_max_tokens == 4095 and limits.stream_max_tokens == 4095


def test_a_larger_batch_means_shorter_answers_in_time() -> None:
    small = answer_limits(THROUGHPUT, max_concurrency=4, context_tokens=32768)
    large = answer_limits(THROUGHPUT, max_concurrency=64, context_tokens=32768)
    assert large.buffered_max_tokens < small.buffered_max_tokens
    assert (
        answer_limits(
            Throughput(0.01, 0.0, "slow"), max_concurrency=64, context_tokens=32768
        ).buffered_max_tokens
        == 1
    )  # never 0: the router would refuse everything

"""Application Auto Scaling schedule expressions."""

from datetime import datetime

import pytest

from deepseek_cdk.cron import parse_at, parse_cron


def test_weekday_business_hours() -> None:
    cron = parse_cron("0 8 ? * MON-FRI *")
    assert cron.weekly
    assert cron.matches(datetime(2026, 1, 5, 8, 0))  # a Monday
    assert cron.matches(datetime(2026, 1, 9, 8, 0))  # the Friday
    assert not cron.matches(datetime(2026, 1, 10, 8, 0))  # Saturday
    assert not cron.matches(datetime(2026, 1, 5, 8, 1))


def test_day_of_week_numbers_start_at_sunday() -> None:
    assert parse_cron("0 0 ? * 1 *").matches(datetime(2026, 1, 4, 0, 0))  # Sunday
    assert parse_cron("0 0 ? * 2 *").matches(datetime(2026, 1, 5, 0, 0))  # Monday


def test_steps_lists_and_the_cron_wrapper() -> None:
    cron = parse_cron("cron(*/15 6,18 ? * SAT,SUN *)")
    assert cron.expression == "*/15 6,18 ? * SAT,SUN *"
    assert sorted(cron.minutes) == [0, 15, 30, 45]
    assert sorted(cron.hours) == [6, 18]


def test_dated_cron_is_not_weekly() -> None:
    assert not parse_cron("0 6 1 DEC ? 2026").weekly


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("0 8 ? * MON-FRI", "needs the six fields"),
        ("0 8 * * MON-FRI *", "exactly one of Day-of-month and Day-of-week must be '?'"),
        ("0 24 ? * * *", "hours: '24' is not 0-23"),
        ("0 8 ? * FRI-MON *", "day-of-week: range 'FRI-MON' runs backwards"),
        ("0 8 ? * 2#1 *", "'L', 'W' and '#' are not supported"),
        ("0 8 L * ? *", "'L', 'W' and '#' are not supported"),
        ("? 8 ? * * *", "minutes: '?' is only allowed in Day-of-month and Day-of-week"),
        ("*/0 8 ? * * *", "step must be a whole number >= 1"),
        ("0 8 ? XYZ MON *", "month: 'XYZ' is not 1-12 or JAN/FEB"),
    ],
)
def test_bad_cron_says_why(expression: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("?", r"\?")):
        parse_cron(expression)


def test_at() -> None:
    assert parse_at("2026-12-01T06:00:00") == datetime(2026, 12, 1, 6, 0)
    assert parse_at("at(2026-12-01T06:00:00)") == datetime(2026, 12, 1, 6, 0)
    with pytest.raises(ValueError, match="yyyy-mm-ddThh:mm:ss"):
        parse_at("2026-12-01 06:00")

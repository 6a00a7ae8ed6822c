"""When a tier's alarms fire, in CloudWatch's units: one type that the planner fills from
the spec (deepseek_cdk.planning.alarms) and the monitoring constructs take as it is. Every
field has a default, so the constructs are usable without a plan. No AWS or CDK import."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AlarmSettings:
    """The thresholds of a tier's alarms, in the units of the metrics they watch."""

    latency_p90_us: int = 60_000_000  # ModelLatency is in microseconds: 60 s
    error_5xx_rate: float = 0.01  # the Average of Invocation5XXErrors is the share that failed
    error_4xx_rate: float = 0.05
    disk_percent: float = 90
    at_max_minutes: int = 30  # load above the scaling target this long: capacity is at max
    oldest_request_s: int = 1800  # async: the oldest queued request
    backlog_size: int = 100  # async: requests waiting
    evaluation_minutes: int = 5  # one-minute periods, all breaching
    no_capacity_minutes: int = 30  # async and inference components: longer than a cold start

    def problems(self) -> list[str]:
        """What is out of range, one line per field (empty when all is well)."""
        checks = [
            ("latency_p90_us", self.latency_p90_us > 0, "> 0"),
            ("error_5xx_rate", 0 < self.error_5xx_rate <= 1, "a share, above 0 up to 1"),
            ("error_4xx_rate", 0 < self.error_4xx_rate <= 1, "a share, above 0 up to 1"),
            ("disk_percent", 0 < self.disk_percent <= 100, "above 0 up to 100"),
            ("at_max_minutes", 1 <= self.at_max_minutes <= 1440, "1-1440"),
            ("oldest_request_s", self.oldest_request_s > 0, "> 0"),
            ("backlog_size", self.backlog_size >= 1, ">= 1"),
            ("evaluation_minutes", 1 <= self.evaluation_minutes <= 60, "1-60"),
            ("no_capacity_minutes", 1 <= self.no_capacity_minutes <= 1440, "1-1440"),
        ]
        return [f"{name}: must be {rule} (got {getattr(self, name)})" for name, ok, rule in checks if not ok]

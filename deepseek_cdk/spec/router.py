"""The spec's router: rules sending each request to a tier by its answer limit, its prompt's
length or a pattern in it, and the tier that takes the rest."""

from __future__ import annotations

from pydantic import Field, field_validator

from deepseek_cdk.runtime.router.patterns import pattern_problem
from deepseek_cdk.spec.base import Strict


class RuleCondition(Strict):
    max_tokens_at_least: int | None = Field(default=None, ge=1, le=10_000_000)
    prompt_chars_at_least: int | None = Field(default=None, ge=1, le=100_000_000)
    prompt_matches: str | None = None

    @field_validator("prompt_matches")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None and (problem := pattern_problem(value)):
            raise ValueError(problem)
        return value

    def covers(self, other: RuleCondition) -> bool:
        """Whether every request `other` matches, this condition matches too."""
        return (
            (self.max_tokens_at_least is None or (other.max_tokens_at_least or 0) >= self.max_tokens_at_least)
            and (
                self.prompt_chars_at_least is None
                or (other.prompt_chars_at_least or 0) >= self.prompt_chars_at_least
            )
            and self.prompt_matches in (None, other.prompt_matches)
        )


class RouterRule(Strict):
    tier: str
    when: RuleCondition


class Router(Strict):
    default_tier: str
    rules: list[RouterRule] = Field(default=[])

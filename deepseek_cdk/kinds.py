"""The one vocabulary of endpoint kinds. Code asks a kind what it does (is it queued, can it
reach zero, what does it count) instead of comparing names, and the stacks pick each kind's
constructs from one table (deepseek_cdk.stacks.tiers). No AWS or CDK import."""

from __future__ import annotations

from enum import StrEnum

# The most inference components one endpoint hosts here: a tier's live versions, or every
# member's on a shared fleet. No AWS page found states a per-endpoint maximum
# (CreateInferenceComponent and the SageMaker quotas pages: NOT RETRIEVED, searched
# 2026-12-07), so the project keeps to 10, the endpoint config's limit on production variants
# (CreateEndpointConfig ProductionVariants, 1-10); a higher quota means a larger constant here.
MAX_COMPONENTS_PER_ENDPOINT = 10


class EndpointKind(StrEnum):
    """How a tier serves requests; the value is what a deployment spec writes."""

    REALTIME = "realtime"  # weighted production variants, one per version
    INFERENCE_COMPONENTS = "inference-components"  # components on instances SageMaker manages
    ASYNC = "async"  # SageMaker's queue, requests and results in S3

    @property
    def label(self) -> str:
        return {"realtime": "real-time", "inference-components": "inference-component", "async": "async"}[
            self.value
        ]

    @property
    def queued(self) -> bool:
        """Requests wait in SageMaker's queue and answers land in S3 (202 + job id); no
        answer comes back on the request itself, so nothing streams."""
        return self is EndpointKind.ASYNC

    @property
    def scales_to_zero(self) -> bool:
        """Can run at zero instances: a single-model real-time variant keeps at least one."""
        return self is not EndpointKind.REALTIME

    @property
    def per_component(self) -> bool:
        """Versions are inference components with their own copies and metrics, on one
        shared variant; otherwise each version is a production variant."""
        return self is EndpointKind.INFERENCE_COMPONENTS

    @property
    def shadows(self) -> bool:
        """Can run a shadow variant (ShadowProductionVariants): real-time endpoints only."""
        return self is EndpointKind.REALTIME

    @property
    def capacity_unit(self) -> str:
        return "copies" if self.per_component else "instances"

    @property
    def versions_at_once(self) -> int:
        """How many versions a tier may hold: an async endpoint takes one variant; an endpoint
        config takes at most 10 production variants (CreateEndpointConfig), and an endpoint
        here at most MAX_COMPONENTS_PER_ENDPOINT components."""
        return 1 if self.queued else MAX_COMPONENTS_PER_ENDPOINT

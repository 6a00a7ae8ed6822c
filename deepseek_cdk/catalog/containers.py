"""Serving containers: AWS Deep Learning Container repositories and pinned tags.

The registry account differs per region; it is resolved at synth time from CDK's region
facts, never from a table kept here.

Sources:
- LMI: deepjavalibrary/djl-serving serving/docs/lmi/release_notes.md (d21927c4, 2026-06-24):
  0.36.0-lmi20.0.0-cu128-v1.0 ships vLLM 0.15.1 (2026-02-09) with the DeepSeek-R1-0528
  regression fix. Env names: serving/docs/lmi/deployment_guide/configurations.md.
- TGI: aws/sagemaker-python-sdk image_uri_config/huggingface-llm.json (a2481266, 2026-08-21),
  TGI 3.3.6. TGI upstream is in maintenance mode since 2025-12-11 (huggingface/
  text-generation-inference README): offered, not the default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from deepseek_cdk.dlc import LMI_REPOSITORY, TGI_REPOSITORY

ContainerKey = Literal["lmi", "tgi"]


@dataclass(frozen=True)
class ContainerSpec:
    """A serving container: its image (repository and tag) and what it is."""

    key: ContainerKey
    description: str
    repository: str
    tag: str
    source: str


CONTAINERS: dict[str, ContainerSpec] = {
    "lmi": ContainerSpec(
        key="lmi",
        description="AWS Large Model Inference (DJL Serving + vLLM 0.15.1)",
        repository=LMI_REPOSITORY,
        tag="0.36.0-lmi20.0.0-cu128-v1.0",
        source="djl-serving release_notes.md, read 2026-11-22",
    ),
    "tgi": ContainerSpec(
        key="tgi",
        description="Hugging Face Text Generation Inference 3.3.6 (maintenance mode upstream)",
        repository=TGI_REPOSITORY,
        tag="2.7.0-tgi3.3.6-gpu-py311-cu124-ubuntu22.04",
        source="sagemaker-python-sdk huggingface-llm.json, read 2026-11-22",
    ),
}
